#pragma once
// The streaming-session reducer: tether's whole decision logic as one pure
// function.
//
// Theory of operation
// -------------------
// A driver (the io runner, the simulator, a test) owns a State and loops:
//
//   auto made = make(config);            // validates, or names the bad field
//   State s = std::move(*made);
//   Step step = transition(std::move(s), Started{now});
//   for (;;) {
//     for (const Effect& e : step.effects) execute(e);   // in order, all of them
//     // wait for the next input, or until next_deadline(step.state)
//     Event ev = next_input_or(Tick{now});               // every event carries `now`
//     step = transition(std::move(step.state), ev);
//   }
//
// Contract:
// - transition() is pure: no clock reads, no I/O, no globals, no exceptions.
//   Jitter comes from the PRNG inside the State, so the same seed and the same
//   events give the same effects, byte for byte.
// - Deadlines are derived: next_deadline() says when to send a Tick. There are
//   no timer effects to go stale; an early, late or repeated Tick is harmless.
// - One event in, all effects out: execute every effect before the next event,
//   and feed outcomes (ConnectionOpened, CheckpointSaved, AuthRefreshed, ...)
//   back as events. Events of a connection already closed must be dropped by the
//   driver (at most one connection exists at a time).
// - Terminal states (Stopped, GaveUp, Failed) are sticky: later events produce
//   no effects.
// - The streaming path (FrameReceived -> Deliver) allocates nothing.

#include <expected>
#include <optional>
#include <tether/model/config.hpp>
#include <tether/model/effect.hpp>
#include <tether/model/event.hpp>
#include <tether/model/presets.hpp>
#include <tether/model/state.hpp>

namespace tether::model {

struct Step {
  State state;
  Effects effects;
};

// A session in Idle, or the first configuration field that cannot work.
std::expected<State, ConfigError> make(const SessionConfig& config);

Step transition(State state, const Event& event) noexcept;

// The same function, updating `state` in place: for drivers on the hot path,
// where moving a State in and out per event would cost more than the decision.
// For every state and event, `transition_in_place(s, e)` leaves `s` equal to
// `transition(s, e).state` and returns the same effects (a property test checks it).
Effects transition_in_place(State& state, const Event& event) noexcept;

// When to send the next Tick (nullopt: no deadline, e.g. Idle or terminal).
// It may be earlier than the last event's `now` (e.g. a token that was already
// near expiry when the stream opened): that deadline is due at once, so tick
// with max(deadline, now). After a Tick at `now`, it is never earlier than `now`.
std::optional<Instant> next_deadline(const State& state) noexcept;

// The status a phase renders as (what ReportStatus carries).
Status status_of(const Phase& phase);

}  // namespace tether::model
