#pragma once
// Jitter seeds for real sessions. Every process must draw its own: a fleet
// whose members share one seed draws the same "random" delays and reconnects
// in lockstep, which is what jitter is for preventing. A fixed seed is for
// reproducing a run; a recording states the seed it ran with, and
// `tether-sim replay --events FILE` uses it.
#include <cstdint>
#include <functional>
#include <optional>

namespace tether::io {

// 64 bits from the operating system's entropy source.
std::uint64_t random_seed();

// The one seeding rule, shared by the production shell and the simulator: a
// configured fixed seed is used as given (and `entropy` is not called);
// otherwise the seed is one draw from `entropy`. Production passes the OS
// (random_seed); the simulator passes each process lifetime's simulated
// entropy, so a simulated fleet seeds itself exactly as a real one does, and a
// fleet configured with one fixed seed moves in lockstep in both.
std::uint64_t choose_seed(std::optional<std::uint64_t> fixed,
                          const std::function<std::uint64_t()>& entropy);

inline std::uint64_t seed_or_random(std::optional<std::uint64_t> fixed) {
  return choose_seed(fixed, random_seed);
}

}  // namespace tether::io
