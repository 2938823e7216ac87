#include <tether/model/config.hpp>
#include <tether/model/mirror/config.hpp>
#include <tether/model/time.hpp>

namespace tether::model::mirror {

std::expected<void, ConfigError> validate(const Config& config) {
  if (config.stale_after_ms <= 0 || config.stale_after_ms > duration_ms_max)
    return std::unexpected(ConfigError{"stale_after_ms", "must be in [1, 2^61 - 1]"});
  // The heartbeat means what it means for a session: same field names and limits.
  if (auto checked = model::validate(config.heartbeat); !checked) return checked;
  if (config.keys_max == 0) return std::unexpected(ConfigError{"keys_max", "must be >= 1"});
  if (config.key_bytes_max == 0)
    return std::unexpected(ConfigError{"key_bytes_max", "must be >= 1"});
  return {};
}

}  // namespace tether::model::mirror
