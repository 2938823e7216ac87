#pragma once
// Wait-for-resource: a pure reducer that keeps trying to acquire (and then
// watch) a resource that may not exist yet, over a connection that may be down.
// Its configuration, events, effects and state are in config.hpp, event.hpp,
// effect.hpp and state.hpp beside this header; docs/wait-for-resource.md says
// the rules with a worked example.
//
// Theory of operation
// -------------------
// A driver owns a wait::State and loops, exactly like the streaming session:
//
//   auto made = wait::make(config);                  // validates, or names the bad field
//   wait::Step step = wait::transition(std::move(*made), wait::Started{now, link});
//   for (;;) {
//     for (const wait::Effect& e : step.effects) execute(e);   // in order, all of them
//     // wait for the next input, or until wait::next_deadline(step.state)
//     step = wait::transition(std::move(step.state), next_input_or(wait::Tick{now}));
//   }
//
// Effects: Acquire{id} asks the driver to obtain the resource and open a watch
// on it; the driver answers AcquireSucceeded{id} (held, watch open) or
// AcquireFailed{id}, and later WatchEnded{id} when the watch closes (the
// resource went away, or the broker ended the watch). Release{id} drops that
// attempt or watch (a no-op if it already ended). Outcomes carrying an id other
// than the acquisition out are stale and ignored, so the driver need not
// filter them.
//
// One acquisition is out at a time: from its Acquire until its answer, whatever
// happened meanwhile. A timeout gives up waiting, not the call: the driver
// cannot take back a blocking acquisition, and a second one would only queue
// behind it on the driver's worker. So an attempt that falls due while the
// last acquisition is still out emits nothing and waits for that one's answer
// (status acquiring, cause acquire_still_out); its answer serves the attempt,
// or, if it was released (the link dropped under it), the attempt's own
// Acquire goes when it comes. A success that answers after its timeout is
// taken as the hold while the session still waits (the backoff the timeout
// entered); the timeouts still count failures, so the give-up limits end a
// session whose acquisition never answers.
//
// Rules (each a test in tests/model/wait/):
// - A failed acquisition backs off by the BackoffPolicy (model::draw_delay,
//   the same arithmetic as the streaming session), forever unless the
//   GiveUpPolicy says otherwise (model::give_up_limit; then GaveUp, terminal).
// - While the connection is known to be down (Disconnected, or Started with
//   Link::down) no attempt is made at all; an attempt in flight is released.
// - A Connected event that finds the link not known up ends a backoff or an
//   offline wait: the next attempt comes within uniform [0,
//   restored_delay_ms_max] (0: in the same step). A repeated Connected while the
//   link is already known up is not news and wakes nothing, so a chatty
//   notifier cannot spin the acquisition. Disconnected never wakes anything.
// - A hold that ends (WatchEnded, or the link dropped under it) is followed by
//   at least reopen_pause_ms before the next attempt, so a flapping broker
//   cannot spin the watch. A Connected event does not cut that pause short.
// - StopRequested is accepted in every state; Stopped and GaveUp are terminal
//   and quiet (later events give no effects). Both release the acquisition out.
// - outage_ms_max is counted in every phase but Held, an acquisition under way
//   included, so a hung acquisition cannot outlast it even without a timeout.
// - With Link::unknown (no connectivity monitor) the reducer simply retries.

#include <expected>
#include <optional>
#include <tether/model/config.hpp>
#include <tether/model/time.hpp>
#include <tether/model/wait/config.hpp>
#include <tether/model/wait/effect.hpp>
#include <tether/model/wait/event.hpp>
#include <tether/model/wait/state.hpp>

namespace tether::model::wait {

struct Step {
  State state;
  Effects effects;
};

// A reducer in Idle, or the first configuration field that cannot work.
std::expected<State, ConfigError> make(const Config& config);

Step transition(State state, const Event& event) noexcept;

// The same function, updating `state` in place: for drivers on the hot path
// (io::ReducerLoop), where moving a State in and out per event costs more than
// the decision. transition() is written in terms of it, so the two cannot differ.
Effects transition_in_place(State& state, const Event& event) noexcept;

// When to send the next Tick (nullopt: none, e.g. Idle, Held, Offline without
// an outage limit, or terminal). After a Tick at `now`, never earlier than `now`.
std::optional<Instant> next_deadline(const State& state) noexcept;

// The status a phase renders as (what ReportStatus carries).
Status status_of(const Phase& phase);

}  // namespace tether::model::wait
