// The application's lifecycle against the real Runner and the scripted
// loopback server: pause closes the connection and makes no request until
// resume, which reconnects from the cursor; network_changed and restart drop
// the open connection and reconnect with the last event's id. Every wait is on
// an event (a close, a status, a request, the strand's count of inputs fed).
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <tether/io/runner.hpp>
#include <thread>

#include "collector.hpp"
#include "raw_socket.hpp"
#include "scripted_server.hpp"
#include "session_support.hpp"

namespace {

using namespace tether;
using namespace std::chrono_literals;
using io::testing::Behaviour;
using io::testing::Collector;
using io::testing::ScriptedServer;

const std::string three_events = "id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: c\n\n";

bool saw(const Collector& c, model::StatusKind kind, model::Reason reason) {
  for (const auto& s : c.statuses_)
    if (s.kind == kind && s.reason == reason) return true;
  return false;
}

// Waits (bounded) until the session's strand has fed `n` inputs in all: the
// inputs posted before were applied, with every effect of theirs.
bool wait_for_events_fed(const io::Runner& runner, std::uint64_t n) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (runner.events_fed() < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

}  // namespace

TEST_CASE("lifecycle: pause closes the connection, nothing connects until resume", "[lifecycle]") {
  ScriptedServer server({Behaviour::sse(three_events)});  // stays open
  Collector c;
  auto started = io::Runner::start(io::testing::quick_options(server), c.callbacks());
  REQUIRE(started);
  io::Runner& runner = **started;
  REQUIRE(c.wait_for_deliveries(3, 5s));
  runner.pause();
  // The client closes: the server's behaviour ends when its peer goes away.
  REQUIRE(server.wait_for_finished(1));
  REQUIRE(c.wait(
      [](const Collector& x) {
        return saw(x, model::StatusKind::paused, model::Reason::pause_requested);
      },
      5s));
  // While paused, the other inputs connect nothing: once the strand has fed
  // them (and run their effects, a Connect's open() among them), the server
  // still counts one connection and the session reported nothing after paused.
  const std::uint64_t fed = runner.events_fed();
  const std::size_t statuses = c.statuses().size();
  runner.network_changed();
  runner.restart();
  runner.network_restored();
  REQUIRE(wait_for_events_fed(runner, fed + 3));
  CHECK(c.statuses().size() == statuses);
  CHECK(runner.status().kind == model::StatusKind::paused);
  CHECK(server.connections_accepted() == 1);
  runner.resume();
  REQUIRE(server.wait_for_requests(2));
  CHECK(io::testing::find_header(server.requests()[1], "Last-Event-ID") == "3");
  runner.stop();
  INFO(c.diagnostics_text());
  CHECK(c.deliveries().size() == 3);  // the second stream's events were duplicates
}

TEST_CASE("lifecycle: network_changed and restart reconnect with the last event's id",
          "[lifecycle]") {
  const bool network = GENERATE(true, false);
  ScriptedServer server({Behaviour::sse(three_events)});
  io::RunnerOptions options = io::testing::quick_options(server);
  options.config.backoff.restored_delay_ms_max = 50;
  Collector c;
  auto started = io::Runner::start(std::move(options), c.callbacks());
  REQUIRE(started);
  io::Runner& runner = **started;
  REQUIRE(c.wait_for_deliveries(3, 5s));
  CHECK(server.connections_accepted() == 1);
  if (network)
    runner.network_changed();
  else
    runner.restart();
  REQUIRE(server.wait_for_finished(1));  // the old connection was dropped by the client
  REQUIRE(server.wait_for_requests(2));
  CHECK(io::testing::find_header(server.requests()[1], "Last-Event-ID") == "3");
  const model::Reason why =
      network ? model::Reason::network_changed : model::Reason::restart_requested;
  CHECK(c.wait([why](const Collector& x) { return saw(x, model::StatusKind::backing_off, why); },
               0ms));
  runner.stop();
  INFO(c.diagnostics_text());
  CHECK(c.deliveries().size() == 3);
}
