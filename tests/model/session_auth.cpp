// Auth: refresh once on 401, a second 401 after refresh is terminal, refresh
// failure policies, no provider, and proactive refresh before expiry.
#include <catch2/catch.hpp>

#include "../support/harness.hpp"

using namespace tether::test;

namespace {
SessionConfig with_provider(RefreshFailure on_failure = RefreshFailure::backoff) {
  SessionConfig c = exact_config();
  c.auth.has_provider = true;
  c.auth.on_refresh_failure = on_failure;
  c.auth.refresh_ahead_ms = 60000;
  return c;
}
}  // namespace

TEST_CASE("401: refresh once, then retry at once with new credentials", "[session][auth]") {
  Harness h(with_provider());
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  h.feed(ServerRejected{at(10), 401, std::nullopt});
  REQUIRE(h.in<RefreshingAuth>());
  CHECK(h.all<RefreshAuth>().size() == 1);
  CHECK(h.one<RefreshAuth>()->cause == RefreshCause::rejected);
  CHECK(h.has<CloseConnection>());
  CHECK(h.one<ReportStatus>()->status.kind == StatusKind::refreshing_auth);
  h.feed(AuthRefreshed{at(50), std::nullopt});
  REQUIRE(h.in<Connecting>());
  CHECK(h.has<Connect>());
  CHECK(h.phase<Connecting>().fresh_credentials);

  SECTION("a second 401 right after the refresh is terminal") {
    h.feed(ServerRejected{at(60), 401, std::nullopt});
    REQUIRE(h.in<Failed>());
    CHECK(h.phase<Failed>().reason == Reason::rejected_after_refresh);
    CHECK_FALSE(h.has<RefreshAuth>());
  }
  SECTION("once the stream opened, a later 401 may refresh again") {
    h.feed(ConnectionOpened{at(60)});
    h.frame(61, 1);
    h.feed(ConnectionClosed{at(100000), CloseCause::unexpected_eof});
    h.feed(Tick{h.phase<BackingOff>().until});
    h.feed(ServerRejected{at(200000), 401, std::nullopt});
    CHECK(h.in<RefreshingAuth>());
    CHECK(h.all<RefreshAuth>().size() == 1);
  }
}

TEST_CASE("401 without an auth provider is fatal", "[session][auth]") {
  Harness h(exact_config());
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  h.feed(ServerRejected{at(10), 401, std::nullopt});
  REQUIRE(h.in<Failed>());
  CHECK(h.phase<Failed>().reason == Reason::unauthorized);
  CHECK_FALSE(h.has<RefreshAuth>());
}

TEST_CASE("refresh failure follows the configured policy", "[session][auth]") {
  SECTION("terminal") {
    Harness h(with_provider(RefreshFailure::terminal));
    h.feed(Started{at(0), std::nullopt, std::nullopt});
    h.feed(ServerRejected{at(10), 401, std::nullopt});
    h.feed(AuthRefreshFailed{at(20)});
    REQUIRE(h.in<Failed>());
    CHECK(h.phase<Failed>().reason == Reason::auth_refresh_failed);
  }
  SECTION("backoff, then reconnect with the old credentials") {
    Harness h(with_provider(RefreshFailure::backoff));
    h.feed(Started{at(0), std::nullopt, std::nullopt});
    h.feed(ServerRejected{at(10), 401, std::nullopt});
    h.feed(AuthRefreshFailed{at(20)});
    REQUIRE(h.in<BackingOff>());
    CHECK(h.phase<BackingOff>().reason == Reason::auth_refresh_failed);
    h.feed(Tick{at(1020)});
    REQUIRE(h.in<Connecting>());
    CHECK_FALSE(h.phase<Connecting>().fresh_credentials);
    // The new attempt is rejected again: one more refresh for this new rejection.
    h.feed(ServerRejected{at(1030), 401, std::nullopt});
    CHECK(h.all<RefreshAuth>().size() == 1);
  }
  SECTION("an unanswered refresh times out as a failure") {
    Harness h(with_provider(RefreshFailure::backoff));
    h.feed(Started{at(0), std::nullopt, std::nullopt});
    h.feed(ServerRejected{at(10), 401, std::nullopt});
    CHECK(h.deadline() == at(30010));
    h.feed(Tick{at(30010)});
    REQUIRE(h.in<BackingOff>());
    CHECK(h.phase<BackingOff>().reason == Reason::auth_refresh_failed);
  }
}

TEST_CASE("proactive refresh ahead of a known expiry keeps the stream", "[session][auth]") {
  Harness h(with_provider());
  h.feed(Started{at(0), std::nullopt, at(600000)});
  h.feed(ConnectionOpened{at(10)});
  CHECK(h.deadline() == at(540000));
  h.feed(Tick{at(540000)});
  CHECK(h.in<Streaming>());
  REQUIRE(h.one<RefreshAuth>());
  CHECK(h.one<RefreshAuth>()->cause == RefreshCause::expiring);
  CHECK_FALSE(h.has<CloseConnection>());
  h.feed(Tick{at(540001)});
  CHECK_FALSE(h.has<RefreshAuth>());  // one request in flight at a time
  h.feed(AuthRefreshed{at(541000), at(1200000)});
  CHECK(h.deadline() == at(1140000));
  SECTION("a failed proactive refresh is not retried in a loop") {
    h.feed(Tick{at(1140000)});
    h.feed(AuthRefreshFailed{at(1140001)});
    CHECK(h.in<Streaming>());
    h.feed(Tick{at(1140002)});
    CHECK_FALSE(h.has<RefreshAuth>());
  }
}

TEST_CASE(
    "short-lived tokens are refreshed at half their life, not as fast as the provider answers",
    "[session][auth]") {
  Harness h(with_provider());                       // refresh_ahead_ms = 60 s
  h.feed(Started{at(0), std::nullopt, at(45000)});  // a 45 s token
  h.feed(ConnectionOpened{at(10)});
  CHECK(h.deadline() == at(22500));
  h.feed(Tick{at(22500)});
  REQUIRE(h.one<RefreshAuth>());
  h.feed(AuthRefreshed{at(22560), at(67560)});  // answered in 60 ms, again 45 s
  CHECK_FALSE(h.has<RefreshAuth>());
  CHECK(h.deadline() == at(45060));  // half of the new lifetime, not at once
  h.feed(Tick{at(22561)});
  CHECK_FALSE(h.has<RefreshAuth>());
}

TEST_CASE("a 401 while a proactive refresh is out waits for it instead of asking again",
          "[session][auth]") {
  Harness h(with_provider());
  h.feed(Started{at(0), std::nullopt, at(600000)});
  h.feed(ConnectionOpened{at(10)});
  h.feed(Tick{at(540000)});
  REQUIRE(h.one<RefreshAuth>());  // proactive, out
  h.feed(ConnectionClosed{at(540100), CloseCause::unexpected_eof});
  h.feed(Tick{h.phase<BackingOff>().until});
  REQUIRE(h.in<Connecting>());
  h.feed(ServerRejected{at(541000), 401, std::nullopt});
  REQUIRE(h.in<RefreshingAuth>());
  CHECK_FALSE(h.has<RefreshAuth>());  // one refresh at a time
  SECTION("its answer serves the 401") {
    h.feed(AuthRefreshed{at(541500), at(1200000)});
    REQUIRE(h.in<Connecting>());
    CHECK(h.phase<Connecting>().fresh_credentials);
  }
  SECTION(
      "if it does not answer in time, the 401's timeout gives up waiting; the call stays out, and "
      "the next 401 waits for it again") {
    h.feed(Tick{h.phase<RefreshingAuth>().deadline});
    REQUIRE(h.in<BackingOff>());
    h.feed(Tick{h.phase<BackingOff>().until});
    h.feed(ServerRejected{at(700000), 401, std::nullopt});
    REQUIRE(h.in<RefreshingAuth>());
    CHECK_FALSE(h.has<RefreshAuth>());  // not a second call queued behind the first
    h.feed(AuthRefreshed{at(700500), at(1200000), 1});
    REQUIRE(h.in<Connecting>());
    CHECK(h.phase<Connecting>().fresh_credentials);
  }
}

TEST_CASE("with an opening confirmation step, a 401 after refresh is still terminal",
          "[session][auth]") {
  SessionConfig c = with_provider();
  c.connect.confirm_timeout_ms = 5000;
  Harness h(c);
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  h.feed(ConnectionOpened{at(5)});
  h.feed(ServerRejected{at(10), 401, std::nullopt});
  REQUIRE(h.in<RefreshingAuth>());
  h.feed(AuthRefreshed{at(20), std::nullopt});
  h.feed(ConnectionOpened{at(25)});
  REQUIRE(h.in<Confirming>());
  CHECK(h.phase<Confirming>().fresh_credentials);
  h.feed(ServerRejected{at(30), 401, std::nullopt});
  REQUIRE(h.in<Failed>());  // not a second refresh: no refresh loop
  CHECK(h.phase<Failed>().reason == Reason::rejected_after_refresh);
  CHECK_FALSE(h.has<RefreshAuth>());
}
