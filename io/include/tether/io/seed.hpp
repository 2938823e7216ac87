#pragma once
// Jitter seeds for real sessions. Every process must draw its own: a fleet
// whose members share one seed draws the same "random" delays and reconnects
// in lockstep, which is what jitter is for preventing. A fixed seed is for
// reproducing a run; a recording states the seed it ran with, and
// `tether-sim replay --events FILE` uses it.
#include <cstdint>
#include <optional>

namespace tether::io {

// 64 bits from the operating system's entropy source.
std::uint64_t random_seed();

inline std::uint64_t seed_or_random(std::optional<std::uint64_t> fixed) {
  return fixed ? *fixed : random_seed();
}

}  // namespace tether::io
