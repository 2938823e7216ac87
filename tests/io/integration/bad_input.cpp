// The runner against a scripted loopback server that misbehaves: every case
// ends in a classified error with bounded memory, and the session goes on (or
// stops) as the model says.
#include <catch2/catch.hpp>
#include <cstdio>
#include <tether/io/memory_checkpoint_store.hpp>
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
using io::testing::find_header;
using io::testing::quick_options;
using io::testing::ScriptedServer;

// Runs a session against `server` until `pred` holds (or 10 s), then stops it.
template <class Pred>
std::unique_ptr<Collector> run_until(const ScriptedServer& server, Pred pred, io::RunnerOptions o) {
  auto c = std::make_unique<Collector>();
  auto runner = io::Runner::start(std::move(o), c->callbacks());
  REQUIRE(runner);
  const bool reached = c->wait(pred, 10s);
  (*runner)->stop();
  INFO(c->diagnostics_text());
  CHECK(reached);
  static_cast<void>(server);
  return c;
}

bool saw(const Collector& c, std::string_view text) {
  for (const auto& d : c.diagnostics_)
    if (d.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("bad input: a malformed status line is a protocol error, then a retry", "[bad_input]") {
  ScriptedServer server({Behaviour::raw("HTTP/1.1 abc Nonsense\r\n\r\n")});
  auto collected = run_until(
      server, [](const Collector& col) { return col.diagnostics_.size() >= 2; },
      quick_options(server));
  const Collector& c = *collected;
  CHECK(saw(c, "malformed HTTP response"));
  CHECK(server.connections_accepted() >= 2);  // the session went on retrying
  CHECK(c.deliveries().empty());
}

TEST_CASE("bad input: truncated headers are an unexpected EOF", "[bad_input]") {
  ScriptedServer server({Behaviour::raw("HTTP/1.1 200 OK\r\nContent-Type: text/ev")});
  auto collected = run_until(
      server, [](const Collector& col) { return !col.diagnostics_.empty(); },
      quick_options(server));
  const Collector& c = *collected;
  INFO(c.diagnostics_text());
  CHECK((saw(c, "truncated") || saw(c, "closed the connection before answering")));
}

TEST_CASE("bad input: a 200 with the wrong content type is refused", "[bad_input]") {
  ScriptedServer server(
      {Behaviour::http_response(200, {{"Content-Type", "text/html"}}, "<html></html>")});
  auto collected = run_until(
      server, [](const Collector& col) { return !col.diagnostics_.empty(); },
      quick_options(server));
  const Collector& c = *collected;
  INFO(c.diagnostics_text());
  CHECK(saw(c, "Content-Type 'text/html', expected text/event-stream"));
  CHECK(c.deliveries().empty());
}

TEST_CASE("bad input: bytes forever without a newline hit the line limit, once", "[bad_input]") {
  ScriptedServer server({Behaviour::stream_forever(Behaviour::sse_head())});
  io::RunnerOptions o = quick_options(server);
  o.sse.limits.line_bytes_max = 256 * 1024;
  Collector c;
  auto runner = io::Runner::start(std::move(o), c.callbacks());
  REQUIRE(runner);
  // The server would send the same bytes again: the session fails, no retry.
  REQUIRE((*runner)->wait_until_finished(10s));
  INFO(c.diagnostics_text());
  CHECK(saw(c, "line_bytes_max (262144) exceeded"));
  CHECK((*runner)->status().kind == model::StatusKind::failed);
  CHECK((*runner)->status().reason == model::Reason::unrecoverable);
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("bad input: invalid UTF-8 is delivered byte for byte, never a crash", "[bad_input]") {
  ScriptedServer server({Behaviour::sse("id: 1\ndata: \xff\xfe ok \xc3\x28\n\n")});
  auto collected = run_until(
      server, [](const Collector& col) { return !col.deliveries_.empty(); }, quick_options(server));
  const Collector& c = *collected;
  REQUIRE(c.deliveries().size() == 1);
  CHECK(c.deliveries()[0].data == "\xff\xfe ok \xc3\x28");
}

TEST_CASE("bad input: a server that accepts and closes at once is retried", "[bad_input]") {
  ScriptedServer server({Behaviour::close_at_once()});
  auto collected = run_until(
      server, [&](const Collector&) { return server.connections_accepted() >= 3; },
      quick_options(server));
  const Collector& c = *collected;
  CHECK(server.connections_accepted() >= 3);
  CHECK(c.statuses().back().kind == model::StatusKind::stopped);
}

TEST_CASE("bad input: 503 with Retry-After delays the next attempt by at least that long",
          "[bad_input]") {
  ScriptedServer server({Behaviour::http_response(503, {{"Retry-After", "1"}}),
                         Behaviour::sse("id: 7\ndata: after\n\n")});
  const auto started = std::chrono::steady_clock::now();
  auto collected = run_until(
      server, [](const Collector& col) { return !col.deliveries_.empty(); }, quick_options(server));
  const Collector& c = *collected;
  const auto waited = std::chrono::steady_clock::now() - started;
  CHECK(waited >= 1s);
  bool rate_limited = false;
  for (const auto& s : c.statuses()) rate_limited |= s.reason == model::Reason::rate_limited;
  CHECK(rate_limited);
  CHECK(c.deliveries()[0].data == "after");
}

TEST_CASE("sse transport: request headers carry the token, the resume id and the SSE accept type",
          "[bad_input][headers]") {
  ScriptedServer server({Behaviour::http_response(307, {{"Location", "/moved"}}),
                         Behaviour::sse("id: 43\ndata: x\n\n")});
  io::RunnerOptions o = quick_options(server);
  o.store = std::make_shared<io::MemoryCheckpointStore>(
      model::Cursor::at_token(*model::Token::make("42"), 42));
  o.auth = std::make_shared<io::testing::FixedAuth>("t0k");
  o.config.auth.has_provider = true;
  o.http.cursor_query_parameter = "last_event_id";
  auto collected = run_until(
      server, [](const Collector& col) { return !col.deliveries_.empty(); }, std::move(o));
  const Collector& c = *collected;
  const auto requests = server.requests();
  REQUIRE(requests.size() >= 2);
  INFO(requests[0] << "\n---\n" << requests[1]);
  CHECK(requests[0].starts_with("GET /stream?last_event_id=42 HTTP/1.1"));
  // The redirect was followed, and the resume id still travels with it.
  CHECK(requests[1].starts_with("GET /moved?last_event_id=42 HTTP/1.1"));
  for (const auto& head : {requests[0], requests[1]}) {
    CHECK(find_header(head, "Accept") == "text/event-stream");
    CHECK(find_header(head, "Cache-Control") == "no-cache");
    CHECK(find_header(head, "Authorization") == "Bearer t0k");
    CHECK(find_header(head, "Last-Event-ID") == "42");
  }
  CHECK(c.sequences() == std::vector<std::uint64_t>{43});
}

TEST_CASE("sse transport: too many redirects is a protocol error", "[bad_input]") {
  ScriptedServer server({Behaviour::http_response(302, {{"Location", "/again"}})});
  io::RunnerOptions o = quick_options(server);
  o.http.redirects_max = 3;
  auto collected = run_until(
      server, [](const Collector& col) { return !col.diagnostics_.empty(); }, std::move(o));
  const Collector& c = *collected;
  CHECK(saw(c, "more than 3 redirects"));
}

TEST_CASE("sse transport: 404 ends the session as failed, with the status", "[bad_input]") {
  ScriptedServer server({Behaviour::http_response(404)});
  Collector c;
  auto runner = io::Runner::start(quick_options(server), c.callbacks());
  REQUIRE(runner);
  REQUIRE((*runner)->wait_until_finished(10s));
  CHECK((*runner)->status().kind == model::StatusKind::failed);
  CHECK((*runner)->status().http_status == 404);
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("sse transport: a chunked body streams events, and POST carries the cursor in the body",
          "[bad_input][chunked]") {
  // Chunk boundaries fall inside a field and between the two line ends.
  const std::string events = "id: 8\ndata: chunked\n\n";
  const auto chunk = [](std::string_view part) {
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", part.size());
    return std::string(size) + std::string(part) + "\r\n";
  };
  const std::string chunked =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n" +
      chunk(std::string_view(events).substr(0, 9)) +
      chunk(std::string_view(events).substr(9, events.size() - 10)) +
      chunk(std::string_view(events).substr(events.size() - 1)) + "0\r\n\r\n";
  ScriptedServer server({Behaviour::raw(chunked)});
  io::RunnerOptions o = quick_options(server);
  o.store = std::make_shared<io::MemoryCheckpointStore>(
      model::Cursor::at_token(*model::Token::make("7"), 7));
  o.sse.method = "POST";
  o.sse.body_template = R"({"after":"{cursor}"})";
  auto collected = run_until(
      server, [](const Collector& col) { return !col.deliveries_.empty(); }, std::move(o));
  const Collector& c = *collected;
  REQUIRE(c.deliveries().size() == 1);
  CHECK(c.deliveries()[0].data == "chunked");
  CHECK(c.sequences() == std::vector<std::uint64_t>{8});
  const std::string head = server.requests().at(0);
  CHECK(head.starts_with("POST /stream HTTP/1.1"));
  CHECK(find_header(head, "Content-Type") == "application/json");
  CHECK(find_header(head, "Content-Length") == "13");  // {"after":"7"}
}
