// tether-watch and tether-config/1, through the real binary: --print-config
// shows every preset as a file that reads back identically; a --config file
// (and --set) is the policy that actually runs; bad files and overrides are
// usage errors that name the field; credentials never enter a configuration.
#include <catch2/catch.hpp>
#include <fstream>
#include <tether/io/config.hpp>
#include <tether/model/presets.hpp>

#include "child_process.hpp"
#include "scripted_server.hpp"

#ifdef TETHER_WATCH

namespace {

using namespace std::chrono_literals;
using tether::io::testing::Behaviour;
using tether::io::testing::run_watch;
using tether::io::testing::Scratch;
using tether::io::testing::ScriptedServer;
namespace io = tether::io;

std::filesystem::path write_file(const Scratch& dir, const std::string& name,
                                 const std::string& text) {
  const auto path = dir / name;
  std::ofstream(path) << text;
  return path;
}

// Fast retries that give up after `attempts` failed connections: the preset
// alone (aviso) retries forever, so exit 3 proves the file ran.
constexpr const char* kGiveUpFast = R"({
  "format": "tether-config/1",
  "preset": "aviso",
  "backoff": {"delay_ms_initial": 10, "delay_ms_max": 20, "short_session_delay_ms_min": 0},
  "give_up": {"attempts_max": 3}
})";

}  // namespace

TEST_CASE(
    "tether-watch config: --print-config shows every preset as a file that reads back identically",
    "[tether_watch][config]") {
  for (const auto& preset : tether::model::presets::all()) {
    INFO(preset.name);
    const auto run = run_watch({"--print-config", "--preset", std::string(preset.name)}, 20s);
    REQUIRE(run.exit_code == 0);
    const auto parsed = io::parse_config(run.out);
    REQUIRE(parsed.has_value());
    io::Config expected = io::preset_config(preset.name).value();
    expected.shell.auto_ack = false;  // tether-watch acks a line once written
    CHECK(io::to_json(*parsed) == io::to_json(expected));
  }
}

TEST_CASE("tether-watch config: a --config file is the policy that runs, and --set overrides it",
          "[tether_watch][config]") {
  const Scratch dir("watch-config-runs");
  const auto file = write_file(dir, "fast.json", kGiveUpFast);
  {
    ScriptedServer server({Behaviour::http_response(500)});
    const auto run = run_watch({server.base_url() + "/stream", "--config", file.string()}, 60s);
    INFO(run.err);
    CHECK(run.exit_code == 3);  // gave up
    CHECK(server.connections_accepted() == 3);
  }
  {
    ScriptedServer server({Behaviour::http_response(500)});
    const auto run = run_watch({server.base_url() + "/stream", "--config", file.string(), "--set",
                                "give_up.attempts_max=2"},
                               60s);
    INFO(run.err);
    CHECK(run.exit_code == 3);
    CHECK(server.connections_accepted() == 2);
  }
}

TEST_CASE("tether-watch config: the file, then each --set, then the flags",
          "[tether_watch][config]") {
  const Scratch dir("watch-config-order");
  const auto file = write_file(dir, "c.json", R"({"format": "tether-config/1", "preset": "grpc",
    "resume": {"gaps": "strict"}, "backoff": {"delay_ms_max": 50000}, "shell": {"sequence": "id"}})");
  const auto run = run_watch(
      {"--print-config", "--config", file.string(), "--set", "backoff.delay_ms_max=70000", "--set",
       "backoff.delay_ms_max=80000", "--gaps", "relaxed", "--seq-from", "json:n"},
      20s);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const auto c = io::parse_config(run.out);
  REQUIRE(c.has_value());
  CHECK(c->preset == "grpc");
  CHECK(c->session.backoff.multiplier ==
        tether::model::presets::grpc().backoff.multiplier);               // from the base
  CHECK(c->session.backoff.delay_ms_max == 80000);                        // the last --set
  CHECK(c->session.resume.gaps == tether::model::GapDetection::relaxed);  // the flag
  CHECK(c->shell.sequence == "json:n");
}

TEST_CASE("tether-watch config: bad files and overrides are usage errors naming the field",
          "[tether_watch][config]") {
  const Scratch dir("watch-config-bad");
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> files{
      {R"({"format": "tether-config/1", "backoff": {"hint_ms_max": -1}})",
       "backoff.hint_ms_max: must be in [0, 2^61 - 1]"},
      {R"({"format": "tether-config/1", "backoff": {"delay_ms_intial": 5}})",
       "backoff.delay_ms_intial: unknown field"},
      {"{\"format\": \"tether-config/1\",\n\"seed\": 1,,}", "line 2, column 11: JSON syntax error"},
      {R"({"format": "tether-config/1", "shell": {"http": {"headers": [{"name": "Authorization", "value": "Bearer s3cr3t"}]}}})",
       "shell.http.headers[0].name: 'Authorization' carries credentials"},
      // A syntax error is located, never quoted: the text around it may be a token.
      {"{\"format\": \"tether-config/1\",\n\"shell\": {\"http\": {\"headers\": [{\"name\": "
       "\"X-Api-Key\", \"value\": \"s3cr3t\n\"}]}}}",
       "line 2, column 70: JSON syntax error"},
      {R"({"format": "tether-config/1", "backoff": {"delay_ms_max": 1000, "delay_ms_max": 99999}})",
       "backoff.delay_ms_max: given twice"},
  };
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto file = write_file(dir, "bad" + std::to_string(i) + ".json", files[i].text);
    const auto run = run_watch({"http://127.0.0.1:1/x", "--config", file.string()}, 20s);
    INFO(run.err);
    CHECK(run.exit_code == 2);
    CHECK(run.err.find(file.string() + ": " + files[i].expected) != std::string::npos);
    CHECK(run.err.find("s3cr3t") == std::string::npos);
  }
  for (const auto& [set, expected] : std::vector<std::pair<std::string, std::string>>{
           {"nope.x=1", "--set: nope: unknown field"},
           {"connect.timeout_ms=0", "--set: connect.timeout_ms: must be in [1, 2^61 - 1]"},
           {"resume.gaps=loose", "--set: resume.gaps: expected one of: strict, relaxed"}}) {
    const auto run = run_watch({"http://127.0.0.1:1/x", "--set", set}, 20s);
    INFO(run.err);
    CHECK(run.exit_code == 2);
    CHECK(run.err.find(expected) != std::string::npos);
  }
  const auto both =
      run_watch({"http://127.0.0.1:1/x", "--preset", "grpc", "--config", "x.json"}, 20s);
  CHECK(both.exit_code == 2);
  CHECK(run_watch({"--print-config", "--preset", "nope"}, 20s)
            .err.find("unknown preset 'nope' (known: aviso") != std::string::npos);
}

// --set and -H take one value each: the URL after them is the URL (it was
// taken as one more override, and the error quoted its password and token).
TEST_CASE(
    "tether-watch config: the URL after --set or -H is the URL, and a bad --set never quotes it",
    "[tether_watch][config]") {
  for (const bool after_header : {false, true}) {
    INFO("after -H: " << after_header);
    ScriptedServer server({Behaviour::http_response(500)});
    std::vector<std::string> args{"--set", "give_up.attempts_max=1"};
    if (after_header) args.insert(args.end(), {"-H", "X-Team: ops"});
    args.push_back(server.base_url() + "/stream");
    const auto run = run_watch(args, 60s);
    INFO(run.err);
    CHECK(run.exit_code == 3);  // gave up after the one attempt the override allows
    CHECK(server.connections_accepted() == 1);
  }
  const auto run = run_watch(
      {"--print-config", "--set", "http://user:hunter2@127.0.0.1:1/x?access_token=s3cr3t"}, 20s);
  INFO(run.err);
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("--set: expected PATH=VALUE") != std::string::npos);
  CHECK(run.err.find("hunter2") == std::string::npos);
  CHECK(run.err.find("s3cr3t") == std::string::npos);
}

TEST_CASE("tether-watch config: -H credentials never enter the printed configuration",
          "[tether_watch][config]") {
  const auto run =
      run_watch({"--print-config", "-H", "Authorization: Bearer s3cr3t", "-H", "X-Team: ops"}, 20s);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.out.find("s3cr3t") == std::string::npos);
  CHECK(run.out.find("X-Team") == std::string::npos);  // -H headers stay on the command line
  REQUIRE(io::parse_config(run.out).has_value());
}

#ifdef TETHER_WATCH
TEST_CASE(
    "tether-watch config: --print-config shows what runs (a token source, its own acks, a strict "
    "seed)",
    "[tether_watch][config]") {
  const Scratch dir("watch-config-truth");
  const auto token = write_file(dir, "token", "t0ken\n");
  const auto run = run_watch(
      {"--print-config", "--token-file", token.string(), "--seed", "18446744073709551615"}, 20s);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const auto c = io::parse_config(run.out);
  REQUIRE(c.has_value());
  CHECK(c->session.auth.has_provider);
  CHECK_FALSE(c->shell.auto_ack);
  CHECK(c->seed == 18446744073709551615ULL);
  CHECK(run.out.find("t0ken") == std::string::npos);
  for (const char* bad : {"-1", "18446744073709551616", "1x", ""}) {
    const auto refused = run_watch({"--print-config", "--seed", bad}, 20s);
    INFO("--seed '" << bad << "'");
    CHECK(refused.exit_code == 2);
    CHECK(refused.err.find("--seed") != std::string::npos);
  }
}

// Found by the simulator running tether-watch's output (tests/sim/watch_code.cpp):
// with on_next_delivery the checkpoint passes lines still in stdout's buffer.
TEST_CASE("tether-watch config: a commit policy other than on_ack is refused, naming the field",
          "[tether_watch][config]") {
  const Scratch dir("watch-config-commit");
  const auto file = write_file(
      dir, "next.json",
      R"({"format": "tether-config/1", "preset": "aviso", "resume": {"commit": "on_next_delivery"}})");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--print-config", "--set", "resume.commit=on_next_delivery"},
        std::vector<std::string>{"--print-config", "--config", file.string()}}) {
    const auto refused = run_watch(args, 20s);
    INFO(refused.err);
    CHECK(refused.exit_code == 2);
    CHECK(refused.err.find("resume.commit") != std::string::npos);
    CHECK(refused.err.find("on_ack") != std::string::npos);
    CHECK(refused.out.empty());
  }
  CHECK(run_watch({"--print-config", "--set", "resume.commit=on_ack"}, 20s).exit_code == 0);
}
#endif  // TETHER_WATCH

// Subscribe messages may carry credentials: like -H values they stay out of
// the configuration that --print-config shows (and recordings embed).
TEST_CASE("tether-watch config: --ws-subscribe never enters the printed configuration",
          "[tether_watch][config]") {
  const auto run = run_watch({"--print-config", "--ws-subscribe", R"({"key":"SUBSECRET1"})",
                              "--ws-subscribe", "SUBSECRET2", "ws://127.0.0.1:1/ws"},
                             20s);
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK(run.out.find("tether-config/1") != std::string::npos);
  CHECK(run.out.find("SUBSECRET") == std::string::npos);
  CHECK(run.err.find("SUBSECRET") == std::string::npos);
}
#endif  // TETHER_WATCH
