// TLS failures against nginx with certificates a verifying client must refuse
// (nginx_server.hpp generates them per run): each names its cause, and a
// refused certificate ends the session as Failed (unrecoverable) after one
// attempt instead of being retried forever. A handshake cut by a reset is not
// a verification failure and is retried.
#include <catch2/catch.hpp>
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
using io::testing::NginxServer;
using io::testing::ScriptedServer;

NginxServer tls_server(NginxServer::Certificate certificate) {
  NginxServer::Options options;
  options.tls = true;
  options.certificate = certificate;
  return NginxServer::start(options);
}

// One attempt, Failed (unrecoverable), and a diagnostic naming the cause.
void check_refused(const std::string& url, const std::filesystem::path& ca,
                   std::string_view cause) {
  Collector c;
  io::RunnerOptions o = io::testing::quick_options(url);
  o.tls.ca_file = ca.string();
  const auto ended = io::testing::run_to_end(std::move(o), c, 20s);
  INFO(c.diagnostics_text());
  REQUIRE(ended.finished);
  CHECK(ended.status.kind == model::StatusKind::failed);
  CHECK(ended.status.reason == model::Reason::unrecoverable);
  CHECK_FALSE(io::testing::any_status(c.statuses(), model::StatusKind::backing_off));
  CHECK(c.diagnostics_text().find("certificate verification failed: ") != std::string::npos);
  CHECK(c.diagnostics_text().find(cause) != std::string::npos);
  CHECK(c.deliveries().empty());
}

}  // namespace

TEST_CASE("tls failures: a certificate from an unknown CA fails once, named", "[tls_failures]") {
  NginxServer nginx = tls_server(NginxServer::Certificate::valid);
  check_refused(nginx.tls_url("/sub/t"), NginxServer::wrong_ca_cert_path(),
                "the server's certificate was issued by an unknown CA");
  // WebSocket over TLS, and the poller, name it the same way.
  std::string wss = nginx.tls_url("/sub/t");
  wss.replace(0, 5, "wss");
  check_refused(wss, NginxServer::wrong_ca_cert_path(), "issued by an unknown CA");
  io::PollOptions poll;
  poll.tls.ca_file = NginxServer::wrong_ca_cert_path().string();
  auto poller = io::HttpPoller::create(poll);
  REQUIRE(poller);
  const auto got = (*poller)->get({nginx.tls_url("/files/none"), std::nullopt, ""});
  REQUIRE_FALSE(got);
  CHECK(got.error().find("certificate verification failed: the server's certificate was issued by "
                         "an unknown CA") != std::string::npos);
}

TEST_CASE("tls failures: a certificate for another host name fails once, named", "[tls_failures]") {
  NginxServer nginx = tls_server(NginxServer::Certificate::wrong_name);
  // tls_url() uses localhost (or 127.0.0.1 where localhost is not it).
  check_refused(nginx.tls_url("/sub/t"), NginxServer::ca_cert_path(), "mismatch)");
}

TEST_CASE("tls failures: an expired certificate fails once, named", "[tls_failures]") {
  NginxServer nginx = tls_server(NginxServer::Certificate::expired);
  check_refused(nginx.tls_url("/sub/t"), NginxServer::ca_cert_path(),
                "the server's certificate has expired");
}

TEST_CASE("tls failures: a self-signed certificate fails once, named", "[tls_failures]") {
  NginxServer nginx = tls_server(NginxServer::Certificate::self_signed);
  check_refused(nginx.tls_url("/sub/t"), NginxServer::ca_cert_path(),
                "the server's certificate is self-signed");
}

TEST_CASE("tls failures: a reset during the handshake is retried, not fatal", "[tls_failures]") {
  ScriptedServer server({Behaviour::close_at_once()});
  Collector c;
  io::RunnerOptions o =
      io::testing::quick_options("https://127.0.0.1:" + std::to_string(server.port()) + "/s");
  o.tls.ca_file = NginxServer::ca_cert_path().string();
  auto runner = io::Runner::start(std::move(o), c.callbacks());
  REQUIRE(runner);
  const bool retried = server.wait_for_connections(3, 10s);
  (*runner)->stop();
  INFO(c.diagnostics_text());
  CHECK(retried);
  CHECK_FALSE(io::testing::any_status(c.statuses(), model::StatusKind::failed));
  CHECK(c.diagnostics_text().find("TLS handshake with 127.0.0.1:") != std::string::npos);
  CHECK(c.diagnostics_text().find("certificate verification failed") == std::string::npos);
}

#ifdef TETHER_WATCH
TEST_CASE("tls failures: tether-watch exits 4 on a refused certificate, naming the cause",
          "[tls_failures][tether_watch]") {
  NginxServer nginx = tls_server(NginxServer::Certificate::expired);
  const auto run = io::testing::run_watch(
      {nginx.tls_url("/sub/t"), "--ca-file", NginxServer::ca_cert_path().string()}, 20s);
  INFO(run.err);
  CHECK(run.exit_code == 4);
  CHECK(run.err.find("the server's certificate has expired") != std::string::npos);
}
#endif

TEST_CASE(
    "tls failures: a server without TLS 1.2 is named as a protocol version problem, and retried",
    "[tls_failures]") {
  NginxServer::Options options;
  options.tls = true;
  options.extra_server_config = "    ssl_protocols TLSv1 TLSv1.1;\n";
  NginxServer nginx = NginxServer::start(options);
  Collector c;
  io::RunnerOptions o = io::testing::quick_options(nginx.tls_url("/sub/t"));
  o.tls.ca_file = NginxServer::ca_cert_path().string();
  auto runner = io::Runner::start(std::move(o), c.callbacks());
  REQUIRE(runner);
  const bool named =
      c.wait_for_diagnostic("no TLS protocol version in common with the server", 10s);
  const bool retried =
      c.wait([](const Collector& col) { return col.diagnostics_.size() >= 2; }, 10s);
  (*runner)->stop();
  INFO(c.diagnostics_text());
  CHECK(named);
  CHECK(retried);
  CHECK_FALSE(io::testing::any_status(c.statuses(), model::StatusKind::failed));
}
