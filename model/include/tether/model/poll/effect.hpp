#pragma once
// The polling reducer's effects (tether::model::poll): what the driver does,
// in order, all of them. Poll{endpoint} is one request to that endpoint;
// Added / Modified / Removed go to the application in order; ReportStatus is
// rendered; after ReportStopped the driver cancels the polls in flight and
// stops.

#include <cstddef>
#include <string>
#include <tether/model/poll/state.hpp>
#include <variant>
#include <vector>

namespace tether::model::poll {

// Send one request to the endpoint. `retry_in_tick`: the immediate retry of a
// 503 (at most one per scheduled poll).
struct Poll {
  std::size_t endpoint;
  bool retry_in_tick;
};

// One key's change, for the application's mirror of the endpoint.
struct Added {
  std::size_t endpoint;
  std::string key;
  std::string value;
};
struct Modified {
  std::size_t endpoint;
  std::string key;
  std::string value;  // the new value
};
struct Removed {
  std::size_t endpoint;
  std::string key;
  std::string value;  // the last value the application was given
};

// The endpoint's status changed; render it. Emitted only on change.
struct ReportStatus {
  std::size_t endpoint;
  Status status;
};

// The session ended; nothing follows.
struct ReportStopped {
  StopReason reason;
};

using Effect = std::variant<Poll, Added, Modified, Removed, ReportStatus, ReportStopped>;
// Heap-allocated: a diff has as many effects as keys changed.
using Effects = std::vector<Effect>;

}  // namespace tether::model::poll
