// Regression tests: minimal cases of reducer bugs that the property oracle and
// the fuzz target found. Each failed before its fix.
#include <catch2/catch.hpp>

#include "../support/harness.hpp"

using namespace tether::test;

namespace {
// `count` failed connect attempts, then Connecting again; returns the time.
std::int64_t fail_attempts(Harness& h, int count) {
  std::int64_t now = 0;
  h.feed(Started{at(now), std::nullopt, std::nullopt});
  for (int i = 0; i < count; ++i) {
    h.feed(ConnectionClosed{at(++now), CloseCause::transport_error});
    now = h.phase<BackingOff>().until.ms;
    h.feed(Tick{at(now)});
  }
  return now;
}
}  // namespace

// B1: stable_period is credited only by a Tick, so a late Tick is not harmless.
TEST_CASE("repro B1: a stream open longer than stable_ms resets the count without a Tick",
          "[regression]") {
  Harness h(presets::client_go());  // reset after 120 s stable
  const std::int64_t t = fail_attempts(h, 3);
  h.feed(ConnectionOpened{at(t)});
  h.feed(
      ConnectionClosed{at(t + 600000), CloseCause::transport_error});  // open for 10 min, no Tick
  CHECK(h.phase<BackingOff>().failures == 1);
}

// B3a: CursorExpired on a healthy long stream does not refresh outage_since.
TEST_CASE("repro B3a: cursor expiry after a healthy stream is not an outage", "[regression]") {
  SessionConfig c = presets::zero_ws();
  c.resume.too_old = TooOldPolicy::resume_from_live;
  c.give_up.outage_ms_max = 60000;
  Harness h(c);
  h.stream_at(0);
  h.frame(10, 1);
  h.feed(CursorExpired{at(120000)});  // healthy for two minutes
  CHECK(h.in<BackingOff>());
}

// B3b: CursorExpired ends a short session without the short-session guard:
// no short_session_delay_ms_min floor, and the first frame resets the count.
TEST_CASE("repro B3b: cursor expiry on a short session keeps the guard", "[regression]") {
  SessionConfig c = presets::aviso();  // short session < 5 s -> next delay >= 5 s
  c.resume.too_old = TooOldPolicy::resume_from_live;
  Harness h(c);
  const std::int64_t t = fail_attempts(h, 3);
  h.feed(ConnectionOpened{at(t)});
  h.frame(t + 10, 1);
  h.feed(CursorExpired{at(t + 20)});
  CHECK(h.phase<BackingOff>().failures == 4);
  CHECK(h.phase<BackingOff>().until.ms - (t + 20) >= 5000);
}

// B5: refill_budget() drops the unconverted remainder and restarts the clock on
// every call, so each NetworkRestored pushes a budget-limited attempt later.
TEST_CASE("repro B5: network restored never postpones a budget-limited attempt", "[regression]") {
  SessionConfig c = presets::zero_ws();
  c.budget = RetryBudget{1, 60000};  // one token a minute
  Harness h(c);
  const std::int64_t t = fail_attempts(h, 1);  // the retry used the only token
  h.feed(ConnectionClosed{at(t + 1), CloseCause::transport_error});
  const std::int64_t until = h.phase<BackingOff>().until.ms;  // waits for the token
  for (std::int64_t i = 1; i <= 100; ++i) h.feed(NetworkRestored{at(t + 1 + 50 * i)});
  CHECK(h.phase<BackingOff>().until.ms <= until);
}

// B6: validate() accepted any refill_ms_per_token > 0, and the budget arithmetic
// overflowed int64 (UBSan), bypassing the budget. Now bounded and exact.
TEST_CASE("repro B6: a huge but valid refill time neither overflows nor bypasses the budget",
          "[regression]") {
  SessionConfig c = presets::zero_ws();
  c.budget = RetryBudget{1, 1000000000000};  // the largest valid refill time (10^12 ms)
  REQUIRE(validate(c).has_value());
  SessionConfig too_big = c;
  too_big.budget.refill_ms_per_token = std::int64_t{1} << 54;
  CHECK(validate(too_big).error().field == "budget.refill_ms_per_token");
  Harness h(c);
  const std::int64_t t = fail_attempts(h, 1);  // the retry used the only token
  h.feed(ConnectionClosed{at(t + 1), CloseCause::transport_error});
  CHECK(h.phase<BackingOff>().until.ms > t + 1000000);
}

// B8: a 5xx/429/410 while Confirming (the connection had opened) ignores the
// short-session floor, unlike ConnectionClosed or the confirm timeout there.
TEST_CASE("repro B8: a rejection while confirming keeps the short-session floor", "[regression]") {
  SessionConfig c = presets::aviso();
  c.connect.confirm_timeout_ms = 5000;
  Harness h(c);
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  h.feed(ConnectionOpened{at(10)});
  h.feed(ServerRejected{at(20), 503, std::nullopt});
  CHECK(h.phase<BackingOff>().until.ms - 20 >= 5000);
}

// B9: an attempt woken by NetworkRestored skipped the outage give-up check.
TEST_CASE("a restore after the outage limit gives up instead of attempting", "[regression]") {
  SessionConfig c = exact_config();
  c.give_up.outage_ms_max = 5000;
  c.backoff.delay_ms_initial = 60000;
  c.backoff.delay_ms_max = 60000;
  c.backoff.restored_delay_ms_max = 0;
  Harness h(c);
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  h.feed(ConnectionClosed{at(10), CloseCause::transport_error});
  REQUIRE(h.in<BackingOff>());
  h.feed(NetworkRestored{at(7000)});
  REQUIRE(h.in<GaveUp>());
  CHECK(h.phase<GaveUp>().reason == Reason::outage_too_long);
  CHECK_FALSE(h.has<Connect>());
}
