#pragma once
// The freshness mirror's events: what the driver feeds to transition(). Every
// event carries `now`, the driver's monotonic clock reading when it happened.
// Pushes come from the streaming session's deliveries, polls from a poller's
// snapshots (backfill).

#include <string>
#include <tether/model/time.hpp>
#include <variant>

namespace tether::model::mirror {

struct Started {
  Instant now;
};
struct StopRequested {
  Instant now;
};
// A deadline from next_deadline() may have passed. Early, late or repeated: harmless.
struct Tick {
  Instant now;
};
// The stream delivered a value / a removal of a key / a heartbeat (any bytes
// that prove the stream alive without carrying a value).
struct ValuePushed {
  Instant now;
  std::string key;
  std::string value;
};
struct RemovalPushed {
  Instant now;
  std::string key;
};
struct HeartbeatReceived {
  Instant now;
};
// A poll response, as of `observed_at` (when the snapshot was taken; a driver
// that knows no better uses the request's send time). Feed every key of the
// snapshot, not just the changes, so unchanged values are refreshed too.
struct ValuePolled {
  Instant now;
  Instant observed_at;
  std::string key;
  std::string value;
};
struct RemovalPolled {
  Instant now;
  Instant observed_at;
  std::string key;
};
// A poll as of `observed_at` finished (after its values, if any): backfill
// activity even when the snapshot was empty.
struct PollCompleted {
  Instant now;
  Instant observed_at;
};

using Event = std::variant<Started, StopRequested, Tick, ValuePushed, RemovalPushed,
                           HeartbeatReceived, ValuePolled, RemovalPolled, PollCompleted>;

inline Instant time_of(const Event& e) {
  return std::visit([](const auto& x) { return x.now; }, e);
}

}  // namespace tether::model::mirror
