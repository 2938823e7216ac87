#include <algorithm>
#include <catch2/catch.hpp>
#include <tether/model/backoff.hpp>
#include <vector>

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

TEST_CASE("jitter_envelope is jitter_bounds over every previous delay", "[backoff]") {
  for (auto kind : {JitterKind::none, JitterKind::full, JitterKind::equal, JitterKind::proportional,
                    JitterKind::upward}) {
    const BackoffPolicy b = policy(kind, 0.5);
    for (std::uint32_t n : {1U, 3U, 9U}) {
      const auto e = jitter_envelope(b, n);
      const auto r = jitter_bounds(b, n, 0);
      CHECK(e.delay_ms_min == r.delay_ms_min);
      CHECK(e.delay_ms_max == r.delay_ms_max);
    }
  }
  // Decorrelated: the top whatever came before is delay_ms_max; the bottom is the initial delay.
  const auto e = jitter_envelope(policy(JitterKind::decorrelated), 3);
  CHECK(e.delay_ms_min == 100);
  CHECK(e.delay_ms_max == 1000);
  for (std::int64_t previous : {0, 100, 333, 334, 1000, 5000})
    CHECK(jitter_bounds(policy(JitterKind::decorrelated), 3, previous).delay_ms_max <=
          e.delay_ms_max);
}

// The contract of backoff.hpp's table, end to end: for an odd ceiling (7 ms, so
// every rounding shows), jitter_bounds gives the documented range and
// sample_delay_ms draws every value of it, both ends included, and nothing else.
TEST_CASE("sample_delay_ms draws exactly the documented range, both ends included", "[backoff]") {
  struct Row {
    JitterKind kind;
    double fraction;
    std::int64_t previous_ms;
    std::int64_t lo;  // literal, from the table in backoff.hpp
    std::int64_t hi;
  };
  const Row rows[] = {
      {JitterKind::none, 0.0, 0, 7, 7},
      {JitterKind::full, 0.0, 0, 0, 6},           // [0, c): never the whole ceiling
      {JitterKind::equal, 0.0, 0, 3, 7},          // c / 2 rounds down
      {JitterKind::proportional, 0.5, 0, 4, 10},  // s = floor(3.5) = 3
      {JitterKind::upward, 0.5, 0, 7, 10},
      {JitterKind::decorrelated, 0.0, 0, 7, 21},    // no previous: 3 * initial
      {JitterKind::decorrelated, 0.0, 9, 7, 27},    // 3 * previous
      {JitterKind::decorrelated, 0.0, 40, 7, 100},  // capped at delay_ms_max
  };
  for (const Row& row : rows) {
    BackoffPolicy b;
    b.delay_ms_initial = 7;
    b.multiplier = 2.0;
    b.delay_ms_max = 100;
    b.jitter = row.kind;
    b.jitter_fraction = row.fraction;
    INFO("kind " << static_cast<int>(row.kind) << ", previous " << row.previous_ms);
    const auto bounds = jitter_bounds(b, 1, row.previous_ms);
    CHECK(bounds.delay_ms_min == row.lo);
    CHECK(bounds.delay_ms_max == row.hi);
    Prng prng(42);
    std::vector<int> seen(static_cast<std::size_t>(row.hi - row.lo + 1), 0);
    for (int i = 0; i < 20000; ++i) {
      const std::int64_t d = sample_delay_ms(b, 1, row.previous_ms, prng);
      REQUIRE(d >= row.lo);
      REQUIRE(d <= row.hi);
      seen[static_cast<std::size_t>(d - row.lo)] += 1;
    }
    CHECK(seen.front() > 0);
    CHECK(seen.back() > 0);
    CHECK(std::count(seen.begin(), seen.end(), 0) == 0);
  }
}

TEST_CASE("full jitter at a 1 ms ceiling is always 0, at the cap never the cap", "[backoff]") {
  BackoffPolicy b = policy(JitterKind::full);
  b.delay_ms_initial = 1;
  b.delay_ms_max = 1;
  Prng prng(7);
  for (int i = 0; i < 100; ++i) REQUIRE(sample_delay_ms(b, 1, 0, prng) == 0);
  const BackoffPolicy capped = policy(JitterKind::full);
  std::int64_t hi = 0;
  for (int i = 0; i < 20000; ++i) hi = std::max(hi, sample_delay_ms(capped, 40, 0, prng));
  CHECK(hi == 999);
}
