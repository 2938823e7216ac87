#pragma once
// Freshness mirror: a pure reducer keeping a map of values fed by two sources,
// the push stream (the streaming session's deliveries) and polls (backfill), and
// telling the application the truth about how current each value is and
// whether the stream itself is alive.
//
// Theory of operation
// -------------------
// A driver owns a MirrorState and loops like every tether reducer:
//
//   auto made = mirror::make_mirror(config);
//   mirror::Step step = mirror::transition(std::move(*made), mirror::Started{now});
//   for (;;) {
//     for (const mirror::Effect& e : step.effects) execute(e);
//     step = mirror::transition(std::move(step.state), next_input_or(mirror::Tick{now}));
//   }
//   // at any time: mirror::freshness_of(step.state, key, now), mirror::find(step.state, key)
//
// Rules (each a test in tests/model/freshness_mirror.cpp):
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

#include <cstddef>
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tether/model/config.hpp>
#include <tether/model/inline_vec.hpp>
#include <tether/model/time.hpp>
#include <variant>

namespace tether::model::mirror {

// --- configuration --------------------------------------------------------

struct MirrorConfig {
  // A value is Fresh while now - written_at < stale_after_ms.
  std::int64_t stale_after_ms = 30000;
  // The stream is degraded once push has been silent for heartbeat.budget_ms()
  // (max(interval_ms * interval_multiple, interval_ms + slack_ms); 90 s by default).
  HeartbeatPolicy heartbeat;
  std::size_t keys_max = 100000;
  std::size_t key_bytes_max = 1024;
  std::size_t value_bytes_max = std::size_t{1} << 20U;
};

std::expected<void, ConfigError> validate(const MirrorConfig& config);

// --- state ----------------------------------------------------------------

enum class Source : std::uint8_t { push, poll };

enum class Freshness : std::uint8_t { never, fresh, stale };

struct Entry {
  std::optional<std::string> value;  // nullopt: removed (a tombstone)
  Source source;
  Instant written_at;  // when it was known current at the source (see the rules above)
};

enum class StreamHealth : std::uint8_t {
  idle,      // not started
  starting,  // started, no push yet, within the budget
  live,      // a push within the budget
  degraded,  // push silent for the budget (or never heard within it)
  stopped,
};

enum class Backfill : std::uint8_t {
  none,  // no poll yet
  warm,  // the newest poll snapshot is younger than stale_after_ms
  cold,  // it is not
};

// What the application renders; reported by ReportStatus on every change.
struct MirrorStatus {
  StreamHealth stream = StreamHealth::idle;
  Backfill backfill = Backfill::none;
  // When `stream` began: the push that made it live, or the instant the budget
  // ran out (which may be before the event that noticed it).
  Instant stream_since{};

  friend constexpr bool operator==(const MirrorStatus&, const MirrorStatus&) = default;
};

struct Idle {};
struct Running {
  Instant started_at;
  std::optional<Instant> last_push_at;     // values, removals, heartbeats
  std::optional<Instant> last_poll_as_of;  // newest observed_at of any poll event
};
struct Stopped {};

using Phase = std::variant<Idle, Running, Stopped>;

struct MirrorState {
  std::shared_ptr<const MirrorConfig> config;
  Phase phase;
  std::map<std::string, Entry, std::less<>> entries;
  MirrorStatus status;  // last reported
  Instant clock{};      // the latest `now` seen
};

// --- events ---------------------------------------------------------------

struct Started {
  Instant now;
};
struct StopRequested {
  Instant now;
};
// A deadline from next_deadline() may have passed. Early, late or repeated: harmless.
struct Tick {
  Instant now;
};
// The stream delivered a value / a removal of a key / a heartbeat (any bytes
// that prove the stream alive without carrying a value).
struct ValuePushed {
  Instant now;
  std::string key;
  std::string value;
};
struct RemovalPushed {
  Instant now;
  std::string key;
};
struct HeartbeatReceived {
  Instant now;
};
// A poll response, as of `observed_at` (when the snapshot was taken; a driver
// that knows no better uses the request's send time). Feed every key of the
// snapshot, not just the changes, so unchanged values are refreshed too.
struct ValuePolled {
  Instant now;
  Instant observed_at;
  std::string key;
  std::string value;
};
struct RemovalPolled {
  Instant now;
  Instant observed_at;
  std::string key;
};
// A poll as of `observed_at` finished (after its values, if any): backfill
// activity even when the snapshot was empty.
struct PollCompleted {
  Instant now;
  Instant observed_at;
};

using Event = std::variant<Started, StopRequested, Tick, ValuePushed, RemovalPushed,
                           HeartbeatReceived, ValuePolled, RemovalPolled, PollCompleted>;

inline Instant time_of(const Event& e) {
  return std::visit([](const auto& x) { return x.now; }, e);
}

// --- effects --------------------------------------------------------------

struct ReportStatus {
  MirrorStatus status;
};

// What a write did to the visible value of the event's key.
enum class Change : std::uint8_t {
  added,      // no value before (never heard, or removed), a value now
  modified,   // a different value
  removed,    // a value before, none now
  refreshed,  // the same value (or still none), newer written_at or other source
};

// The event's key changed (the driver knows which key: the one it just fed).
struct ValueChanged {
  Change change;
  Source source;
};

enum class IgnoreCause : std::uint8_t {
  older_than_entry,  // a poll whose snapshot predates what the mirror holds
  key_too_large,
  value_too_large,
  full,  // keys_max entries already, and this key is new
};

// The event's write was refused; the mirror did not change.
struct WriteIgnored {
  IgnoreCause cause;
};

using Effect = std::variant<ReportStatus, ValueChanged, WriteIgnored>;

// Worst case of one transition is 3: the status at a missed deadline, the
// write's outcome, the status after it. 4 leaves headroom.
inline constexpr std::size_t effects_max = 4;
using Effects = InlineVec<Effect, effects_max>;

struct Step {
  MirrorState state;
  Effects effects;
};

// --- the reducer ----------------------------------------------------------

std::expected<MirrorState, ConfigError> make_mirror(const MirrorConfig& config);

Step transition(MirrorState state, const Event& event) noexcept;

// When to send the next Tick: the heartbeat budget running out (unless already
// degraded) and backfill going cold (while warm). nullopt when idle or stopped.
// After a Tick at `now`, never earlier than `now`.
std::optional<Instant> next_deadline(const MirrorState& state) noexcept;

// --- queries (pure) -------------------------------------------------------

Freshness freshness_of(const MirrorState& state, std::string_view key, Instant now);

// The entry for `key` (a tombstone has no value), or nullptr if never heard.
const Entry* find(const MirrorState& state, std::string_view key);

}  // namespace tether::model::mirror
