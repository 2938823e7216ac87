#pragma once
// The wait-for-resource reducer's effects (tether::model::wait): what the
// driver must do, in order, before it feeds the next event. Outcomes come back
// as events (AcquireSucceeded / AcquireFailed, then WatchEnded).

#include <cstddef>
#include <cstdint>
#include <tether/model/inline_vec.hpp>
#include <tether/model/wait/state.hpp>
#include <variant>

namespace tether::model::wait {

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
  Status status;
};

using Effect = std::variant<Acquire, Release, ReportStatus>;

// Worst case of one transition is 2: Release then ReportStatus (a stop, a
// give-up, a dropped link), or an Acquire and its status. 4 leaves headroom.
inline constexpr std::size_t effects_max = 4;
using Effects = InlineVec<Effect, effects_max>;

}  // namespace tether::model::wait
