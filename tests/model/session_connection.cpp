// Connection lifecycle: connect timeout, opening confirmation, transport errors,
// EOF, clean close, half-open detection, stop from any state.
#include <catch2/catch.hpp>

#include "../support/harness.hpp"

using namespace tether::test;

TEST_CASE("start connects and reports connecting", "[session][connection]") {
  Harness h(exact_config());
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  REQUIRE(h.in<Connecting>());
  const auto c = h.one<Connect>();
  REQUIRE(c);
  CHECK(c->attempt == 1);
  CHECK(c->from == ResumeFrom::server_default);
  CHECK(h.one<ReportStatus>()->status.kind == StatusKind::connecting);
  CHECK(h.deadline() == at(10000));  // default connect timeout
}

TEST_CASE("connect timeout closes and backs off", "[session][connection]") {
  Harness h(exact_config());
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  h.feed(Tick{at(9999)});
  CHECK(h.last().empty());
  h.feed(Tick{at(10000)});
  CHECK(h.has<CloseConnection>());
  REQUIRE(h.in<BackingOff>());
  CHECK(h.phase<BackingOff>().reason == Reason::connect_timeout);
  CHECK(h.phase<BackingOff>().until == at(11000));
  h.feed(Tick{at(11000)});
  REQUIRE(h.one<Connect>());
  CHECK(h.one<Connect>()->attempt == 2);
}

TEST_CASE("opening confirmation: bytes within the timeout, or a failure", "[session][connection]") {
  SessionConfig c = exact_config();
  c.connect.confirm_timeout_ms = 2000;
  Harness h(c);
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  h.feed(ConnectionOpened{at(100)});
  REQUIRE(h.in<Confirming>());
  CHECK(h.last().empty());  // still "connecting" for the application
  CHECK(h.deadline() == at(2100));

  SECTION("a comment confirms") {
    h.feed(BytesReceived{at(500)});
    CHECK(h.in<Streaming>());
    CHECK(h.one<ReportStatus>()->status.kind == StatusKind::streaming);
  }
  SECTION("a frame confirms and is delivered") {
    h.frame(500, 1);
    CHECK(h.in<Streaming>());
    CHECK(h.has<Deliver>());
  }
  SECTION("silence fails the attempt") {
    h.feed(Tick{at(2100)});
    CHECK(h.has<CloseConnection>());
    REQUIRE(h.in<BackingOff>());
    CHECK(h.phase<BackingOff>().reason == Reason::confirm_timeout);
  }
}

TEST_CASE("transport errors and EOF back off with their reason", "[session][connection]") {
  for (auto [cause, reason] : {std::pair{CloseCause::transport_error, Reason::transport_error},
                               std::pair{CloseCause::unexpected_eof, Reason::unexpected_eof},
                               std::pair{CloseCause::protocol_error, Reason::protocol_error}}) {
    Harness h(exact_config());
    h.stream_at(0);
    h.feed(ConnectionClosed{at(5000), cause});
    REQUIRE(h.in<BackingOff>());
    CHECK(h.phase<BackingOff>().reason == reason);
    CHECK(h.phase<BackingOff>().failures == 1);
    const auto st = h.one<ReportStatus>();
    REQUIRE(st);
    CHECK(st->status.kind == StatusKind::backing_off);
    CHECK(st->status.next_attempt_at == at(6000));
  }
}

TEST_CASE("an unrecoverable error ends the session instead of retrying", "[session][connection]") {
  SECTION("while streaming") {
    Harness h(exact_config());
    h.stream_at(0);
    h.feed(ConnectionClosed{at(5000), CloseCause::unrecoverable});
    REQUIRE(h.in<Failed>());
    CHECK(h.phase<Failed>().reason == Reason::unrecoverable);
    CHECK_FALSE(h.has<Connect>());
    REQUIRE(h.one<ReportStatus>());
    CHECK(h.one<ReportStatus>()->status.kind == StatusKind::failed);
  }
  SECTION("while connecting (a TLS verification failure)") {
    Harness h(exact_config());
    h.feed(Started{at(0), std::nullopt, std::nullopt});
    h.feed(ConnectionClosed{at(50), CloseCause::unrecoverable});
    REQUIRE(h.in<Failed>());
    CHECK(h.phase<Failed>().reason == Reason::unrecoverable);
    CHECK(h.deadline() == std::nullopt);
  }
}

TEST_CASE("a clean close of a healthy stream reconnects at once", "[session][connection]") {
  Harness h(exact_config());
  h.stream_at(0);
  h.frame(10, 1);
  h.feed(ConnectionClosed{at(60000), CloseCause::clean_close});
  REQUIRE(h.in<Connecting>());
  REQUIRE(h.one<Connect>());
  CHECK(h.one<Connect>()->attempt == 1);
  CHECK(h.one<Connect>()->from == ResumeFrom::cursor);
  CHECK(h.one<Connect>()->cursor.sequence == 1);
}

TEST_CASE("a clean close of a short session is guarded", "[session][connection]") {
  SessionConfig c = exact_config();
  c.backoff.short_session_ms = 5000;
  c.backoff.short_session_delay_ms_min = 5000;
  Harness h(c);
  h.stream_at(0);
  h.frame(10, 1);
  h.feed(ConnectionClosed{at(100), CloseCause::clean_close});
  REQUIRE(h.in<BackingOff>());
  CHECK(h.phase<BackingOff>().until == at(5100));
  CHECK(h.phase<BackingOff>().reason == Reason::clean_close);
}

TEST_CASE("half-open: silence past the heartbeat budget is a failure", "[session][connection]") {
  SessionConfig c = exact_config();
  c.heartbeat = HeartbeatPolicy{.interval_ms = 10000, .interval_multiple = 3, .slack_ms = 30000};
  Harness h(c);
  h.stream_at(0);
  CHECK(h.deadline() == at(40000));
  h.feed(BytesReceived{at(20000)});  // any byte counts
  CHECK(h.deadline() == at(60000));
  h.feed(Tick{at(59999)});
  CHECK(h.in<Streaming>());
  h.feed(Tick{at(60000)});
  CHECK(h.has<CloseConnection>());
  REQUIRE(h.in<BackingOff>());
  CHECK(h.phase<BackingOff>().reason == Reason::heartbeat_timeout);
}

TEST_CASE("stop is accepted in every state and is terminal", "[session][connection]") {
  auto check_stopped = [](Harness& h, bool expect_close) {
    h.feed(StopRequested{at(100000)});
    REQUIRE(h.in<Stopped>());
    CHECK(h.phase<Stopped>().reason == Reason::stop_requested);
    CHECK(h.has<CloseConnection>() == expect_close);
    CHECK(h.one<ReportStatus>()->status.kind == StatusKind::stopped);
    // Sticky: nothing happens afterwards.
    h.feed(Started{at(100001), std::nullopt, std::nullopt});
    CHECK(h.last().empty());
    h.feed(Tick{at(200000)});
    CHECK(h.last().empty());
    h.frame(200001, 5);
    CHECK(h.last().empty());
    CHECK(h.deadline() == std::nullopt);
  };
  SECTION("idle") {
    Harness h(exact_config());
    check_stopped(h, false);
  }
  SECTION("connecting") {
    Harness h(exact_config());
    h.feed(Started{at(0), std::nullopt, std::nullopt});
    check_stopped(h, true);
  }
  SECTION("streaming") {
    Harness h(exact_config());
    h.stream_at(0);
    check_stopped(h, true);
  }
  SECTION("backing off") {
    Harness h(exact_config());
    h.stream_at(0);
    h.feed(ConnectionClosed{at(10), CloseCause::transport_error});
    check_stopped(h, false);
  }
  SECTION("refreshing auth") {
    SessionConfig c = exact_config();
    c.auth.has_provider = true;
    Harness h(c);
    h.feed(Started{at(0), std::nullopt, std::nullopt});
    h.feed(ServerRejected{at(10), 401, std::nullopt});
    REQUIRE(h.in<RefreshingAuth>());
    check_stopped(h, false);
  }
}
