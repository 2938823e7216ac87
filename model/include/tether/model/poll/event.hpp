#pragma once
// The polling reducer's events (tether::model::poll): past-tense facts, each
// with the driver's `now`. Executing a Poll effect is answered later by exactly
// one PollSucceeded or PollFailed for its endpoint (the transport's own timeout
// turns a hung request into PollFailed{http_status = 0}).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <tether/model/snapshot_diff.hpp>
#include <tether/model/time.hpp>
#include <variant>

namespace tether::model::poll {

struct Started {
  Instant now;
};

// The application asked to stop. Accepted in every phase.
struct StopRequested {
  Instant now;
};

// A deadline from next_deadline() may have passed.
struct Tick {
  Instant now;
};

// The endpoint answered with a usable response.
struct PollSucceeded {
  Instant now;
  std::size_t endpoint;
  std::optional<Snapshot> snapshot;  // nullopt: 304 Not Modified (the previous one holds)
};

// The endpoint's poll produced no usable snapshot.
struct PollFailed {
  Instant now;
  std::size_t endpoint;
  std::uint16_t http_status;  // 0: transport error (DNS, refused, reset, TLS, timeout);
                              // a 2xx: the body was malformed (e.g. a duplicate key)
};

// The application's receiver of changes went away (closed channel, dropped
// callback): nobody is listening, so the session stops.
struct ReceiverGone {
  Instant now;
};

using Event = std::variant<Started, StopRequested, Tick, PollSucceeded, PollFailed, ReceiverGone>;

inline Instant time_of(const Event& event) {
  return std::visit([](const auto& e) { return e.now; }, event);
}

}  // namespace tether::model::poll
