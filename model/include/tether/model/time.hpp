#pragma once
// Virtual-or-real monotonic time as the model sees it. The model never reads a
// clock: every event carries an Instant that its driver read.

#include <compare>
#include <cstdint>
#include <limits>

namespace tether::model {

// A point on the driver's monotonic clock, in milliseconds from an arbitrary
// origin. Durations are plain int64 milliseconds whose names end in `_ms`.
struct Instant {
  std::int64_t ms = 0;

  friend constexpr auto operator<=>(Instant, Instant) = default;
  friend constexpr bool operator==(Instant, Instant) = default;
};

inline constexpr std::int64_t duration_ms_max = std::numeric_limits<std::int64_t>::max() / 4;

// Saturating so that a huge configured delay can never wrap into the past.
constexpr Instant after(Instant t, std::int64_t delay_ms) {
  if (delay_ms > duration_ms_max) delay_ms = duration_ms_max;
  if (t.ms > duration_ms_max) return Instant{t.ms};
  return Instant{t.ms + delay_ms};
}

constexpr std::int64_t elapsed_ms(Instant from, Instant to) { return to.ms - from.ms; }

constexpr Instant earliest(Instant a, Instant b) { return a < b ? a : b; }
constexpr Instant latest(Instant a, Instant b) { return a < b ? b : a; }

}  // namespace tether::model
