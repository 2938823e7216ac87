#pragma once
// The wait-for-resource reducer's configuration (tether::model::wait, see
// reducer.hpp for the reducer and docs/wait-for-resource.md for its rules),
// and its validation: the reducer refuses, by field name, a value that cannot
// work. The backoff and give-up fields mean what they mean for the streaming
// session and are checked by the same functions (model::validate of a
// BackoffPolicy and a GiveUpPolicy, config.hpp).

#include <cstdint>
#include <expected>
#include <tether/model/config.hpp>

namespace tether::model::wait {

struct Config {
  // Only the delay fields are used: delay_ms_initial, multiplier, delay_ms_max,
  // jitter, jitter_fraction, and restored_delay_ms_max (the spread of the wake
  // on Connected). The session-only fields (resets, hints, short sessions) are ignored.
  BackoffPolicy backoff;
  // attempts_max: consecutive failed acquisitions. outage_ms_max: time since
  // the resource was last held (or since Started), counted in every waiting
  // phase, offline included.
  GiveUpPolicy give_up;
  // After a hold ends, wait this long before acquiring again (0: no pause).
  std::int64_t reopen_pause_ms = 1000;
  // An attempt unanswered for this long counts as failed (0: wait forever). The
  // acquisition itself stays out until it answers; no other starts meanwhile.
  std::int64_t acquire_timeout_ms = 30000;
  std::uint64_t seed = 0;  // jitter PRNG seed
};

// The first field that cannot work: the backoff's and give-up's as for a
// session ("backoff.multiplier", "give_up.outage_ms_max"), then
// "reopen_pause_ms" and "acquire_timeout_ms" (each in [0, 2^61 - 1]).
std::expected<void, ConfigError> validate(const Config& config);

}  // namespace tether::model::wait
