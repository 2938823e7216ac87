#pragma once
// Wait-for-resource: a pure reducer that keeps trying to acquire (and then
// watch) a resource that may not exist yet, over a connection that may be down.
//
// Theory of operation
// -------------------
// A driver owns a WaitState and loops, exactly like the streaming session:
//
//   auto made = wait::make_wait(config);             // validates, or names the bad field
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
// Rules (each a test in tests/model/wait_for_resource.cpp):
// - A failed acquisition backs off by the BackoffPolicy (model::sample_delay_ms,
//   the same arithmetic as the streaming session), forever unless the
//   GiveUpPolicy says otherwise (then GaveUp, terminal).
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

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <tether/model/config.hpp>
#include <tether/model/inline_vec.hpp>
#include <tether/model/prng.hpp>
#include <tether/model/time.hpp>
#include <variant>

namespace tether::model::wait {

// --- configuration --------------------------------------------------------

struct WaitConfig {
  // Only the delay fields are used: delay_ms_initial, multiplier, delay_ms_max,
  // jitter, jitter_fraction, and restored_delay_ms_max (the spread of the wake
  // on Connected). The session-only fields (resets, hints, short sessions) are ignored.
  BackoffPolicy backoff;
  // attempts_max: consecutive failed acquisitions. outage_ms_max: time since
  // the resource was last held (or since Started), counted in every waiting
  // phase, offline included.
  GiveUpPolicy give_up;
  // After a hold ends, wait this long before acquiring again (0: no pause).
  std::int64_t reopen_pause_ms = 1000;
  // An attempt unanswered for this long counts as failed (0: wait forever). The
  // acquisition itself stays out until it answers; no other starts meanwhile.
  std::int64_t acquire_timeout_ms = 30000;
  std::uint64_t seed = 0;  // jitter PRNG seed
};

std::expected<void, ConfigError> validate(const WaitConfig& config);

// --- state ----------------------------------------------------------------

// What the driver knows about the connection the acquisition runs over.
enum class Link : std::uint8_t {
  unknown,  // no connectivity monitor (or not heard yet): attempts are allowed
  up,
  down,  // no attempt while down
};

// Why the reducer is waiting, or why it ended.
enum class Cause : std::uint8_t {
  none,
  acquire_failed,
  acquire_timeout,
  acquire_still_out,   // acquiring: waiting for the answer of an acquisition out from before
  disconnected,        // the link went down (waiting for it to come back)
  watch_ended,         // the hold ended: the reopen pause
  reconnected,         // the link came back: a short spread before the attempt
  stop_requested,      // Stopped
  attempts_exhausted,  // GaveUp
  outage_too_long,     // GaveUp
};

// Not started yet.
struct Idle {};

// An attempt is under way: it takes the answer of acquisition `id`, its own
// Acquire{id}, or (`behind`: it emitted none) the acquisition still out from
// an attempt that timed out. id 0 (`behind` only): the acquisition out was
// released; this attempt's Acquire goes when that one answers.
struct Acquiring {
  std::uint64_t id;
  std::uint32_t failures;           // consecutive failed acquisitions before this one
  std::optional<Instant> deadline;  // acquire timeout (nullopt: off)
  Instant waiting_since;            // the outage clock: since the last hold, or Started
  bool behind = false;              // no Acquire of its own yet: an earlier one is still out
};

// Waiting before the next attempt: after a failure (backoff), or briefly after
// the link came back.
struct BackingOff {
  std::uint32_t failures;
  Instant until;
  Instant waiting_since;
  Cause cause;  // acquire_failed, acquire_timeout or reconnected
};

// The link is known down: no attempt until Connected.
struct Offline {
  std::uint32_t failures;
  Instant not_before;  // a reopen pause still running when the link dropped
  Instant waiting_since;
};

// Acquired; the watch with this id is open.
struct Held {
  std::uint64_t id;
  Instant since;
};

// A hold ended; the reopen pause runs until `until`.
struct Pausing {
  Instant until;
  Instant waiting_since;
};

struct Stopped {};
struct GaveUp {
  Cause cause;  // attempts_exhausted or outage_too_long
  std::uint32_t failures;
};

using Phase = std::variant<Idle, Acquiring, BackingOff, Offline, Held, Pausing, Stopped, GaveUp>;

enum class StatusKind : std::uint8_t {
  idle,
  acquiring,
  backing_off,
  offline,
  held,
  pausing,
  stopped,
  gave_up,
};

// What the application renders; reported by ReportStatus on every change.
struct WaitStatus {
  StatusKind kind = StatusKind::idle;
  Cause cause = Cause::none;
  std::uint32_t failures = 0;
  Instant next_attempt_at{};  // backing_off and pausing only

  friend constexpr bool operator==(const WaitStatus&, const WaitStatus&) = default;
};

struct WaitState {
  std::shared_ptr<const WaitConfig> config;
  Phase phase;
  Link link = Link::unknown;
  std::uint64_t attempts_made = 0;  // ids of Acquire effects are 1, 2, 3, ...
  // The acquisition out: its Acquire was emitted and its answer has not come
  // (a timeout or a Release does not take back the driver's call). 0: none.
  std::uint64_t acquire_out = 0;
  bool acquire_out_released = false;  // Release{acquire_out} was emitted: its answer serves nothing
  std::int64_t previous_delay_ms = 0;  // decorrelated jitter; forgotten on a hold
  Prng prng;
  WaitStatus status;  // last reported
};

bool is_terminal(const WaitState& state);

// --- events ---------------------------------------------------------------

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

// --- effects --------------------------------------------------------------

// Try to acquire the resource and open a watch on it; answer with
// AcquireSucceeded{id} or AcquireFailed{id}.
struct Acquire {
  std::uint64_t id;       // 1, 2, 3, ... within this reducer
  std::uint32_t attempt;  // 1 for the first try after a hold (or at start)
};

// Drop attempt or watch `id` (cancel it, close it); a no-op if it already ended.
struct Release {
  std::uint64_t id;
};

struct ReportStatus {
  WaitStatus status;
};

using Effect = std::variant<Acquire, Release, ReportStatus>;

// Worst case of one transition is 2: Release then ReportStatus (a stop, a
// give-up, a dropped link), or an Acquire and its status. 4 leaves headroom.
inline constexpr std::size_t effects_max = 4;
using Effects = InlineVec<Effect, effects_max>;

struct Step {
  WaitState state;
  Effects effects;
};

// --- the reducer ----------------------------------------------------------

// A reducer in Idle, or the first configuration field that cannot work.
std::expected<WaitState, ConfigError> make_wait(const WaitConfig& config);

Step transition(WaitState state, const Event& event) noexcept;

// When to send the next Tick (nullopt: none, e.g. Idle, Held, Offline without
// an outage limit, or terminal). After a Tick at `now`, never earlier than `now`.
std::optional<Instant> next_deadline(const WaitState& state) noexcept;

// The status a phase renders as (what ReportStatus carries).
WaitStatus status_of(const Phase& phase);

}  // namespace tether::model::wait
