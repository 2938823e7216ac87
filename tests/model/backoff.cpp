#include <tether/model/backoff.hpp>

#include <catch2/catch.hpp>

using namespace tether::model;

namespace {
BackoffPolicy policy(JitterKind jitter, double fraction = 0.0) {
  BackoffPolicy b;
  b.delay_ms_initial = 100;
  b.multiplier = 2.0;
  b.delay_ms_max = 1000;
  b.jitter = jitter;
  b.jitter_fraction = fraction;
  return b;
}
}  // namespace

TEST_CASE("ceiling grows exponentially and stops at the cap", "[backoff]") {
  const BackoffPolicy b = policy(JitterKind::none);
  CHECK(ceiling_ms(b, 1) == 100);
  CHECK(ceiling_ms(b, 2) == 200);
  CHECK(ceiling_ms(b, 4) == 800);
  CHECK(ceiling_ms(b, 5) == 1000);
  CHECK(ceiling_ms(b, 0) == 100);  // "no failure yet" is treated as the first
}

TEST_CASE("a runaway failure count saturates at the cap, never overflows", "[backoff]") {
  const BackoffPolicy b = policy(JitterKind::none);
  CHECK(ceiling_ms(b, 64) == 1000);
  CHECK(ceiling_ms(b, 1100) == 1000);  // 2^1099 is inf in double
  CHECK(ceiling_ms(b, UINT32_MAX) == 1000);
  BackoffPolicy flat = b;
  flat.multiplier = 1.0;
  CHECK(ceiling_ms(flat, UINT32_MAX) == 100);
}

TEST_CASE("jitter bounds per kind", "[backoff]") {
  SECTION("none") {
    const auto r = jitter_bounds(policy(JitterKind::none), 3, 0);
    CHECK(r.delay_ms_min == 400);
    CHECK(r.delay_ms_max == 400);
  }
  SECTION("full is [0, ceiling)") {
    const auto r = jitter_bounds(policy(JitterKind::full), 3, 0);
    CHECK(r.delay_ms_min == 0);
    CHECK(r.delay_ms_max == 399);
  }
  SECTION("equal is [ceiling/2, ceiling]") {
    const auto r = jitter_bounds(policy(JitterKind::equal), 3, 0);
    CHECK(r.delay_ms_min == 200);
    CHECK(r.delay_ms_max == 400);
  }
  SECTION("proportional is ceiling +- fraction") {
    const auto r = jitter_bounds(policy(JitterKind::proportional, 0.25), 3, 0);
    CHECK(r.delay_ms_min == 300);
    CHECK(r.delay_ms_max == 500);
  }
  SECTION("upward is [ceiling, ceiling * (1 + fraction)]") {
    const auto r = jitter_bounds(policy(JitterKind::upward, 1.0), 3, 0);
    CHECK(r.delay_ms_min == 400);
    CHECK(r.delay_ms_max == 800);
  }
  SECTION("decorrelated is [initial, 3 * previous] capped") {
    auto r = jitter_bounds(policy(JitterKind::decorrelated), 3, 0);
    CHECK(r.delay_ms_min == 100);
    CHECK(r.delay_ms_max == 300);
    r = jitter_bounds(policy(JitterKind::decorrelated), 3, 250);
    CHECK(r.delay_ms_max == 750);
    r = jitter_bounds(policy(JitterKind::decorrelated), 3, 900);
    CHECK(r.delay_ms_max == 1000);
    r = jitter_bounds(policy(JitterKind::decorrelated), 3, INT64_MAX / 2);
    CHECK(r.delay_ms_max == 1000);
  }
}

TEST_CASE("samples stay inside their bounds and cover them", "[backoff]") {
  for (auto kind : {JitterKind::full, JitterKind::equal, JitterKind::proportional,
                    JitterKind::upward, JitterKind::decorrelated}) {
    const BackoffPolicy b = policy(kind, 0.5);
    Prng prng(42);
    const auto bounds = jitter_bounds(b, 4, 300);
    std::int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (int i = 0; i < 5000; ++i) {
      const std::int64_t d = sample_delay_ms(b, 4, 300, prng);
      REQUIRE(d >= bounds.delay_ms_min);
      REQUIRE(d <= bounds.delay_ms_max);
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    // Not degenerate: the draws spread over most of the range.
    const std::int64_t span = bounds.delay_ms_max - bounds.delay_ms_min;
    CHECK(hi - lo >= span * 9 / 10);
  }
}
