#pragma once
// Polling sessions: a pure reducer that polls one or more endpoints on a fixed
// cadence, backs off after failures, and turns each endpoint's successive
// snapshots into Added / Modified / Removed effects. docs/polling.md has the
// presets and a worked example. Its parts: config.hpp (Config, validate),
// event.hpp (Event), effect.hpp (Effect, Effects), state.hpp (State, Phase,
// Status); this header is the reducer itself.
//
// Theory of operation
// -------------------
// A driver (the io runner, the simulator, a test) owns a poll::State and loops:
//
//   auto made = poll::make(config);   // validates, or names the bad field
//   poll::Step step = transition(std::move(*made), Started{now});
//   for (;;) {
//     for (const poll::Effect& e : step.effects) execute(e);   // in order, all of them
//     // wait for the next input, or until next_deadline(step.state)
//     poll::Event ev = next_input_or(Tick{now});               // every event carries `now`
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
//   Jitter, if configured, comes from the PRNG inside the state (Config::seed).
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

#include <cstdint>
#include <expected>
#include <optional>
#include <tether/model/config.hpp>
#include <tether/model/poll/config.hpp>
#include <tether/model/poll/effect.hpp>
#include <tether/model/poll/event.hpp>
#include <tether/model/poll/state.hpp>
#include <tether/model/time.hpp>

namespace tether::model::poll {

struct Step {
  State state;
  Effects effects;
};

// A session in Idle, or the first configuration field that cannot work.
std::expected<State, ConfigError> make(const Config& config);

Step transition(State state, const Event& event) noexcept;

// The same function, updating `state` in place (for drivers and test wrappers):
// leaves `state` equal to transition(state, event).state, returns the same effects.
Effects transition_in_place(State& state, const Event& event) noexcept;

// When to send the next Tick: the earliest due time of an endpoint that is
// waiting (nullopt: Idle, Stopped, or every endpoint has a poll in flight).
// After a Tick at `now`, it is later than `now`.
std::optional<Instant> next_deadline(const State& state) noexcept;

// --- error classes: what a PollFailed's status means to the reducer -------------

enum class ErrorClass : std::uint8_t {
  not_served,    // 404: quiet, keeps the cadence
  unauthorised,  // 401: quiet, keeps the cadence
  transient,     // 503: retried once within the same tick
  failure,       // anything else: backs off
};

ErrorClass classify(std::uint16_t http_status);

}  // namespace tether::model::poll
