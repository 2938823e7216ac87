// Resume ids through the real Runner against a scripted server: an empty SSE
// `id:` resets the last event ID (WHATWG), 1 KiB ids travel whole, and an id
// over the limit ends the session instead of reconnecting forever (the server
// would resend it every time).
#include <catch2/catch.hpp>
#include <tether/io/runner.hpp>
#include <tether/model/presets.hpp>

#include "collector.hpp"
#include "scripted_server.hpp"
#include "session_support.hpp"

namespace {

using namespace tether;
using namespace std::chrono_literals;
using io::testing::Behaviour;
using io::testing::Collector;
using io::testing::find_header;
using io::testing::ScriptedServer;

io::RunnerOptions options_for(const ScriptedServer& server) {
  io::RunnerOptions o = io::testing::quick_options(server);
  o.sequence.reset();                         // ids here are not numbers
  o.config.backoff.clean_close_delay_ms = 0;  // the reconnect after a clean close comes at once
  return o;
}

// Runs a session until the server has seen its reconnect; the request heads.
std::vector<std::string> reconnect_requests(const ScriptedServer& server, Collector& c) {
  auto runner = io::Runner::start(options_for(server), c.callbacks());
  REQUIRE(runner);
  REQUIRE(server.wait_for_requests(2, 10s));
  (*runner)->stop();
  return server.requests();
}

}  // namespace

TEST_CASE("resume ids: an empty id: resets the last event ID, so the reconnect sends none",
          "[resume_ids]") {
  ScriptedServer server(
      {Behaviour::sse("id: a1\ndata: one\n\nid:\ndata: two\n\n", /*then_close=*/true),
       Behaviour::sse("")});
  Collector c;
  const auto requests = reconnect_requests(server, c);
  INFO(requests[0] << "\n---\n" << requests[1]);
  CHECK(c.deliveries().size() == 2);
  CHECK_FALSE(find_header(requests[1], "Last-Event-ID"));
}

TEST_CASE("resume ids: without a reset the reconnect resumes from the last id", "[resume_ids]") {
  ScriptedServer server({Behaviour::sse("id: a1\ndata: one\n\ndata: two\n\n", /*then_close=*/true),
                         Behaviour::sse("")});
  Collector c;
  CHECK(find_header(reconnect_requests(server, c)[1], "Last-Event-ID") == "a1");
}

TEST_CASE("resume ids: a 1 KiB id is sent back whole", "[resume_ids]") {
  const std::string id(1024, 'k');
  ScriptedServer server(
      {Behaviour::sse("id: " + id + "\ndata: one\n\n", /*then_close=*/true), Behaviour::sse("")});
  Collector c;
  CHECK(find_header(reconnect_requests(server, c)[1], "Last-Event-ID") == id);
}

TEST_CASE("resume ids: an id over the limit fails the session once, naming the option",
          "[resume_ids]") {
  ScriptedServer server({Behaviour::sse("id: " + std::string(1025, 'k') + "\ndata: one\n\n")});
  Collector c;
  const auto ended = io::testing::run_to_end(options_for(server), c, 10s);
  REQUIRE(ended.finished);
  CHECK(ended.status.kind == model::StatusKind::failed);
  CHECK(ended.status.reason == model::Reason::unrecoverable);
  CHECK(c.deliveries().empty());
  INFO(c.diagnostics_text());
  CHECK(c.wait_for_diagnostic("--id-bytes-max", 1s));
  CHECK(server.connections_accepted() == 1);  // no reconnect loop
}

TEST_CASE("resume ids: a lower id_bytes_max is honoured", "[resume_ids]") {
  ScriptedServer server({Behaviour::sse("id: " + std::string(100, 'k') + "\ndata: one\n\n")});
  io::RunnerOptions o = options_for(server);
  o.id_bytes_max = 64;
  Collector c;
  const auto ended = io::testing::run_to_end(std::move(o), c, 10s);
  REQUIRE(ended.finished);
  CHECK(ended.status.reason == model::Reason::unrecoverable);
  CHECK(c.wait_for_diagnostic("100 bytes exceeds the 64-byte limit", 1s));
}

TEST_CASE("resume ids: id_bytes_max outside 1..1024 is refused at start", "[resume_ids]") {
  io::RunnerOptions o;
  o.url = "http://127.0.0.1:9/stream";
  o.config = model::presets::aviso();
  o.id_bytes_max = 4096;
  auto runner = io::Runner::start(std::move(o), {});
  REQUIRE_FALSE(runner);
  CHECK(runner.error().find("id_bytes_max") != std::string::npos);
}
