// Auth answers matched to their requests, and a credential source slower than
// auth.refresh_timeout_ms: one refresh out at a time (a timed-out one stays
// out until it answers), a stale answer is never taken for a newer request's,
// and a late answer ends the backoff its timeout entered (docs/state-machine.md,
// RefreshingAuth; the simulator's slow_refresh_*.json scenarios).
#include <catch2/catch.hpp>

#include "../support/harness.hpp"

using namespace tether::test;

namespace {
SessionConfig slow_source_config() {
  SessionConfig c = exact_config();  // backoff 1 s, 2 s, 4 s, 8 s, no jitter
  c.auth.has_provider = true;
  c.auth.refresh_ahead_ms = 60000;
  c.auth.refresh_timeout_ms = 9000;
  c.backoff.delay_ms_initial = 20000;  // longer than the late answer's delay
  c.backoff.delay_ms_max = 80000;
  return c;
}

// Started (with a token expiring at `expires_at`, if known), then a 401: refresh #1 is out.
void rejected_once(Harness& h, std::optional<Instant> expires_at = std::nullopt) {
  h.feed(Started{at(0), std::nullopt, expires_at});
  h.feed(ServerRejected{at(10), 401, std::nullopt});
  REQUIRE(h.in<RefreshingAuth>());
  REQUIRE(h.one<RefreshAuth>());
  CHECK(h.one<RefreshAuth>()->request == 1);
}
}  // namespace

TEST_CASE("refreshes are numbered 1, 2, 3, ... and each answer names the one it answers",
          "[session][auth][late]") {
  Harness h(slow_source_config());
  rejected_once(h);
  h.feed(AuthRefreshed{at(100), at(600000), 1});
  REQUIRE(h.in<Connecting>());
  h.feed(ConnectionOpened{at(110)});
  h.frame(120, 1);
  h.feed(Tick{at(540000)});
  REQUIRE(h.one<RefreshAuth>());
  CHECK(h.one<RefreshAuth>()->cause == RefreshCause::expiring);
  CHECK(h.one<RefreshAuth>()->request == 2);
  CHECK(h.state().auth.refresh_out == 2);
  h.feed(AuthRefreshed{at(540100), at(1200000), 2});
  CHECK(h.state().auth.refresh_out == 0);
}

TEST_CASE("a stale answer is never taken for a newer request's answer", "[session][auth][late]") {
  Harness h(slow_source_config());
  rejected_once(h);
  h.feed(AuthRefreshed{at(100), at(600000), 1});
  h.feed(ConnectionOpened{at(110)});
  h.frame(120, 1);
  h.feed(ConnectionClosed{at(200000), CloseCause::unexpected_eof});
  h.feed(Tick{h.phase<BackingOff>().until});
  REQUIRE(h.in<Connecting>());
  h.feed(ServerRejected{at(230000), 401, std::nullopt});
  REQUIRE(h.one<RefreshAuth>());
  REQUIRE(h.one<RefreshAuth>()->request == 2);
  REQUIRE(h.in<RefreshingAuth>());

  SECTION("a success that answers request 1 does not end the wait for request 2") {
    h.feed(AuthRefreshed{at(230100), at(700000), 1});
    CHECK(h.in<RefreshingAuth>());
    CHECK_FALSE(h.has<Connect>());
    CHECK(h.state().auth.expires_at == at(700000));  // its credentials are what the driver holds
    h.feed(AuthRefreshed{at(230200), at(800000), 2});
    REQUIRE(h.in<Connecting>());
    CHECK(h.phase<Connecting>().fresh_credentials);
  }
  SECTION("a failure that answers request 1 is not request 2's failure") {
    h.feed(AuthRefreshFailed{at(230100), 1});
    CHECK(h.in<RefreshingAuth>());
    CHECK(h.last().empty());
  }
  SECTION("an answer to a request never asked is ignored as an answer") {
    h.feed(AuthRefreshFailed{at(230100), 9});
    CHECK(h.in<RefreshingAuth>());
    CHECK(h.state().auth.refresh_out == 2);
  }
}

TEST_CASE("a refresh that timed out stays out: no second one while it is",
          "[session][auth][late]") {
  Harness h(slow_source_config());
  rejected_once(h, at(40000));                       // a proactive refresh would be due from 20 s
  h.feed(Tick{h.phase<RefreshingAuth>().deadline});  // 9 s: given up, not answered
  REQUIRE(h.in<BackingOff>());
  CHECK(h.phase<BackingOff>().reason == Reason::auth_refresh_failed);
  CHECK(h.state().auth.refresh_out == 1);

  SECTION(
      "a 401 meanwhile waits for it (a second call would queue behind it), and its answer serves") {
    h.feed(Tick{h.phase<BackingOff>().until});  // 29,010
    REQUIRE(h.in<Connecting>());
    h.feed(ServerRejected{at(29100), 401, std::nullopt});
    REQUIRE(h.in<RefreshingAuth>());
    CHECK_FALSE(h.has<RefreshAuth>());
    CHECK(h.phase<RefreshingAuth>().deadline == at(38100));  // its own timeout from this 401
    h.feed(AuthRefreshed{at(30000), at(600000), 1});
    REQUIRE(h.in<Connecting>());
    CHECK(h.phase<Connecting>().fresh_credentials);
  }
  SECTION("a stream that opens meanwhile asks no proactive refresh until it answers") {
    h.feed(Tick{h.phase<BackingOff>().until});  // 29,010
    h.feed(ConnectionOpened{at(29100)});
    h.frame(29200, 1);
    h.feed(Tick{at(30000)});  // past the old token's refresh time
    CHECK_FALSE(h.has<RefreshAuth>());
    h.feed(AuthRefreshed{at(30500), at(60500), 1});  // a 30 s token: due at half its life
    REQUIRE(h.in<Streaming>());
    CHECK_FALSE(h.has<Connect>());
    CHECK(h.deadline() == at(45500));
    h.feed(Tick{at(45500)});
    REQUIRE(h.one<RefreshAuth>());
    CHECK(h.one<RefreshAuth>()->request == 2);
  }
}

TEST_CASE("a late answer ends the backoff its refresh's timeout entered", "[session][auth][late]") {
  Harness h(slow_source_config());
  rejected_once(h);
  h.feed(Tick{h.phase<RefreshingAuth>().deadline});
  REQUIRE(h.in<BackingOff>());
  const std::uint32_t failures = h.phase<BackingOff>().failures;
  CHECK(h.phase<BackingOff>().until == at(29010));  // 20 s after the timeout

  SECTION("a success: the retry with fresh credentials goes at once, the failure still counted") {
    h.feed(AuthRefreshed{at(11500), at(34500), 1});  // a 23 s token, stale by the backoff's end
    REQUIRE(h.in<Connecting>());
    REQUIRE(h.one<Connect>());
    CHECK(h.one<Connect>()->attempt == failures + 1);
    CHECK(h.phase<Connecting>().fresh_credentials);
    SECTION("a second 401 on those credentials is terminal, as after an answer in time") {
      h.feed(ServerRejected{at(11600), 401, std::nullopt});
      REQUIRE(h.in<Failed>());
      CHECK(h.phase<Failed>().reason == Reason::rejected_after_refresh);
    }
  }
  SECTION("a success past a give-up limit ends the session instead") {
    SessionConfig c = slow_source_config();
    c.give_up.outage_ms_max = 10000;
    Harness g(c);
    rejected_once(g);
    g.feed(Tick{g.phase<RefreshingAuth>().deadline});
    REQUIRE(g.in<BackingOff>());
    g.feed(AuthRefreshed{at(11500), at(34500), 1});
    REQUIRE(g.in<GaveUp>());
    CHECK(g.phase<GaveUp>().reason == Reason::outage_too_long);
    CHECK_FALSE(g.has<Connect>());
  }
  SECTION("a failure changes nothing: the timeout already counted it") {
    h.feed(AuthRefreshFailed{at(11500), 1});
    REQUIRE(h.in<BackingOff>());
    CHECK(h.phase<BackingOff>().until == at(29010));
    CHECK_FALSE(h.has<Connect>());
    CHECK(h.state().auth.refresh_out == 0);
  }
}

TEST_CASE("a late answer does not end a backoff it did not cause", "[session][auth][late]") {
  Harness h(slow_source_config());
  h.feed(Started{at(0), std::nullopt, at(600000)});
  h.feed(ConnectionOpened{at(10)});
  h.frame(20, 1);
  h.feed(Tick{at(540000)});
  REQUIRE(h.one<RefreshAuth>());  // proactive #1, out
  h.feed(ConnectionClosed{at(540100), CloseCause::unexpected_eof});
  REQUIRE(h.in<BackingOff>());
  const Instant until = h.phase<BackingOff>().until;
  h.feed(AuthRefreshed{at(540200), at(1200000), 1});
  REQUIRE(h.in<BackingOff>());
  CHECK(h.phase<BackingOff>().until == until);
  CHECK_FALSE(h.has<Connect>());
}
