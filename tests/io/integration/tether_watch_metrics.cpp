// tether-watch --metrics-listen and its log levels, through the real binary
// against the scripted loopback server: a scrape of /metrics (a plain HTTP
// GET on a socket) counts what the server sent, an outage's repeats are
// concealed unless --verbose, and a listen address that is not loopback is
// refused.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "raw_socket.hpp"
#include "scripted_server.hpp"

#if defined(TETHER_WATCH) && defined(TETHER_WATCH_METRICS)

namespace {

using namespace std::chrono_literals;
using namespace tether::io::testing;

// Five events with ids 1..5 (the sequence comes from the id).
std::string five_events() {
  std::string events;
  for (int i = 1; i <= 5; ++i)
    events += "id: " + std::to_string(i) + "\ndata: {\"n\":" + std::to_string(i) + "}\n\n";
  return events;
}

// Two 503s, then the stream: an outage of two failed attempts, then recovery.
std::vector<Behaviour> two_refusals_then_five() {
  return {Behaviour::http_response(503), Behaviour::http_response(503),
          Behaviour::sse(five_events())};
}

// The port tether-watch named on stderr ("metrics at http://127.0.0.1:PORT/metrics").
std::uint16_t metrics_port(const Child& watch) {
  const std::string marker = "metrics at http://127.0.0.1:";
  REQUIRE(watch.wait_for_err_lines(marker, 1, 10s));
  const std::string err = watch.err();
  const auto at = err.find(marker) + marker.size();
  return static_cast<std::uint16_t>(std::stoul(err.substr(at, err.find('/', at) - at)));
}

// The value of one series in a scrape ("" if the series is absent).
std::string value_of(const std::string& body, const std::string& series) {
  const auto at = body.find("\n" + series + " ");
  if (at == std::string::npos) return {};
  const auto start = at + 1 + series.size() + 1;
  return body.substr(start, body.find('\n', start) - start);
}

}  // namespace

TEST_CASE(
    "tether-watch --metrics-listen: a scrape of /metrics counts what the server sent, and the "
    "outage's repeat is concealed",
    "[tether_watch][metrics]") {
  ScriptedServer server(two_refusals_then_five());
  const Scratch dir("watch-metrics");
  Child watch(
      TETHER_WATCH,
      {server.base_url() + "/stream", "--seq-from", "id", "--metrics-listen", "127.0.0.1:0"}, dir,
      "watch");
  const std::uint16_t port = metrics_port(watch);
  REQUIRE(watch.wait_for_out_lines(5, 20s));
  // The fifth line is out; its count reaches the snapshot once the strand
  // publishes it, which a scrape reads (bounded wait: never a sleep).
  std::string body;
  const bool counted = eventually([&] {
    const HttpResponse r = http_request(port, "GET", "/metrics");
    body = r.body;
    return r.status == 200 &&
           value_of(body, "tether_session_deliveries_total{transport=\"sse\"}") == "5";
  });
  INFO(body);
  INFO(watch.err());
  CHECK(counted);
  const auto value = [&](const std::string& series) { return value_of(body, series); };
  CHECK(value("tether_session_connection_attempts_total{transport=\"sse\"}") == "3");
  CHECK(value("tether_session_reconnects_total{transport=\"sse\"}") == "2");
  CHECK(value("tether_session_connections_opened_total{transport=\"sse\"}") == "1");
  CHECK(value("tether_session_connection_failures_total{reason=\"rate_limited\","
              "transport=\"sse\"}") == "2");
  CHECK(value("tether_session_received_bytes_total{transport=\"sse\"}") ==
        std::to_string(five_events().size()));
  CHECK(value("tether_session_status{status=\"streaming\",transport=\"sse\"}") == "1");
  CHECK(value("tether_session_last_error_http_status{transport=\"sse\"}") == "503");
  CHECK(value("tether_session_outage_failures{transport=\"sse\"}") == "0");
  CHECK(value("tether_session_gaps_total{transport=\"sse\"}") == "0");
  CHECK(body.find(server.base_url()) == std::string::npos);  // no URL in any label
  ::kill(watch.pid(), SIGTERM);
  CHECK(watch.wait_exit(10s) == 0);
  // By default the outage says its first failure and its recovery, not the repeat.
  const std::string err = watch.err();
  CHECK(lines_with(err, "server answered HTTP 503") == 1);
  CHECK(lines_with(err, "of this outage") == 0);
  CHECK(lines_with(err, "streaming again after an outage of ") == 1);
  CHECK(lines_with(err, "and 2 failed attempt(s)") == 1);
}

TEST_CASE("tether-watch --verbose prints an outage's repeats at debug level (JSON too)",
          "[tether_watch][metrics]") {
  ScriptedServer server(two_refusals_then_five());
  const Scratch dir("watch-verbose");
  Child watch(TETHER_WATCH, {server.base_url() + "/stream", "--verbose", "--json-status"}, dir,
              "watch");
  REQUIRE(watch.wait_for_err_lines("streaming again after an outage", 1, 20s));
  ::kill(watch.pid(), SIGTERM);
  CHECK(watch.wait_exit(10s) == 0);
  const std::string err = watch.err();
  INFO(err);
  CHECK(lines_with(err, "server answered HTTP 503") == 2);
  CHECK(lines_with(err, "\"level\":\"warning\"") == 1);
  CHECK(lines_with(err, "(failed attempt 2 of this outage)\",\"level\":\"debug\"") == 1);
  CHECK(lines_with(err, "\"level\":\"info\"") == 1);
}

TEST_CASE(
    "tether-watch --metrics-listen refuses an address that is not loopback, or not an address, "
    "naming it",
    "[tether_watch][metrics]") {
  const std::string url = "http://127.0.0.1:1/stream";
  {
    const auto run = run_watch({url, "--metrics-listen", "0.0.0.0:0"}, 20s);
    CHECK(run.exit_code == 2);
    CHECK(run.err.find("--metrics-listen '0.0.0.0:0': not a loopback address") !=
          std::string::npos);
    CHECK(run.err.find("--metrics-allow-remote") != std::string::npos);
  }
  for (const char* bad : {"localhost:9100", "127.0.0.1", "127.0.0.1:65536", "[::1]:9100"}) {
    const auto run = run_watch({url, "--metrics-listen", bad}, 20s);
    INFO(bad << ": " << run.err);
    CHECK(run.exit_code == 2);
    CHECK(run.err.find("--metrics-listen '" + std::string(bad) + "'") != std::string::npos);
  }
  // A port in use: refused at start, before any connection.
  ScriptedServer taken({Behaviour::silent()});
  const std::string address = "127.0.0.1:" + std::to_string(taken.port());
  const auto run = run_watch({url, "--metrics-listen", address}, 20s);
  INFO(run.err);
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("--metrics-listen '" + address + "': cannot listen there") !=
        std::string::npos);
  CHECK(taken.connections_accepted() == 0);
}

#endif  // TETHER_WATCH && TETHER_WATCH_METRICS
