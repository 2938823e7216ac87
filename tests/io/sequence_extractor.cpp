// Tests of io/src/sequence_extractor.cpp: the --seq-from spec, sequence numbers
// from SSE ids, and the allocation-free JSON scanner that finds a top-level
// member of a payload.

#include <rapidcheck/catch.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <tether/io/sequence_extractor.hpp>

using namespace std::string_literals;
using tether::io::decimal_u64;
using tether::io::json_top_level_u64;
using tether::io::NoSequence;
using tether::io::SequenceExtractor;
using tether::io::SequenceSource;

namespace {

// The value, or the reason as text (so Catch prints either).
std::string json_seq(std::string_view json, std::string_view key = "seq") {
  const auto r = json_top_level_u64(json, key);
  return r ? std::to_string(*r) : "no: " + std::string(tether::io::to_string(r.error()));
}

std::string why(NoSequence reason) { return "no: " + std::string(tether::io::to_string(reason)); }

}  // namespace

TEST_CASE("sequence specs for --seq-from parse, and bad ones say why", "[seq]") {
  const auto id = SequenceExtractor::parse("id");
  REQUIRE(id);
  CHECK(id->source() == SequenceSource::id);
  const auto suffix = SequenceExtractor::parse("id-suffix");
  REQUIRE(suffix);
  CHECK(suffix->source() == SequenceSource::id_suffix);
  const auto json = SequenceExtractor::parse("json:seq");
  REQUIRE(json);
  CHECK(json->source() == SequenceSource::json_field);
  CHECK(json->json_field() == "seq");
  const auto dotted = SequenceExtractor::parse("json:a.b:c");
  REQUIRE(dotted);
  CHECK(dotted->json_field() == "a.b:c");  // verbatim, not a path

  for (const std::string_view bad :
       {"", "json:", "json", "ID", "id ", "seq", "json-seq", "jsonx:seq"}) {
    INFO("spec \"" << bad << "\"");
    const auto r = SequenceExtractor::parse(bad);
    REQUIRE_FALSE(r);
    CHECK_FALSE(r.error().reason.empty());
  }
  CHECK(SequenceExtractor::parse("json:").error().reason == "empty JSON field name after 'json:'");
  CHECK(SequenceExtractor::parse("").error().reason.starts_with("empty sequence spec"));
}

TEST_CASE("decimal ids: digits only, fitting in 64 bits", "[seq]") {
  CHECK(decimal_u64("0") == 0u);
  CHECK(decimal_u64("42") == 42u);
  CHECK(decimal_u64("007") == 7u);
  CHECK(decimal_u64("18446744073709551615") == 18446744073709551615ULL);
  CHECK(decimal_u64("18446744073709551616").error() == NoSequence::out_of_range);
  CHECK(decimal_u64("99999999999999999999999").error() == NoSequence::out_of_range);
  CHECK(decimal_u64("99999999999999999999999x").error() == NoSequence::not_digits);
  CHECK(decimal_u64("").error() == NoSequence::empty);
  CHECK(decimal_u64("-1").error() == NoSequence::not_digits);
  CHECK(decimal_u64("+1").error() == NoSequence::not_digits);
  CHECK(decimal_u64(" 1").error() == NoSequence::not_digits);
  CHECK(decimal_u64("1 ").error() == NoSequence::not_digits);
  CHECK(decimal_u64("1.0").error() == NoSequence::not_digits);
  CHECK(decimal_u64("0x10").error() == NoSequence::not_digits);
}

TEST_CASE("sequence from the SSE id, whole or after the last colon", "[seq]") {
  const auto whole = SequenceExtractor::from_id();
  CHECK(whole.extract("42", "") == 42u);
  CHECK(whole.extract("1700000000:3", "") == std::nullopt);
  CHECK(whole.extract_or_reason("1700000000:3", "").error() == NoSequence::not_digits);
  CHECK(whole.extract_or_reason("", "{\"seq\":1}").error() == NoSequence::empty);

  const auto suffix = SequenceExtractor::from_id_suffix();
  CHECK(suffix.extract("1700000000:3", "") == 3u);  // nchan's "<seconds>:<index>"
  CHECK(suffix.extract("a:b:17", "") == 17u);
  CHECK(suffix.extract("17", "") == 17u);  // no colon: the whole id
  CHECK(suffix.extract_or_reason("1700000000:", "").error() == NoSequence::empty);
  CHECK(suffix.extract_or_reason("5:x", "").error() == NoSequence::not_digits);
}

TEST_CASE("sequence from a JSON payload member", "[seq][json]") {
  const auto seq = SequenceExtractor::from_json_field("seq");
  CHECK(seq.extract("1700000000:9", R"({"seq":42,"payload":"x"})") == 42u);
  CHECK(seq.extract("", R"({"payload":"x"})") == std::nullopt);
  CHECK(seq.extract_or_reason("", R"({"payload":"x"})").error() == NoSequence::field_missing);
}

TEST_CASE("JSON: whitespace, member order and skipped values", "[seq][json]") {
  CHECK(json_seq(R"({"seq":42})") == "42");
  CHECK(json_seq(" \t\r\n{ \n\"seq\"\t:\r 42 \n} ") == "42");
  CHECK(json_seq(R"({"a":1,"seq":7})") == "7");
  CHECK(json_seq(R"({"a":{"seq":1,"b":[1,2,{"seq":3}]},"seq":9})") ==
        "9");  // nested ones do not count
  CHECK(json_seq(R"({"a":[[[]]],"b":{},"c":[],"d":"}","e":"\"seq\":5","seq":6})") == "6");
  CHECK(json_seq(R"({"a":true,"b":false,"c":null,"d":-1.5e+3,"e":0,"f":1E9,"seq":0})") == "0");
  CHECK(json_seq(R"({"seq":18446744073709551615})") == "18446744073709551615");
  CHECK(json_seq(R"({"seq":1,"seq":2})") == "1");  // the first one wins
  CHECK(json_seq(R"({"Seq":1,"seqq":2,"se":3,"":4})") == why(NoSequence::field_missing));
  CHECK(json_seq(R"({})") == why(NoSequence::field_missing));
  CHECK(json_seq(R"({"seq":5})", "") == why(NoSequence::field_missing));
  CHECK(json_seq(R"({"":5})", "") == "5");
}

TEST_CASE("JSON: escapes in keys and values", "[seq][json]") {
  CHECK(json_seq(R"({"\u0073eq":11})") == "11");
  CHECK(json_seq(R"({"s\u0065\u0071":12})") == "12");
  CHECK(json_seq(R"({"a\"b":13})", "a\"b") == "13");
  CHECK(json_seq(R"({"a\\b":14})", "a\\b") == "14");
  CHECK(json_seq(R"({"a\/b\n":15})", "a/b\n") == "15");
  CHECK(json_seq(R"({"caf\u00e9":16})", "caf\xC3\xA9") == "16");
  CHECK(json_seq("{\"caf\xC3\xA9\":17}", "caf\xC3\xA9") == "17");
  CHECK(json_seq(R"({"\u20ac":18})", "\xE2\x82\xAC") == "18");
  CHECK(json_seq(R"({"\ud83d\ude00":19})", "\xF0\x9F\x98\x80") == "19");  // a surrogate pair
  CHECK(json_seq(R"({"\uD83D\uDE00":20})", "\xF0\x9F\x98\x80") == "20");
  // A lone surrogate is legal JSON but equals no UTF-8 key; scanning goes on.
  CHECK(json_seq(R"({"\ud83dx":1,"seq":21})") == "21");
  CHECK(json_seq(R"({"\ude00":1,"\ud83d\u0041":2,"seq":22})") == "22");
  // Escaped quotes and brackets inside skipped values do not end them.
  CHECK(json_seq(R"({"p":"a\"}\\","q":["]\"",{"r":"\\\""}],"seq":23})") == "23");
  CHECK(json_seq(R"({"seq\"":1,"seq":24})") == "24");
}

TEST_CASE("JSON: only a plain non-negative integer is a sequence", "[seq][json]") {
  CHECK(json_seq(R"({"seq":-1})") == why(NoSequence::not_integer));
  CHECK(json_seq(R"({"seq":-0})") == why(NoSequence::not_integer));
  CHECK(json_seq(R"({"seq":1.0})") == why(NoSequence::not_integer));
  CHECK(json_seq(R"({"seq":1e3})") == why(NoSequence::not_integer));
  CHECK(json_seq(R"({"seq":1E+3})") == why(NoSequence::not_integer));
  CHECK(json_seq(R"({"seq":18446744073709551616})") == why(NoSequence::out_of_range));
  CHECK(json_seq(R"({"seq":123456789012345678901234567890})") == why(NoSequence::out_of_range));
  CHECK(json_seq(R"({"seq":"42"})") == why(NoSequence::not_number));
  CHECK(json_seq(R"({"seq":null})") == why(NoSequence::not_number));
  CHECK(json_seq(R"({"seq":true})") == why(NoSequence::not_number));
  CHECK(json_seq(R"({"seq":[1]})") == why(NoSequence::not_number));
  CHECK(json_seq(R"({"seq":{"v":1}})") == why(NoSequence::not_number));
  CHECK(json_seq(R"({"seq":01})") == why(NoSequence::malformed_json));  // JSON has no leading zeros
  CHECK(json_seq(R"({"seq":1x})") == why(NoSequence::malformed_json));
  CHECK(json_seq(R"({"seq":1.})") == why(NoSequence::malformed_json));
  CHECK(json_seq(R"({"seq":1e})") == why(NoSequence::malformed_json));
  CHECK(json_seq(R"({"seq":-})") == why(NoSequence::malformed_json));
  CHECK(json_seq(R"({"seq":+1})") == why(NoSequence::malformed_json));
  CHECK(json_seq(R"({"seq":.5})") == why(NoSequence::malformed_json));
  CHECK(json_seq(R"({"seq":})") == why(NoSequence::malformed_json));
  CHECK(json_seq(R"({"seq":42)") == why(NoSequence::malformed_json));  // unterminated
  CHECK(json_seq(R"({"seq":4 2})") == why(NoSequence::malformed_json));
}

TEST_CASE("JSON: malformed or non-object payloads", "[seq][json]") {
  CHECK(json_seq("") == why(NoSequence::not_json_object));
  CHECK(json_seq("   ") == why(NoSequence::not_json_object));
  CHECK(json_seq("42") == why(NoSequence::not_json_object));
  CHECK(json_seq(R"([{"seq":1}])") == why(NoSequence::not_json_object));
  CHECK(json_seq(R"("{\"seq\":1}")") == why(NoSequence::not_json_object));
  CHECK(json_seq("{") == why(NoSequence::malformed_json));
  CHECK(json_seq("{seq:1}") == why(NoSequence::malformed_json));
  CHECK(json_seq("{'seq':1}") == why(NoSequence::malformed_json));
  CHECK(json_seq(R"({"seq" 1})") == why(NoSequence::malformed_json));
  CHECK(json_seq(R"({"a":1,})") == why(NoSequence::malformed_json));
  CHECK(json_seq(R"({"a":1 "seq":2})") == why(NoSequence::malformed_json));
  CHECK(json_seq(R"({"a":[1,],"seq":2})") == why(NoSequence::malformed_json));
  CHECK(json_seq(R"({"a":[1 2],"seq":2})") == why(NoSequence::malformed_json));
  CHECK(json_seq(R"({"a":{"b"},"seq":2})") == why(NoSequence::malformed_json));
  CHECK(json_seq(R"({"a":{"b":1],"seq":2})") == why(NoSequence::malformed_json));
  CHECK(json_seq(R"({"a":[1},"seq":2})") == why(NoSequence::malformed_json));
  CHECK(json_seq(R"({"a":tru,"seq":2})") == why(NoSequence::malformed_json));
  CHECK(json_seq(R"({"a":nul})") == why(NoSequence::malformed_json));
  CHECK(json_seq(R"({"a":"\x","seq":2})") == why(NoSequence::malformed_json));
  CHECK(json_seq(R"({"a":"\u12G4","seq":2})") == why(NoSequence::malformed_json));
  CHECK(json_seq(R"({"a":"\u12)") == why(NoSequence::malformed_json));
  CHECK(json_seq("{\"a\":\"tab\there\",\"seq\":2}") ==
        why(NoSequence::malformed_json));  // raw control
  CHECK(json_seq(R"({"a":"unterminated)") == why(NoSequence::malformed_json));
  CHECK(json_seq(R"({"a":1}trailing)") == why(NoSequence::field_missing));  // stops at '}'
  CHECK(json_seq(R"({"a":1})", "seq") == why(NoSequence::field_missing));
}

TEST_CASE("JSON: nesting is limited, not recursed", "[seq][json]") {
  const std::size_t max = SequenceExtractor::json_depth_max;
  const auto nested = [](std::size_t depth) {
    return R"({"a":)" + std::string(depth, '[') + std::string(depth, ']') + R"(,"seq":5})";
  };
  CHECK(json_seq(nested(max)) == "5");
  CHECK(json_seq(nested(max + 1)) == why(NoSequence::too_deep));
  CHECK(json_seq(R"({"a":)" + std::string(100000, '[')) == why(NoSequence::too_deep));
  std::string objects = R"({"a":)";
  for (std::size_t i = 0; i < max; ++i) objects += R"({"b":)";
  objects += "1" + std::string(max, '}') + R"(,"seq":6})";
  CHECK(json_seq(objects) == "6");
}

TEST_CASE("property: a member written by a JSON writer is found", "[seq][json][property]") {
  rc::prop("json_top_level_u64 finds seq among other members", [] {
    const auto value = *rc::gen::arbitrary<std::uint64_t>();
    const auto before = *rc::gen::inRange(0, 4);
    const auto after = *rc::gen::inRange(0, 4);
    const auto text =
        *rc::gen::container<std::string>(rc::gen::element('a', '"', '\\', '{', '[', ' ', ':'));
    std::string escaped_text;
    for (const char c : text) {
      if (c == '"' || c == '\\') escaped_text += '\\';
      escaped_text += c;
    }
    std::string json = "{";
    for (int i = 0; i < before; ++i)
      json += "\"k" + std::to_string(i) + "\": [\"" + escaped_text + "\", {\"seq\": 1}],";
    json += " \"seq\" : " + std::to_string(value);
    for (int i = 0; i < after; ++i)
      json += ", \"seq" + std::to_string(i) + "\": \"" + escaped_text + "\"";
    json += "}";
    const auto found = json_top_level_u64(json, "seq");
    RC_ASSERT(found.has_value());
    RC_ASSERT(*found == value);
  });
}
