// The recorded-session event log (model/src/event_log.cpp): every event kind
// round-trips exactly, malformed lines name their field, and recorded random
// sessions replay to identical effects.

#include <tether/model/event_log.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <tether/model/names.hpp>
#include <tether/model/prng.hpp>

#include "support/event_script.hpp"

using namespace tether::model;

namespace {

constexpr std::int64_t i64_min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t i64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();

Token tok(std::string_view s) { return *Token::make(s); }

void check_round_trip(const Event& e) {
  const std::string line = encode_event(e);
  INFO(line);
  const auto back = decode_event(line);
  REQUIRE(back.has_value());
  CHECK(same_event(*back, e));
  CHECK(encode_event(*back) == line);
  CHECK(line.find('\n') == std::string::npos);
}

std::vector<Event> edge_events() {
  std::vector<Event> v;
  const std::string long_token(Token::capacity, 'x');
  const std::string nasty = "a b=c%d\te\n\x01\xff";
  for (const Instant now : {Instant{0}, Instant{-1}, Instant{i64_min}, Instant{i64_max}, Instant{1234}}) {
    v.push_back(Started{now, std::nullopt, std::nullopt});
    v.push_back(Started{now, Cursor::at_sequence(u64_max), Instant{i64_min}});
    v.push_back(Started{now, Cursor::at_token(tok(nasty), 0), Instant{i64_max}});
    v.push_back(Started{now, Cursor::at_token(tok("-")), std::nullopt});
    v.push_back(Started{now, Cursor::at_start_time(i64_min), std::nullopt});
    v.push_back(Started{now, Cursor{}, std::nullopt});
    // Not a canonical cursor, but every field still round-trips.
    v.push_back(Started{now, Cursor{tok("odd"), 9, -5, CursorKind::none, true}, std::nullopt});
    v.push_back(StopRequested{now});
    v.push_back(Tick{now});
    v.push_back(ConnectionOpened{now});
    for (const CloseCause c : {CloseCause::clean_close, CloseCause::unexpected_eof, CloseCause::transport_error,
                               CloseCause::protocol_error, CloseCause::unrecoverable})
      v.push_back(ConnectionClosed{now, c});
    v.push_back(ServerRejected{now, 0, std::nullopt});
    v.push_back(ServerRejected{now, 65535, i64_min});
    v.push_back(ServerRejected{now, 429, 0});
    v.push_back(BytesReceived{now});
    v.push_back(FrameReceived{now, std::nullopt, std::nullopt, std::nullopt, 0});
    v.push_back(FrameReceived{now, u64_max, tok(long_token), i64_max, u64_max});
    v.push_back(FrameReceived{now, 0, tok(""), i64_min, 7});
    v.push_back(FrameReceived{now, 42, tok("1700000000:12"), -1, 7});
    v.push_back(FrameReceived{now, 1, tok("-"), 1, 1});
    v.push_back(FrameReceived{now, 1, tok("%2D"), 1, 1});
    v.push_back(FrameReceived{now, 1, tok("  "), 1, 1});
    v.push_back(CursorExpired{now});
    v.push_back(ReplayFinished{now});
    v.push_back(DeliveryAcked{now, 0, Cursor{}});
    v.push_back(DeliveryAcked{now, u64_max, Cursor::at_token(tok(nasty), u64_max)});
    v.push_back(AuthRefreshed{now, std::nullopt});
    v.push_back(AuthRefreshed{now, Instant{i64_min}});
    v.push_back(AuthRefreshFailed{now});
    v.push_back(CheckpointSaved{now, u64_max});
    v.push_back(CheckpointSaveFailed{now, 0});
    v.push_back(NetworkRestored{now});
  }
  return v;
}

EventLogError error_of(std::string_view line) {
  const auto r = decode_event(line);
  INFO(line);
  REQUIRE_FALSE(r.has_value());
  CHECK_FALSE(r.error().reason.empty());
  CHECK(r.error().column >= 1);
  CHECK(r.error().column <= line.size() + 1);
  return r.error();
}

}  // namespace

TEST_CASE("event_log: every event kind round-trips with edge values", "[event_log]") {
  const auto events = edge_events();
  std::vector<bool> kinds(std::variant_size_v<Event>, false);
  for (const Event& e : events) {
    check_round_trip(e);
    kinds[e.index()] = true;
  }
  for (std::size_t i = 0; i < kinds.size(); ++i) CHECK(kinds[i]);
}

TEST_CASE("event_log: the line format is the documented one", "[event_log]") {
  CHECK(encode_event(FrameReceived{Instant{1234}, 42, tok("1700000000:12"), std::nullopt, 7}) ==
        "1234 FrameReceived seq=42 id=1700000000:12 retry=- ref=7");
  CHECK(encode_event(Tick{Instant{5}}) == "5 Tick");
  CHECK(encode_event(FrameReceived{Instant{1}, std::nullopt, tok("a b=c"), 3, 0}) ==
        "1 FrameReceived seq=- id=a%20b%3Dc retry=3 ref=0");
  CHECK(encode_event(ServerRejected{Instant{9}, 503, 2000}) == "9 ServerRejected status=503 retry_after=2000");
  CHECK(encode_event(DeliveryAcked{Instant{3}, 2, Cursor::at_token(tok("t"), 5)}) ==
        "3 DeliveryAcked delivery=2 cursor=token cursor.seq=5 cursor.has_seq=1 cursor.start=0 cursor.token=t");
  CHECK(encode_event(Started{Instant{0}, std::nullopt, std::nullopt}) ==
        "0 Started checkpoint=- token_expires_at=-");
}

TEST_CASE("event_log: malformed lines name the field", "[event_log]") {
  struct Case {
    const char* line;
    const char* field;
  };
  const Case cases[] = {
      {"", "now"},
      {" 1 Tick", "now"},
      {"x Tick", "now"},
      {"1x Tick", "now"},
      {"9223372036854775808 Tick", "now"},
      {"-9223372036854775809 Tick", "now"},
      {"+1 Tick", "now"},
      {"1", "event"},
      {"1 Tock", "event"},
      {"1 tick", "event"},
      {"1  Tick", "event"},
      {"1 Tick ", "end of line"},
      {"1 Tick extra", "end of line"},
      {"1 Tick seq=1", "end of line"},
      {"1 ConnectionClosed", "cause"},
      {"1 ConnectionClosed cause=", "cause"},
      {"1 ConnectionClosed cause=eof", "cause"},
      {"1 ConnectionClosed reason=clean_close", "cause"},
      {"1 ServerRejected status=65536 retry_after=-", "status"},
      {"1 ServerRejected status=-1 retry_after=-", "status"},
      {"1 ServerRejected status=503", "retry_after"},
      {"1 ServerRejected status=503 retry_after=9223372036854775808", "retry_after"},
      {"1 ServerRejected status=503 retry_after=1.5", "retry_after"},
      {"1 ServerRejected retry_after=1 status=503", "status"},
      {"1 FrameReceived seq=18446744073709551616 id=- retry=- ref=0", "seq"},
      {"1 FrameReceived seq=-1 id=- retry=- ref=0", "seq"},
      {"1 FrameReceived seq=1 id=a%2 retry=- ref=0", "id"},
      {"1 FrameReceived seq=1 id=a%zz retry=- ref=0", "id"},
      {"1 FrameReceived seq=1 id=a\"b retry=- ref=0", "id"},
      {"1 FrameReceived seq=1 id=x retry=- ref=-", "ref"},
      {"1 FrameReceived seq=1 id=x retry=-", "ref"},
      {"1 FrameReceived seq=1 id=x retry=- ref=1 ref=1", "end of line"},
      {"1 FrameReceived seq=1 id=x retry=- ref=1 sig=abc", "end of line"},
      {"1 FrameReceived seq=1 id=x retry= ref=1", "retry"},
      {"1 FrameReceived seq 1 id=x retry=- ref=1", "seq"},
      {"1 Started", "checkpoint"},
      {"1 Started checkpoint=bogus token_expires_at=-", "checkpoint"},
      {"1 Started checkpoint=- token_expires_at=x", "token_expires_at"},
      {"1 Started checkpoint=sequence token_expires_at=-", "checkpoint.seq"},
      {"1 Started checkpoint=sequence checkpoint.seq=1 checkpoint.has_seq=2", "checkpoint.has_seq"},
      {"1 Started checkpoint=sequence checkpoint.seq=1 checkpoint.has_seq=1 checkpoint.start=z", "checkpoint.start"},
      {"1 Started checkpoint=sequence checkpoint.seq=1 checkpoint.has_seq=1 checkpoint.start=0", "checkpoint.token"},
      {"1 DeliveryAcked delivery=1 cursor=-", "cursor"},
      {"1 DeliveryAcked delivery=1 cursor=token cursor.seq=1 cursor.has_seq=1 cursor.start=0 cursor.token=%",
       "cursor.token"},
      {"1 DeliveryAcked delivery=x", "delivery"},
      {"1 AuthRefreshed expires_at=1e3", "expires_at"},
      {"1 CheckpointSaved delivery=18446744073709551616", "delivery"},
      {"1 CheckpointSaveFailed", "delivery"},
  };
  // One byte over the token capacity.
  const std::string too_long = "1 FrameReceived seq=1 id=" + std::string(Token::capacity + 1, 'x') + " retry=- ref=0";
  {
    const auto r = decode_log(std::string(event_log_header) + "\n" + too_long + "\n");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().field == "id");
  }
  for (const Case& c : cases) {
    const EventLogError e = error_of(c.line);
    INFO(c.line << " -> " << e.message());
    CHECK(e.field == c.field);
    CHECK(e.message().find(std::string("'") + c.field + "'") != std::string::npos);
  }
}

TEST_CASE("event_log: the error column points at the field", "[event_log]") {
  const std::string line = "1 FrameReceived seq=1 id=x retry=- ref=oops";
  const EventLogError e = error_of(line);
  CHECK(e.field == "ref");
  CHECK(e.column == line.find("oops") + 1);
}

TEST_CASE("event_log: decode_log: header, comments, line numbers", "[event_log]") {
  const std::vector<Event> events{Started{Instant{0}, std::nullopt, std::nullopt}, ConnectionOpened{Instant{5}},
                                  FrameReceived{Instant{6}, 1, tok("a"), std::nullopt, 0}};
  const std::string text = encode_log(events);
  CHECK(text.starts_with("tether-events/1\n"));
  const auto back = decode_log(text);
  REQUIRE(back.has_value());
  REQUIRE(back->size() == events.size());
  for (std::size_t i = 0; i < events.size(); ++i) CHECK(same_event((*back)[i], events[i]));

  CHECK(decode_log("tether-events/1").value().empty());
  CHECK(decode_log("tether-events/1\r\n# a comment\r\n7 Tick").value().size() == 1);

  const auto no_header = decode_log("0 Tick\n");
  REQUIRE_FALSE(no_header.has_value());
  CHECK(no_header.error().field == "header");
  CHECK(no_header.error().line == 1);
  CHECK_FALSE(decode_log("").has_value());
  CHECK_FALSE(decode_log("tether-events/2\n").has_value());

  const auto bad = decode_log("tether-events/1\n0 Tick\n\n");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().line == 3);

  const auto bad_field = decode_log("tether-events/1\n0 Tick\n5 CheckpointSaved delivery=x\n6 Tick\n");
  REQUIRE_FALSE(bad_field.has_value());
  CHECK(bad_field.error().line == 3);
  CHECK(bad_field.error().field == "delivery");
  CHECK(bad_field.error().message().starts_with("line 3, column 28, field 'delivery'"));
}

TEST_CASE("event_log: recorded random sessions replay to identical effects", "[event_log]") {
  namespace t = tether::test;
  std::size_t sessions = 0;
  std::size_t events_total = 0;
  for (std::uint64_t stream = 0; stream < 200; ++stream) {
    Prng prng(0xE7E47106ULL + stream);
    std::vector<std::uint32_t> values(2000);
    for (auto& v : values) v = static_cast<std::uint32_t>(prng.next());
    t::VectorChoices source(values);
    const auto run = t::run_random_session(source);
    if (!run) continue;
    ++sessions;
    events_total += run->events.size();
    const std::string text = encode_log(run->events);
    const auto decoded = decode_log(text);
    INFO("stream " << stream << ": " << (decoded ? std::string() : decoded.error().message()));
    REQUIRE(decoded.has_value());
    REQUIRE(decoded->size() == run->events.size());
    for (std::size_t i = 0; i < decoded->size(); ++i) REQUIRE(same_event((*decoded)[i], run->events[i]));
    const t::SessionRun again = t::replay_session(run->config, *decoded);
    CHECK(again.trace == run->trace);
    CHECK(again.violation == run->violation);
    CHECK(encode_log(*decoded) == text);
  }
  CHECK(sessions >= 100);
  CHECK(events_total > 1000);
}
