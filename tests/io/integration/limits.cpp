// Limits the server's bytes exceed are reproduced by every retry (the server
// resends the same bytes), so the real Runner ends the session as Failed
// (unrecoverable) after one connection, naming the limit, its value and the
// option that raises it; it never loops.
#include <catch2/catch.hpp>
#include <tether/io/runner.hpp>

#include "collector.hpp"
#include "nginx_server.hpp"
#include "scripted_server.hpp"
#include "session_support.hpp"

namespace {

using namespace tether;
using namespace std::chrono_literals;
using io::testing::Behaviour;
using io::testing::Collector;
using io::testing::NginxServer;
using io::testing::ScriptedServer;

void check_failed_once(const io::testing::Ended& ended, const Collector& c,
                       std::string_view message) {
  INFO(c.diagnostics_text());
  REQUIRE(ended.finished);
  CHECK(ended.status.kind == model::StatusKind::failed);
  CHECK(ended.status.reason == model::Reason::unrecoverable);
  CHECK_FALSE(io::testing::any_status(c.statuses(), model::StatusKind::backing_off));
  CHECK(c.diagnostics_text().find(message) != std::string::npos);
}

}  // namespace

TEST_CASE("limits: a 2 MiB SSE line fails the session after one connection", "[limits]") {
  ScriptedServer server({Behaviour::sse("data: " + std::string(2u << 20, 'x') + "\n\n")});
  Collector c;
  const auto ended = io::testing::run_to_end(io::testing::quick_options(server), c, 20s);
  check_failed_once(ended, c,
                    "SSE line_bytes_max (1048576) exceeded at byte 1048576: a retry would receive "
                    "the same bytes; "
                    "raise SseLimits::line_bytes_max (tether-watch --line-bytes-max)");
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("limits: an SSE event over event_bytes_max fails the session after one connection",
          "[limits]") {
  std::string event;
  for (int i = 0; i < 100; ++i) event += "data: " + std::string(1000, 'y') + "\n";
  ScriptedServer server({Behaviour::sse(event + "\n")});
  io::RunnerOptions o = io::testing::quick_options(server);
  o.sse.limits.event_bytes_max = 64 * 1024;
  Collector c;
  const auto ended = io::testing::run_to_end(std::move(o), c, 20s);
  check_failed_once(ended, c, "raise SseLimits::event_bytes_max (tether-watch --event-bytes-max)");
  CHECK(c.diagnostics_text().find("SSE event_bytes_max (65536) exceeded") != std::string::npos);
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("limits: a WebSocket message over message_bytes_max fails the session once",
          "[limits][websocket]") {
  NginxServer nginx = NginxServer::start();
  REQUIRE(nginx.publish("big", std::string(16 * 1024, 'z')) / 100 == 2);
  io::RunnerOptions o = io::testing::quick_options(nginx.ws_base_url() + "/sub/big");
  o.sequence.reset();
  o.websocket.message_bytes_max = 4096;
  Collector c;
  const auto ended = io::testing::run_to_end(std::move(o), c, 20s);
  check_failed_once(
      ended, c,
      "WebSocket message larger than message_bytes_max (4096 bytes): a retry would receive the "
      "same "
      "message; raise WebSocketOptions::message_bytes_max (tether-watch --ws-message-bytes-max)");
  CHECK(c.deliveries().empty());
}
