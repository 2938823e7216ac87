// A token command that blocks never holds up a stop, and one that never ends
// times out as a refresh failure: the real Runner and the real tether-watch
// binary, with commands that write their pid (the synchronisation point: the
// command is known to be running) and then sleep for a minute.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <tether/io/runner.hpp>
#include <tether/io/token_auth.hpp>
#include <tether/model/presets.hpp>

#include "child_process.hpp"
#include "collector.hpp"
#include "scripted_server.hpp"

namespace {

using namespace tether;
using namespace tether::io::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Writes the shell's pid (its process group), then blocks for a minute.
std::string blocking_command(const fs::path& pid_file) {
  return "echo $$ > " + pid_file.string() + "; sleep 60; echo too-late";
}

long long ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t)
      .count();
}

}  // namespace

TEST_CASE("token_command: Runner::stop ends a refresh blocked in a token command",
          "[token_cmd][runner]") {
  const Scratch dir("token-cmd-runner");
  const fs::path pid_file = dir / "cmd.pid";
  ScriptedServer server({Behaviour::sse("id: 1\ndata: a\n\n")});
  io::RunnerOptions options;
  options.url = server.base_url() + "/stream";
  options.config = model::presets::aviso();
  options.config.auth.has_provider = true;
  options.auth = std::make_shared<io::TokenCommandAuth>(blocking_command(pid_file));
  Collector collector;
  auto runner = io::Runner::start(std::move(options), collector.callbacks());
  REQUIRE(runner);
  const pid_t pgid = wait_for_pid_file(pid_file);
  REQUIRE(pgid > 0);  // the initial refresh is running the command
  const auto stopping = std::chrono::steady_clock::now();
  (*runner)->stop();
  const long long stop_ms = ms_since(stopping);
  runner->reset();  // joins the worker thread, which ran the command
  const long long joined_ms = ms_since(stopping);
  WARN("Runner::stop() returned after " << stop_ms << " ms, the runner was destroyed after "
                                        << joined_ms << " ms");
  CHECK(joined_ms < 10'000);  // the command alone takes 60 s
  CHECK(eventually([&] { return !process_or_group_alive(pgid); }));
  CHECK(server.connections_accepted() == 0);  // stopped before it ever connected
  ::kill(-pgid, SIGKILL);                     // if the old code left it running
}

#ifdef TETHER_WATCH

TEST_CASE(
    "token_command: SIGTERM while --token-cmd blocks stops tether-watch at once and ends the "
    "command",
    "[token_cmd][tether_watch]") {
  const Scratch dir("token-cmd-sigterm");
  const fs::path pid_file = dir / "cmd.pid";
  ScriptedServer server({Behaviour::sse("id: 1\ndata: a\n\n")});
  Child run(TETHER_WATCH,
            {server.base_url() + "/stream", "--token-cmd", blocking_command(pid_file),
             "--checkpoint", (dir / "w.ckpt").string(), "--json-status"},
            dir, "watch");
  const pid_t pgid = wait_for_pid_file(pid_file);
  REQUIRE(pgid > 0);  // tether-watch is running the command
  const auto signalled = std::chrono::steady_clock::now();
  ::kill(run.pid(), SIGTERM);
  const auto code = run.wait_exit(30s);
  const long long stop_ms = ms_since(signalled);
  WARN("tether-watch exited " << stop_ms << " ms after SIGTERM");
  INFO(run.err());
  CHECK(code == 0);
  CHECK(stop_ms < 10'000);                                           // the command alone takes 60 s
  CHECK(eventually([&] { return !process_or_group_alive(pgid); }));  // the shell and its sleep
  CHECK(run.out().empty());
  CHECK(run.err().find("too-late") == std::string::npos);
  ::kill(pgid, SIGKILL);  // if the old code left it running (it was not a group of its own)
  ::kill(-pgid, SIGKILL);
}

TEST_CASE(
    "token_command: a --token-cmd that never ends times out as a refresh failure "
    "(--token-cmd-timeout-ms)",
    "[token_cmd][tether_watch]") {
  const Scratch dir("token-cmd-timeout");
  const fs::path pid_file = dir / "cmd.pid";
  ScriptedServer server({Behaviour::sse("id: 1\ndata: a\n\n")});
  Child run(TETHER_WATCH,
            {server.base_url() + "/stream", "--token-cmd", blocking_command(pid_file),
             "--token-cmd-timeout-ms", "300", "--json-status"},
            dir, "watch");
  // The timed-out refresh is a failure: the session goes on without a token.
  const bool connected = server.wait_for_requests(1, 20s);
  const bool printed = eventually([&] { return !run.out().empty(); });
  const pid_t pgid = wait_for_pid_file(pid_file);
  ::kill(run.pid(), SIGTERM);
  const auto code = run.wait_exit(20s);
  const std::string err = run.err();
  INFO(err);
  CHECK(code == 0);
  CHECK(connected);
  CHECK(printed);
  CHECK(err.find("no initial credentials: token command (--token-cmd) timed out after 300 ms "
                 "(connecting without)") != std::string::npos);
  if (connected) CHECK_FALSE(find_header(server.requests()[0], "Authorization"));
  REQUIRE(pgid > 0);
  CHECK(eventually(
      [&] { return !process_or_group_alive(pgid); }));  // killed by the timeout, not by the stop
  ::kill(-pgid, SIGKILL);
}

TEST_CASE("token_command: --token-cmd-timeout-ms is checked", "[token_cmd][tether_watch]") {
  const Scratch dir("token-cmd-usage");
  Child zero(TETHER_WATCH,
             {"http://127.0.0.1:1/x", "--token-cmd", "echo t", "--token-cmd-timeout-ms", "0"}, dir,
             "zero");
  CHECK(zero.wait_exit(20s) == 2);
  Child alone(TETHER_WATCH, {"http://127.0.0.1:1/x", "--token-cmd-timeout-ms", "100"}, dir,
              "alone");
  CHECK(alone.wait_exit(20s) == 2);
  CHECK(alone.err().find("--token-cmd") != std::string::npos);
}

#endif  // TETHER_WATCH
