// The recorded-session event log (model/src/event_log.cpp): every event kind
// round-trips exactly, malformed lines name their field, and recorded random
// sessions replay to identical effects.

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <string>
#include <tether/model/effects_hash.hpp>
#include <tether/model/event_log.hpp>
#include <tether/model/names.hpp>
#include <tether/model/prng.hpp>
#include <tether/model/session.hpp>
#include <vector>

#include "support/event_script.hpp"

using namespace tether::model;

namespace {

// A random session (configuration and script) drawn from `seed`, run under the
// oracle; nullopt when the drawn configuration was invalid.
std::optional<tether::test::SessionRun> random_session(std::uint64_t seed) {
  Prng prng(seed);
  std::vector<std::uint32_t> values(2000);
  for (auto& v : values) v = static_cast<std::uint32_t>(prng.next());
  tether::test::VectorChoices source(values);
  return tether::test::run_random_session(source);
}

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
  for (const Instant now :
       {Instant{0}, Instant{-1}, Instant{i64_min}, Instant{i64_max}, Instant{1234}}) {
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
    for (const CloseCause c :
         {CloseCause::clean_close, CloseCause::unexpected_eof, CloseCause::transport_error,
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
    v.push_back(AuthRefreshed{now, Instant{5}, UINT32_MAX});
    v.push_back(AuthRefreshFailed{now, 3});
    v.push_back(CheckpointSaved{now, u64_max});
    v.push_back(CheckpointSaveFailed{now, 0});
    v.push_back(NetworkRestored{now});
    v.push_back(PauseRequested{now});
    v.push_back(ResumeRequested{now});
    v.push_back(ReconnectRequested{now, ReconnectWhy::network_changed});
    v.push_back(ReconnectRequested{now, ReconnectWhy::restart});
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
  CHECK(encode_event(ServerRejected{Instant{9}, 503, 2000}) ==
        "9 ServerRejected status=503 retry_after=2000");
  CHECK(encode_event(DeliveryAcked{Instant{3}, 2, Cursor::at_token(tok("t"), 5)}) ==
        "3 DeliveryAcked delivery=2 cursor=token cursor.seq=5 cursor.has_seq=1 cursor.start=0 "
        "cursor.token=t");
  CHECK(encode_event(Started{Instant{0}, std::nullopt, std::nullopt}) ==
        "0 Started checkpoint=- token_expires_at=-");
}

TEST_CASE(
    "event_log: auth answers carry their request, lines recorded before it decode as request 0",
    "[event_log][auth]") {
  CHECK(encode_event(AuthRefreshed{Instant{7}, Instant{900}, 2}) ==
        "7 AuthRefreshed expires_at=900 request=2");
  CHECK(encode_event(AuthRefreshFailed{Instant{8}, 3}) == "8 AuthRefreshFailed request=3");
  // Recordings made before requests were numbered: 0 answers the refresh out.
  const auto old_ok = decode_event("7 AuthRefreshed expires_at=900");
  REQUIRE(old_ok.has_value());
  CHECK(std::get<AuthRefreshed>(*old_ok).request == 0);
  CHECK(std::get<AuthRefreshed>(*old_ok).expires_at == Instant{900});
  const auto old_failed = decode_event("8 AuthRefreshFailed");
  REQUIRE(old_failed.has_value());
  CHECK(std::get<AuthRefreshFailed>(*old_failed).request == 0);
  // ... also with format 2's effects after the fields.
  const auto recorded =
      decode_recording(std::string(event_log_header_v1) + "\n8 AuthRefreshFailed\n");
  REQUIRE(recorded.has_value());
  CHECK(std::get<AuthRefreshFailed>(recorded->steps.at(0).event).request == 0);
}

TEST_CASE("event_log: the lifecycle events are written and read by name", "[event_log]") {
  CHECK(encode_event(PauseRequested{Instant{5}}) == "5 PauseRequested");
  CHECK(encode_event(ResumeRequested{Instant{6}}) == "6 ResumeRequested");
  CHECK(encode_event(ReconnectRequested{Instant{7}, ReconnectWhy::network_changed}) ==
        "7 ReconnectRequested why=network_changed");
  const auto restart = decode_event("8 ReconnectRequested why=restart");
  REQUIRE(restart.has_value());
  CHECK(std::get<ReconnectRequested>(*restart).why == ReconnectWhy::restart);
  const auto bad = decode_event("8 ReconnectRequested why=reboot");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().field == "why");
  CHECK_FALSE(decode_event("8 ReconnectRequested").has_value());
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
      {"1 Started checkpoint=sequence checkpoint.seq=1 checkpoint.has_seq=1 checkpoint.start=z",
       "checkpoint.start"},
      {"1 Started checkpoint=sequence checkpoint.seq=1 checkpoint.has_seq=1 checkpoint.start=0",
       "checkpoint.token"},
      {"1 DeliveryAcked delivery=1 cursor=-", "cursor"},
      {"1 DeliveryAcked delivery=1 cursor=token cursor.seq=1 cursor.has_seq=1 cursor.start=0 "
       "cursor.token=%",
       "cursor.token"},
      {"1 DeliveryAcked delivery=x", "delivery"},
      {"1 AuthRefreshed expires_at=1e3", "expires_at"},
      {"1 AuthRefreshed expires_at=- request=-1", "request"},
      {"1 AuthRefreshed expires_at=- request=4294967296", "request"},
      {"1 AuthRefreshFailed request=x", "request"},
      {"1 AuthRefreshFailed bogus=1", "end of line"},
      {"1 CheckpointSaved delivery=18446744073709551616", "delivery"},
      {"1 CheckpointSaveFailed", "delivery"},
  };
  // One byte over the token capacity.
  const std::string too_long =
      "1 FrameReceived seq=1 id=" + std::string(Token::capacity + 1, 'x') + " retry=- ref=0";
  {
    const auto r = decode_log(std::string(event_log_header_v1) + "\n" + too_long + "\n");
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
  const std::vector<Event> events{Started{Instant{0}, std::nullopt, std::nullopt},
                                  ConnectionOpened{Instant{5}},
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
  CHECK_FALSE(decode_log("tether-events/3\n").has_value());

  const auto bad = decode_log("tether-events/1\n0 Tick\n\n");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().line == 3);

  const auto bad_field =
      decode_log("tether-events/1\n0 Tick\n5 CheckpointSaved delivery=x\n6 Tick\n");
  REQUIRE_FALSE(bad_field.has_value());
  CHECK(bad_field.error().line == 3);
  CHECK(bad_field.error().field == "delivery");
  CHECK(bad_field.error().message().starts_with("line 3, column 28, field 'delivery'"));
}

TEST_CASE("event_log: recorded random sessions replay to identical effects", "[event_log]") {
  std::size_t sessions = 0;
  std::size_t events_total = 0;
  for (std::uint64_t stream = 0; stream < 200; ++stream) {
    const auto run = random_session(0xE7E47106ULL + stream);
    if (!run) continue;
    ++sessions;
    events_total += run->events.size();
    const std::string text = encode_log(run->events);
    const auto decoded = decode_log(text);
    INFO("stream " << stream << ": " << (decoded ? std::string() : decoded.error().message()));
    REQUIRE(decoded.has_value());
    REQUIRE(decoded->size() == run->events.size());
    for (std::size_t i = 0; i < decoded->size(); ++i)
      REQUIRE(same_event((*decoded)[i], run->events[i]));
    const tether::test::SessionRun again = tether::test::replay_session(run->config, *decoded);
    CHECK(again.trace == run->trace);
    CHECK(again.violation == run->violation);
    CHECK(encode_log(*decoded) == text);
  }
  CHECK(sessions >= 100);
  CHECK(events_total > 1000);
}

// --- format 2: header, effects, @state --------------------------------------------------

namespace {

RecordingHeader sample_header() {
  return RecordingHeader{
      "0.1.0", 0x1234567890ULL, WallClockAnchor{1765101600000, Instant{12}},
      R"({"format":"tether-config/1","preset":"aviso","backoff":{"delay_ms_max":60000}})"};
}

EventLogError recording_error(std::string_view text) {
  const auto r = decode_recording(text);
  INFO(text);
  REQUIRE_FALSE(r.has_value());
  CHECK_FALSE(r.error().reason.empty());
  CHECK(r.error().line >= 1);
  CHECK(r.error().column >= 1);
  return r.error();
}

}  // namespace

TEST_CASE("event_log: format 2 writes the documented header and step lines",
          "[event_log][recording]") {
  CHECK(
      encode_header(sample_header()).value() ==
      "tether-events/2\n@version 0.1.0\n@seed 78187493520\n@clock unix_ms=1765101600000 at_ms=12\n"
      "@config "
      "{\"format\":\"tether-config/"
      "1\",\"preset\":\"aviso\",\"backoff\":{\"delay_ms_max\":60000}}\n");
  Effects none;
  CHECK(encode_step(Tick{Instant{5}}, none.span()) == "5 Tick effects=- hash=cbf29ce484222325");
  Effects two;
  two.push_back(CloseConnection{});
  two.push_back(
      ReportStatus{Status{StatusKind::backing_off, Reason::unexpected_eof, 1, Instant{1500}, 0}});
  const std::string line =
      encode_step(ConnectionClosed{Instant{500}, CloseCause::unexpected_eof}, two.span());
  CHECK(line.starts_with(
      "500 ConnectionClosed cause=unexpected_eof effects=CloseConnection,ReportStatus hash="));
  CHECK(line.size() ==
        std::string(
            "500 ConnectionClosed cause=unexpected_eof effects=CloseConnection,ReportStatus hash=")
                .size() +
            16);
  const StateCheck check{7, Status{StatusKind::stopped, Reason::stop_requested, 0, Instant{0}, 0},
                         30, 29};
  CHECK(encode_state(check) ==
        "@state phase=Stopped status=stopped reason=stop_requested failures=0 next_attempt_at=0 "
        "http_status=0 "
        "delivered=30 durable=29");
}

// The appending forms (what the simulator's trace encodes every step with, into
// one reused buffer) write exactly what the string forms return, after what
// the buffer already holds; the effects' hash is FNV-1a of what they append.
TEST_CASE("event_log: the appending forms append exactly the string forms' text",
          "[event_log][recording]") {
  Effects fx;
  fx.push_back(Connect{2, ResumeFrom::cursor, Cursor::at_token(tok("a b"), 9)});
  fx.push_back(Deliver{3, 9, 4});
  fx.push_back(
      ReportStatus{Status{StatusKind::backing_off, Reason::unexpected_eof, 1, Instant{1500}, 0}});
  const std::string prefix = "c2 ";
  for (const Event& e : edge_events()) {
    for (std::size_t n = 0; n <= fx.size(); ++n) {
      const std::span<const Effect> effects = fx.span().first(n);
      std::string buffer = prefix;
      append_event(buffer, e);
      CHECK(buffer == prefix + encode_event(e));
      buffer = prefix;
      append_step(buffer, e, effects, effects_hash(effects));
      CHECK(buffer == prefix + encode_step(e, effects));
      std::string text = prefix;
      append_effects(text, effects);
      CHECK(text == prefix + encode_effects(effects));
      CHECK(fnv1a64(fnv1a64_offset, std::string_view(text).substr(prefix.size())) ==
            effects_hash(effects));
    }
  }
  std::string one = prefix;
  append_effect(one, fx[0]);
  CHECK(one == prefix + encode_effect(fx[0]));
  CHECK(
      one ==
      prefix +
          "Connect attempt=2 from=cursor cursor=token cursor.seq=9 cursor.has_seq=1 cursor.start=0 "
          "cursor.token=a%20b");
}

TEST_CASE("event_log: format 2 recordings of random sessions round-trip with their effects",
          "[event_log][recording]") {
  std::size_t sessions = 0;
  for (std::uint64_t stream = 0; stream < 100; ++stream) {
    const auto run = random_session(0x2EC0D1ULL + stream);
    if (!run) continue;
    ++sessions;
    // Record the session as a recorder does: each event with its effects, and
    // the state at the end.
    auto made = make(run->config);
    REQUIRE(made);
    State state = std::move(*made);
    std::string text = encode_header(sample_header()).value();
    std::vector<Effects> effects;
    for (const Event& e : run->events) {
      effects.push_back(transition_in_place(state, e));
      text += encode_step(e, effects.back().span()) + "\n";
      if (effects.size() == run->events.size() / 2) text += "# half way\n";
    }
    text += encode_state(state_check_of(state)) + "\n";

    const auto decoded = decode_recording(text);
    INFO("stream " << stream << ": " << (decoded ? std::string() : decoded.error().message()));
    REQUIRE(decoded.has_value());
    CHECK(decoded->format == 2);
    REQUIRE(decoded->header.has_value());
    CHECK(*decoded->header == sample_header());
    REQUIRE(decoded->steps.size() == run->events.size());
    for (std::size_t i = 0; i < decoded->steps.size(); ++i) {
      const RecordedStep& s = decoded->steps[i];
      REQUIRE(same_event(s.event, run->events[i]));
      REQUIRE(s.effects.has_value());
      CHECK(s.effects->kinds == effect_kinds(effects[i].span()));
      CHECK(s.effects->hash == effects_hash(effects[i].span()));
      CHECK(s.line == 6 + i + (i >= run->events.size() / 2 ? 1 : 0));
    }
    REQUIRE(decoded->states.size() == 1);
    CHECK(decoded->states[0].after_steps == run->events.size());
    CHECK(decoded->states[0].check == state_check_of(state));
    CHECK(decoded->states[0].line == 5 + run->events.size() + 2);
    // Re-encoding writes the same text (without the comment).
    std::string without_comment = text;
    without_comment.erase(without_comment.find("# half way\n"), std::string("# half way\n").size());
    CHECK(encode_recording(*decoded).value() == without_comment);
    // decode_log reads the events of either format.
    CHECK(decode_log(text).value().size() == run->events.size());
  }
  CHECK(sessions >= 50);
}

TEST_CASE("event_log: format 1 logs still decode, without header or effects",
          "[event_log][recording]") {
  const std::string text =
      "tether-events/1\n# comment\n0 Started checkpoint=- token_expires_at=-\n15 "
      "ConnectionOpened\n";
  const auto r = decode_recording(text);
  REQUIRE(r.has_value());
  CHECK(r->format == 1);
  CHECK_FALSE(r->header.has_value());
  REQUIRE(r->steps.size() == 2);
  CHECK(r->steps[1].line == 4);
  CHECK_FALSE(r->steps[0].effects.has_value());
  CHECK(r->states.empty());
  CHECK(encode_recording(*r).value() ==
        "tether-events/1\n0 Started checkpoint=- token_expires_at=-\n15 ConnectionOpened\n");
  // Format-2 fields are not format 1: an effects field is trailing text, '@' lines are not events.
  CHECK(recording_error("tether-events/1\n5 Tick effects=- hash=cbf29ce484222325\n").field ==
        "end of line");
  CHECK(recording_error("tether-events/1\n@seed 1\n").field == "now");
}

TEST_CASE("event_log: bad header lines are errors naming the line, column and field",
          "[event_log][recording]") {
  struct Case {
    std::string text;
    std::size_t line;
    std::size_t column;
    const char* field;
  };
  const std::string h1 = "tether-events/2\n";
  const std::string ver = "@version 0.1.0\n";
  const std::string seed = "@seed 7\n";
  const std::string clock = "@clock unix_ms=1 at_ms=0\n";
  const std::string config = "@config {\"a\":1}\n";
  const std::string head = h1 + ver + seed + clock + config;
  const Case cases[] = {
      {"tether-events/9\n", 1, 1, "header"},
      {h1, 2, 1, "version"},  // ends after the format line
      {h1 + "0 Tick effects=- hash=cbf29ce484222325\n", 2, 1,
       "version"},                   // an event before the header
      {h1 + seed, 2, 1, "version"},  // out of order
      {h1 + ver + clock, 3, 1, "seed"},
      {h1 + ver + seed + clock, 5, 1, "config"},
      {h1 + "@version\n", 2, 9, "version"},
      {h1 + "@version 0.1 0\n", 2, 13, "end of line"},
      {h1 + "@version 0.1;0\n", 2, 13, "version"},
      {h1 + "@version " + std::string(65, '1') + "\n", 2, 10, "version"},
      {h1 + ver + "@seed -1\n", 3, 7, "seed"},
      {h1 + ver + "@seed 18446744073709551616\n", 3, 7, "seed"},
      {h1 + ver + "@seed\n", 3, 6, "seed"},
      {h1 + ver + seed + "@clock unix_ms=x at_ms=0\n", 4, 16, "unix_ms"},
      {h1 + ver + seed + "@clock unix_ms=1\n", 4, 17, "at_ms"},
      {h1 + ver + seed + "@clock at_ms=0 unix_ms=1\n", 4, 8, "unix_ms"},
      {h1 + ver + seed + "@clock unix_ms=1 at_ms=9223372036854775808\n", 4, 24, "at_ms"},
      {h1 + ver + seed + clock + "@config\n", 5, 8, "config"},
      {h1 + ver + seed + clock + "@config \n", 5, 9, "config"},
      {h1 + ver + seed + clock + "@config [1]\n", 5, 9, "config"},
      {h1 + ver + seed + clock + "@config {\"a\":\"\x01\"}\n", 5, 15, "config"},
      {head + "@seed 8\n", 6, 1, "header"},      // a second header line
      {head + "@checksum 1\n", 6, 1, "header"},  // unknown
      {head + "@ 1\n", 6, 1, "header"},
      {head + "@state phase=Sleeping status=stopped reason=none failures=0 next_attempt_at=0 "
              "http_status=0 "
              "delivered=0 durable=0\n",
       6, 14, "phase"},
      {head + "@state phase=Stopped status=done reason=none failures=0 next_attempt_at=0 "
              "http_status=0 "
              "delivered=0 durable=0\n",
       6, 29, "status"},
      {head + "@state phase=Stopped status=stopped reason=bored failures=0 next_attempt_at=0 "
              "http_status=0 "
              "delivered=0 durable=0\n",
       6, 44, "reason"},
      {head + "@state phase=Stopped status=stopped reason=none failures=0 next_attempt_at=0 "
              "http_status=0 "
              "delivered=0\n",
       6, 103, "durable"},
      {head + "@state phase=Stopped status=stopped reason=none failures=0 next_attempt_at=0 "
              "http_status=0 "
              "delivered=0 durable=0 extra=1\n",
       6, 113, "end of line"},
      {head + "5 Tick\n", 6, 7, "effects"},
      {head + "5 Tick effects=- \n", 6, 17, "hash"},
      {head + "5 Tick effects=Deliver,,Connect hash=cbf29ce484222325\n", 6, 24, "effects"},
      {head + "5 Tick effects=Deliver, hash=cbf29ce484222325\n", 6, 24, "effects"},
      {head + "5 Tick effects=Explode hash=cbf29ce484222325\n", 6, 16, "effects"},
      {head + "5 Tick effects=" +
           std::string("Deliver,Deliver,Deliver,Deliver,Deliver,Deliver,Deliver,Deliver,Deliver") +
           " hash=cbf29ce484222325\n",
       6, 16, "effects"},
      {head + "5 Tick effects=- hash=CBF29CE484222325\n", 6, 23, "hash"},
      {head + "5 Tick effects=- hash=cbf29ce48422232\n", 6, 23, "hash"},
      {head + "5 Tick effects=- hash=cbf29ce4842223255\n", 6, 23, "hash"},
      {head + "5 Tick effects=- hash=cbf29ce48422232g\n", 6, 23, "hash"},
      {head + "5 Tick hash=cbf29ce484222325 effects=-\n", 6, 8, "effects"},
      {head + "5 Tick effects=- hash=cbf29ce484222325 x=1\n", 6, 39, "end of line"},
      {head + "5 Tick effects=- hash=cbf29ce484222325\n\n", 7, 1, "now"},
  };
  for (const Case& c : cases) {
    const EventLogError e = recording_error(c.text);
    INFO(c.text << " -> " << e.message());
    CHECK(e.field == c.field);
    CHECK(e.line == c.line);
    CHECK(e.column == c.column);
    CHECK(e.message().starts_with("line " + std::to_string(c.line) + ", column " +
                                  std::to_string(c.column) + ", field '" + c.field + "': "));
  }
  // A header and nothing else is a recording of no events; comments go anywhere after line 1.
  const auto empty = decode_recording(h1 + "# a\n" + ver + "# b\n" + seed + clock + config);
  REQUIRE(empty.has_value());
  CHECK(empty->steps.empty());
  CHECK(empty->header->config == "{\"a\":1}");
  CHECK(empty->header->clock == WallClockAnchor{1, Instant{0}});
}

TEST_CASE("event_log: encode_header refuses what would not decode", "[event_log][recording]") {
  RecordingHeader h = sample_header();
  h.config = "{\"a\":1}\n{\"b\":2}";
  const auto two_lines = encode_header(h);
  REQUIRE_FALSE(two_lines.has_value());
  CHECK(two_lines.error().field == "config");
  h.config = "";
  CHECK(encode_header(h).error().field == "config");
  h.config = "{" + std::string(event_log_config_bytes_max, ' ') + "}";
  CHECK(encode_header(h).error().reason.find("longer than") != std::string::npos);
  h = sample_header();
  h.version = "1.0 beta";
  CHECK(encode_header(h).error().field == "version");
  h.version = "";
  CHECK(encode_header(h).error().field == "version");
  // encode_recording: a format-2 recording needs its header and every step's effects.
  Recording r;
  r.steps.push_back(RecordedStep{Tick{Instant{1}}, 0, std::nullopt});
  CHECK(encode_recording(r).error().field == "header");
  r.header = sample_header();
  CHECK(encode_recording(r).error().field == "effects");
}

TEST_CASE("event_log: wall-clock anchors convert monotonic times, saturating",
          "[event_log][recording]") {
  const WallClockAnchor a{1765101600000, Instant{500}};
  CHECK(a.unix_ms_of(Instant{500}) == 1765101600000);
  CHECK(a.unix_ms_of(Instant{1500}) == 1765101601000);
  CHECK(a.unix_ms_of(Instant{0}) == 1765101599500);
  CHECK(a.unix_ms_of(Instant{i64_max}) == i64_max);
  CHECK(WallClockAnchor{i64_min, Instant{i64_max}}.unix_ms_of(Instant{i64_min}) == i64_min);
  CHECK(WallClockAnchor{i64_max, Instant{0}}.unix_ms_of(Instant{1}) == i64_max);
}
