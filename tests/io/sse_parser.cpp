// Tests of io/src/sse_parser.cpp against the HTML Standard's "Interpreting an
// event stream" and the web-platform-tests eventsource/format-* cases (their
// server scripts' bytes are reproduced here; format-mime-* test the transport).
//
// Every input is parsed whole, byte by byte and split in two at every offset,
// and all of them must give the same outcome: events, comments and retries in
// order, the error (if any) and what finish() reports. A property test adds
// random streams, random chunkings and a straightforward reference parser.

#include <rapidcheck/catch.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <tether/io/sse_parser.hpp>
#include <vector>

using namespace std::string_literals;
using namespace std::string_view_literals;
using tether::io::SseError;
using tether::io::SseEvent;
using tether::io::SseLimits;
using tether::io::SseParser;

namespace {

struct Ev {
  std::string type;
  std::string data;
  std::string id;
  friend bool operator==(const Ev&, const Ev&) = default;
};

std::string escaped(std::string_view bytes) {
  std::string out;
  constexpr char hex[] = "0123456789abcdef";
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7F) {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const Ev& e) {
  return os << "{type \"" << escaped(e.type) << "\", data \"" << escaped(e.data) << "\", id \""
            << escaped(e.id) << "\"}";
}

Ev msg(std::string data, std::string id = "") {
  return {"message", std::move(data), std::move(id)};
}

// Everything a parse produced.
struct Outcome {
  std::vector<std::string> trace;  // every sink call, in order
  std::vector<Ev> events;
  std::vector<std::string> comments;
  std::vector<std::uint64_t> retries_ms;
  std::optional<SseError> error;
  bool discarded = false;  // finish()
  std::string last_event_id;

  friend bool operator==(const Outcome& a, const Outcome& b) {
    return a.trace == b.trace && a.error == b.error && a.discarded == b.discarded &&
           a.last_event_id == b.last_event_id;
  }
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << "[";
  for (const auto& t : o.trace) os << "\n  " << t;
  os << "\n] error " << (o.error ? o.error->message() : "none") << ", discarded " << o.discarded
     << ", last_event_id \"" << escaped(o.last_event_id) << "\"";
  return os;
}

class Recorder final : public tether::io::SseSink {
 public:
  explicit Recorder(Outcome& out) : out_(out) {}
  void on_event(const SseEvent& e) override {
    out_.events.push_back({std::string(e.type), std::string(e.data), std::string(e.last_event_id)});
    std::ostringstream text;
    text << "event " << out_.events.back();
    out_.trace.push_back(text.str());
  }
  void on_comment(std::string_view text) override {
    out_.comments.emplace_back(text);
    out_.trace.push_back("comment \"" + escaped(text) + "\"");
  }
  void on_retry(std::uint64_t retry_ms) override {
    out_.retries_ms.push_back(retry_ms);
    out_.trace.push_back("retry " + std::to_string(retry_ms));
  }

 private:
  Outcome& out_;
};

// Feeds the chunks in order (stopping at the first error), then finish().
Outcome parse_chunks(const std::vector<std::string_view>& chunks, SseLimits limits = {}) {
  Outcome out;
  Recorder sink(out);
  SseParser parser(limits);
  for (const std::string_view chunk : chunks) {
    if (auto r = parser.feed(chunk, sink); !r) {
      out.error = r.error();
      break;
    }
  }
  out.last_event_id = std::string(parser.last_event_id());
  out.discarded = parser.finish();
  return out;
}

Outcome parse(std::string_view input, SseLimits limits = {}) {
  return parse_chunks({input}, limits);
}

Outcome parse_bytewise(std::string_view input, SseLimits limits = {}) {
  std::vector<std::string_view> chunks;
  for (std::size_t i = 0; i < input.size(); ++i) chunks.push_back(input.substr(i, 1));
  return parse_chunks(chunks, limits);
}

// Parses `input` whole, byte by byte and split at every offset (with an empty
// chunk at the split too), checks they agree, and returns the whole parse.
Outcome parse_every_way(std::string_view input, SseLimits limits = {}) {
  const Outcome whole = parse(input, limits);
  CHECK(parse_bytewise(input, limits) == whole);
  for (std::size_t split = 0; split <= input.size(); ++split) {
    INFO("split at " << split);
    const Outcome two = parse_chunks({input.substr(0, split), ""sv, input.substr(split)}, limits);
    if (!(two == whole)) CHECK(two == whole);  // only report the splits that differ
  }
  return whole;
}

std::vector<Ev> events_every_way(std::string_view input) { return parse_every_way(input).events; }

}  // namespace

// --- web-platform-tests eventsource/format-* ---------------------------------------
// resources/message.py sends `message` + "\n\n" + "\n" ("newline=none": + "\n").

TEST_CASE("wpt format-bom: one leading BOM is stripped, a later one is content", "[sse][wpt]") {
  const auto events = events_every_way(
      "\xEF\xBB\xBF"
      "data:1\n\n\xEF\xBB\xBF"
      "data:2\n\ndata:3\n\n\n");
  CHECK(events == std::vector{msg("1"), msg("3")});
}

TEST_CASE("wpt format-bom-2: of two BOMs only the first is stripped", "[sse][wpt]") {
  const auto events = events_every_way(
      "\xEF\xBB\xBF\xEF\xBB\xBF"
      "data:1\n\ndata:2\n\ndata:3\n\n\n");
  CHECK(events == std::vector{msg("2"), msg("3")});
}

TEST_CASE("wpt format-comments: comments between data lines, with every line end", "[sse][wpt]") {
  const std::string x(2048, 'x');
  const std::string input =
      "data:1\r:\0\n:\r\ndata:2\n:"s + x + "\rdata:3\n:data:fail\r:" + x + "\ndata:4\n\n";
  const Outcome out = parse_every_way(input);
  CHECK(out.events == std::vector{msg("1\n2\n3\n4")});
  CHECK(out.comments == std::vector{"\0"s, ""s, x, "data:fail"s, x});
}

TEST_CASE("wpt format-data-before-final-empty-line: an unterminated event is discarded",
          "[sse][wpt]") {
  const std::string_view input = "retry:1000\ndata:test1\n\nid:test\ndata:test2\n";
  const Outcome out = parse_every_way(input);
  CHECK(out.events == std::vector{msg("test1")});
  CHECK(out.retries_ms == std::vector<std::uint64_t>{1000});
  CHECK(out.discarded);
  CHECK(out.last_event_id.empty());  // "id:test" was never closed by a blank line

  // The reconnection (no Last-Event-ID: none was committed) sees test1 again, with id "".
  Outcome again;
  Recorder sink(again);
  SseParser parser;
  REQUIRE(parser.feed(input, sink));
  CHECK(parser.finish());
  parser.start_stream(parser.last_event_id());
  REQUIRE(parser.feed(input, sink));
  CHECK(again.events == std::vector{msg("test1"), msg("test1")});
}

TEST_CASE("wpt format-field-data: a data field with and without a colon", "[sse][wpt]") {
  CHECK(events_every_way("data:\n\ndata\ndata\n\ndata:test\n\n\n") ==
        std::vector{msg(""), msg("\n"), msg("test")});
}

TEST_CASE("wpt format-field-event: the event field names the type, for one event", "[sse][wpt]") {
  CHECK(events_every_way("event:test\ndata:x\n\ndata:x\n\n\n") ==
        std::vector{Ev{"test", "x", ""}, msg("x")});
}

TEST_CASE("wpt format-field-event-empty: an empty event type means message", "[sse][wpt]") {
  CHECK(events_every_way("event: \ndata:data\n\n\n") == std::vector{msg("data")});
}

TEST_CASE("wpt format-field-id and format-field-id-2: the id is kept across reconnections",
          "[sse][wpt]") {
  // resources/last-event-id.py: the first response sets the id; with a
  // Last-Event-ID header it echoes the header as data.
  const Outcome first = parse_every_way("id: \xE2\x80\xA6\nretry: 200\ndata: hello\n\n");
  CHECK(first.events == std::vector{msg("hello", "\xE2\x80\xA6")});
  CHECK(first.retries_ms == std::vector<std::uint64_t>{200});
  CHECK(first.last_event_id == "\xE2\x80\xA6");

  Outcome out;
  Recorder sink(out);
  SseParser parser;
  REQUIRE(parser.feed("id: \xE2\x80\xA6\nretry: 200\ndata: hello\n\n", sink));
  for (int reconnect = 0; reconnect < 2; ++reconnect) {
    CHECK_FALSE(parser.finish());
    const std::string header(parser.last_event_id());
    parser.start_stream(header);
    REQUIRE(parser.feed("data: " + header + "\n\n", sink));
  }
  const Ev echoed = msg("\xE2\x80\xA6", "\xE2\x80\xA6");
  CHECK(out.events == std::vector{msg("hello", "\xE2\x80\xA6"), echoed, echoed});
}

TEST_CASE("wpt format-field-id-3: the id persists until set, and an empty id resets it",
          "[sse][wpt]") {
  SECTION("persists") {
    CHECK(events_every_way("id: 1\ndata: 1\n\ndata: 2\n\nid: 2\ndata:3\n\ndata:4\n\n") ==
          std::vector{msg("1", "1"), msg("2", "1"), msg("3", "2"), msg("4", "2")});
  }
  SECTION("resets with id:") {
    CHECK(events_every_way("id: 1\ndata: 1\n\nid:\ndata:2\n\ndata:3\n\n") ==
          std::vector{msg("1", "1"), msg("2"), msg("3")});
  }
  SECTION("resets with a bare id line (no colon)") {
    CHECK(events_every_way("id: 1\ndata: 1\n\nid\ndata:2\n\ndata:3\n\n") ==
          std::vector{msg("1", "1"), msg("2"), msg("3")});
  }
}

TEST_CASE("wpt format-field-id-null: an id containing NUL is ignored", "[sse][wpt]") {
  for (const std::string& id : {"\0\0"s, "x\0"s, "\0x"s, "x\0x"s, " \0"s}) {
    INFO("id value \"" << escaped(id) << "\"");
    const Outcome out = parse_every_way("id: " + id + "\nretry: 200\ndata: hello\n\n");
    CHECK(out.events == std::vector{msg("hello")});
    // Ignored, not a reset: an earlier id stays.
    CHECK(events_every_way("id: 7\ndata: a\n\nid: " + id + "\ndata: b\n\n") ==
          std::vector{msg("a", "7"), msg("b", "7")});
  }
}

TEST_CASE("wpt format-field-parsing: field names are exact and case-sensitive", "[sse][wpt]") {
  const std::string input =
      "data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n data:32\ndata:4\n\n"s;
  CHECK(events_every_way(input) == std::vector{msg("\0\n 2\n1\n3\n\n4"s)});
}

TEST_CASE("wpt format-field-retry: a decimal retry is reported in ms", "[sse][wpt]") {
  const Outcome out = parse_every_way("retry:03000\ndata:x\n\n\n");  // 03000 is not octal
  CHECK(out.retries_ms == std::vector<std::uint64_t>{3000});
  CHECK(out.events == std::vector{msg("x")});
}

TEST_CASE("wpt format-field-retry-bogus: a retry with a non-digit is ignored", "[sse][wpt]") {
  const Outcome out = parse_every_way("retry:3000\nretry:1000x\ndata:x\n\n\n");
  CHECK(out.retries_ms == std::vector<std::uint64_t>{3000});
  CHECK(out.events == std::vector{msg("x")});
}

TEST_CASE("wpt format-field-retry-empty: a bare retry line is ignored", "[sse][wpt]") {
  const Outcome out = parse_every_way("retry\ndata:test\n\n\n");
  CHECK(out.retries_ms.empty());
  CHECK(out.events == std::vector{msg("test")});
}

TEST_CASE("retry values that are not plain 64-bit decimals are ignored", "[sse]") {
  const Outcome out = parse_every_way(
      "retry: 99999999999999999999999\nretry: 18446744073709551616\nretry: -1\nretry:  5\n"
      "retry: 5 \nretry: +5\nretry: 0x10\nretry: 18446744073709551615\nretry: 0\n");
  CHECK(out.retries_ms == std::vector<std::uint64_t>{18446744073709551615ULL, 0});
  CHECK(out.events.empty());
  CHECK_FALSE(out.discarded);  // retry takes effect at once; it opens no event
}

TEST_CASE("wpt format-field-unknown: unknown fields and junk lines are ignored", "[sse][wpt]") {
  CHECK(events_every_way(
            "data:test\n "
            "data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test\n\n\n") ==
        std::vector{msg("test\n\ntest")});
}

TEST_CASE("wpt format-leading-space: exactly one space after the colon is removed", "[sse][wpt]") {
  CHECK(events_every_way("data:\ttest\rdata: \ndata:test\n\n\n") ==
        std::vector{msg("\ttest\n\ntest")});
  CHECK(events_every_way("data:  two\n\n") == std::vector{msg(" two")});
  CHECK(events_every_way("event:  x\ndata: a\n\n") == std::vector{Ev{" x", "a", ""}});
}

TEST_CASE("wpt format-newlines: CRLF, LF and a final CR all end lines", "[sse][wpt]") {
  CHECK(events_every_way("data:test\r\ndata\ndata:test\r\n\r\n") ==
        std::vector{msg("test\n\ntest")});
  // The blank line may be a lone CR at the very end: it dispatches at once.
  CHECK(events_every_way("data:test\r\r") == std::vector{msg("test")});
}

TEST_CASE("wpt format-null-character: NUL in data passes through", "[sse][wpt]") {
  CHECK(events_every_way("data:\0\n\n\n\n"s) == std::vector{msg("\0"s)});
}

TEST_CASE("wpt format-utf-8: UTF-8 passes through as bytes", "[sse][wpt]") {
  const auto events = events_every_way("data:ok\xE2\x80\xA6\n\n\n");
  REQUIRE(events == std::vector{msg("ok\xE2\x80\xA6")});
  CHECK(tether::io::valid_utf8(events[0].data));
}

TEST_CASE("wpt event-data: lines and data parsing", "[sse][wpt]") {
  // The bytes resources/message2.py writes, with its expected three events.
  CHECK(events_every_way(
            "data:msg\ndata: "
            "msg\n\n:\nfalsefield:msg\n\nfalsefield:msg\nDatadata\n\ndata\n\ndata:end\n\n") ==
        std::vector{msg("msg\nmsg"), msg(""), msg("end")});
}

// --- the standard's own examples ---------------------------------------------------

TEST_CASE("spec examples", "[sse][spec]") {
  SECTION("multi-line data and three messages") {
    CHECK(events_every_way("data: This is the first message.\n\n"
                           "data: This is the second message, it\ndata: has two lines.\n\n"
                           "data: This is the third message.\n\n") ==
          std::vector{msg("This is the first message."),
                      msg("This is the second message, it\nhas two lines."),
                      msg("This is the third message.")});
  }
  SECTION("typed events") {
    CHECK(events_every_way("event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: "
                           "add\ndata: 113411\n\n") == std::vector{Ev{"add", "73857293", ""},
                                                                   Ev{"remove", "2153", ""},
                                                                   Ev{"add", "113411", ""}});
  }
  SECTION("stock ticker") {
    CHECK(events_every_way("data: YHOO\ndata: +2\ndata: 10\n\n") ==
          std::vector{msg("YHOO\n+2\n10")});
  }
  SECTION("comment, ids, a bare id and a doubled space") {
    CHECK(events_every_way(": test stream\n\ndata: first event\nid: 1\n\ndata:second "
                           "event\nid\n\ndata:  third event\n\n") ==
          std::vector{msg("first event", "1"), msg("second event"), msg(" third event")});
  }
  SECTION("empty data, two empty lines, and a last block without blank line") {
    const Outcome out = parse_every_way("data\n\ndata\ndata\n\ndata:");
    CHECK(out.events == std::vector{msg(""), msg("\n")});
    CHECK(out.discarded);
  }
  SECTION("two identical events") {
    CHECK(events_every_way("data:test\n\ndata: test\n\n") == std::vector{msg("test"), msg("test")});
  }
}

// --- line ends, BOM, end of stream ------------------------------------------------

TEST_CASE("a CR at the end of one chunk and an LF at the start of the next are one line end",
          "[sse]") {
  const Outcome out = parse_chunks({"data:a\r", "\n", "data:b\r", "", "\ndata:c\n\n"});
  CHECK(out.events == std::vector{msg("a\nb\nc")});
  // Two CRs, an LF then CR: each is a line end of its own.
  CHECK(parse_chunks({"data:a\r", "\r"}).events == std::vector{msg("a")});
  CHECK(parse_chunks({"data:a\n", "\r"}).events == std::vector{msg("a")});
  CHECK(events_every_way("data:a\n\rdata:b\r\n\n") == std::vector{msg("a"), msg("b")});
}

TEST_CASE("a BOM split across feeds is still stripped", "[sse]") {
  CHECK(parse_chunks({"\xEF", "\xBB", "\xBF", "data:x\n\n"}).events == std::vector{msg("x")});
  CHECK(parse_chunks({"", "\xEF\xBB",
                      "\xBF"
                      "data:x\n\n"})
            .events == std::vector{msg("x")});
  // An incomplete BOM is content: the field name becomes "\xEF\xBB" "data".
  CHECK(parse_chunks({"\xEF\xBB", "data:x\n\ndata:y\n\n"}).events == std::vector{msg("y")});
  CHECK(events_every_way("\xEF"
                         "data:x\n\ndata:y\n\n") == std::vector{msg("y")});
  CHECK(events_every_way("\xEF\xBB\n"
                         "data:y\n\n") == std::vector{msg("y")});
  // A BOM alone is no content; half a BOM is a partial line.
  CHECK_FALSE(parse("\xEF\xBB\xBF").discarded);
  CHECK(parse("\xEF\xBB").discarded);
}

TEST_CASE("finish() reports what an unterminated stream discards", "[sse]") {
  CHECK_FALSE(parse_every_way("").discarded);
  CHECK_FALSE(parse_every_way("data: x\n\n").discarded);
  CHECK_FALSE(parse_every_way(": heartbeat\n").discarded);
  CHECK_FALSE(parse_every_way("event: ping\n\n").discarded);
  CHECK(parse_every_way("data: x\n").discarded);
  CHECK(parse_every_way("data: x").discarded);
  CHECK(parse_every_way("event: x\n").discarded);
  CHECK(parse_every_way(":partial comment").discarded);
  const Outcome id_only = parse_every_way("id: 1\ndata: a\n\nid: 2\n");
  CHECK(id_only.discarded);
  CHECK(id_only.last_event_id == "1");  // "id: 2" was never committed
}

TEST_CASE("an id block without data commits the id but dispatches nothing", "[sse]") {
  const Outcome out = parse_every_way("id: 5\n\ndata: x\n\n");
  CHECK(out.events == std::vector{msg("x", "5")});
  CHECK(parse_every_way("data: x\n\nid: 6\n\n").last_event_id == "6");
}

TEST_CASE("start_stream() begins a new connection with the id it resumed from", "[sse]") {
  Outcome out;
  Recorder sink(out);
  SseParser parser(SseLimits{8, 64});
  REQUIRE(parser.feed("id: 3\ndata: a\n\ndata: 012345678", sink).error().limit ==
          SseError::Limit::line_bytes);
  CHECK(parser.failed());
  parser.start_stream("3");
  CHECK_FALSE(parser.failed());
  CHECK(parser.last_event_id() == "3");
  REQUIRE(
      parser.feed("\xEF\xBB\xBF"
                  "data: b\n\n",
                  sink));  // a new stream may start with a BOM
  CHECK(out.events == std::vector{msg("a", "3"), msg("b", "3")});
  CHECK(parser.bytes_fed() == 12);
}

TEST_CASE("invalid UTF-8 passes through unchanged, and valid_utf8() flags it", "[sse][utf8]") {
  const auto events = events_every_way("data:\xFF\xFE\xC0\xAF\n\nid:\x80\ndata:ok\n\n");
  REQUIRE(events == std::vector{msg("\xFF\xFE\xC0\xAF"), msg("ok", "\x80")});
  CHECK_FALSE(tether::io::valid_utf8(events[0].data));
  CHECK(tether::io::valid_utf8(events[1].data));
}

TEST_CASE("valid_utf8 follows the UTF-8 definition", "[utf8]") {
  using tether::io::valid_utf8;
  CHECK(valid_utf8(""));
  CHECK(valid_utf8("plain ASCII, long enough for the eight-byte path"));
  CHECK(
      valid_utf8("\xC2\x80 \xDF\xBF \xE0\xA0\x80 \xEF\xBF\xBF \xF0\x90\x80\x80 \xF4\x8F\xBF\xBF"));
  CHECK(valid_utf8("\xF0\x9F\x98\x80"));
  CHECK_FALSE(valid_utf8("\x80"));              // a lone continuation byte
  CHECK_FALSE(valid_utf8("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(valid_utf8("\xE0\x9F\xBF"));      // overlong, three bytes
  CHECK_FALSE(valid_utf8("\xF0\x8F\xBF\xBF"));  // overlong, four bytes
  CHECK_FALSE(valid_utf8("\xED\xA0\x80"));      // a surrogate
  CHECK_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(valid_utf8("\xF5\x80\x80\x80"));
  CHECK_FALSE(valid_utf8("\xE2\x82"));              // truncated
  CHECK_FALSE(valid_utf8("\xE2\x28\xA1"));          // a bad continuation
  CHECK_FALSE(valid_utf8("0123456789abcdef\xFF"));  // after the fast path
}

// --- nchan's framing (/work/shared/reference/nchan.md) --------------------------

TEST_CASE("nchan: hello comment, timestamped ids, multi-line data, pings", "[sse][nchan]") {
  const std::string_view stream =
      ": hi\n\n"
      "id: 1700000000:1\ndata: {\"seq\":1}\n\n"
      "id: 1700000000:2\nevent: update\ndata: line one\ndata: line two\n\n"
      ":ping\nevent: ping\n\n"
      "id: 1700000001:0\ndata: after ping\n\n"
      ":410: 410 Gone\n";
  const Outcome out = parse_every_way(stream);
  CHECK(out.events == std::vector{msg("{\"seq\":1}", "1700000000:1"),
                                  Ev{"update", "line one\nline two", "1700000000:2"},
                                  msg("after ping", "1700000001:0")});
  CHECK(out.comments == std::vector{" hi"s, "ping"s, "410: 410 Gone"s});
  CHECK_FALSE(out.discarded);  // a clean EOF after the goodbye comment
  CHECK(out.last_event_id == "1700000001:0");
}

TEST_CASE("nchan: a ping heartbeat alone dispatches nothing", "[sse][nchan]") {
  const Outcome out = parse_every_way(":ping\nevent: ping\n\n:ping\nevent: ping\n\n");
  CHECK(out.events.empty());
  CHECK(out.comments == std::vector{"ping"s, "ping"s});
  CHECK_FALSE(out.discarded);
}

// --- limits -------------------------------------------------------------------------

TEST_CASE("a line longer than line_bytes_max is an error at the first byte past the limit",
          "[sse][limits]") {
  const SseLimits limits{16, 1024};
  SECTION("exactly the limit is fine") {
    CHECK(parse_every_way("data:0123456789a\n\n", limits).events ==
          std::vector{msg("0123456789a")});
  }
  SECTION("one more byte fails, after the events before it") {
    const Outcome out = parse_every_way("data:ok\n\ndata:0123456789ab\n\n", limits);
    CHECK(out.events == std::vector{msg("ok")});
    REQUIRE(out.error);
    CHECK(*out.error == SseError{SseError::Limit::line_bytes, 16, 9 + 16});
    CHECK(out.error->limit_name() == "line_bytes_max");
    CHECK(out.error->message() == "SSE line_bytes_max (16) exceeded at byte 25");
  }
  SECTION("comments count too, and the BOM counts in the offset") {
    const Outcome out = parse_every_way("\xEF\xBB\xBF:0123456789abcdefgh\n", limits);
    REQUIRE(out.error);
    CHECK(out.error->offset == 3 + 16);
  }
  SECTION("the line end need not have arrived") {
    const Outcome out = parse_every_way("data:0123456789abcdef", limits);
    REQUIRE(out.error);
    CHECK(out.error->offset == 16);
  }
}

TEST_CASE("after an error every feed returns it and calls nothing", "[sse][limits]") {
  Outcome out;
  Recorder sink(out);
  SseParser parser(SseLimits{8, 64});
  const auto first = parser.feed("data:a\n\n:123456789\n", sink);
  REQUIRE_FALSE(first);
  CHECK(out.events.size() == 1);
  const auto again = parser.feed("data:b\n\n", sink);
  REQUIRE_FALSE(again);
  CHECK(again.error() == first.error());
  CHECK(out.trace.size() == 1);
  CHECK(parser.buffered_bytes() == 0);
  CHECK_FALSE(parser.finish());
}

TEST_CASE("an event bigger than event_bytes_max is an error at its offending data line",
          "[sse][limits]") {
  const SseLimits limits{64, 33};  // each "data: 0123456789" line adds 11 bytes
  SECTION("up to the limit is fine, and the count restarts after each event") {
    const Outcome out = parse_every_way(
        "data: 0123456789\ndata: 0123456789\ndata: 0123456789\n\n"
        "data: 0123456789\ndata: 0123456789\ndata: 0123456789\n\n",
        limits);
    CHECK(out.events.size() == 2);
    CHECK_FALSE(out.error);
  }
  SECTION("one more byte fails") {
    const Outcome out =
        parse_every_way("data: 0123456789\ndata: 0123456789\ndata: 0123456789x\n\n", limits);
    REQUIRE(out.error);
    CHECK(*out.error == SseError{SseError::Limit::event_bytes, 33, 34});
    CHECK(out.events.empty());
  }
  SECTION("bare data lines add one byte each") {
    std::string many;
    for (int i = 0; i < 40; ++i) many += "data\n";
    const Outcome out = parse_every_way(many + "\n", limits);
    REQUIRE(out.error);
    CHECK(out.error->offset == 33 * 5);
  }
}

TEST_CASE("a server sending bytes forever without a line end hits line_bytes_max",
          "[sse][limits]") {
  SseParser parser;  // the default limits: 1 MiB lines
  Outcome out;
  Recorder sink(out);
  const std::string chunk(64 * 1024, 'x');
  std::optional<SseError> error;
  std::size_t fed_bytes = 0;
  for (int i = 0; i < 1024; ++i) {  // 64 MiB
    const auto r = parser.feed(chunk, sink);
    fed_bytes += chunk.size();
    if (!r && !error) {
      error = r.error();
      CHECK(fed_bytes ==
            parser.limits().line_bytes_max + chunk.size());  // the chunk that crossed it
    }
    REQUIRE(parser.buffered_bytes() <= parser.limits().line_bytes_max);
  }
  REQUIRE(error);
  CHECK(*error ==
        SseError{SseError::Limit::line_bytes, std::size_t{1} << 20, std::uint64_t{1} << 20});
  CHECK(out.trace.empty());
}

TEST_CASE("buffered_bytes() counts the partial line and the event in progress", "[sse]") {
  SseParser parser;
  Outcome out;
  Recorder sink(out);
  CHECK(parser.buffered_bytes() == 0);
  REQUIRE(parser.feed("event: abc\ndata: 0123", sink));
  CHECK(parser.buffered_bytes() == 3 + 10);
  REQUIRE(parser.feed("\nid: 9\n", sink));
  CHECK(parser.buffered_bytes() == 3 + 5 + 1);
  REQUIRE(parser.feed("\n", sink));
  CHECK(parser.buffered_bytes() == 1);  // the id buffer persists
}

// --- properties -------------------------------------------------------------------

namespace {

// The standard's algorithm, written as plainly as possible (whole input, one
// line at a time), to compare the incremental parser with.
Outcome reference_parse(std::string_view input, SseLimits limits) {
  Outcome out;
  Recorder sink(out);
  std::uint64_t offset = 0;
  if (!input.empty() && input.size() < 3 && "\xEF\xBB\xBF"sv.starts_with(input)) {
    out.discarded = true;  // maybe the start of a BOM: held back, so no line limit applies
    return out;
  }
  if (input.starts_with("\xEF\xBB\xBF")) {
    input.remove_prefix(3);
    offset = 3;
  }
  std::string data, type, id, committed;
  bool pending = false;
  std::size_t pos = 0;
  while (pos < input.size()) {
    std::size_t end = pos;
    while (end < input.size() && input[end] != '\r' && input[end] != '\n') ++end;
    const std::uint64_t line_offset = offset + pos;
    if (end - pos > limits.line_bytes_max) {
      out.error = SseError{SseError::Limit::line_bytes, limits.line_bytes_max,
                           line_offset + limits.line_bytes_max};
      break;
    }
    if (end == input.size()) {  // no line end: an incomplete line
      pending = true;
      break;
    }
    const std::string_view line = input.substr(pos, end - pos);
    pos = end + 1;
    if (input[end] == '\r' && pos < input.size() && input[pos] == '\n') ++pos;
    if (line.empty()) {
      committed = id;
      pending = false;
      if (!data.empty()) {
        data.pop_back();
        sink.on_event({type.empty() ? "message" : type, data, committed});
      }
      data.clear();
      type.clear();
      continue;
    }
    if (line[0] == ':') {
      sink.on_comment(line.substr(1));
      continue;
    }
    const std::size_t colon = line.find(':');
    const std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    if (value.starts_with(' ')) value.remove_prefix(1);
    if (field == "data") {
      if (data.size() + value.size() + 1 > limits.event_bytes_max) {
        out.error = SseError{SseError::Limit::event_bytes, limits.event_bytes_max, line_offset};
        break;
      }
      data += value;
      data += '\n';
      pending = true;
    } else if (field == "event") {
      type = value;
      pending = true;
    } else if (field == "id" && value.find('\0') == std::string_view::npos) {
      id = value;
      pending = true;
    } else if (field == "retry" && !value.empty() &&
               value.find_first_not_of("0123456789") == std::string_view::npos) {
      std::string_view digits = value.substr(std::min(value.find_first_not_of('0'), value.size()));
      if (digits.empty()) digits = "0";
      constexpr std::string_view max = "18446744073709551615";  // 2^64 - 1
      if (digits.size() < max.size() || (digits.size() == max.size() && digits <= max))
        sink.on_retry(std::stoull(std::string(digits)));
    }
  }
  out.last_event_id = committed;
  out.discarded = !out.error && pending;
  return out;
}

// Random streams from pieces that matter to the parser.
rc::Gen<std::string> sse_stream() {
  const auto value = rc::gen::container<std::string>(
      rc::gen::element('a', 'b', ' ', ':', '0', '7', '\0', '\xEF', '\xBB', '\xBF', '\xFF'));
  const auto line = rc::gen::oneOf(
      rc::gen::map(value, [](std::string v) { return "data:" + v; }),
      rc::gen::map(value, [](std::string v) { return "data: " + v; }), rc::gen::just("data"s),
      rc::gen::map(value, [](std::string v) { return "event:" + v; }),
      rc::gen::map(value, [](std::string v) { return "id: " + v; }), rc::gen::just("id"s),
      rc::gen::map(rc::gen::inRange<std::uint64_t>(0, 100000),
                   [](std::uint64_t ms) { return "retry: " + std::to_string(ms); }),
      rc::gen::map(value, [](std::string v) { return "retry:" + v; }),
      rc::gen::map(value, [](std::string v) { return ":" + v; }),
      rc::gen::map(value, [](std::string v) { return v; }), rc::gen::just(""s), rc::gen::just(""s));
  const auto ending = rc::gen::element("\n"s, "\r"s, "\r\n"s);
  const auto ended_line =
      rc::gen::apply([](std::string l, std::string e) { return l + e; }, line, ending);
  return rc::gen::apply(
      [](bool bom, std::vector<std::string> lines, std::string tail) {
        std::string s = bom ? "\xEF\xBB\xBF" : "";
        for (const auto& l : lines) s += l;
        return s + tail;
      },
      rc::gen::arbitrary<bool>(), rc::gen::container<std::vector<std::string>>(ended_line),
      rc::gen::element(""s, "data: tail"s, "\r"s));
}

std::vector<std::string_view> chunked(std::string_view input,
                                      const std::vector<std::size_t>& cuts_raw) {
  std::vector<std::size_t> cuts;
  for (const std::size_t c : cuts_raw) cuts.push_back(input.empty() ? 0 : c % (input.size() + 1));
  std::sort(cuts.begin(), cuts.end());
  std::vector<std::string_view> chunks;
  std::size_t from = 0;
  for (const std::size_t c : cuts) {
    chunks.push_back(input.substr(from, c - from));
    from = c;
  }
  chunks.push_back(input.substr(from));
  return chunks;
}

}  // namespace

TEST_CASE("property: any chunking gives the events of the whole stream", "[sse][property]") {
  rc::prop("chunked == whole == reference", [] {
    const std::string input = *sse_stream();
    const auto cuts =
        *rc::gen::container<std::vector<std::size_t>>(rc::gen::arbitrary<std::size_t>());
    const bool small_limits = *rc::gen::arbitrary<bool>();
    const SseLimits limits = small_limits ? SseLimits{*rc::gen::inRange<std::size_t>(0, 24),
                                                      *rc::gen::inRange<std::size_t>(0, 48)}
                                          : SseLimits{};
    const Outcome whole = parse(input, limits);
    RC_ASSERT(parse_chunks(chunked(input, cuts), limits) == whole);
    RC_ASSERT(reference_parse(input, limits) == whole);
  });
}

TEST_CASE("lines_completed counts complete lines only, whatever the chunking", "[sse][liveness]") {
  Outcome out;
  Recorder sink(out);
  SseParser parser;
  // A byte trickle without a line end completes nothing.
  for (const char c : std::string_view("data: no line end yet")) {
    REQUIRE(parser.feed(std::string_view(&c, 1), sink));
    CHECK(parser.lines_completed() == 0);
  }
  REQUIRE(parser.feed("\r", sink));
  CHECK(parser.lines_completed() == 1);
  REQUIRE(parser.feed("\n", sink));  // the LF of a split CRLF: the same line end
  CHECK(parser.lines_completed() == 1);
  REQUIRE(parser.feed("data: b\n:comment\n\n", sink));
  CHECK(parser.lines_completed() == 4);
  parser.start_stream();
  CHECK(parser.lines_completed() == 0);
}
