// tether-watch's limits and counts from the command line, through the real
// binary: a limit a server's bytes exceed ends the run once (exit 4, naming
// the option that raises it) instead of reconnecting forever, the option does
// raise it, and counts that make no sense are refused (exit 2).
#include <catch2/catch.hpp>
#include <fstream>

#include "child_process.hpp"
#include "scripted_server.hpp"

#ifdef TETHER_WATCH

namespace {

using namespace std::chrono_literals;
using tether::io::testing::Behaviour;
using tether::io::testing::run_watch;
using tether::io::testing::ScriptedServer;

}  // namespace

TEST_CASE(
    "tether-watch limits: a line over --line-bytes-max fails once, naming the option, raising it "
    "streams",
    "[tether_watch][limits]") {
  const std::string line = "data: " + std::string(300, 'x') + "\n\n";
  {
    ScriptedServer server({Behaviour::sse(line)});
    const auto run = run_watch({server.base_url() + "/stream", "--line-bytes-max", "100"}, 20s);
    INFO(run.err);
    CHECK(run.exit_code == 4);
    CHECK(run.err.find("--line-bytes-max") != std::string::npos);
    CHECK(run.out.empty());
    CHECK(server.connections_accepted() == 1);  // no reconnect loop
  }
  {
    ScriptedServer server({Behaviour::sse(line)});
    const auto run = run_watch(
        {server.base_url() + "/stream", "--line-bytes-max", "1000", "--max-events", "1"}, 20s);
    INFO(run.err);
    CHECK(run.exit_code == 0);
    CHECK(run.out.find(std::string(300, 'x')) != std::string::npos);
  }
}

TEST_CASE("tether-watch limits: an id over --id-bytes-max fails once, naming the option",
          "[tether_watch][limits]") {
  ScriptedServer server({Behaviour::sse("id: " + std::string(40, 'i') + "\ndata: x\n\n")});
  const auto run = run_watch({server.base_url() + "/stream", "--id-bytes-max", "32"}, 20s);
  INFO(run.err);
  CHECK(run.exit_code == 4);
  CHECK(run.err.find("--id-bytes-max") != std::string::npos);
  CHECK(run.err.find("failed (unrecoverable)") != std::string::npos);
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("tether-watch limits: nonsense counts are usage errors", "[tether_watch][limits]") {
  for (const char* bad : {"-1", "99999999999999999999999", "4611686018427387905", "1x", ""}) {
    INFO("--max-events '" << bad << "'");
    const auto run = run_watch({"http://127.0.0.1:1/x", "--max-events", bad}, 20s);
    CHECK(run.exit_code == 2);
    CHECK(run.err.find("--max-events") != std::string::npos);
  }
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--id-bytes-max", "2000"},
                                               std::vector<std::string>{"--line-bytes-max", "0"},
                                               std::vector<std::string>{"--read-idle-ms", "-5"}}) {
    std::vector<std::string> all{"http://127.0.0.1:1/x"};
    all.insert(all.end(), args.begin(), args.end());
    INFO(args[0] << " " << args[1]);
    CHECK(run_watch(all, 20s).exit_code == 2);
  }
}

TEST_CASE(
    "tether-watch limits: an empty checkpoint file reports failed (checkpoint_unreadable), exit 4",
    "[tether_watch][limits]") {
  const tether::io::testing::Scratch dir("empty-ckpt");
  const auto ckpt = dir.path() / "empty.ckpt";
  { std::ofstream touch(ckpt); }
  const auto run = run_watch({"http://127.0.0.1:1/x", "--checkpoint", ckpt.string()}, 20s);
  INFO(run.err);
  CHECK(run.exit_code == 4);
  CHECK(run.err.find("failed (checkpoint_unreadable)") != std::string::npos);
  CHECK(run.err.find("stopped") == std::string::npos);
  CHECK(run.err.find(ckpt.string()) != std::string::npos);
}

#endif  // TETHER_WATCH
