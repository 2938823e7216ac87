// tether-config/1: the codec (io/src/config.cpp), its validation
// (io/src/config_validate.cpp) and the schema both share (config_schema.hpp).
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <tether/io/config.hpp>
#include <tether/model/presets.hpp>

namespace io = tether::io;
namespace model = tether::model;
using Json = nlohmann::ordered_json;

namespace {

std::string refused_field(std::string_view json) {
  auto c = io::parse_config(json);
  return c ? std::string("<accepted>") : c.error().field;
}

// A configuration that uses every section, so every field path exists.
io::Config everything() {
  io::Config c = io::preset_config("grpc").value();
  c.seed = 42;
  c.session.resume.start = model::Cursor::at_sequence(7);
  c.shell.sequence = "json:seq";
  c.shell.http.headers = {{"X-Team", "ops"}};
  c.shell.http.cursor_query_parameter = "last_id";
  model::poll::EndpointConfig ep;
  ep.name = "nodes";
  c.poll.endpoints.push_back(ep);
  return c;
}

// Leaf paths of a written document, list indexes as "[]".
void leaves(const Json& j, const std::string& path, std::set<std::string>& out) {
  if (j.is_object() && path != "resume.start") {
    for (const auto& item : j.items())
      leaves(item.value(), path.empty() ? item.key() : path + "." + item.key(), out);
  } else if (j.is_array() && !j.empty() && j[0].is_object()) {
    for (const auto& item : j) leaves(item, path + "[]", out);
    out.insert(path);
  } else {
    out.insert(path);
  }
}

std::string indexed(std::string path) {
  // poll.endpoints[].cadence_ms -> poll.endpoints[0].cadence_ms
  for (std::size_t at = path.find("[]"); at != std::string::npos; at = path.find("[]"))
    path.replace(at, 2, "[0]");
  return path;
}

// A value just or far outside the field's documented range.
rc::Gen<std::string> out_of_range(const io::FieldDoc& f) {
  if (f.type == "number") {
    return rc::gen::map(rc::gen::pair(rc::gen::arbitrary<bool>(), rc::gen::inRange(1, 1000000)),
                        [f](auto p) {
                          const double step = static_cast<double>(p.second) / 1000.0;
                          return Json(p.first ? f.lo_real - step : f.hi_real + step).dump();
                        });
  }
  constexpr std::int64_t top = std::numeric_limits<std::int64_t>::max();
  return rc::gen::map(
      rc::gen::pair(rc::gen::arbitrary<bool>(),
                    rc::gen::inRange<std::int64_t>(1, std::int64_t{1} << 40)),
      [f](auto p) {
        const bool below = p.first || f.hi == top;  // nothing above 2^63 - 1 in JSON integers here
        const std::int64_t v =
            below ? f.lo - p.second : (f.hi > top - p.second ? top : f.hi + p.second);
        return std::to_string(v);
      });
}

// everything() as a file, with `path` (list entries as [0]) set to `value`.
std::string with_value(const std::string& path, const std::string& value) {
  Json doc = Json::parse(io::to_json(everything()));
  Json* node = &doc;
  std::string rest = path;
  for (std::size_t dot; (dot = rest.find('.')) != std::string::npos; rest.erase(0, dot + 1)) {
    const std::string seg = rest.substr(0, dot);
    if (const auto br = seg.find("[0]"); br != std::string::npos)
      node = &(*node)[seg.substr(0, br)][0];
    else
      node = &(*node)[seg];
  }
  (*node)[rest] = Json::parse(value);
  return doc.dump();
}

}  // namespace

TEST_CASE("config: every preset writes and reads back to an identical configuration", "[config]") {
  for (const auto& preset : model::presets::all()) {
    DYNAMIC_SECTION("preset " << preset.name) {
      const io::Config c = io::preset_config(preset.name).value();
      const std::string text = io::to_json(c);
      const auto back = io::parse_config(text);
      REQUIRE(back.has_value());
      CHECK(io::to_json(*back) == text);
      CHECK(back->preset == preset.name);
      // The session itself, field by field through the model's own view.
      const model::SessionConfig& a = c.session;
      const model::SessionConfig& b = back->session;
      CHECK(a.backoff.delay_ms_initial == b.backoff.delay_ms_initial);
      CHECK(a.backoff.multiplier == b.backoff.multiplier);
      CHECK(a.backoff.jitter == b.backoff.jitter);
      CHECK(a.backoff.jitter_fraction == b.backoff.jitter_fraction);
      CHECK(a.heartbeat.has_value() == b.heartbeat.has_value());
      CHECK(io::to_json(*back, true) == io::to_json(c, true));
    }
  }
}

TEST_CASE("config: a configuration using every section round-trips, compact and pretty",
          "[config]") {
  const io::Config c = everything();
  for (const bool compact : {false, true}) {
    const auto back = io::parse_config(io::to_json(c, compact));
    REQUIRE(back.has_value());
    CHECK(io::to_json(*back) == io::to_json(c));
  }
  CHECK(io::to_json(c, true).find('\n') == std::string::npos);
}

TEST_CASE("config: a preset is a named base that fields override", "[config]") {
  const auto c = io::parse_config(
      R"({"format": "tether-config/1", "preset": "aviso", "backoff": {"delay_ms_max": 60000}})");
  REQUIRE(c.has_value());
  const model::SessionConfig aviso = model::presets::aviso();
  CHECK(c->session.backoff.delay_ms_max == 60000);
  CHECK(c->session.backoff.delay_ms_initial == aviso.backoff.delay_ms_initial);
  CHECK(c->session.backoff.short_session_ms == aviso.backoff.short_session_ms);
  CHECK(c->session.heartbeat.has_value());
  CHECK_FALSE(c->seed.has_value());

  const auto none =
      io::parse_config(R"({"format": "tether-config/1", "preset": "aviso", "heartbeat": null})");
  REQUIRE(none.has_value());
  CHECK_FALSE(none->session.heartbeat.has_value());
}

TEST_CASE("config: errors name the field path, or the line and column of a syntax error",
          "[config]") {
  CHECK(refused_field(R"({"format": "tether-config/1", "backoff": {"hint_ms_max": -1}})") ==
        "backoff.hint_ms_max");
  CHECK(refused_field(R"({"format": "tether-config/1", "backoff": {"delay_ms_initial_x": 1}})") ==
        "backoff.delay_ms_initial_x");
  CHECK(refused_field(R"({"format": "tether-config/1", "resume": {"gaps": "loose"}})") ==
        "resume.gaps");
  CHECK(
      refused_field(
          R"({"format": "tether-config/1", "resume": {"checkpoint_every_events": 4294967296}})") ==
      "resume.checkpoint_every_events");
  CHECK(refused_field(R"({"format": "tether-config/1", "connect": {"timeout_ms": "10s"}})") ==
        "connect.timeout_ms");
  CHECK(refused_field(R"({"preset": "aviso"})") == "format");
  CHECK(refused_field(R"({"format": "tether-config/2"})") == "format");
  CHECK(refused_field(R"({"format": "tether-config/1", "preset": "nope"})") == "preset");
  CHECK(
      refused_field(
          R"({"format": "tether-config/1", "poll": {"endpoints": [{"name": "a"}, {"name": "a"}]}})") ==
      "poll.endpoints[1].name");
  CHECK(
      refused_field(
          R"({"format": "tether-config/1", "poll": {"endpoints": [{"name": "a", "cadence_ms": 0}]}})") ==
      "poll.endpoints[0].cadence_ms");
  CHECK(
      refused_field(R"({"format": "tether-config/1", "wait": {"backoff": {"multiplier": 0.5}}})") ==
      "wait.backoff.multiplier");
  CHECK(refused_field(R"({"format": "tether-config/1", "shell": {"sequence": "json:"}})") ==
        "shell.sequence");

  const auto unknown_preset =
      io::parse_config(R"({"format": "tether-config/1", "preset": "nope"})");
  CHECK_THAT(unknown_preset.error().message(),
             Catch::Contains("aviso") && Catch::Contains("client_go"));

  const auto syntax = io::parse_config("{\n  \"format\": \"tether-config/1\",\n  \"seed\": 1,,\n}");
  REQUIRE_FALSE(syntax.has_value());
  CHECK(syntax.error().field.empty());
  CHECK(syntax.error().line == 3);
  CHECK(syntax.error().column == 13);
  CHECK_THAT(syntax.error().message(), Catch::StartsWith("line 3, column 13: JSON syntax error"));
}

TEST_CASE("config: credentials never belong in a configuration", "[config]") {
  for (const char* name : {"Authorization", "proxy-authorization", "COOKIE"}) {
    const std::string json =
        std::string(R"({"format": "tether-config/1", "shell": {"http": {"headers": [{"name": ")") +
        name + R"(", "value": "Bearer s3cr3t"}]}}})";
    const auto c = io::parse_config(json);
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().field == "shell.http.headers[0].name");
    CHECK(c.error().message().find("s3cr3t") == std::string::npos);
  }
  // Header injection is refused as it is on the command line.
  CHECK(
      refused_field(
          R"({"format": "tether-config/1", "shell": {"http": {"headers": [{"name": "X-A", "value": "a\r\nEvil: 1"}]}}})") ==
      "shell.http.headers[0]");
}

TEST_CASE("config: a syntax error names its line and column, never the text it read", "[config]") {
  // nlohmann quotes what it last read ("last read: '\"Bearer s3cr3t'"): a token
  // pasted into a file must not reach stderr (and CI logs) through a typo.
  for (const std::string& value : {std::string("\"Bearer s3cr3t\n\""),   // a raw LF
                                   std::string("\"Bearer s3cr3t}]}}}"),  // no closing quote
                                   std::string("s3cr3t")}) {             // not quoted
    const std::string json =
        "{\"format\": \"tether-config/1\",\n \"shell\": {\"http\": {\"headers\": "
        "[{\"name\": \"X-Api-Key\", \"value\": " +
        value + "}]}}}";
    const auto c = io::parse_config(json);
    REQUIRE_FALSE(c.has_value());
    INFO(c.error().message());
    CHECK(c.error().line == 2);
    CHECK_THAT(c.error().message(),
               Catch::StartsWith("line 2, column ") && Catch::Contains("JSON syntax error"));
    CHECK(c.error().message().find("s3cr3t") == std::string::npos);
  }
}

// A JSON parser keeps the last of two equal keys: a reviewer reading the first
// would approve a policy that is not the one that runs.
TEST_CASE("config: a field given twice is refused by name, in a file and in a --set value",
          "[config]") {
  CHECK(
      refused_field(
          R"({"format": "tether-config/1", "backoff": {"delay_ms_max": 1000, "delay_ms_max": 99999}})") ==
      "backoff.delay_ms_max");
  CHECK(refused_field(
            R"({"format": "tether-config/1", "heartbeat": {"slack_ms": 1}, "heartbeat": null})") ==
        "heartbeat");
  CHECK(refused_field(R"({"format": "tether-config/1", "format": "tether-config/1"})") == "format");
  CHECK(refused_field(R"({"format": "tether-config/1", "poll": {"endpoints": [{"name": "a"},
        {"name": "b", "cadence_ms": 1, "cadence_ms": 2}]}})") == "poll.endpoints[1].cadence_ms");
  CHECK(
      refused_field(
          R"({"format": "tether-config/1", "resume": {"start": {"sequence": 1, "sequence": 2}}})") ==
      "resume.start.sequence");
  // The same name in two objects is two fields.
  CHECK(refused_field(R"({"format": "tether-config/1", "backoff": {"multiplier": 2},
        "wait": {"backoff": {"multiplier": 2}}, "shell": {"http": {"headers": [{"name": "X-A", "value": "1"},
        {"name": "X-B", "value": "2"}]}}})") == "<accepted>");
  io::Config c = io::preset_config("aviso").value();
  const auto set = io::set_field(c, R"(backoff={"multiplier": 2, "multiplier": 3})");
  REQUIRE_FALSE(set.has_value());
  CHECK(set.error().field == "backoff.multiplier");
}

// The start token becomes the Last-Event-ID header: a control byte in it was
// accepted, then failed every connection as unrecoverable once the run began.
TEST_CASE("config: a start token must be sendable as Last-Event-ID", "[config]") {
  for (const char* token : {R"(a\r\nX-Evil: 1)", R"(a\u0000b)", R"(a\u007fb)"}) {
    INFO(token);
    const std::string json =
        std::string(R"({"format": "tether-config/1", "resume": {"start": {"token": ")") + token +
        "\"}}}";
    CHECK(refused_field(json) == "resume.start.token");
  }
  const auto ok = io::parse_config(
      R"({"format": "tether-config/1", "resume": {"start": {"token": "1795354766:0 \u00e9"}}})");
  REQUIRE(ok.has_value());
  CHECK(io::parse_config(io::to_json(*ok)).has_value());
}

TEST_CASE("config: hostile input is bounded", "[config]") {
  const std::string deep = R"({"format": "tether-config/1", "x": )" + std::string(100000, '[') +
                           std::string(100000, ']') + "}";
  const auto c = io::parse_config(deep);
  REQUIRE_FALSE(c.has_value());
  CHECK_THAT(c.error().message(), Catch::Contains("nested deeper"));
  const std::string huge = R"({"format": "tether-config/1", "preset": ")" +
                           std::string(io::config_bytes_max, 'a') + "\"}";
  CHECK_THAT(io::parse_config(huge).error().message(), Catch::Contains("larger than"));
  Json many = Json::parse(R"({"format": "tether-config/1", "poll": {"endpoints": []}})");
  for (int i = 0; i < 65; ++i)
    many["poll"]["endpoints"].push_back({{"name", "e" + std::to_string(i)}});
  CHECK(refused_field(many.dump()) == "poll.endpoints");
}

TEST_CASE("config: load_config names the file in every error", "[config]") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("tether-config-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto missing = io::load_config(dir / "missing.json");
  REQUIRE_FALSE(missing.has_value());
  CHECK_THAT(missing.error().message(), Catch::StartsWith((dir / "missing.json").string() + ": "));
  const auto bad = dir / "bad.json";
  std::ofstream(bad) << R"({"format": "tether-config/1", "budget": {"tokens_max": -3}})";
  CHECK(io::load_config(bad).error().message() ==
        bad.string() + ": budget.tokens_max: must be >= 0");
  const auto good = dir / "good.json";
  std::ofstream(good) << io::to_json(everything());
  REQUIRE(io::load_config(good).has_value());
  std::filesystem::remove_all(dir);
}

TEST_CASE("config: --set overrides one field and is checked like a file", "[config]") {
  io::Config c = io::preset_config("aviso").value();
  REQUIRE(io::set_field(c, "backoff.delay_ms_max=60000"));
  CHECK(c.session.backoff.delay_ms_max == 60000);
  REQUIRE(io::set_field(c, "resume.gaps=relaxed"));
  CHECK(c.session.resume.gaps == model::GapDetection::relaxed);
  REQUIRE(io::set_field(c, "shell.sequence=json:seq"));
  CHECK(c.shell.sequence == "json:seq");
  REQUIRE(io::set_field(c, "heartbeat=null"));
  CHECK_FALSE(c.session.heartbeat.has_value());
  REQUIRE(io::set_field(c, "heartbeat.interval_ms=5000"));  // back, with defaults for the rest
  REQUIRE(c.session.heartbeat.has_value());
  CHECK(c.session.heartbeat->interval_ms == 5000);
  CHECK(c.session.heartbeat->interval_multiple == model::HeartbeatPolicy{}.interval_multiple);
  REQUIRE(io::set_field(c, "resume.start.sequence=12"));
  CHECK(c.session.resume.start.kind == model::CursorKind::sequence);
  CHECK(c.session.resume.start.sequence == 12);
  REQUIRE(io::set_field(c, "poll.endpoints[0].name=nodes"));
  REQUIRE(c.poll.endpoints.size() == 1);
  CHECK(c.poll.endpoints[0].name == "nodes");
  REQUIRE(io::set_field(c, "seed=9"));
  CHECK(c.seed == 9U);
  CHECK(c.preset == "aviso");

  const io::Config before = c;
  auto fails = [&](std::string_view assignment) {
    auto r = io::set_field(c, assignment);
    CHECK(io::to_json(c) == io::to_json(before));  // untouched on error
    return r ? std::string("<accepted>") : r.error().field;
  };
  CHECK(fails("backoff.hint_ms_max=-1") == "backoff.hint_ms_max");
  CHECK(fails("backoff.nope=1") == "backoff.nope");
  CHECK(fails("nope.deeper=1") == "nope");
  CHECK(fails("preset=grpc") == "preset");
  CHECK(fails("poll.endpoints[5].name=x") == "poll.endpoints");
  CHECK(fails("backoff.delay_ms_max") == "backoff.delay_ms_max");
  CHECK(fails(".backoff.delay_ms_max=1") == ".backoff.delay_ms_max");
  CHECK(fails("backoff..delay_ms_max=1") == "backoff..delay_ms_max");
  // Not a path (a URL that followed --set): refused without quoting it.
  const auto url = io::set_field(c, "http://user:hunter2@host/x?access_token=s3cr3t");
  REQUIRE_FALSE(url.has_value());
  CHECK_THAT(url.error().message(), Catch::StartsWith("expected PATH=VALUE"));
  CHECK(url.error().message().find("hunter2") == std::string::npos);
  CHECK(url.error().message().find("s3cr3t") == std::string::npos);
}

TEST_CASE("config: the SSE method is GET, POST or REPORT, and comments are opt-in", "[config]") {
  io::Config c = io::preset_config("aviso").value();
  CHECK_FALSE(c.shell.sse.deliver_comments);
  REQUIRE(io::set_field(c, "shell.sse.deliver_comments=true"));
  CHECK(c.shell.sse.deliver_comments);
  REQUIRE(io::set_field(c, "shell.sse.method=REPORT"));
  CHECK(c.shell.sse.method == "REPORT");
  REQUIRE(io::set_field(c, "shell.sse.reconnect=resume_by_get"));  // as for POST
  const auto back = io::parse_config(io::to_json(c));
  REQUIRE(back);
  CHECK(back->shell.sse.method == "REPORT");
  CHECK(back->shell.sse.deliver_comments);
  const auto put = io::set_field(c, "shell.sse.method=PUT");
  REQUIRE_FALSE(put);
  CHECK(put.error().message() == "shell.sse.method: must be GET, POST or REPORT");
  io::Config get = io::preset_config("aviso").value();
  const auto by_get = io::set_field(get, "shell.sse.reconnect=resume_by_get");
  REQUIRE_FALSE(by_get);
  CHECK(by_get.error().field == "shell.sse.reconnect");
  CHECK_THAT(by_get.error().message(), Catch::Contains("POST and REPORT streams"));
}

TEST_CASE("config: the reference lists every field the format writes", "[config]") {
  std::set<std::string> documented;
  for (const auto& f : io::config_fields()) {
    CHECK_FALSE(f.doc.empty());
    CHECK(documented.insert(f.path).second);  // no duplicates
  }
  std::set<std::string> written;
  leaves(Json::parse(io::to_json(everything())), "", written);
  for (const auto& path : written) {
    INFO(path);
    CHECK(documented.count(path) == 1);
  }
}

// Every numeric field with a documented range: a value outside it is refused,
// whether it comes from a file or from --set, and the refusal names the field.
// The reader checks types only, so each refusal comes from the same validators
// the C++ API uses (model::validate and the poll, wait, mirror and shell ones).
TEST_CASE("config: every value outside a field's range is refused by name", "[config][property]") {
  rc::prop("out-of-range values are refused with the field's path", [] {
    std::size_t checked = 0;
    for (const auto& f : io::config_fields()) {
      if (f.range.empty() || (f.type != "integer" && f.type != "number")) continue;
      const std::string path = indexed(f.path);
      const std::string value = *out_of_range(f);
      io::Config c = everything();
      const auto r = io::set_field(c, path + "=" + value);
      RC_LOG() << path << "=" << value << " -> " << (r ? "accepted" : r.error().message()) << "\n";
      RC_ASSERT_FALSE(r.has_value());
      RC_ASSERT(r.error().field == path);
      RC_ASSERT(refused_field(with_value(path, value)) == path);  // and the same value in a file
      ++checked;
    }
    RC_ASSERT(checked > 40U);
  });
}

TEST_CASE("config: values at the ends of every range are accepted", "[config]") {
  for (const auto& f : io::config_fields()) {
    if (f.range.empty() || (f.type != "integer" && f.type != "number")) continue;
    // "[backoff.delay_ms_initial, ...]": the low end is another field's value.
    const bool low_is_a_number =
        f.range.size() > 1 &&
        (f.range[1] == '-' || std::isdigit(static_cast<unsigned char>(f.range[1])) != 0);
    for (const bool low : {true, false}) {
      if (low && !low_is_a_number) continue;
      io::Config c = everything();
      const std::string path = indexed(f.path);
      const std::string value = f.type == "number" ? Json(low ? f.lo_real : f.hi_real).dump()
                                                   : std::to_string(low ? f.lo : f.hi);
      const auto r = io::set_field(c, path + "=" + value);
      INFO(path << "=" << value << " -> " << (r ? "accepted" : r.error().message()));
      // A bound may clash with another field (delay_ms_initial at its maximum
      // exceeds delay_ms_max); then the other field is the one named.
      CHECK((r.has_value() || r.error().field != path));
    }
  }
}
