// An application loads a tether-config/1 file with one library call and runs
// it on the real Runner: the file's policy is the one that runs.
#include <catch2/catch.hpp>
#include <fstream>
#include <tether/io/config.hpp>
#include <tether/io/runner_config.hpp>

#include "child_process.hpp"
#include "collector.hpp"
#include "scripted_server.hpp"
#include "session_support.hpp"

namespace {

using namespace std::chrono_literals;
using tether::io::testing::Behaviour;
using tether::io::testing::Collector;
using tether::io::testing::Scratch;
using tether::io::testing::ScriptedServer;
namespace io = tether::io;
namespace model = tether::model;

}  // namespace

TEST_CASE("runner config: a file loaded with load_config is the policy the Runner runs",
          "[runner][config]") {
  const Scratch dir("runner-config");
  const auto path = dir / "policy.json";
  std::ofstream(path) << R"({
    "format": "tether-config/1",
    "preset": "kanade",
    "backoff": {"delay_ms_initial": 10, "delay_ms_max": 20, "short_session_delay_ms_min": 0, "jitter": "none"},
    "give_up": {"attempts_max": 4},
    "seed": 7,
    "shell": {"sequence": "id", "http": {"headers": [{"name": "X-Team", "value": "ops"}]}}
  })";
  const auto config = io::load_config(path);
  REQUIRE(config.has_value());
  ScriptedServer server({Behaviour::http_response(503)});
  io::RunnerOptions options = io::runner_options(*config);
  options.url = server.base_url() + "/stream";
  CHECK(options.seed == 7U);
  REQUIRE(options.sequence.has_value());
  Collector c;
  const auto ended = tether::io::testing::run_to_end(std::move(options), c, 60s);
  CHECK(ended.finished);
  CHECK(ended.status.kind == model::StatusKind::gave_up);  // kanade alone retries forever
  CHECK(server.connections_accepted() == 4);
  // The file's header went out on every request.
  const auto requests = server.requests();
  CHECK(requests.size() == 4);
  for (const auto& head : requests) CHECK(head.find("X-Team: ops\r\n") != std::string::npos);
}

TEST_CASE(
    "runner config: Runner::start refuses shell options outside the ranges a file obeys, by name",
    "[runner][config]") {
  struct Case {
    void (*edit)(io::RunnerOptions&);
    const char* field;
  };
  const Case cases[] = {
      {[](io::RunnerOptions& o) { o.http.redirects_max = -1; }, "shell.http.redirects_max"},
      {[](io::RunnerOptions& o) { o.pull_queue_max = 1; }, "shell.pull_queue_max"},
      {[](io::RunnerOptions& o) { o.id_bytes_max = 0; }, "shell.id_bytes_max"},
      {[](io::RunnerOptions& o) { o.sse.limits.line_bytes_max = 0; },
       "shell.sse.limits.line_bytes_max"},
      {[](io::RunnerOptions& o) { o.sse.method = "DELETE"; }, "shell.sse.method"},
      {[](io::RunnerOptions& o) { o.websocket.message_bytes_max = 0; },
       "shell.websocket.message_bytes_max"},
  };
  for (const Case& c : cases) {
    io::RunnerOptions o = tether::io::testing::quick_options("http://127.0.0.1:1/stream");
    c.edit(o);
    Collector collector;
    const auto runner = io::Runner::start(std::move(o), collector.callbacks());
    REQUIRE_FALSE(runner.has_value());
    CHECK_THAT(runner.error(), Catch::Contains(c.field));
  }
}
