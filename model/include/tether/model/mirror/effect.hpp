#pragma once
// The freshness mirror's effects: what the driver tells the application, in
// order, before it feeds the next event. The mirror asks for no I/O: its
// effects are reports (the status, what a write did to its key).

#include <cstddef>
#include <cstdint>
#include <tether/model/inline_vec.hpp>
#include <tether/model/mirror/state.hpp>
#include <variant>

namespace tether::model::mirror {

struct ReportStatus {
  Status status;
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

}  // namespace tether::model::mirror
