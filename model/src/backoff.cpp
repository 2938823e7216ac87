#include <algorithm>
#include <cmath>
#include <cstdint>
#include <tether/model/backoff.hpp>

namespace tether::model {

std::int64_t ceiling_ms(const BackoffPolicy& policy, std::uint32_t failures) {
  if (failures <= 1) return std::min(policy.delay_ms_initial, policy.delay_ms_max);
  // pow is correctly rounded in glibc, so this is reproducible; inf clamps to max.
  const double grown = static_cast<double>(policy.delay_ms_initial) *
                       std::pow(policy.multiplier, static_cast<double>(failures - 1));
  const auto cap = static_cast<double>(policy.delay_ms_max);
  if (!(grown < cap)) return policy.delay_ms_max;
  return static_cast<std::int64_t>(grown);
}

namespace {
std::int64_t fraction_of(std::int64_t value, double fraction) {
  return static_cast<std::int64_t>(std::floor(static_cast<double>(value) * fraction));
}
}  // namespace

DelayBounds jitter_bounds(const BackoffPolicy& policy, std::uint32_t failures,
                          std::int64_t previous_delay_ms) {
  const std::int64_t c = ceiling_ms(policy, failures);
  switch (policy.jitter) {
    case JitterKind::none:
      return {c, c};
    case JitterKind::full:
      return {0, c > 0 ? c - 1 : 0};  // [0, c)
    case JitterKind::equal:
      return {c / 2, c};
    case JitterKind::decorrelated: {
      const std::int64_t base = std::min(policy.delay_ms_initial, policy.delay_ms_max);
      const std::int64_t prev = std::max(previous_delay_ms, base);
      const std::int64_t hi = prev > policy.delay_ms_max / 3 ? policy.delay_ms_max : prev * 3;
      return {base, std::max(base, hi)};
    }
    case JitterKind::proportional: {
      const std::int64_t spread = fraction_of(c, policy.jitter_fraction);
      return {c - spread, c + spread};
    }
    case JitterKind::upward:
      return {c, c + fraction_of(c, policy.jitter_fraction)};
  }
  return {c, c};
}

DelayBounds jitter_envelope(const BackoffPolicy& policy, std::uint32_t failures) {
  // A previous delay of delay_ms_max or more tops decorrelated jitter at
  // delay_ms_max, the most any history allows; the other kinds ignore it.
  return jitter_bounds(policy, failures, policy.delay_ms_max);
}

std::int64_t sample_delay_ms(const BackoffPolicy& policy, std::uint32_t failures,
                             std::int64_t previous_delay_ms, Prng& prng) {
  const DelayBounds b = jitter_bounds(policy, failures, previous_delay_ms);
  return prng.uniform(b.delay_ms_min, b.delay_ms_max);
}

DelayDraw draw_delay(const BackoffPolicy& policy, std::uint32_t failures,
                     std::int64_t& previous_delay_ms, Prng& prng) {
  const DelayBounds b = jitter_bounds(policy, failures, previous_delay_ms);
  previous_delay_ms = prng.uniform(b.delay_ms_min, b.delay_ms_max);
  return DelayDraw{previous_delay_ms, b};
}

DelayBounds floored(DelayBounds bounds, std::int64_t floor_ms) {
  if (floor_ms <= bounds.delay_ms_min) return bounds;
  const std::int64_t width_ms = bounds.delay_ms_max - bounds.delay_ms_min;
  return DelayBounds{floor_ms, floor_ms > INT64_MAX - width_ms ? INT64_MAX : floor_ms + width_ms};
}

std::int64_t floored_delay_ms(std::int64_t delay_ms, DelayBounds bounds, std::int64_t floor_ms) {
  if (floor_ms <= bounds.delay_ms_min) return delay_ms;
  const std::int64_t above_ms = delay_ms - bounds.delay_ms_min;
  return floor_ms > INT64_MAX - above_ms ? INT64_MAX : floor_ms + above_ms;
}

}  // namespace tether::model
