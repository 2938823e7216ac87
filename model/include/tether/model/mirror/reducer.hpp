#pragma once
// Freshness mirror: a pure reducer keeping a map of values fed by two sources,
// the push stream (the streaming session's deliveries) and polls (backfill), and
// telling the application the truth about how current each value is and
// whether the stream itself is alive.
//
// Theory of operation
// -------------------
// A driver owns a mirror::State and loops like every tether reducer:
//
//   auto made = mirror::make(config);
//   mirror::Step step = mirror::transition(std::move(*made), mirror::Started{now});
//   for (;;) {
//     for (const mirror::Effect& e : step.effects) execute(e);
//     step = mirror::transition(std::move(step.state), next_input_or(mirror::Tick{now}));
//   }
//   // at any time: mirror::freshness_of(step.state, key, now), mirror::find(step.state, key)
//
// Rules (each a test in tests/model/mirror/reducer.cpp):
// - Every entry carries its source (push or poll) and `written_at`, the instant
//   the entry was known current at its source: a push's `now` (pushes are
//   live), a poll's `observed_at` (when its snapshot was taken, at or before the
//   response's `now`).
// - Freshness at `now`: Never if the mirror has heard nothing of the key;
//   Fresh iff now - written_at < stale_after_ms; Stale otherwise (so exactly at
//   written_at + stale_after_ms it is Stale). A removal is knowledge too: a
//   removed key stays as a tombstone (no value) that is Fresh or Stale like a value.
// - Ordering: a write applies iff it is not older than the entry. A push always
//   applies (its time is the newest the mirror has seen). A poll applies iff
//   observed_at > written_at, or observed_at == written_at and the entry came
//   from a poll: on a tie the push wins, because a snapshot taken in the same
//   millisecond may predate it. A poll older than the entry changes nothing.
// - Stream liveness counts push traffic only (values, removals, heartbeats). A
//   poll never counts as a heartbeat, so backfill cannot hide a stalled stream:
//   the stream is degraded once now - last push >= the heartbeat budget
//   (HeartbeatPolicy::budget_ms(), the session's half-open rule), or, before
//   any push, once now - Started >= the budget.
// - Backfill is warm while the newest poll snapshot (any poll event's
//   observed_at, applied or not) is younger than stale_after_ms, i.e. while a
//   polled value would still be Fresh; cold after; none before the first poll.
// - ReportStatus is emitted on every change of (stream health, backfill). An
//   event that arrives after a deadline nobody ticked first reports what
//   happened at that deadline, then the event's own change (e.g. degraded,
//   then live on a late push), so the application never misses a degradation.
// - Time never runs backwards inside the mirror: an event's `now` earlier than
//   one already seen is taken as the latest seen; observed_at later than `now`
//   is taken as `now` (a snapshot cannot come from the future).
// - Events before Started are ignored. StopRequested is terminal and quiet: later
//   events give no effects and change nothing; queries still answer.
// - Limits: keys_max entries (tombstones included), key_bytes_max and
//   value_bytes_max; a write beyond one is refused with WriteIgnored.
//   Storage allocates (std::map, std::string): the mirror is not on the
//   streaming hot path. transition() is noexcept, so running out of memory
//   terminates, as it does everywhere else in tether.

#include <expected>
#include <optional>
#include <string_view>
#include <tether/model/config.hpp>
#include <tether/model/mirror/config.hpp>
#include <tether/model/mirror/effect.hpp>
#include <tether/model/mirror/event.hpp>
#include <tether/model/mirror/state.hpp>
#include <tether/model/time.hpp>

namespace tether::model::mirror {

struct Step {
  State state;
  Effects effects;
};

// A mirror in Idle, or the first configuration field that cannot work.
std::expected<State, ConfigError> make(const Config& config);

Step transition(State state, const Event& event) noexcept;

// The same function, updating `state` in place (what io::MirrorReducer calls):
// `transition_in_place(s, e)` leaves `s` equal to `transition(s, e).state` and
// returns the same effects; transition() is written in terms of it.
Effects transition_in_place(State& state, const Event& event) noexcept;

// When to send the next Tick: the heartbeat budget running out (unless already
// degraded) and backfill going cold (while warm). nullopt when idle or stopped.
// After a Tick at `now`, never earlier than `now`.
std::optional<Instant> next_deadline(const State& state) noexcept;

// --- queries (pure) -------------------------------------------------------

Freshness freshness_of(const State& state, std::string_view key, Instant now);

// The entry for `key` (a tombstone has no value), or nullptr if never heard.
const Entry* find(const State& state, std::string_view key);

}  // namespace tether::model::mirror
