// Header injection: a CR, LF or NUL in a bearer token or an extra header never
// reaches the wire, whatever the source (an AuthProvider, RunnerOptions::http,
// tether-watch -H or --token-cmd); the error names the source, never the
// value. The scripted server records every request head.
#include <catch2/catch.hpp>
#include <tether/io/runner.hpp>

#include "child_process.hpp"
#include "collector.hpp"
#include "scripted_server.hpp"
#include "session_support.hpp"

namespace {

using namespace tether;
using namespace std::chrono_literals;
using io::testing::Behaviour;
using io::testing::Collector;
using io::testing::FixedAuth;
using io::testing::ScriptedServer;

bool injected(const ScriptedServer& server) {
  for (const auto& head : server.requests())
    if (head.find("X-Injected") != std::string::npos) return true;
  return false;
}

// A token from the auth provider with CRLF: the session fails before any
// request (a retry would send the same token), naming the token's source.
void check_bad_token(const std::string& scheme) {
  ScriptedServer server({Behaviour::sse("id: 1\ndata: x\n\n")});
  Collector c;
  io::RunnerOptions o = io::testing::quick_options(
      scheme + "://127.0.0.1:" + std::to_string(server.port()) + "/stream");
  o.auth = std::make_shared<FixedAuth>("tok\r\nX-Injected: 1");
  o.config.auth.has_provider = true;
  const auto ended = io::testing::run_to_end(std::move(o), c, 10s);
  INFO(c.diagnostics_text());
  REQUIRE(ended.finished);
  CHECK(ended.status.kind == model::StatusKind::failed);
  CHECK(ended.status.reason == model::Reason::unrecoverable);
  CHECK(c.diagnostics_text().find("the bearer token from the auth provider contains a CR byte") !=
        std::string::npos);
  CHECK(c.diagnostics_text().find("X-Injected") == std::string::npos);
  CHECK_FALSE(injected(server));
  CHECK(server.connections_accepted() == 0);
}

}  // namespace

TEST_CASE("header injection: a token with CRLF never goes on the wire (SSE)",
          "[header_injection]") {
  check_bad_token("http");
}

TEST_CASE("header injection: a token with CRLF never goes on the wire (WebSocket)",
          "[header_injection]") {
  check_bad_token("ws");
}

TEST_CASE("header injection: Runner::start refuses a bad extra header, naming it",
          "[header_injection]") {
  ScriptedServer server({Behaviour::sse("id: 1\ndata: x\n\n")});
  io::RunnerOptions o = io::testing::quick_options(server);
  o.http.headers = {{"X-Ok", "fine"}, {"X-Foo", "a\r\nX-Injected: 1"}};
  Collector c;
  auto started = io::Runner::start(std::move(o), c.callbacks());
  REQUIRE_FALSE(started);
  CHECK(started.error() == "header 'X-Foo' (HttpOptions::headers) contains a CR byte");
  io::RunnerOptions bad_name = io::testing::quick_options(server);
  bad_name.http.headers = {{"X-Foo\r\nX-Injected", "1"}};
  auto refused = io::Runner::start(std::move(bad_name), c.callbacks());
  REQUIRE_FALSE(refused);
  CHECK(refused.error().starts_with(
      "header name 'X-Foo\\x0D\\x0AX-Injected' (HttpOptions::headers) contains a CR byte"));
  CHECK(server.connections_accepted() == 0);
}

#ifdef TETHER_WATCH
TEST_CASE("header injection: tether-watch -H with CRLF exits 2, naming --header and the header",
          "[header_injection][tether_watch]") {
  ScriptedServer server({Behaviour::sse("id: 1\ndata: x\n\n")});
  const auto run = io::testing::run_watch(
      {server.base_url() + "/stream", "-H", "X-Foo: hunter2\r\nX-Injected: 1", "--max-events", "1"},
      10s);
  INFO(run.err);
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("--header") != std::string::npos);
  CHECK(run.err.find("'X-Foo'") != std::string::npos);
  CHECK(run.err.find("CR byte") != std::string::npos);
  CHECK(run.err.find("hunter2") == std::string::npos);
  CHECK_FALSE(injected(server));
}

TEST_CASE(
    "header injection: a --token-cmd token with a CR is refused as a failed refresh, never on the "
    "wire",
    "[header_injection][tether_watch]") {
  // The token provider refuses it (naming its source); the session goes on as
  // after any failed refresh: without credentials, so this open server streams.
  ScriptedServer server({Behaviour::sse("id: 1\ndata: x\n\n")});
  const auto run = io::testing::run_watch({server.base_url() + "/stream", "--token-cmd",
                                           "printf 'tok\\rX-Injected: 1'", "--max-events", "1"},
                                          20s);
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK(run.err.find("token from --token-cmd contains a control byte (CR)") != std::string::npos);
  CHECK_FALSE(injected(server));
  REQUIRE(server.wait_for_requests(1));
  CHECK(server.requests()[0].find("Authorization") == std::string::npos);
}
#endif
