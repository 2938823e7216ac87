#include <tether/model/time.hpp>
#include <tether/model/wait/config.hpp>

namespace tether::model::wait {

std::expected<void, ConfigError> validate(const Config& config) {
  // The backoff and give-up fields mean what they mean for a session: the same
  // checks, so the field names and limits are the same.
  if (auto r = model::validate(config.backoff); !r) return r;
  if (auto r = model::validate(config.give_up); !r) return r;
  if (config.reopen_pause_ms < 0 || config.reopen_pause_ms > duration_ms_max)
    return std::unexpected(ConfigError{"reopen_pause_ms", "must be in [0, 2^61 - 1]"});
  if (config.acquire_timeout_ms < 0 || config.acquire_timeout_ms > duration_ms_max)
    return std::unexpected(ConfigError{"acquire_timeout_ms", "must be in [0, 2^61 - 1]"});
  return {};
}

}  // namespace tether::model::wait
