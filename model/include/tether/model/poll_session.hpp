#pragma once
// Polling sessions: a pure reducer that polls one or more endpoints on a fixed
// cadence, backs off after failures, and turns each endpoint's successive
// snapshots into Added / Modified / Removed effects. docs/polling.md has the
// presets and a worked example.
//
// Theory of operation
// -------------------
// A driver (the io runner, the simulator, a test) owns a PollState and loops:
//
//   auto made = make_poll_session(config, seed);   // validates, or names the bad field
//   PollStep step = transition(std::move(*made), Started{now});
//   for (;;) {
//     for (const PollEffect& e : step.effects) execute(e);   // in order, all of them
//     // wait for the next input, or until next_deadline(step.state)
//     PollEvent ev = next_input_or(Tick{now});               // every event carries `now`
//     step = transition(std::move(step.state), ev);
//   }
//
// Executing Poll{endpoint} means one request to that endpoint, answered later by
// exactly one PollSucceeded or PollFailed for it (the transport's own timeout
// turns a hung request into PollFailed{http_status = 0}). Added / Modified /
// Removed go to the application in order; ReportStatus is rendered; after
// ReportStopped the driver cancels the polls in flight and stops.
//
// Contract (as for the streaming session, session.hpp):
// - transition() is pure: no clock reads, no I/O, no globals, no exceptions.
//   Jitter, if configured, comes from the PRNG inside the state.
// - Deadlines are derived: next_deadline() says when to send a Tick; an early,
//   late or repeated Tick is harmless. A deadline may lie in the past (a result
//   came back after the endpoint's next due time): tick with max(deadline, now).
// - Results for an endpoint that has no poll in flight (stale, duplicated, after
//   stop, or an index out of range) are ignored, with no effects.
// - Snapshots and change effects live on the heap. transition() is noexcept, so
//   running out of memory while diffing terminates the process (std::terminate),
//   as any allocation failure in a noexcept function does.
//
// Rules
// -----
// Cadence. Started polls every endpoint at once. After a poll that succeeded or
//   got a quiet error, the endpoint is next due cadence_ms after that poll was
//   issued; a Tick polls every endpoint that is due and has no poll in flight,
//   once. So a Tick that comes several cadences late polls once and the missed
//   slots are skipped, never bursted, and two polls of one endpoint are never
//   closer than cadence_ms unless the first one failed (then its backoff
//   decides, below) or the second is a 503's immediate retry. Measuring from the
//   poll actually sent (not from a fixed grid) is what makes "never faster than
//   the cadence" hold even when the driver's timer fires late.
// Error classes (classify()):
//   - not served (404) and unauthorised (401) are *quiet*: the endpoint keeps its
//     previous snapshot and its cadence, with no backoff (polling at the cadence
//     is how it notices the endpoint coming back), and its status is reported
//     once, when it changes, not on every poll;
//   - transient (503) is retried once at once, within the same tick
//     (Poll{retry_in_tick = true}); the retry's result is then classified as
//     usual, except that a second 503 is a failure;
//   - everything else is a failure and backs off: a transport error (status 0),
//     another 4xx or 5xx, a 2xx whose body the driver could not turn into a
//     Snapshot (e.g. a duplicate key), or a 304 with no earlier snapshot.
// Backoff. The session keeps one failure count. A failure raises it by one,
//   unless another endpoint already raised it after this poll was sent (the
//   same outage, seen by several endpoints at once): then the failure joins the
//   current count. So the session backs off once per wave of failures, however
//   many endpoints fail, and endpoints need not poll in lockstep for that to
//   hold. The failed endpoint waits its own policy's delay for the count, from
//   the failure, before its next poll. Endpoints that did not fail keep their
//   cadence: one failing endpoint never delays another. The count returns to 0
//   when a poll succeeds (or gets a quiet error) and no endpoint is still
//   failing ("reset on success").
// Snapshot diff. A success diffs the new snapshot against the endpoint's
//   previous one (none yet: empty) and emits one effect per changed key, in key
//   order (snapshot_diff.hpp). A failed poll, of any class, emits no change: the
//   application's mirror always equals the last snapshot successfully polled.
//   Not modified (304) keeps the previous snapshot and emits no change.
// Stop. StopRequested or ReceiverGone, in any phase, ends the session with one
//   ReportStopped; every later event is ignored, with no effects.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <tether/model/config.hpp>
#include <tether/model/prng.hpp>
#include <tether/model/snapshot_diff.hpp>
#include <tether/model/time.hpp>
#include <variant>
#include <vector>

namespace tether::model::poll {

// --- configuration ----------------------------------------------------------

// The delay before polling a failed endpoint again when the session's failure
// count is n (see Backoff above): min(delay_ms_max, delay_ms_initial *
// multiplier^(n-1)), then jitter (the streaming session's formulas, backoff.hpp).
// multiplier 1 is a fixed delay.
struct PollBackoff {
  std::int64_t delay_ms_initial = 5000;
  double multiplier = 1.0;
  std::int64_t delay_ms_max = 5000;
  JitterKind jitter = JitterKind::none;
  double jitter_fraction = 0.0;  // proportional / upward only, in [0, 1]

  static constexpr PollBackoff fixed(std::int64_t delay_ms) {
    return PollBackoff{delay_ms, 1.0, delay_ms, JitterKind::none, 0.0};
  }
  static constexpr PollBackoff exponential(std::int64_t delay_ms_initial, double multiplier,
                                           std::int64_t delay_ms_max) {
    return PollBackoff{delay_ms_initial, multiplier, delay_ms_max, JitterKind::none, 0.0};
  }
};

// The streaming policy with the polling fields (the rest is unused), so the
// reducer and its judges ask backoff.hpp's one rule (sample_delay_ms,
// jitter_bounds) with the same policy.
inline BackoffPolicy as_policy(const PollBackoff& b) {
  BackoffPolicy p;
  p.delay_ms_initial = b.delay_ms_initial;
  p.multiplier = b.multiplier;
  p.delay_ms_max = b.delay_ms_max;
  p.jitter = b.jitter;
  p.jitter_fraction = b.jitter_fraction;
  return p;
}

struct EndpointConfig {
  std::string name;  // for logs and status rendering; unique within a session
  std::int64_t cadence_ms = 5000;
  PollBackoff backoff;
};

// A limit on everything: a session polls at most this many endpoints, and no
// cadence or delay exceeds 10^12 ms (about 31 years), so grid arithmetic on
// Instants cannot overflow.
inline constexpr std::size_t endpoints_max = 64;
inline constexpr std::int64_t poll_ms_max = 1'000'000'000'000;

struct PollConfig {
  std::vector<EndpointConfig> endpoints;  // indexed by the `endpoint` of events and effects
};

// Field paths name the endpoint field without its index, e.g.
// "endpoints[].cadence_ms": ConfigError holds static strings only.
std::expected<void, ConfigError> validate(const PollConfig& config);

// --- events: past-tense facts, each with the driver's `now` -------------------

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

using PollEvent =
    std::variant<Started, StopRequested, Tick, PollSucceeded, PollFailed, ReceiverGone>;

Instant time_of(const PollEvent& event);

// --- error classes ------------------------------------------------------------

enum class ErrorClass : std::uint8_t {
  not_served,    // 404: quiet, keeps the cadence
  unauthorised,  // 401: quiet, keeps the cadence
  transient,     // 503: retried once within the same tick
  failure,       // anything else: backs off
};

ErrorClass classify(std::uint16_t http_status);

// --- status -------------------------------------------------------------------

enum class Health : std::uint8_t {
  unknown,       // no result yet
  ok,            // the last poll succeeded
  not_served,    // the last poll got 404
  unauthorised,  // the last poll got 401
  backing_off,   // the last poll failed; the next one is at next_attempt_at
};

struct EndpointStatus {
  Health health = Health::unknown;
  std::uint16_t http_status = 0;  // not_served, unauthorised, backing_off: the status seen
  std::uint32_t failures = 0;     // backing_off: the session's failure count
  Instant next_attempt_at{};      // backing_off only

  friend constexpr bool operator==(const EndpointStatus&, const EndpointStatus&) = default;
};

// --- effects: what the driver does, in order ----------------------------------

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
  EndpointStatus status;
};

enum class StopReason : std::uint8_t { stop_requested, receiver_gone };

// The session ended; nothing follows.
struct ReportStopped {
  StopReason reason;
};

using PollEffect = std::variant<Poll, Added, Modified, Removed, ReportStatus, ReportStopped>;
// Heap-allocated: a diff has as many effects as keys changed.
using PollEffects = std::vector<PollEffect>;

// --- state --------------------------------------------------------------------

// What one endpoint is doing: exactly one of these.
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
  EndpointStatus status;               // last reported
};

struct Idle {};
struct Polling {
  std::vector<EndpointState> endpoints;
  std::uint32_t failures = 0;     // the backoff count; 0 once nothing is failing
  std::uint64_t escalations = 0;  // times `failures` was raised (never lowered)
};
struct Stopped {
  StopReason reason;
};
using PollPhase = std::variant<Idle, Polling, Stopped>;

struct PollState {
  std::shared_ptr<const PollConfig> config;
  PollPhase phase;
  Prng prng;
};

bool is_terminal(const PollState& state);

// --- the reducer --------------------------------------------------------------

struct PollStep {
  PollState state;
  PollEffects effects;
};

// A session in Idle, or the first configuration field that cannot work.
std::expected<PollState, ConfigError> make_poll_session(const PollConfig& config,
                                                        std::uint64_t seed);

PollStep transition(PollState state, const PollEvent& event) noexcept;

// The same function, updating `state` in place (for drivers and test wrappers):
// leaves `state` equal to transition(state, event).state, returns the same effects.
PollEffects transition_in_place(PollState& state, const PollEvent& event) noexcept;

// When to send the next Tick: the earliest due time of an endpoint that is
// waiting (nullopt: Idle, Stopped, or every endpoint has a poll in flight).
// After a Tick at `now`, it is later than `now`.
std::optional<Instant> next_deadline(const PollState& state) noexcept;

}  // namespace tether::model::poll
