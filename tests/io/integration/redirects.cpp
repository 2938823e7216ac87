// Redirects against the real Runner, HttpPoller and tether-watch: TLS made on
// demand (http -> https never crashes, and still verifies), a downgrade to
// plain text refused, credentials and extra headers never sent to another
// origin, and messages that name origins only.
#include <catch2/catch.hpp>
#include <fstream>
#include <tether/io/http_poller.hpp>
#include <tether/io/runner.hpp>

#include "child_process.hpp"
#include "collector.hpp"
#include "nginx_server.hpp"
#include "scripted_server.hpp"
#include "session_support.hpp"

namespace {

using namespace tether;
using namespace std::chrono_literals;
using io::testing::Behaviour;
using io::testing::Collector;
using io::testing::find_header;
using io::testing::FixedAuth;
using io::testing::NginxServer;
using io::testing::ScriptedServer;

io::RunnerOptions with_credentials(io::RunnerOptions o) {
  o.auth = std::make_shared<FixedAuth>("secret-token");
  o.config.auth.has_provider = true;
  o.http.headers = {{"X-Api-Key", "secret-key"}};
  return o;
}

bool mentions(const std::vector<std::string>& texts, std::string_view needle) {
  return std::any_of(texts.begin(), texts.end(), [needle](const std::string& t) {
    return t.find(needle) != std::string::npos;
  });
}

std::vector<std::string> payloads(int n) {
  std::vector<std::string> out;
  for (int i = 1; i <= n; ++i) out.push_back("{\"seq\":" + std::to_string(i) + "}");
  return out;
}

}  // namespace

TEST_CASE("redirects: http to https follows with a TLS context made on demand, verified",
          "[redirects][tls]") {
  NginxServer::Options options;
  options.tls = true;
  NginxServer nginx = NginxServer::start(options);
  REQUIRE(nginx.publish_many("up", payloads(3)) == 3);
  ScriptedServer plain({Behaviour::http_response(302, {{"Location", nginx.tls_url("/sub/up")}})});
  {
    // Before the fix: SIGSEGV (the context existed only for an https first URL).
    Collector c;
    io::RunnerOptions o = io::testing::quick_options(plain.base_url() + "/start");
    o.sequence = io::SequenceExtractor::from_json_field("seq");
    o.tls.ca_file = NginxServer::ca_cert_path().string();
    auto runner = io::Runner::start(std::move(o), c.callbacks());
    REQUIRE(runner);
    REQUIRE(c.wait_for_deliveries(3, 20s));
    (*runner)->stop();
    CHECK(c.sequences() == std::vector<std::uint64_t>{1, 2, 3});
  }
  // The context made on demand verifies like any other: a wrong CA fails.
  Collector c;
  io::RunnerOptions o = io::testing::quick_options(plain.base_url() + "/start");
  o.tls.ca_file = NginxServer::wrong_ca_cert_path().string();
  const auto ended = io::testing::run_to_end(std::move(o), c, 20s);
  INFO(c.diagnostics_text());
  REQUIRE(ended.finished);
  CHECK(ended.status.kind == model::StatusKind::failed);
  CHECK(ended.status.reason == model::Reason::unrecoverable);
  CHECK(c.deliveries().empty());
  CHECK(mentions(c.diagnostics(), "unknown CA"));
}

TEST_CASE("redirects: https to http is refused as a downgrade, with origins only",
          "[redirects][tls]") {
  ScriptedServer plain({Behaviour::sse("id: 1\ndata: leaked\n\n")});
  NginxServer::Options options;
  options.tls = true;
  options.extra_server_config =
      "    location = /downgrade { return 302 http://127.0.0.1:" + std::to_string(plain.port()) +
      "/target?sig=SECRET; }\n";
  NginxServer nginx = NginxServer::start(options);
  const std::string from = nginx.tls_base_url();
  const std::string expected = "refused redirect from " + from +
                               " to http://127.0.0.1:" + std::to_string(plain.port()) +
                               ": a downgrade to plain text";
  {
    Collector c;
    io::RunnerOptions o = with_credentials(io::testing::quick_options(nginx.tls_url("/downgrade")));
    o.tls.ca_file = NginxServer::ca_cert_path().string();
    const auto ended = io::testing::run_to_end(std::move(o), c, 20s);
    INFO(c.diagnostics_text());
    REQUIRE(ended.finished);
    CHECK(ended.status.kind == model::StatusKind::failed);
    CHECK(ended.status.reason == model::Reason::unrecoverable);
    CHECK(mentions(c.diagnostics(), expected));
    CHECK_FALSE(mentions(c.diagnostics(), "SECRET"));
    CHECK_FALSE(mentions(c.diagnostics(), "/target"));
    CHECK(c.deliveries().empty());
  }
  // The poller refuses it the same way.
  io::PollOptions poll;
  poll.tls.ca_file = NginxServer::ca_cert_path().string();
  auto poller = io::HttpPoller::create(poll);
  REQUIRE(poller);
  const auto got = (*poller)->get({nginx.tls_url("/downgrade"), std::nullopt, "secret-token"});
  REQUIRE_FALSE(got);
  CHECK(got.error() == expected);
  CHECK(plain.connections_accepted() == 0);  // nothing went out in clear text
}

TEST_CASE(
    "redirects: another origin gets neither the token nor the extra headers, and the user is told",
    "[redirects]") {
  ScriptedServer other({Behaviour::sse("id: 5\ndata: from the other origin\n\n")});
  ScriptedServer first({Behaviour::http_response(
      307, {{"Location",
             "http://localhost:" + std::to_string(other.port()) + "/elsewhere?sig=SECRET"}})});
  Collector c;
  io::RunnerOptions o = with_credentials(io::testing::quick_options(first.base_url() + "/stream"));
  auto runner = io::Runner::start(std::move(o), c.callbacks());
  REQUIRE(runner);
  REQUIRE(c.wait_for_deliveries(1, 10s));
  (*runner)->stop();
  const std::string asked = first.requests().at(0);
  const std::string redirected = other.requests().at(0);
  INFO(asked << "---\n" << redirected << "---\n" << c.diagnostics_text());
  CHECK(find_header(asked, "Authorization") == "Bearer secret-token");
  CHECK(find_header(asked, "X-Api-Key") == "secret-key");
  CHECK(redirected.starts_with("GET /elsewhere?sig=SECRET HTTP/1.1"));
  CHECK_FALSE(find_header(redirected, "Authorization"));
  CHECK_FALSE(find_header(redirected, "X-Api-Key"));
  CHECK(redirected.find("secret") == std::string::npos);
  CHECK(mentions(c.diagnostics(), "redirect from " + first.base_url() + " to http://localhost:" +
                                      std::to_string(other.port()) + " (another origin)"));
  CHECK_FALSE(mentions(c.diagnostics(), "SECRET"));
  CHECK(c.deliveries().at(0).data == "from the other origin");
}

TEST_CASE("redirects: the poller sends no credentials to another origin and reports it",
          "[redirects][poll]") {
  ScriptedServer other(
      {Behaviour::http_response(200, {{"Content-Type", "application/json"}}, "{\"a\":1}")});
  ScriptedServer first({Behaviour::http_response(
      302,
      {{"Location", "http://localhost:" + std::to_string(other.port()) + "/state?sig=SECRET"}})});
  io::PollOptions poll;
  poll.http.headers = {{"X-Api-Key", "secret-key"}};
  auto poller = io::HttpPoller::create(poll);
  REQUIRE(poller);
  const auto got = (*poller)->get({first.base_url() + "/state", std::nullopt, "secret-token"});
  REQUIRE(got);
  CHECK(got->body == "{\"a\":1}");
  REQUIRE(other.wait_for_requests(1));
  const std::string redirected = other.requests().at(0);
  INFO(redirected);
  CHECK(find_header(first.requests().at(0), "Authorization") == "Bearer secret-token");
  CHECK_FALSE(find_header(redirected, "Authorization"));
  CHECK_FALSE(find_header(redirected, "X-Api-Key"));
  REQUIRE(got->notices.size() == 1);
  CHECK(got->notices[0].starts_with("redirect from " + first.base_url() + " to http://localhost:" +
                                    std::to_string(other.port()) + " (another origin)"));
  CHECK(got->notices[0].find("SECRET") == std::string::npos);
}

#ifdef TETHER_WATCH
TEST_CASE("redirects: tether-watch says on stderr that credentials stayed behind",
          "[redirects][tether_watch]") {
  ScriptedServer other({Behaviour::sse("id: 1\ndata: {\"seq\":1}\n\n")});
  ScriptedServer first({Behaviour::http_response(
      302, {{"Location", "http://localhost:" + std::to_string(other.port()) + "/s?sig=SECRET"}})});
  const io::testing::Scratch dir("redirect-token");
  const auto token_file = dir / "token";
  std::ofstream(token_file) << "secret-token\n";
  const auto run =
      io::testing::run_watch({first.base_url() + "/s", "--token-file", token_file.string(), "-H",
                              "X-Api-Key: secret-key", "--max-events", "1"},
                             20s);
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK(run.out.starts_with("{\"delivery\":1,"));
  CHECK(run.err.find("(another origin)") != std::string::npos);
  CHECK(run.err.find("SECRET") == std::string::npos);
  const std::string redirected = other.requests().at(0);
  CHECK_FALSE(find_header(redirected, "Authorization"));
  CHECK_FALSE(find_header(redirected, "X-Api-Key"));
}
#endif
