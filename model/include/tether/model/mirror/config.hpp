#pragma once
// The freshness mirror's configuration: the staleness threshold, the stream's
// heartbeat budget and the limits on what it stores, and validate(), which
// names the first field that cannot work.
//
// Limits: keys_max entries (tombstones included), key_bytes_max and
// value_bytes_max; a write beyond one is refused with WriteIgnored (effect.hpp).
// Storage allocates (std::map, std::string): the mirror is not on the
// streaming hot path.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <tether/model/config.hpp>

namespace tether::model::mirror {

struct Config {
  // A value is Fresh while now - written_at < stale_after_ms.
  std::int64_t stale_after_ms = 30000;
  // The stream is degraded once push has been silent for heartbeat.budget_ms()
  // (max(interval_ms * interval_multiple, interval_ms + slack_ms); 90 s by default).
  HeartbeatPolicy heartbeat;
  std::size_t keys_max = 100000;
  std::size_t key_bytes_max = 1024;
  std::size_t value_bytes_max = std::size_t{1} << 20U;
};

// The first field that cannot work; the heartbeat's fields are named and
// bounded as for a session ("heartbeat.interval_ms", ...).
std::expected<void, ConfigError> validate(const Config& config);

}  // namespace tether::model::mirror
