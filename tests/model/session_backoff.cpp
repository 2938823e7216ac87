// Backoff behaviour inside the session: escalation, resets, the short-session
// guard, server hints, network restored, give-up and the retry budget.
#include <catch2/catch.hpp>

#include "../support/harness.hpp"

using namespace tether::test;

namespace {
// Fail `n` consecutive connection attempts (refused), ticking through each backoff.
std::vector<std::int64_t> refuse(Harness& h, int n, std::int64_t& t) {
  std::vector<std::int64_t> delays;
  for (int i = 0; i < n && h.in<Connecting>(); ++i) {
    h.feed(ConnectionClosed{at(t), CloseCause::transport_error});
    if (!h.in<BackingOff>()) break;
    const std::int64_t until = h.phase<BackingOff>().until.ms;
    delays.push_back(until - t);
    t = until;
    h.feed(Tick{at(t)});
  }
  return delays;
}
}  // namespace

TEST_CASE("delays escalate exponentially up to the cap", "[session][backoff]") {
  Harness h(exact_config());
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  std::int64_t t = 0;
  CHECK(refuse(h, 6, t) == std::vector<std::int64_t>{1000, 2000, 4000, 8000, 8000, 8000});
  CHECK(h.one<Connect>()->attempt == 7);
}

TEST_CASE("the failure count resets only after the stream proved healthy", "[session][backoff]") {
  Harness h(exact_config());
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  std::int64_t t = 0;
  refuse(h, 3, t);  // next delay would be 8000
  SECTION("opening alone is not proof") {
    h.feed(ConnectionOpened{at(t)});
    h.feed(ConnectionClosed{at(t + 10000), CloseCause::unexpected_eof});
    CHECK(h.phase<BackingOff>().failures == 4);
    CHECK(h.phase<BackingOff>().until == at(t + 10000 + 8000));
  }
  SECTION("the first frame is") {
    h.feed(ConnectionOpened{at(t)});
    h.frame(t + 1, 1);
    h.feed(ConnectionClosed{at(t + 10000), CloseCause::unexpected_eof});
    CHECK(h.phase<BackingOff>().failures == 1);
    CHECK(h.phase<BackingOff>().until == at(t + 10000 + 1000));
  }
}

TEST_CASE("stable-period reset (client-go)", "[session][backoff]") {
  SessionConfig c = exact_config();
  c.backoff.reset_on = ResetOn::stable_period;
  c.backoff.stable_ms = 120000;
  Harness h(c);
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  std::int64_t t = 0;
  refuse(h, 2, t);
  h.feed(ConnectionOpened{at(t)});
  h.frame(t + 1, 1);  // frames do not prove health under this policy
  CHECK(h.deadline() == at(t + 120000));
  SECTION("dropped before the period: keeps escalating") {
    h.feed(ConnectionClosed{at(t + 60000), CloseCause::unexpected_eof});
    CHECK(h.phase<BackingOff>().failures == 3);
  }
  SECTION("dropped after the period: starts afresh") {
    h.feed(Tick{at(t + 120000)});
    CHECK(h.phase<Streaming>().healthy);
    h.feed(ConnectionClosed{at(t + 130000), CloseCause::unexpected_eof});
    CHECK(h.phase<BackingOff>().failures == 1);
  }
}

TEST_CASE("short-session guard: accept-then-drop cannot cause a hot loop", "[session][backoff]") {
  SessionConfig c = presets::zero_ws();  // full jitter could draw ~0 ms
  c.backoff.short_session_ms = 2000;
  c.backoff.short_session_delay_ms_min = 3000;
  Harness h(c);
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  std::int64_t t = 0;
  std::uint64_t seq = 0;
  for (int i = 0; i < 50; ++i) {
    h.feed(ConnectionOpened{at(t)});
    h.frame(t + 1, ++seq);  // even a delivered frame does not make it healthy
    h.feed(ConnectionClosed{at(t + 2), CloseCause::clean_close});
    REQUIRE(h.in<BackingOff>());
    const auto until = h.phase<BackingOff>().until.ms;
    REQUIRE(until - (t + 2) >= 3000);
    t = until;
    h.feed(Tick{at(t)});
    REQUIRE(h.in<Connecting>());
  }
  CHECK(h.phase<Connecting>().failures == 50);  // escalated all the way
}

TEST_CASE("Retry-After is a floor clamped by the hint ceiling", "[session][backoff]") {
  SessionConfig c = exact_config();
  c.backoff.hint_ms_max = 60000;
  Harness h(c);
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  SECTION("longer than the policy delay: honoured") {
    h.feed(ServerRejected{at(0), 429, 20000});
    CHECK(h.phase<BackingOff>().until == at(20000));
    CHECK(h.phase<BackingOff>().reason == Reason::rate_limited);
    CHECK(h.phase<BackingOff>().http_status == 429);
  }
  SECTION("shorter than the policy delay: the policy wins") {
    h.feed(ServerRejected{at(0), 503, 10});
    CHECK(h.phase<BackingOff>().until == at(1000));
  }
  SECTION("longer than the ceiling: clamped") {
    h.feed(ServerRejected{at(0), 429, 3600000});
    CHECK(h.phase<BackingOff>().until == at(60000));
  }
}

TEST_CASE("SSE retry: is a floor for later reconnects", "[session][backoff]") {
  Harness h(exact_config());
  h.stream_at(0);
  h.feed(FrameReceived{at(1), 1, std::nullopt, 7000, 1});
  h.feed(ConnectionClosed{at(10000), CloseCause::unexpected_eof});
  CHECK(h.phase<BackingOff>().until == at(17000));
}

TEST_CASE("network restored cuts a backoff short", "[session][backoff]") {
  SessionConfig c = exact_config();
  c.backoff.delay_ms_max = 300000;
  c.backoff.restored_delay_ms_max = 500;
  Harness h(c);
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  std::int64_t t = 0;
  refuse(h, 8, t);
  h.feed(ConnectionClosed{at(t), CloseCause::transport_error});
  REQUIRE(h.phase<BackingOff>().until.ms - t == 256000);
  h.feed(NetworkRestored{at(t + 1000)});
  REQUIRE(h.in<BackingOff>());
  CHECK(h.phase<BackingOff>().until.ms <= t + 1500);
  CHECK(h.phase<BackingOff>().until.ms >= t + 1000);
  CHECK(h.one<ReportStatus>());  // the new attempt time is rendered
}

TEST_CASE("give up after max attempts: terminal, distinct from failed", "[session][backoff]") {
  SessionConfig c = exact_config();
  c.give_up.attempts_max = 3;
  Harness h(c);
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  std::int64_t t = 0;
  refuse(h, 5, t);
  REQUIRE(h.in<GaveUp>());
  CHECK(h.phase<GaveUp>().reason == Reason::attempts_exhausted);
  CHECK(h.phase<GaveUp>().failures == 3);
  CHECK(h.state().status.kind == StatusKind::gave_up);
  CHECK(h.deadline() == std::nullopt);
}

TEST_CASE("give up after a maximum outage", "[session][backoff]") {
  SessionConfig c = exact_config();
  c.give_up.outage_ms_max = 10000;
  Harness h(c);
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  std::int64_t t = 0;
  refuse(h, 10, t);
  REQUIRE(h.in<GaveUp>());
  CHECK(h.phase<GaveUp>().reason == Reason::outage_too_long);
  CHECK(t <= 10000 + 8000);
}

TEST_CASE("retry budget: attempts wait for a token", "[session][backoff]") {
  SessionConfig c = exact_config();
  c.backoff.delay_ms_initial = 10;
  c.backoff.multiplier = 1.0;
  c.backoff.delay_ms_max = 10;
  c.budget.tokens_max = 2;
  c.budget.refill_ms_per_token = 5000;
  Harness h(c);
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  std::int64_t t = 0;
  const auto delays = refuse(h, 5, t);
  REQUIRE(delays.size() == 5);
  CHECK(delays[0] == 10);
  CHECK(delays[1] == 10);
  // Two tokens spent: the third retry waits for a refill, and so on.
  CHECK(delays[2] >= 4980);
  CHECK(delays[3] >= 4990);
  CHECK(delays[4] >= 4990);
}

TEST_CASE("grpc: connect timeout is max(20 s, current backoff)", "[session][backoff]") {
  SessionConfig c = presets::grpc();
  c.backoff.jitter = JitterKind::none;
  Harness h(c);
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  CHECK(h.phase<Connecting>().deadline == at(20000));
  std::int64_t t = 0;
  refuse(h, 9, t);  // ceiling for the next failure is 1.6^9 s = 68.7 s
  REQUIRE(h.in<Connecting>());
  CHECK(h.phase<Connecting>().deadline.ms - t == 68719);
}
