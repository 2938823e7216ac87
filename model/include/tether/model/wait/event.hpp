#pragma once
// The wait-for-resource reducer's events (tether::model::wait): past-tense
// facts the driver feeds to transition(), each carrying `now`, the driver's
// monotonic clock reading when it happened. Outcomes name the Acquire they
// answer by its id; an outcome naming any other acquisition is stale and
// ignored, so the driver need not filter them.

#include <cstdint>
#include <tether/model/time.hpp>
#include <variant>

namespace tether::model::wait {

// What the driver knows about the connection the acquisition runs over.
enum class Link : std::uint8_t {
  unknown,  // no connectivity monitor (or not heard yet): attempts are allowed
  up,
  down,  // no attempt while down
};

// `link`: what the driver knows of the connection right now (unknown keeps
// whatever Connected / Disconnected already said before Started).
struct Started {
  Instant now;
  Link link = Link::unknown;
};
struct StopRequested {
  Instant now;
};
// A deadline from next_deadline() may have passed. Early, late or repeated: harmless.
struct Tick {
  Instant now;
};
// The connection came up / went down.
struct Connected {
  Instant now;
};
struct Disconnected {
  Instant now;
};
// Outcomes of Acquire{id}: `id` is the number of the Acquire answered (the
// driver copies it), however late the answer comes.
struct AcquireSucceeded {
  Instant now;
  std::uint64_t id;
};
struct AcquireFailed {
  Instant now;
  std::uint64_t id;
};
// The watch opened by Acquire{id} closed.
struct WatchEnded {
  Instant now;
  std::uint64_t id;
};

using Event = std::variant<Started, StopRequested, Tick, Connected, Disconnected, AcquireSucceeded,
                           AcquireFailed, WatchEnded>;

inline Instant time_of(const Event& e) {
  return std::visit([](const auto& x) { return x.now; }, e);
}

}  // namespace tether::model::wait
