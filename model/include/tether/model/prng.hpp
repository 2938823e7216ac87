#pragma once
// The session's source of randomness (jitter). It lives inside the state, so the
// same seed and the same events always produce the same effects.

#include <cstdint>

namespace tether::model {

// SplitMix64: 8 bytes of state, passes BigCrush, and streams derived from
// different seeds are independent enough for jitter and fault draws.
class Prng {
  __extension__ typedef unsigned __int128 u128;  // GCC and Clang both have it

 public:
  constexpr explicit Prng(std::uint64_t seed = 0) : state_(seed) {}

  constexpr std::uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31U);
  }

  // Uniform in [lo, hi] (inclusive); returns lo when hi <= lo.
  // Lemire's multiply-shift: bias below 2^-64 per draw, no division.
  constexpr std::int64_t uniform(std::int64_t lo, std::int64_t hi) {
    if (hi <= lo) return lo;
    const auto span = static_cast<std::uint64_t>(hi - lo) + 1U;
    const auto r = static_cast<u128>(next()) * span;
    return lo + static_cast<std::int64_t>(static_cast<std::uint64_t>(r >> 64U));
  }

  // A child stream, independent of this one's future draws (used by simulators
  // to give every client and fault source its own stream from one master seed).
  static constexpr Prng derive(std::uint64_t master_seed, std::uint64_t stream_id) {
    Prng p(master_seed ^ (stream_id * 0xD1B54A32D192ED03ULL));
    p.next();
    return Prng(p.next());
  }

  constexpr std::uint64_t state() const { return state_; }
  friend constexpr bool operator==(const Prng&, const Prng&) = default;

 private:
  std::uint64_t state_;
};

}  // namespace tether::model
