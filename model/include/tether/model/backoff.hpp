#pragma once
// Backoff arithmetic: pure functions of the policy, the failure count and the
// PRNG. The reducer composes them with server hints and the short-session guard.

#include <cstdint>

#include <tether/model/config.hpp>
#include <tether/model/prng.hpp>

namespace tether::model {

struct DelayBounds {
  std::int64_t delay_ms_min;
  std::int64_t delay_ms_max;  // inclusive
};

// The un-jittered delay after `failures` consecutive failures (>= 1):
// min(delay_ms_max, delay_ms_initial * multiplier^(failures-1)). Saturates.
std::int64_t ceiling_ms(const BackoffPolicy& policy, std::uint32_t failures);

// Where the jittered delay may fall. `previous_delay_ms` matters only for
// decorrelated jitter (0: none yet).
DelayBounds jitter_bounds(const BackoffPolicy& policy, std::uint32_t failures,
                          std::int64_t previous_delay_ms);

// One draw from jitter_bounds.
std::int64_t sample_delay_ms(const BackoffPolicy& policy, std::uint32_t failures,
                             std::int64_t previous_delay_ms, Prng& prng);

}  // namespace tether::model
