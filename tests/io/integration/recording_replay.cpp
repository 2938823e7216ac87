// Recordings that replay exactly, end to end: a real session against nchan
// (tether-watch with a custom configuration file, and the Runner with a custom
// SessionConfig) records a run with an outage; `tether-sim replay --events FILE`
// with no other argument rebuilds the session from the recording's header and
// gets every step's effects and the final state; editing one field of the
// recorded configuration makes replay name the divergence and exit 1.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <tether/io/runner.hpp>
#include <tether/model/event_log.hpp>
#include <vector>

#include "child_process.hpp"
#include "collector.hpp"
#include "nginx_server.hpp"
#include "session_support.hpp"

#ifdef TETHER_SIM

using namespace tether;
using namespace tether::io::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct Replayed {
  int exit_code = -1;
  std::string out, err;
};

Replayed replay(const fs::path& events, const fs::path& dir, const std::string& name) {
  Child sim(TETHER_SIM, {"replay", "--events", events.string()}, dir, name);
  Replayed r;
  r.exit_code = sim.wait_exit(60s);
  r.out = sim.out();
  r.err = sim.err();
  return r;
}

std::string seq_body(int seq) { return "{\"seq\":" + std::to_string(seq) + "}"; }

// The recording, decoded; its final state line says Stopped.
model::Recording decoded(const fs::path& path) {
  const std::string text = read_all(path);
  auto recording = model::decode_recording(text);
  INFO(text.substr(0, 4000));
  REQUIRE(recording);
  REQUIRE(recording->format == 2);
  REQUIRE(recording->header);
  REQUIRE_FALSE(recording->states.empty());
  CHECK(recording->states.back().check.status.kind == model::StatusKind::stopped);
  return std::move(*recording);
}

// A replay that reproduced the recording: every step and the final state.
void check_exact(const Replayed& r, const model::Recording& recording) {
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("effects: all " + std::to_string(recording.steps.size()) +
                   " steps as recorded\n") != std::string::npos);
  CHECK(r.out.find("final state: as recorded") != std::string::npos);
  CHECK(r.out.find("final phase: Stopped") != std::string::npos);
  CHECK(r.out.find("outcome: replayed exactly\n") != std::string::npos);
  // The operator summary saw the outage and the reconnect, in UTC.
  CHECK(std::regex_search(r.out, std::regex("\n  outages      [1-9][0-9]* \\(")));
  CHECK(std::regex_search(r.out,
                          std::regex("\n    #1 20[0-9-]+T[0-9:.]+Z to 20[0-9-]+T[0-9:.]+Z \\(")));
  CHECK(r.out.find(": connected\n") != std::string::npos);
  CHECK(r.out.find("\n  final state  stopped: the application asked to stop (stop_requested)\n") !=
        std::string::npos);
}

// The recording with `from` replaced by `to` in its @config line only.
fs::path edited_copy(const fs::path& path, const std::string& from, const std::string& to) {
  std::string text = read_all(path);
  const auto config = text.find("\n@config ");
  REQUIRE(config != std::string::npos);
  const auto end = text.find('\n', config + 1);
  const auto at = text.find(from, config);
  REQUIRE(at != std::string::npos);
  REQUIRE(at < end);
  text.replace(at, from.size(), to);
  const fs::path out = path.string() + ".edited";
  std::ofstream(out, std::ios::binary) << text;
  return out;
}

void check_diverges(const Replayed& r, const model::Recording& recording) {
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("outcome: DIVERGED") != std::string::npos);
  // It names the step, its line and its event, as recorded.
  std::smatch m;
  REQUIRE(std::regex_search(
      r.out, m, std::regex("DIVERGED at step ([0-9]+) \\(line ([0-9]+), [0-9T:.Z-]+\\): (.*)\n")));
  const std::size_t step = std::stoul(m[1]);
  REQUIRE(step >= 1);
  REQUIRE(step <= recording.steps.size());
  CHECK(recording.steps[step - 1].line == std::stoul(m[2]));
  CHECK(model::encode_event(recording.steps[step - 1].event) == m[3].str());
  CHECK(r.out.find("  recorded effects: ") != std::string::npos);
  CHECK(r.out.find("  replayed effects: ") != std::string::npos);
}

// aviso with a fast backoff (and a jittered one: the edit below moves the draws).
constexpr const char* custom_config =
    R"({"format": "tether-config/1", "preset": "aviso",
        "backoff": {"delay_ms_initial": 40, "delay_ms_max": 400, "short_session_ms": 0,
                    "short_session_delay_ms_min": 0},
        "resume": {"gaps": "relaxed"},
        "shell": {"sequence": "json:seq"}})";

}  // namespace

#ifdef TETHER_WATCH
TEST_CASE(
    "recording: tether-watch --config records a run with an outage that replays exactly with no "
    "other argument",
    "[recording][tether_watch]") {
  NginxServer server = NginxServer::start();
  const Scratch dir("recording-watch");
  const fs::path config = dir / "policy.json";
  std::ofstream(config) << custom_config;
  const fs::path events = dir / "run.events";
  for (int i = 1; i <= 5; ++i) REQUIRE(server.publish("rec", seq_body(i)) / 100 == 2);
  Child watch(TETHER_WATCH,
              {server.url("/sub/rec"), "--config", config.string(), "--json-status", "--record",
               events.string()},
              dir, "watch");
  REQUIRE(watch.wait_for_out_lines(5, 20s));
  server.kill9();  // the outage: the connection dies, reconnects are refused
  REQUIRE(watch.wait_for_err_lines("\"status\":\"backing_off\"", 1, 20s));
  server.restart();
  REQUIRE(watch.wait_for_err_lines("\"status\":\"streaming\"", 2, 20s));
  for (int i = 6; i <= 8; ++i) REQUIRE(server.publish("rec", seq_body(i)) / 100 == 2);
  REQUIRE(watch.wait_for_out_lines(8, 20s));
  ::kill(watch.pid(), SIGTERM);
  REQUIRE(watch.wait_exit(20s) == 0);

  const model::Recording recording = decoded(events);
  CHECK(recording.header->config.find("\"delay_ms_initial\":40") != std::string::npos);
  check_exact(replay(events, dir, "replay"), recording);

  // One field of the recorded configuration edited: the first jittered backoff
  // draws from another ceiling, and replay says where.
  const fs::path edited =
      edited_copy(events, "\"delay_ms_initial\":40", "\"delay_ms_initial\":300");
  check_diverges(replay(edited, dir, "replay-edited"), recording);
}
#endif  // TETHER_WATCH

TEST_CASE(
    "recording: the Runner records a custom SessionConfig that replays exactly with no other "
    "argument",
    "[recording]") {
  NginxServer server = NginxServer::start();
  const Scratch dir("recording-runner");
  const fs::path events = dir / "runner.events";
  for (int i = 1; i <= 5; ++i) REQUIRE(server.publish("rrec", seq_body(i)) / 100 == 2);
  io::RunnerOptions o = quick_options(server.url("/sub/rrec"));
  o.config.backoff.delay_ms_initial = 40;
  o.config.backoff.delay_ms_max = 400;
  o.config.backoff.jitter = model::JitterKind::equal;
  o.config.resume.gaps = model::GapDetection::relaxed;
  o.config.heartbeat =
      model::HeartbeatPolicy{.interval_ms = 5000, .interval_multiple = 2, .slack_ms = 1000};
  o.sequence = io::SequenceExtractor::from_json_field("seq");
  o.record_path = events;
  o.record_comment = "runner test";
  Collector c;
  {
    auto runner = io::Runner::start(std::move(o), c.callbacks());
    REQUIRE(runner);
    REQUIRE(c.wait_for_deliveries(5, 20s));
    server.kill9();
    REQUIRE(c.wait(
        [](const Collector& col) {
          return any_status(col.statuses_, model::StatusKind::backing_off);
        },
        20s));
    server.restart();
    REQUIRE(c.wait(
        [](const Collector& col) {
          return std::count_if(col.statuses_.begin(), col.statuses_.end(),
                               [](const model::Status& s) {
                                 return s.kind == model::StatusKind::streaming;
                               }) >= 2;
        },
        20s));
    for (int i = 6; i <= 8; ++i) REQUIRE(server.publish("rrec", seq_body(i)) / 100 == 2);
    REQUIRE(c.wait_for_deliveries(8, 20s));
    (*runner)->stop();
  }
  const model::Recording recording = decoded(events);
  CHECK(recording.header->config.find("\"jitter\":\"equal\"") != std::string::npos);
  CHECK(recording.header->config.find("\"interval_ms\":5000") != std::string::npos);
  CHECK(read_all(events).find("\n# runner test\n") != std::string::npos);
  check_exact(replay(events, dir, "replay"), recording);

  const fs::path edited = edited_copy(events, "\"jitter\":\"equal\"", "\"jitter\":\"full\"");
  check_diverges(replay(edited, dir, "replay-edited"), recording);
}

#endif  // TETHER_SIM
