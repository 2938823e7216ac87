#pragma once
// The polling reducer's state (tether::model::poll): the session's phase
// (Idle, Polling, Stopped), what each endpoint is doing (waiting for its due
// time or with a poll in flight), its last snapshot and the status it last
// reported, the session's failure count, and the jitter PRNG.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <tether/model/poll/config.hpp>
#include <tether/model/prng.hpp>
#include <tether/model/snapshot_diff.hpp>
#include <tether/model/time.hpp>
#include <variant>
#include <vector>

namespace tether::model::poll {

// --- status: one endpoint's, as ReportStatus renders it -------------------------

enum class Health : std::uint8_t {
  unknown,       // no result yet
  ok,            // the last poll succeeded
  not_served,    // the last poll got 404
  unauthorised,  // the last poll got 401
  backing_off,   // the last poll failed; the next one is at next_attempt_at
};

struct Status {
  Health health = Health::unknown;
  std::uint16_t http_status = 0;  // not_served, unauthorised, backing_off: the status seen
  std::uint32_t failures = 0;     // backing_off: the session's failure count
  Instant next_attempt_at{};      // backing_off only

  friend constexpr bool operator==(const Status&, const Status&) = default;
};

enum class StopReason : std::uint8_t { stop_requested, receiver_gone };

// --- what one endpoint is doing: exactly one of these ----------------------------

struct Waiting {
  Instant due_at;  // the next poll (a cadence after the last one, or a backoff's end)
};
struct InFlight {
  Instant issued_at;               // of the scheduled poll (a 503 retry keeps it)
  std::uint64_t escalations_seen;  // the session's escalations when it was sent
  bool retried;                    // the 503 retry is out
};
using Activity = std::variant<Waiting, InFlight>;

struct EndpointState {
  Activity activity;
  std::optional<Snapshot> snapshot;    // the last one successfully polled
  bool failing = false;                // its last result backed off (quiet errors do not)
  std::int64_t previous_delay_ms = 0;  // decorrelated jitter
  Status status;                       // last reported
};

// --- the phases --------------------------------------------------------------------

struct Idle {};
struct Polling {
  std::vector<EndpointState> endpoints;
  std::uint32_t failures = 0;     // the backoff count; 0 once nothing is failing
  std::uint64_t escalations = 0;  // times `failures` was raised (never lowered)
};
struct Stopped {
  StopReason reason;
};
using Phase = std::variant<Idle, Polling, Stopped>;

struct State {
  std::shared_ptr<const Config> config;
  Phase phase;
  Prng prng;
};

bool is_terminal(const State& state);

}  // namespace tether::model::poll
