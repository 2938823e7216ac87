// Scenario files: exact round trips, and errors that name the field.
#include <catch2/catch.hpp>
#include <string>
#include <tether/model/presets.hpp>
#include <tether/sim/scenario_json.hpp>
#include <tether/sim/session_world.hpp>
#include <tether/sim/swarm.hpp>
#include <utility>
#include <vector>

using namespace tether::sim;
namespace model = tether::model;

TEST_CASE("json: 200 swarm scenarios round-trip to the same file and the same trace hash",
          "[scenario-json]") {
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    INFO("seed " << seed);
    const Scenario s = swarm_scenario(seed);
    const std::string text = to_json(s);
    const auto parsed = parse_scenario(text);
    INFO((parsed ? std::string() : parsed.error().message()) << "\n" << text);
    REQUIRE(parsed);
    CHECK(to_json(*parsed) == text);
    CHECK(run_session(*parsed).trace_hash == run_session(s).trace_hash);
  }
}

TEST_CASE("json: a minimal file takes Scenario{}'s defaults", "[scenario-json]") {
  const auto parsed = parse_scenario(R"({"format": "tether-scenario/1"})");
  REQUIRE(parsed);
  CHECK(to_json(*parsed) == to_json(Scenario{}));
}

TEST_CASE("json: every field survives, including extremes", "[scenario-json]") {
  Scenario s;
  s.seed = UINT64_MAX;
  s.clients = 3;
  s.liveness_ms = 5000;
  s.label = "edge";
  s.config.heartbeat.reset();
  s.config.resume.commit = tether::model::CommitPolicy::on_next_delivery;
  s.config.resume.too_old = tether::model::TooOldPolicy::resume_from_live;
  s.config.auth.on_refresh_failure = tether::model::RefreshFailure::terminal;
  s.config.budget.tokens_max = 4;
  s.config.backoff.delay_ms_initial = 1113;
  s.config.backoff.multiplier = 1.7;
  s.fixed_seed = UINT64_MAX;
  s.world.notify_network_restored = true;
  s.world.opaque_ids = true;
  s.world.id_bytes = tether::model::Token::capacity;
  s.world.server_error_retry_after_ms = 7000;
  s.faults = {Fault{FaultKind::stop, 2, 119999, 0, 1},
              Fault{FaultKind::loss, all_clients, 0, 1, 1000},
              Fault{FaultKind::pause, 1, 500, 60000, 0},
              Fault{FaultKind::network_changed, all_clients, 700, 0, 1},
              Fault{FaultKind::restart, 0, 900, 0, 0}};
  const auto parsed = parse_scenario(to_json(s));
  REQUIRE(parsed);
  CHECK(to_json(*parsed) == to_json(s));
  CHECK(parsed->seed == UINT64_MAX);
  CHECK(parsed->fixed_seed == UINT64_MAX);
  CHECK(parsed->faults[1].client == all_clients);
  CHECK(parsed->label == "edge");
  CHECK(parsed->config.backoff.delay_ms_initial == 1113);
  CHECK(parsed->config.backoff.multiplier == 1.7);
  CHECK_FALSE(parsed->config.heartbeat.has_value());
  CHECK(parsed->config.budget.tokens_max == 4);
  CHECK(parsed->world.id_bytes == tether::model::Token::capacity);
  CHECK(parsed->world.server_error_retry_after_ms == 7000);
  CHECK(parsed->faults[0].param == 1);
  CHECK(parsed->faults[2].kind == FaultKind::pause);
  CHECK(parsed->faults[2].duration_ms == 60000);
  CHECK(parsed->faults[3].kind == FaultKind::network_changed);
  CHECK(parsed->faults[3].param == 1);
  CHECK(parsed->faults[4].kind == FaultKind::restart);
  CHECK(to_json(s).find("\"network_changed\"") != std::string::npos);
}

namespace {

std::string with_faults(const std::string& faults) {
  return R"({"format": "tether-scenario/1", "clients": 2, "faults": [)" + faults + "]}";
}
constexpr const char* ok_fault = R"({"kind": "reset", "client": 0, "at_ms": 1000})";

}  // namespace

TEST_CASE("json: malformed inputs name the field (or the byte) and the problem",
          "[scenario-json]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {with_faults(std::string(ok_fault) + "," + ok_fault + "," + ok_fault +
                   R"(, {"kind": "reset", "at_ms": -1})"),
       "faults[3].at_ms: expected a non-negative integer"},
      {with_faults(R"({"kind": "reset", "at_ms": 1.5})"),
       "faults[0].at_ms: expected a non-negative integer"},
      {with_faults(R"({"kind": "reset", "at_ms": "10"})"),
       "faults[0].at_ms: expected a non-negative integer"},
      {with_faults(R"({"kind": "reset", "at_ms": 1000000000000000})"),
       "faults[0].at_ms: expected a non-negative integer"},
      {with_faults(R"({"kind": "explode", "at_ms": 1})"),
       "faults[0].kind: unknown fault kind \"explode\""},
      {with_faults(R"({"kind": 3, "at_ms": 1})"), "faults[0].kind: expected a string"},
      {with_faults(R"({"at_ms": 1})"), "faults[0].kind: missing required field"},
      {with_faults(R"({"kind": "reset"})"), "faults[0].at_ms: missing required field"},
      {with_faults(R"({"kind": "reset", "at_ms": 1, "colour": "red"})"),
       "faults[0].colour: unknown field"},
      {with_faults(R"({"kind": "reset", "at_ms": 1, "client": 2})"),
       "faults[0].client: client 2 is not in the fleet"},
      {with_faults(R"({"kind": "reset", "at_ms": 1, "client": "some"})"),
       "faults[0].client: expected a client index or \"all\""},
      {with_faults(R"({"kind": "reset", "at_ms": 120000})"),
       "faults[0].at_ms: must be in the safety phase"},
      {with_faults(R"({"kind": "loss", "at_ms": 1, "param": 1001})"),
       "faults[0].param: loss is in permille"},
      {with_faults(R"({"kind": "network_changed", "at_ms": 1, "param": 2})"),
       "faults[0].param: a network change is 0, or 1"},
      {with_faults(R"({"kind": "server_errors", "at_ms": 1, "param": 200})"),
       "faults[0].param: expected an HTTP status"},
      {with_faults(R"(7)"), "faults[0]: expected an object"},
      {R"({"format": "tether-scenario/1", "faults": {}})", "faults: expected an array"},
      {R"({"preset": "aviso"})", "format: missing required field"},
      {R"({"format": "tether-scenario/2"})", "format: expected \"tether-scenario/1\""},
      {R"({"format": "tether-scenario/1", "preset": "nope"})", "preset: unknown preset \"nope\""},
      {R"({"format": "tether-scenario/1", "clients": 0})",
       "clients: expected an integer in [1, 1024]"},
      {R"({"format": "tether-scenario/1", "seed": -1})", "seed: expected a non-negative integer"},
      {R"({"format": "tether-scenario/1", "extra": 1})", "extra: unknown field"},
      {R"({"format": "tether-scenario/1", "fixed_seed": -1})",
       "fixed_seed: expected a non-negative integer"},
      {R"({"format": "tether-scenario/1", "fixed_seed": "7"})",
       "fixed_seed: expected a non-negative integer"},
      {R"({"format": "tether-scenario/1", "config": {"seed": 7}, "fixed_seed": 7})",
       "fixed_seed: the fixed seed is given twice (here and as config.seed): give one"},
      {R"({"format": "tether-scenario/1", "world": {"auth": "yes"}})",
       "world.auth: expected true or false"},
      {R"({"format": "tether-scenario/1", "world": {"append_every_ms": 0}})",
       "world.append_every_ms: expected an integer in [1,"},
      {R"({"format": "tether-scenario/1", "world": {"latency_ms_min": 9, "latency_ms_max": 3}})",
       "world.latency_ms_max: must be at least world.latency_ms_min"},
      {R"({"format": "tether-scenario/1", "world": {"wind": 3}})", "world.wind: unknown field"},
      {R"({"format": "tether-scenario/1", "world": {"id_bytes": 64}})",
       "world.id_bytes: needs world.opaque_ids = true"},
      {R"({"format": "tether-scenario/1", "world": {"opaque_ids": true, "id_bytes": 65537}})",
       "world.id_bytes: expected at most 65536"},
      {R"({"format": "tether-scenario/1", "world": {"opaque_ids": true, "id_bytes_max": 1025}})",
       "world.id_bytes_max: expected at most 1024"},
      {R"({"format": "tether-scenario/1", "overrides": {"too_old": "ignore"}})",
       "overrides.too_old: unknown value \"ignore\""},
      {R"({"format": "tether-scenario/1", "overrides": {"commit": true}})",
       "overrides.commit: expected a string"},
      {R"({"format": "tether-scenario/1", "overrides": {"checkpoint_every_events": 4294967296}})",
       "overrides.checkpoint_every_events: expected an integer in [0, 4294967295]"},
      {R"({"format": "tether-scenario/1", "overrides": []})", "overrides: expected an object"},
      {R"([1, 2])", "(document): expected a JSON object"},
      {R"({"format": "tether-scenario/1",})", "byte 32: line 1, column 32: syntax error"},
      {R"({"format": "tether-scenario/1")", "byte 31: line 1, column 31: syntax error"},
      {"", "byte 1: line 1, column 1: syntax error"},
      {std::string(40, '['), "byte 16: nesting deeper than 16"},
      {"{\"format\": \"\xff\"}", "syntax error"},
  };
  for (const auto& [input, expected] : cases) {
    INFO("input: " << input);
    const auto parsed = parse_scenario(input);
    REQUIRE_FALSE(parsed);
    const std::string message = parsed.error().message();
    INFO("message: " << message);
    CHECK((message.starts_with(expected) || message.find(expected) != std::string::npos));
    if (!parsed.error().byte_offset) CHECK(message.starts_with(parsed.error().field + ": "));
  }
}

TEST_CASE("json: an invalid configuration is refused at parse time, naming it", "[scenario-json]") {
  const auto parsed = parse_scenario(
      R"({"format": "tether-scenario/1", "overrides": {"budget_tokens_max": 3, "budget_refill_ms_per_token": 0}})");
  if (!parsed)
    CHECK(parsed.error().field == "overrides");
  else
    CHECK(run_session(*parsed).ok());  // the model accepts it: then the run must too
}

TEST_CASE("json: \"config\" is a tether-config/1 configuration, read whole",
          "[scenario-json][config]") {
  const auto parsed = parse_scenario(R"({"format": "tether-scenario/1",
      "config": {"preset": "zero_ws", "backoff": {"delay_ms_initial": 1113}, "heartbeat": null}})");
  INFO((parsed ? std::string() : parsed.error().message()));
  REQUIRE(parsed);
  const model::SessionConfig zero_ws = model::presets::zero_ws();
  CHECK(parsed->label == "zero_ws");  // the preset base, for display
  CHECK(parsed->config.backoff.delay_ms_initial == 1113);
  CHECK(parsed->config.backoff.delay_ms_max == zero_ws.backoff.delay_ms_max);
  CHECK_FALSE(parsed->config.heartbeat.has_value());
  CHECK(parsed->config.resume.start.kind ==
        model::CursorKind::none);  // the file's start, as written
  // The same with the configuration's own "format", and a label.
  const auto labelled = parse_scenario(R"({"format": "tether-scenario/1", "label": "ours",
      "config": {"format": "tether-config/1", "backoff": {"delay_ms_initial": 1113}}})");
  REQUIRE(labelled);
  CHECK(labelled->label == "ours");
  CHECK(labelled->config.backoff.delay_ms_initial == 1113);
  CHECK(to_json(*parse_scenario(to_json(*labelled))) == to_json(*labelled));
}

TEST_CASE("json: errors in \"config\" name the field under config", "[scenario-json][config]") {
  const std::string head = R"({"format": "tether-scenario/1", )";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {head + R"("config": {"backoff": {"delay_ms_initial": 500, "delay_ms_max": 100}}})",
       "config.backoff.delay_ms_max: "},
      {head + R"("config": {"backof": {}}})", "config.backof: "},
      {head + R"("config": {"backoff": {"delay_ms_initial": -1}}})",
       "config.backoff.delay_ms_initial: "},
      {head + R"("config": {"preset": "nope"}})", "config.preset: "},
      {head + R"("config": {"format": "tether-config/9"}})", "config.format: "},
      {head + R"("config": [1]})", "config: expected an object"},
      {head + R"("config": {}, "preset": "aviso"})", "preset: give either config or preset"},
      {head + R"("config": {}, "overrides": {}})", "overrides: give either config or preset"},
      {head + R"("label": 3})", "label: expected a string"},
  };
  for (const auto& [input, expected] : cases) {
    INFO("input: " << input);
    const auto parsed = parse_scenario(input);
    REQUIRE_FALSE(parsed);
    INFO("message: " << parsed.error().message());
    CHECK(parsed.error().message().starts_with(expected));
  }
}

TEST_CASE("json: an old-form file comes back in the new form, the same scenario",
          "[scenario-json][config]") {
  const auto old = parse_scenario(
      R"({"format": "tether-scenario/1", "preset": "kanade", "overrides": {"too_old": "fail", "delay_ms_max": 50000}})");
  REQUIRE(old);
  CHECK(old->label == "kanade");
  CHECK(old->config.backoff.delay_ms_max == 50000);
  CHECK(old->config.resume.start == model::Cursor::at_sequence(0));
  const std::string text = to_json(*old);
  CHECK(text.find("\"delay_ms_initial\": 1000") !=
        std::string::npos);                            // every session field, written
  CHECK(text.find("\"shell\"") == std::string::npos);  // not simulated: not written
  const auto again = parse_scenario(text);
  REQUIRE(again);
  CHECK(again->label == "kanade");
  CHECK(to_json(*again) == text);
  CHECK(run_session(*again).trace_hash == run_session(*old).trace_hash);
}

TEST_CASE("json: the fixed seed: \"fixed_seed\" or the config's \"seed\", as in production",
          "[scenario-json][seeding]") {
  // Unset by default, and then not written: files without it stay the same.
  const auto none = parse_scenario(R"({"format": "tether-scenario/1"})");
  REQUIRE(none);
  CHECK_FALSE(none->fixed_seed.has_value());
  CHECK(to_json(*none).find("fixed_seed") == std::string::npos);
  // A configuration file's "seed" fixes every process's jitter seed in
  // production (io::seed_or_random); in a scenario it is the same fixed seed,
  // written back once, as "fixed_seed".
  const auto from_config =
      parse_scenario(R"({"format": "tether-scenario/1", "config": {"seed": 42}})");
  REQUIRE(from_config);
  CHECK(from_config->fixed_seed == 42U);
  const std::string written = to_json(*from_config);
  CHECK(written.find("\"fixed_seed\": 42") != std::string::npos);
  const auto reread = parse_scenario(written);
  REQUIRE(reread);
  CHECK(reread->fixed_seed == 42U);
  CHECK(to_json(*reread) == written);
  // The form before tether-config/1 states it too.
  const auto old_form =
      parse_scenario(R"({"format": "tether-scenario/1", "preset": "grpc", "fixed_seed": 0})");
  REQUIRE(old_form);
  CHECK(old_form->fixed_seed == 0U);
}
