// Tests of io/src/json_stream_parser.cpp: etcd grpc-gateway and Kubernetes
// watch streams, strings that hide brackets and quotes, the errors and limits.
//
// Every input is parsed whole, byte by byte and split in two at every offset,
// and all of them must give the same outcome: the values with their offsets,
// the error (if any) and what finish() reports. A property test adds random
// streams of random JSON values, random chunkings and a straightforward
// reference splitter, and checks that well-formed streams give back exactly the
// values they were made of, each valid JSON (nlohmann::json::accept).

#include <rapidcheck/catch.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <tether/io/json_stream_parser.hpp>
#include <vector>

using namespace std::string_literals;
using namespace std::string_view_literals;
using tether::io::JsonStreamError;
using tether::io::JsonStreamLimits;
using tether::io::JsonStreamParser;
using tether::io::JsonStreamValue;
using Kind = tether::io::JsonStreamError::Kind;

namespace {

// Everything a parse produced.
struct Outcome {
  std::vector<std::string> values;
  std::vector<std::uint64_t> offsets;
  std::optional<JsonStreamError> error;
  bool discarded = false;  // finish()
  friend bool operator==(const Outcome&, const Outcome&) = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << "[";
  for (std::size_t i = 0; i < o.values.size(); ++i)
    os << "\n  @" << o.offsets[i] << " " << o.values[i];
  return os << "\n] error " << (o.error ? o.error->message() : "none") << ", discarded "
            << o.discarded;
}

class Recorder final : public tether::io::JsonStreamSink {
 public:
  explicit Recorder(Outcome& out) : out_(out) {}
  void on_value(const JsonStreamValue& value) override {
    out_.values.emplace_back(value.text);
    out_.offsets.push_back(value.offset);
  }

 private:
  Outcome& out_;
};

// Feeds the chunks in order (stopping at the first error), then finish().
Outcome parse_chunks(const std::vector<std::string_view>& chunks, JsonStreamLimits limits = {}) {
  Outcome out;
  Recorder sink(out);
  JsonStreamParser parser(limits);
  for (const std::string_view chunk : chunks) {
    if (auto r = parser.feed(chunk, sink); !r) {
      out.error = r.error();
      break;
    }
  }
  out.discarded = parser.finish();
  return out;
}

Outcome parse(std::string_view input, JsonStreamLimits limits = {}) {
  return parse_chunks({input}, limits);
}

Outcome parse_bytewise(std::string_view input, JsonStreamLimits limits = {}) {
  std::vector<std::string_view> chunks;
  for (std::size_t i = 0; i < input.size(); ++i) chunks.push_back(input.substr(i, 1));
  return parse_chunks(chunks, limits);
}

// Parses `input` whole, byte by byte and split at every offset (with an empty
// chunk at the split too), checks they agree, and returns the whole parse.
Outcome parse_every_way(std::string_view input, JsonStreamLimits limits = {}) {
  const Outcome whole = parse(input, limits);
  CHECK(parse_bytewise(input, limits) == whole);
  for (std::size_t split = 0; split <= input.size(); ++split) {
    INFO("split at " << split);
    const Outcome two = parse_chunks({input.substr(0, split), ""sv, input.substr(split)}, limits);
    if (!(two == whole)) CHECK(two == whole);  // only report the splits that differ
  }
  return whole;
}

std::vector<std::string> values_every_way(std::string_view input) {
  const Outcome out = parse_every_way(input);
  CHECK_FALSE(out.error);
  return out.values;
}

// What etcd's grpc-gateway sends on POST /v3/watch: a created response, then
// one response per revision, each a JSON object followed by a newline.
const std::vector<std::string> etcd_responses = {
    R"({"result":{"header":{"cluster_id":"14841639068965178418","member_id":"10276657743932975437","revision":"1","raft_term":"2"},"created":true}})",
    R"({"result":{"header":{"cluster_id":"14841639068965178418","member_id":"10276657743932975437","revision":"2","raft_term":"2"},"events":[{"kv":{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}}]}})",
    R"({"result":{"header":{"cluster_id":"14841639068965178418","member_id":"10276657743932975437","revision":"3","raft_term":"2"},"events":[{"type":"DELETE","kv":{"key":"Zm9v","mod_revision":"3"}}]}})",
};

}  // namespace

// --- the streams etcd and Kubernetes send ------------------------------------------

TEST_CASE("json_stream: etcd grpc-gateway watch responses, newline-separated", "[json_stream]") {
  std::string stream;
  for (const auto& r : etcd_responses) stream += r + "\n";
  const Outcome out = parse_every_way(stream);
  CHECK(out.values == etcd_responses);
  CHECK(out.offsets ==
        std::vector<std::uint64_t>{0, etcd_responses[0].size() + 1,
                                   etcd_responses[0].size() + etcd_responses[1].size() + 2});
  CHECK_FALSE(out.discarded);
  for (const auto& v : out.values) CHECK(nlohmann::json::accept(v));
}

TEST_CASE("json_stream: Kubernetes watch events, one per line, and an expired-version error",
          "[json_stream]") {
  const std::vector<std::string> events = {
      R"({"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-0","namespace":"default","resourceVersion":"1001","labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.25"}]}}})",
      R"({"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"1050"}}})",
      R"j({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (1001)","reason":"Expired","code":410}})j",
  };
  std::string stream;
  for (const auto& e : events) stream += e + "\n";
  CHECK(values_every_way(stream) == events);
}

TEST_CASE("json_stream: values concatenated with any whitespace or none between them",
          "[json_stream]") {
  CHECK(values_every_way(R"({"a":1}{"b":2}[3][]{})") ==
        std::vector<std::string>{R"({"a":1})", R"({"b":2})", "[3]", "[]", "{}"});
  CHECK(values_every_way(" \t\r\n{ \"a\" : [ 1 , 2 ] }\r\n\r\n  [\n]\n\t") ==
        std::vector<std::string>{"{ \"a\" : [ 1 , 2 ] }", "[\n]"});
  CHECK(values_every_way("").empty());
  CHECK(values_every_way(" \n\r\t ").empty());
}

// --- strings -------------------------------------------------------------------------

TEST_CASE("json_stream: brackets, escaped quotes and backslashes inside strings", "[json_stream]") {
  // Every split of these puts a backslash, a quote or a bracket at a chunk end.
  const std::vector<std::string> values = {
      R"({"s":"}{]["})",         R"({"q":"a\"}b"})",      R"({"b":"\\"})",
      R"({"b":"\\\""})",         R"({"b":"\\\\"})",       R"(["\"", "\\", "]"])",
      R"({"u":"\u007d\u005d"})", R"({"\"}":{"\\":"{"}})", R"({"k":"\/\b\f\n\r\t"})",
      R"({"utf8":"é 😀"})",
  };
  std::string stream;
  for (const auto& v : values) stream += v + "\n";
  CHECK(values_every_way(stream) == values);
  for (const auto& v : values) CHECK(nlohmann::json::accept(v));
}

TEST_CASE("json_stream: a quote or backslash at every position of a long string", "[json_stream]") {
  // Strings are searched eight bytes at a time: put the byte that matters at
  // every position of a word, and the string's end too.
  for (const std::string_view escape : {R"(\")"sv, R"(\\)"sv, R"(\n)"sv}) {
    for (std::size_t before = 0; before < 24; ++before) {
      for (std::size_t after = 0; after < 10; ++after) {
        const std::string value = R"({"s":")" + std::string(before, 'a') + std::string(escape) +
                                  std::string(after, 'b') + R"(","t":[]})";
        INFO(value);
        const std::string stream = value + "\n" + value;
        const Outcome out = parse(stream);
        CHECK(out.values == std::vector<std::string>{value, value});
        CHECK(parse_bytewise(stream) == out);
        CHECK(parse_chunks({std::string_view(stream).substr(0, 7 + before),
                            std::string_view(stream).substr(7 + before)}) == out);
      }
    }
  }
}

TEST_CASE("json_stream: an escaped quote or an escaped backslash at a chunk end", "[json_stream]") {
  Outcome out;
  Recorder sink(out);
  JsonStreamParser parser;
  SECTION("an escaped quote: the string goes on") {
    REQUIRE(parser.feed(R"({"a":"x\)", sink));
    REQUIRE(parser.feed(R"("}y"})", sink));
    CHECK(out.values == std::vector<std::string>{R"({"a":"x\"}y"})"});
  }
  SECTION("an escaped backslash: the quote after it ends the string") {
    REQUIRE(parser.feed(R"({"a":"x\\)", sink));
    REQUIRE(parser.feed(R"("})", sink));
    CHECK(out.values == std::vector<std::string>{R"({"a":"x\\"})"});
  }
  SECTION("a backslash alone in its chunk") {
    for (const std::string_view chunk :
         {R"({"a":")"sv, R"(\)"sv, R"(\)"sv, R"(\)"sv, R"(")"sv, R"(")"sv, "}"sv})
      REQUIRE(parser.feed(chunk, sink));
    CHECK(out.values == std::vector<std::string>{R"({"a":"\\\""})"});
  }
  CHECK(parser.buffered_bytes() == 0);
  CHECK_FALSE(parser.finish());
}

// --- errors --------------------------------------------------------------------------

TEST_CASE("json_stream: a top-level scalar or stray byte is an error naming its offset",
          "[json_stream][errors]") {
  const auto error_of = [](std::string_view input) {
    const Outcome out = parse_every_way(input);
    REQUIRE(out.error);
    CHECK(out.error->kind == Kind::unexpected_byte);
    CHECK(out.error->kind_name() == "unexpected_byte");
    CHECK(out.error->limit == 0);
    CHECK_FALSE(out.discarded);
    return *out.error;
  };
  CHECK(error_of("42") == JsonStreamError{Kind::unexpected_byte, 0, 0, '4'});
  CHECK(error_of("  \"text\"\n") == JsonStreamError{Kind::unexpected_byte, 0, 2, '"'});
  CHECK(error_of("{}\ntrue") == JsonStreamError{Kind::unexpected_byte, 0, 3, 't'});
  CHECK(error_of("{} null") == JsonStreamError{Kind::unexpected_byte, 0, 3, 'n'});
  CHECK(error_of("[1]]") == JsonStreamError{Kind::unexpected_byte, 0, 3, ']'});
  CHECK(error_of("\xEF\xBB\xBF{}") == JsonStreamError{Kind::unexpected_byte, 0, 0, '\xEF'});
  CHECK(error_of("\x1E{}") == JsonStreamError{Kind::unexpected_byte, 0, 0, '\x1E'});
  CHECK(error_of(R"({"a":"\\"}")") == JsonStreamError{Kind::unexpected_byte, 0, 10, '"'});

  const Outcome out = parse_every_way("{\"a\":1},{\"b\":2}");
  CHECK(out.values == std::vector<std::string>{"{\"a\":1}"});  // delivered before the error
  REQUIRE(out.error);
  CHECK(out.error->message() ==
        "JSON stream: unexpected byte ',' (0x2c) at byte 7 between values "
        "(a value must be an object or an array)");
  CHECK(parse("\x01").error->message() ==
        "JSON stream: unexpected byte (0x01) at byte 0 between values "
        "(a value must be an object or an array)");
}

TEST_CASE("json_stream: a bracket closing the wrong kind is an error", "[json_stream][errors]") {
  const Outcome out = parse_every_way(R"({"a":1} {"a":[1}])");
  CHECK(out.values == std::vector<std::string>{R"({"a":1})"});
  REQUIRE(out.error);
  CHECK(*out.error == JsonStreamError{Kind::mismatched_bracket, 0, 15, '}'});
  CHECK(out.error->kind_name() == "mismatched_bracket");
  CHECK(out.error->message() ==
        "JSON stream: mismatched bracket '}' (0x7d) at byte 15 (it closes a '[')");
  CHECK(parse("[}").error->message() ==
        "JSON stream: mismatched bracket '}' (0x7d) at byte 1 (it closes a '[')");
  CHECK(parse("{]").error->message() ==
        "JSON stream: mismatched bracket ']' (0x5d) at byte 1 (it closes a '{')");
  CHECK_FALSE(parse(R"({"]":"}"})").error);  // inside strings, nothing is a bracket
}

TEST_CASE(
    "json_stream: a value longer than value_bytes_max is an error at the first byte past "
    "the limit",
    "[json_stream][limits]") {
  const JsonStreamLimits limits{16, 64};
  SECTION("exactly the limit is fine, and each value counts from its own start") {
    const Outcome out = parse_every_way(R"({"k":"01234567"} {"k":"01234567"})", limits);
    CHECK(out.values.size() == 2);
    CHECK_FALSE(out.error);
  }
  SECTION("one more byte fails, after the values before it") {
    const Outcome out = parse_every_way(R"({"k":"ok"}  {"k":"012345678"})", limits);
    CHECK(out.values == std::vector<std::string>{R"({"k":"ok"})"});
    REQUIRE(out.error);
    CHECK(*out.error == JsonStreamError{Kind::value_bytes, 16, 12 + 16, '}'});
    CHECK(out.error->kind_name() == "value_bytes_max");
    CHECK(out.error->message() == "JSON stream value_bytes_max (16) exceeded at byte 28");
  }
  SECTION("the value need not be complete: a string never closed runs into the limit") {
    const Outcome out = parse_every_way("\n{\"k\":\"never closed}\n{}\n{}\n", limits);
    REQUIRE(out.error);
    CHECK(out.error->offset == 1 + 16);
  }
  SECTION("a limit of 0 refuses every value at its first byte") {
    const Outcome out = parse_every_way("  {}", JsonStreamLimits{0, 64});
    REQUIRE(out.error);
    CHECK(*out.error == JsonStreamError{Kind::value_bytes, 0, 2, '{'});
  }
}

TEST_CASE("json_stream: nesting deeper than depth_max is an error at the opening bracket",
          "[json_stream][limits]") {
  const JsonStreamLimits limits{1024, 3};
  CHECK(parse_every_way(R"({"a":[{"b":1}]} [[[]]])", limits).values.size() == 2);
  CHECK(parse_every_way(R"({"a":"[[[[{{{{"})", limits).values.size() == 1);  // strings: no depth
  const Outcome out = parse_every_way(R"([[[]]] {"a":[{"b":[1]}]})", limits);
  CHECK(out.values == std::vector<std::string>{"[[[]]]"});
  REQUIRE(out.error);
  CHECK(*out.error == JsonStreamError{Kind::depth, 3, 18, '['});
  CHECK(out.error->kind_name() == "depth_max");
  CHECK(out.error->message() == "JSON stream depth_max (3) exceeded at byte 18");
  CHECK(parse("{}", JsonStreamLimits{1024, 0}).error == JsonStreamError{Kind::depth, 0, 0, '{'});
  // The default, 64, is what a consumer's recursive parse can take.
  CHECK(JsonStreamLimits{}.depth_max == 64);
  CHECK(parse(std::string(64, '[') + std::string(64, ']')).values.size() == 1);
  CHECK(parse(std::string(65, '[') + std::string(65, ']')).error->offset == 64);
}

TEST_CASE("json_stream: after an error every feed returns it and calls nothing",
          "[json_stream][errors]") {
  Outcome out;
  Recorder sink(out);
  JsonStreamParser parser(JsonStreamLimits{8, 64});
  REQUIRE(parser.feed(R"({"a":1} {"a":)", sink));
  CHECK(parser.buffered_bytes() == 5);
  const auto first = parser.feed(R"("long"})", sink);
  REQUIRE_FALSE(first);
  CHECK(first.error().offset == 8 + 8);
  CHECK(parser.failed());
  CHECK(parser.buffered_bytes() == 0);
  const auto again = parser.feed("{}", sink);
  REQUIRE_FALSE(again);
  CHECK(again.error() == first.error());
  CHECK(out.values.size() == 1);
  CHECK_FALSE(parser.finish());
}

// --- the end of a stream, and a new one ---------------------------------------------

TEST_CASE("json_stream: an unterminated value at the end is discarded, and finish() says so",
          "[json_stream]") {
  SECTION("mid-value") {
    const Outcome out = parse_every_way(etcd_responses[0] + "\n" + etcd_responses[1].substr(0, 40));
    CHECK(out.values == std::vector<std::string>{etcd_responses[0]});
    CHECK(out.discarded);
  }
  SECTION("mid-string, after a backslash") {
    const Outcome out = parse_every_way(R"({"a":"\)");
    CHECK(out.values.empty());
    CHECK(out.discarded);
  }
  SECTION("trailing whitespace is not a value") {
    CHECK_FALSE(parse_every_way("{}\n\n  ").discarded);
  }
  SECTION("after finish(), the next stream starts between values") {
    Outcome out;
    Recorder sink(out);
    JsonStreamParser parser;
    REQUIRE(parser.feed(R"({"a":"}\")", sink));
    CHECK(parser.depth() == 1);
    CHECK(parser.finish());
    CHECK(parser.depth() == 0);
    CHECK(parser.buffered_bytes() == 0);
    CHECK_FALSE(parser.finish());
    parser.start_stream();
    REQUIRE(parser.feed("{}", sink));
    CHECK(out.values == std::vector<std::string>{"{}"});
    CHECK(out.offsets == std::vector<std::uint64_t>{0});
  }
}

TEST_CASE("json_stream: start_stream() begins a new connection, after an error too",
          "[json_stream]") {
  Outcome out;
  Recorder sink(out);
  JsonStreamParser parser;
  REQUIRE(parser.feed(R"({"a":1} {"b":"\)", sink));
  CHECK(parser.values_completed() == 1);
  CHECK(parser.bytes_fed() == 15);
  parser.start_stream();  // mid-string, mid-escape: all forgotten
  CHECK(parser.values_completed() == 0);
  CHECK(parser.bytes_fed() == 0);
  CHECK(parser.buffered_bytes() == 0);
  REQUIRE(parser.feed(R"("x"])", sink).error().kind == Kind::unexpected_byte);
  parser.start_stream();
  CHECK_FALSE(parser.failed());
  REQUIRE(parser.feed(R"( {"c":3})", sink));
  CHECK(out.values == std::vector<std::string>{R"({"a":1})", R"({"c":3})"});
  CHECK(out.offsets == std::vector<std::uint64_t>{0, 1});
}

// --- buffers ------------------------------------------------------------------------

TEST_CASE(
    "json_stream: a value inside one chunk is emitted in place, one across chunks from "
    "the buffer",
    "[json_stream]") {
  std::vector<const char*> starts;
  class Where final : public tether::io::JsonStreamSink {
   public:
    explicit Where(std::vector<const char*>& starts) : starts_(starts) {}
    void on_value(const JsonStreamValue& v) override { starts_.push_back(v.text.data()); }

   private:
    std::vector<const char*>& starts_;
  } sink(starts);
  JsonStreamParser parser;
  const std::string chunk = R"({"a":1}
{"b":2}
{"c")";
  REQUIRE(parser.feed(chunk, sink));
  CHECK(parser.buffered_bytes() == 4);
  REQUIRE(parser.feed(R"(:3}  )", sink));
  REQUIRE(starts.size() == 3);
  CHECK(starts[0] == chunk.data());
  CHECK(starts[1] == chunk.data() + 8);
  CHECK((starts[2] < chunk.data() || starts[2] >= chunk.data() + chunk.size()));
  CHECK(parser.buffered_bytes() == 0);
  CHECK(parser.values_completed() == 3);
  CHECK(parser.bytes_fed() == chunk.size() + 5);
}

TEST_CASE("json_stream: a server sending one endless value hits value_bytes_max, memory bounded",
          "[json_stream][limits]") {
  JsonStreamParser parser;  // the default limits: 8 MiB values
  Outcome out;
  Recorder sink(out);
  const std::string chunk = "[" + std::string(64 * 1024 - 1, '1');
  std::optional<JsonStreamError> error;
  std::size_t fed_bytes = 0;
  for (int i = 0; i < 256; ++i) {  // 16 MiB
    const auto r =
        parser.feed(i == 0 ? std::string_view(chunk) : std::string_view(chunk).substr(1), sink);
    fed_bytes += chunk.size() - (i == 0 ? 0 : 1);
    if (!r && !error) error = r.error();
    REQUIRE(parser.buffered_bytes() <= parser.limits().value_bytes_max);
  }
  REQUIRE(error);
  CHECK(*error ==
        JsonStreamError{Kind::value_bytes, std::size_t{8} << 20, std::uint64_t{8} << 20, '1'});
  CHECK(fed_bytes == 16 * 1024 * 1024 - 255);
  CHECK(out.values.empty());
}

// --- properties ---------------------------------------------------------------------

namespace {

bool whitespace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// The splitting rule, written as plainly as possible (whole input, one byte at
// a time), to compare the incremental parser with.
Outcome reference_parse(std::string_view input, JsonStreamLimits limits) {
  Outcome out;
  std::string closers;
  bool in_string = false;
  bool escape = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < input.size(); ++i) {
    const char c = input[i];
    if (closers.empty()) {
      if (whitespace(c)) continue;
      if (c != '{' && c != '[') {
        out.error = JsonStreamError{Kind::unexpected_byte, 0, i, c};
        return out;
      }
      start = i;
    }
    if (i - start >= limits.value_bytes_max) {
      out.error = JsonStreamError{Kind::value_bytes, limits.value_bytes_max, i, c};
      return out;
    }
    if (in_string) {
      if (escape) {
        escape = false;
      } else if (c == '\\') {
        escape = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (closers.size() >= limits.depth_max) {
        out.error = JsonStreamError{Kind::depth, limits.depth_max, i, c};
        return out;
      }
      closers.push_back(c == '{' ? '}' : ']');
    } else if (c == '}' || c == ']') {
      if (closers.back() != c) {
        out.error = JsonStreamError{Kind::mismatched_bracket, 0, i, c};
        return out;
      }
      closers.pop_back();
      if (closers.empty()) {
        out.values.emplace_back(input.substr(start, i + 1 - start));
        out.offsets.push_back(start);
      }
    }
  }
  out.discarded = !closers.empty();
  return out;
}

// A JSON string holding what matters to the splitter: brackets, quotes and
// backslashes, escapes of every kind, UTF-8.
std::string arbitrary_string() {
  const auto pieces = *rc::gen::container<std::vector<std::string>>(
      rc::gen::element("a"s, "{"s, "}"s, "["s, "]"s, ","s, ":"s, " "s, "\\\""s, "\\\\"s, "\\n"s,
                       "\\/"s, "\\u007b"s, "\xC3\xA9"s));
  std::string s = "\"";
  for (const auto& p : pieces) s += p;
  return s + "\"";
}

// A random JSON value (valid JSON) of at most `depth` levels of nesting.
std::string arbitrary_json(int depth) {
  const int kind = *rc::gen::inRange(0, depth > 0 ? 4 : 2);
  if (kind == 0) return *rc::gen::element("0"s, "-1.5e3"s, "42"s, "true"s, "false"s, "null"s);
  if (kind == 1) return arbitrary_string();
  const bool object = kind == 3;
  const auto count = *rc::gen::inRange(0, 4);
  std::string s = object ? "{" : "[";
  for (int i = 0; i < count; ++i) {
    if (i > 0) s += *rc::gen::element(","s, " , "s, ",\n"s);
    if (object) s += arbitrary_string() + ":";
    s += arbitrary_json(depth - 1);
  }
  return s + (object ? "}" : "]");
}

// A top-level value: an object or an array.
std::string arbitrary_top_level(int depth) {
  const bool object = *rc::gen::arbitrary<bool>();
  const std::string inner = arbitrary_json(depth);
  return object ? "{\"v\":" + inner + "}" : "[" + inner + "]";
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

TEST_CASE("json_stream property: any chunking gives the values of the whole stream",
          "[json_stream][property]") {
  rc::prop("chunked == whole == reference, and the values are the ones sent", [] {
    const auto values = *rc::gen::container<std::vector<std::string>>(
        rc::gen::exec([] { return arbitrary_top_level(*rc::gen::inRange(0, 4)); }));
    std::string input;
    for (const auto& v : values)
      input += *rc::gen::element(""s, "\n"s, "\r\n"s, " "s, "\t\n "s) + v;
    const std::string tail = *rc::gen::element(""s, "\n"s, "42"s, "}"s, "\"s\""s, "{\"cut\":\"\\"s,
                                               "[1}"s, "\xEF\xBB\xBF"s);
    input += tail;
    const auto cuts =
        *rc::gen::container<std::vector<std::size_t>>(rc::gen::arbitrary<std::size_t>());
    const bool small_limits = *rc::gen::arbitrary<bool>();
    const JsonStreamLimits limits = small_limits
                                        ? JsonStreamLimits{*rc::gen::inRange<std::size_t>(0, 64),
                                                           *rc::gen::inRange<std::size_t>(0, 6)}
                                        : JsonStreamLimits{};
    const Outcome whole = parse(input, limits);
    RC_ASSERT(parse_chunks(chunked(input, cuts), limits) == whole);
    RC_ASSERT(reference_parse(input, limits) == whole);
    if (!small_limits) {  // nothing refused before the tail: every value, exactly as sent
      RC_ASSERT(whole.values == values);
      for (const auto& v : whole.values) RC_ASSERT(nlohmann::json::accept(v));
      const bool cut = tail.starts_with('{');
      RC_ASSERT(whole.error.has_value() == (tail != "" && tail != "\n" && !cut));
      RC_ASSERT(whole.discarded == cut);
    }
  });
}

TEST_CASE("json_stream: values_completed counts complete values only, whatever the chunking",
          "[json_stream]") {
  Outcome out;
  Recorder sink(out);
  JsonStreamParser parser;
  for (const char c : etcd_responses[1]) {
    CHECK(parser.values_completed() == 0);
    REQUIRE(parser.feed(std::string_view(&c, 1), sink));
  }
  CHECK(parser.values_completed() == 1);
  CHECK(out.values == std::vector<std::string>{etcd_responses[1]});
}
