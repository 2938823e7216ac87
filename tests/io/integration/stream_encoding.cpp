// A 200 event stream tether cannot read as sent (compressed, or in a charset
// other than UTF-8) is the server's misconfiguration and comes back on every
// retry: the real Runner ends the session as Failed (unrecoverable), naming
// the encoding or charset, after one connection; it is never reported as a
// healthy stream that ends.
#include <catch2/catch.hpp>
#include <tether/io/runner.hpp>

#include "collector.hpp"
#include "scripted_server.hpp"
#include "session_support.hpp"

namespace {

using namespace tether;
using namespace std::chrono_literals;
using io::testing::Behaviour;
using io::testing::Collector;
using io::testing::ScriptedServer;

std::string head_with(std::string_view content_type, std::string_view extra) {
  return "HTTP/1.1 200 OK\r\nContent-Type: " + std::string(content_type) + "\r\n" +
         std::string(extra) + "Connection: close\r\n\r\n";
}

void check_refused(Behaviour behaviour, std::string_view message) {
  ScriptedServer server({std::move(behaviour)});
  Collector c;
  const auto ended = io::testing::run_to_end(io::testing::quick_options(server), c, 20s);
  INFO(c.diagnostics_text());
  REQUIRE(ended.finished);
  CHECK(ended.status.kind == model::StatusKind::failed);
  CHECK(ended.status.reason == model::Reason::unrecoverable);
  CHECK(c.diagnostics_text().find(message) != std::string::npos);
  CHECK(c.deliveries().empty());
  CHECK(server.connections_accepted() == 1);
}

}  // namespace

TEST_CASE("stream encoding: a gzip Content-Encoding is refused as unrecoverable",
          "[stream_encoding]") {
  // A gzip member (of "id: 1\ndata: x\n\n"): bytes that are no event stream.
  const std::string gzip(
      "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff\xcb\x4c\xb1\x52\x30\xe4\x4a\x49\x2c\x49"
      "\xb4\x52\xa8\xe0\xe2\x02\x00\x92\x6a\x05\x60\x0f\x00\x00\x00",
      35);
  check_refused(Behaviour::raw(head_with("text/event-stream", "Content-Encoding: gzip\r\n") + gzip),
                "HTTP 200 with Content-Encoding 'gzip': tether sends no Accept-Encoding");
}

TEST_CASE("stream encoding: a charset other than UTF-8 is refused as unrecoverable",
          "[stream_encoding]") {
  check_refused(Behaviour::raw(head_with("text/event-stream; charset=ISO-8859-1", "") +
                               "id: 1\ndata: caf\xe9\n\n"),
                "HTTP 200 with charset 'ISO-8859-1': an event stream is UTF-8 only");
}

TEST_CASE("stream encoding: charset=UTF-8 and Content-Encoding identity stream as usual",
          "[stream_encoding]") {
  ScriptedServer server({Behaviour::raw_then_idle(
      head_with("text/event-stream; charset=\"UTF-8\"", "Content-Encoding: identity\r\n") +
      "id: 1\ndata: ok\n\n")});
  Collector c;
  auto runner = io::Runner::start(io::testing::quick_options(server), c.callbacks());
  REQUIRE(runner);
  REQUIRE(c.wait_for_deliveries(1, 10s));
  (*runner)->stop();
  CHECK(c.deliveries()[0].data == "ok");
}
