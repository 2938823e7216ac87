// HTTP status classes: what each answer makes the client do next.
#include <catch2/catch.hpp>

#include "../support/harness.hpp"

using namespace tether::test;

TEST_CASE("5xx backs off, other 4xx is fatal with the status kept", "[session][http]") {
  auto answer = [](std::uint16_t status) {
    Harness h(exact_config());
    h.feed(Started{at(0), std::nullopt, std::nullopt});
    h.feed(ServerRejected{at(5), status, std::nullopt});
    return h;
  };
  for (std::uint16_t s : std::initializer_list<std::uint16_t>{500, 502, 504, 599}) {
    INFO(s);
    Harness h = answer(s);
    REQUIRE(h.in<BackingOff>());
    CHECK(h.phase<BackingOff>().reason == Reason::server_error);
    CHECK(h.phase<BackingOff>().http_status == s);
  }
  for (std::uint16_t s : std::initializer_list<std::uint16_t>{429, 503}) {
    INFO(s);
    Harness h = answer(s);
    REQUIRE(h.in<BackingOff>());
    CHECK(h.phase<BackingOff>().reason == Reason::rate_limited);
  }
  for (std::uint16_t s : std::initializer_list<std::uint16_t>{400, 403, 404, 405, 204, 302}) {
    INFO(s);
    Harness h = answer(s);
    REQUIRE(h.in<Failed>());
    CHECK(h.phase<Failed>().reason == Reason::http_status);
    CHECK(h.phase<Failed>().http_status == s);
    CHECK(h.has<CloseConnection>());
    const auto st = h.one<ReportStatus>();
    REQUIRE(st);
    CHECK(st->status.kind == StatusKind::failed);
    CHECK(st->status.http_status == s);
  }
}

TEST_CASE("410 is a cursor too old, not a fatal 4xx", "[session][http]") {
  SessionConfig c = exact_config();
  c.resume.too_old = TooOldPolicy::resync_from_oldest;
  Harness h(c);
  h.feed(Started{at(0), Cursor::at_sequence(10), std::nullopt});
  h.feed(ServerRejected{at(5), 410, std::nullopt});
  const auto gap = h.one<ReportGap>();
  REQUIRE(gap);
  CHECK(gap->cause == GapCause::cursor_too_old);
  CHECK(gap->from_sequence == 11u);
  CHECK(h.in<BackingOff>());
}

TEST_CASE("a status after the stream opened is ignored once streaming", "[session][http]") {
  Harness h(exact_config());
  h.stream_at(0);
  h.feed(ServerRejected{at(5), 500, std::nullopt});
  CHECK(h.in<Streaming>());
  CHECK(h.last().empty());
}
