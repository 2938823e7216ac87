// Liveness against the real Runner: only complete SSE lines (and events,
// comments, WebSocket frames) prove that a stream is alive; a server trickling
// bytes that never finish a line is timed out by the heartbeat budget. Every
// transport socket has TCP keepalive on.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <optional>
#include <tether/io/http_poller.hpp>
#include <tether/io/runner.hpp>
#include <thread>

#include "collector.hpp"
#include "scripted_server.hpp"
#include "session_support.hpp"

namespace {

using namespace tether;
using namespace std::chrono_literals;
using io::testing::Behaviour;
using io::testing::Collector;
using io::testing::ScriptedServer;

io::RunnerOptions with_budget(io::RunnerOptions o, std::int64_t budget_ms) {
  o.config.heartbeat =
      model::HeartbeatPolicy{.interval_ms = budget_ms, .interval_multiple = 1, .slack_ms = 0};
  return o;
}

bool heartbeat_timed_out(const Collector& c) {
  for (const auto& s : c.statuses_)
    if (s.kind == model::StatusKind::backing_off && s.reason == model::Reason::heartbeat_timeout)
      return true;
  return false;
}

// This process's socket whose peer is 127.0.0.1:`port` (the client end of a
// connection to a scripted server in this process).
std::optional<int> client_socket_to(std::uint16_t port) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::stoi(entry.path().filename().string());
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0 ||
        peer.sin_family != AF_INET)
      continue;
    if (ntohs(peer.sin_port) == port) return fd;
  }
  return std::nullopt;
}

// SO_KEEPALIVE on, probes after 60 s idle.
void check_keepalive(std::uint16_t port) {
  const auto fd = client_socket_to(port);
  REQUIRE(fd);
  int on = 0;
  int idle_s = 0;
  socklen_t len = sizeof on;
  REQUIRE(::getsockopt(*fd, SOL_SOCKET, SO_KEEPALIVE, &on, &len) == 0);
  len = sizeof idle_s;
  REQUIRE(::getsockopt(*fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, &len) == 0);
  CHECK(on == 1);
  CHECK(idle_s == 60);
}

}  // namespace

TEST_CASE("liveness: a server trickling bytes without a line end is timed out", "[liveness]") {
  // One byte every 50 ms for 20 s, never a line end; the budget is 200 ms.
  Behaviour trickle = Behaviour::raw_then_idle(Behaviour::sse_head() + "data: ");
  for (int i = 0; i < 400; ++i) trickle.then_sleep(50ms).then_send("x");
  ScriptedServer server({trickle});
  io::RunnerOptions o = with_budget(io::testing::quick_options(server), 200);
  CHECK(o.config.heartbeat->budget_ms() == 200);
  Collector c;
  auto runner = io::Runner::start(std::move(o), c.callbacks());
  REQUIRE(runner);
  // Before the fix every partial read counted as liveness: no timeout while
  // the trickle lasted.
  const bool timed_out = c.wait(heartbeat_timed_out, 8s);
  (*runner)->stop();
  INFO(c.diagnostics_text());
  CHECK(timed_out);
  CHECK(c.deliveries().empty());
}

TEST_CASE("liveness: each completed line of a long event counts", "[liveness]") {
  // 30 data lines 100 ms apart (3 s) make one event; the budget is 2 s.
  Behaviour slow = Behaviour::raw_then_idle(Behaviour::sse_head() + "id: 1\n");
  std::string expected;
  for (int i = 0; i < 30; ++i) {
    slow.then_sleep(100ms).then_send("data: part " + std::to_string(i) + "\n");
    expected += (i == 0 ? "" : "\n") + ("part " + std::to_string(i));
  }
  slow.then_send("\n");
  ScriptedServer server({slow});
  Collector c;
  auto runner =
      io::Runner::start(with_budget(io::testing::quick_options(server), 2000), c.callbacks());
  REQUIRE(runner);
  const bool delivered = c.wait_for_deliveries(1, 20s);
  (*runner)->stop();
  INFO(c.diagnostics_text());
  REQUIRE(delivered);
  CHECK(c.deliveries()[0].data == expected);
  CHECK_FALSE(c.wait(heartbeat_timed_out, 0ms));
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("liveness: SSE, WebSocket and poller sockets have TCP keepalive on",
          "[liveness][keepalive]") {
  {
    ScriptedServer server({Behaviour::sse("")});
    Collector c;
    auto runner = io::Runner::start(io::testing::quick_options(server), c.callbacks());
    REQUIRE(runner);
    const auto streaming = [](const Collector& col) {
      return io::testing::any_status(col.statuses_, model::StatusKind::streaming);
    };
    REQUIRE(c.wait(streaming, 10s));
    check_keepalive(server.port());
    (*runner)->stop();
  }
  {
    ScriptedServer server({Behaviour::silent()});  // reads the upgrade request, never answers
    Collector c;
    auto runner = io::Runner::start(
        io::testing::quick_options("ws://127.0.0.1:" + std::to_string(server.port()) + "/ws"),
        c.callbacks());
    REQUIRE(runner);
    REQUIRE(server.wait_for_requests(1, 10s));  // sent after the socket options were set
    check_keepalive(server.port());
    (*runner)->stop();
  }
  ScriptedServer server({Behaviour::silent()});
  io::PollOptions options;
  options.timeout = 10s;
  auto poller = io::HttpPoller::create(options);
  REQUIRE(poller);
  std::thread poll([&] {
    static_cast<void>((*poller)->get({server.base_url() + "/state", std::nullopt, ""}));
  });
  const bool asked = server.wait_for_requests(1, 10s);
  if (asked) check_keepalive(server.port());
  server.stop();  // the poller's read ends with EOF
  poll.join();
  CHECK(asked);
}
