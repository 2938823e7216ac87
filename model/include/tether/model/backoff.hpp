#pragma once
// Backoff arithmetic: pure functions of the policy, the failure count and the
// PRNG. The reducer composes them with server hints and the short-session guard.
//
// jitter_bounds is the one rule for where a jittered delay may fall: the
// reducers draw from it (sample_delay_ms), and every judge (the simulator's
// oracles and worlds, the model tests' oracles) asks it rather than re-deriving
// the table. The table, in whole milliseconds with both ends inclusive, for the
// ceiling c = ceiling_ms(policy, failures) and s = floor(c * jitter_fraction):
//
//   none          [c, c]
//   full          [0, c - 1]   i.e. [0, c) ([0, 0] when c is 0)
//   equal         [c / 2, c]   (c / 2 rounded down)
//   decorrelated  [b, max(b, min(3 * p, delay_ms_max))], where
//                 b = min(delay_ms_initial, delay_ms_max) and
//                 p = max(previous_delay_ms, b)
//   proportional  [c - s, c + s]
//   upward        [c, c + s]
//
// tests/model/backoff.cpp pins this table with literal numbers and checks that
// sample_delay_ms reaches both ends of it and never leaves it.

#include <cstdint>
#include <tether/model/config.hpp>
#include <tether/model/prng.hpp>

namespace tether::model {

struct DelayBounds {
  std::int64_t delay_ms_min;  // inclusive
  std::int64_t delay_ms_max;  // inclusive
};

// The un-jittered delay after `failures` consecutive failures (>= 1):
// min(delay_ms_max, delay_ms_initial * multiplier^(failures-1)). Saturates.
std::int64_t ceiling_ms(const BackoffPolicy& policy, std::uint32_t failures);

// Where the jittered delay may fall (the table above). `previous_delay_ms`
// matters only for decorrelated jitter (0: none yet).
DelayBounds jitter_bounds(const BackoffPolicy& policy, std::uint32_t failures,
                          std::int64_t previous_delay_ms);

// jitter_bounds whatever the previous delay was: the union over every history,
// which differs only for decorrelated jitter ([b, max(b, delay_ms_max)]). What a
// judge that cannot know the previous draw (it is taken before the short-session
// and hint floors) must accept.
DelayBounds jitter_envelope(const BackoffPolicy& policy, std::uint32_t failures);

// One draw, uniform over jitter_bounds (both ends included).
std::int64_t sample_delay_ms(const BackoffPolicy& policy, std::uint32_t failures,
                             std::int64_t previous_delay_ms, Prng& prng);

// The draw every reducer makes before a retry: one sample_delay_ms over
// jitter_bounds, remembered in `previous_delay_ms` (the history decorrelated
// jitter needs; a reducer sets it to 0 when its failures are forgotten).
struct DelayDraw {
  std::int64_t delay_ms;
  DelayBounds bounds;  // where it could have fallen, for the floors below
};
DelayDraw draw_delay(const BackoffPolicy& policy, std::uint32_t failures,
                     std::int64_t& previous_delay_ms, Prng& prng);

// A floor (a short session's minimum, a server's Retry-After or SSE retry)
// moves the jittered delay above it instead of flattening it there: a fleet
// told "not before F" must not all come back at F. A floor at or below the
// bounds' minimum changes nothing; a higher one maps the draw d to
// F + (d - delay_ms_min), so the delay stays spread over the jitter's width.
DelayBounds floored(DelayBounds bounds, std::int64_t floor_ms);
std::int64_t floored_delay_ms(std::int64_t delay_ms, DelayBounds bounds, std::int64_t floor_ms);

}  // namespace tether::model
