#include <cmath>
#include <string_view>
#include <tether/model/poll/config.hpp>

namespace tether::model::poll {

namespace {

using Result = std::expected<void, ConfigError>;

Result fail(std::string_view field, std::string_view reason) {
  return std::unexpected(ConfigError{field, reason});
}

Result validate_backoff(const Backoff& b) {
  if (b.delay_ms_initial <= 0 || b.delay_ms_initial > poll_ms_max)
    return fail("endpoints[].backoff.delay_ms_initial", "must be in [1, 10^12]");
  if (!std::isfinite(b.multiplier) || b.multiplier < 1.0 || b.multiplier > 1000.0)
    return fail("endpoints[].backoff.multiplier", "must be a finite number in [1, 1000]");
  if (b.delay_ms_max < b.delay_ms_initial)
    return fail("endpoints[].backoff.delay_ms_max",
                "must be >= endpoints[].backoff.delay_ms_initial");
  if (b.delay_ms_max > poll_ms_max)
    return fail("endpoints[].backoff.delay_ms_max", "must be <= 10^12");
  if (!std::isfinite(b.jitter_fraction) || b.jitter_fraction < 0.0 || b.jitter_fraction > 1.0)
    return fail("endpoints[].backoff.jitter_fraction", "must be in [0, 1]");
  return {};
}

}  // namespace

std::expected<void, ConfigError> validate(const Config& config) {
  if (config.endpoints.empty()) return fail("endpoints", "must list at least one endpoint");
  if (config.endpoints.size() > endpoints_max)
    return fail("endpoints", "must list at most 64 endpoints");
  for (std::size_t i = 0; i < config.endpoints.size(); ++i) {
    const EndpointConfig& e = config.endpoints[i];
    if (e.name.empty()) return fail("endpoints[].name", "must not be empty");
    for (std::size_t j = 0; j < i; ++j)
      if (config.endpoints[j].name == e.name) return fail("endpoints[].name", "must be unique");
    if (e.cadence_ms <= 0 || e.cadence_ms > poll_ms_max)
      return fail("endpoints[].cadence_ms", "must be in [1, 10^12]");
    if (auto r = validate_backoff(e.backoff); !r) return r;
  }
  return {};
}

}  // namespace tether::model::poll
