#pragma once
// The wait-for-resource reducer's state (tether::model::wait): one phase named
// for what is true, the status it renders as (Status, what ReportStatus
// carries), and the few facts that outlive phases: the link as last reported,
// the acquisition out, the delay history, the PRNG, the last reported status.

#include <cstdint>
#include <memory>
#include <optional>
#include <tether/model/prng.hpp>
#include <tether/model/time.hpp>
#include <tether/model/wait/config.hpp>
#include <tether/model/wait/event.hpp>
#include <variant>

namespace tether::model::wait {

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
struct Status {
  StatusKind kind = StatusKind::idle;
  Cause cause = Cause::none;
  std::uint32_t failures = 0;
  Instant next_attempt_at{};  // backing_off and pausing only

  friend constexpr bool operator==(const Status&, const Status&) = default;
};

struct State {
  std::shared_ptr<const Config> config;
  Phase phase;
  Link link = Link::unknown;
  std::uint64_t attempts_made = 0;  // ids of Acquire effects are 1, 2, 3, ...
  // The acquisition out: its Acquire was emitted and its answer has not come
  // (a timeout or a Release does not take back the driver's call). 0: none.
  std::uint64_t acquire_out = 0;
  bool acquire_out_released = false;  // Release{acquire_out} was emitted: its answer serves nothing
  std::int64_t previous_delay_ms = 0;  // decorrelated jitter; forgotten on a hold
  Prng prng;
  Status status;  // last reported
};

// Stopped or GaveUp: sticky and quiet (later events give no effects).
bool is_terminal(const State& state);

}  // namespace tether::model::wait
