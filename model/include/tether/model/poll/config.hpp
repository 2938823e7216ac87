#pragma once
// The polling reducer's configuration (tether::model::poll): the endpoints it
// polls, each with its cadence and its backoff after failures, the jitter
// seed, the limits, and validate(). The presets (zero_poll, koprs_poll) are in
// <tether/model/presets.hpp>; docs/polling.md has the rules.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <tether/model/config.hpp>
#include <vector>

namespace tether::model::poll {

// The delay before polling a failed endpoint again when the session's failure
// count is n (reducer.hpp, "Backoff"): min(delay_ms_max, delay_ms_initial *
// multiplier^(n-1)), then jitter (the streaming session's formulas, backoff.hpp).
// multiplier 1 is a fixed delay.
struct Backoff {
  std::int64_t delay_ms_initial = 5000;
  double multiplier = 1.0;
  std::int64_t delay_ms_max = 5000;
  JitterKind jitter = JitterKind::none;
  double jitter_fraction = 0.0;  // proportional / upward only, in [0, 1]

  static constexpr Backoff fixed(std::int64_t delay_ms) {
    return Backoff{delay_ms, 1.0, delay_ms, JitterKind::none, 0.0};
  }
  static constexpr Backoff exponential(std::int64_t delay_ms_initial, double multiplier,
                                       std::int64_t delay_ms_max) {
    return Backoff{delay_ms_initial, multiplier, delay_ms_max, JitterKind::none, 0.0};
  }
};

// The streaming policy with the polling fields (the rest is unused), so the
// reducer and its judges ask backoff.hpp's one rule (draw_delay, jitter_bounds)
// with the same policy.
inline BackoffPolicy as_policy(const Backoff& backoff) {
  BackoffPolicy policy;
  policy.delay_ms_initial = backoff.delay_ms_initial;
  policy.multiplier = backoff.multiplier;
  policy.delay_ms_max = backoff.delay_ms_max;
  policy.jitter = backoff.jitter;
  policy.jitter_fraction = backoff.jitter_fraction;
  return policy;
}

struct EndpointConfig {
  std::string name;  // for logs and status rendering; unique within a session
  std::int64_t cadence_ms = 5000;
  Backoff backoff;
};

// A limit on everything: a session polls at most this many endpoints, and no
// cadence or delay exceeds 10^12 ms (about 31 years), so grid arithmetic on
// Instants cannot overflow.
inline constexpr std::size_t endpoints_max = 64;
inline constexpr std::int64_t poll_ms_max = 1'000'000'000'000;

struct Config {
  std::vector<EndpointConfig> endpoints;  // indexed by the `endpoint` of events and effects
  std::uint64_t seed = 0;                 // jitter PRNG seed
};

// Field paths name the endpoint field without its index, e.g.
// "endpoints[].cadence_ms": ConfigError holds static strings only.
std::expected<void, ConfigError> validate(const Config& config);

}  // namespace tether::model::poll
