#pragma once
// The freshness mirror's state: the entries (each with its source and the
// instant it was known current), the phase, and the status last reported
// (stream health and backfill, what the application renders).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tether/model/mirror/config.hpp>
#include <tether/model/time.hpp>
#include <variant>

namespace tether::model::mirror {

enum class Source : std::uint8_t { push, poll };

enum class Freshness : std::uint8_t { never, fresh, stale };

struct Entry {
  std::optional<std::string> value;  // nullopt: removed (a tombstone)
  Source source;
  Instant written_at;  // when it was known current at the source (see reducer.hpp's rules)
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
struct Status {
  StreamHealth stream = StreamHealth::idle;
  Backfill backfill = Backfill::none;
  // When `stream` began: the push that made it live, or the instant the budget
  // ran out (which may be before the event that noticed it).
  Instant stream_since{};

  friend constexpr bool operator==(const Status&, const Status&) = default;
};

struct Idle {};
struct Running {
  Instant started_at;
  std::optional<Instant> last_push_at;     // values, removals, heartbeats
  std::optional<Instant> last_poll_as_of;  // newest observed_at of any poll event
};
struct Stopped {};

using Phase = std::variant<Idle, Running, Stopped>;

struct State {
  std::shared_ptr<const Config> config;
  Phase phase;
  std::map<std::string, Entry, std::less<>> entries;
  Status status;    // last reported
  Instant clock{};  // the latest `now` seen
};

// Stopped is terminal: later events give no effects and change nothing.
inline bool is_terminal(const State& state) { return std::holds_alternative<Stopped>(state.phase); }

}  // namespace tether::model::mirror
