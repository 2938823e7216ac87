// A session's snapshot as Prometheus metrics (io/src/metrics/session_metrics.cpp):
// the families and series in an application's registry, counters moved by
// differences, the status gauge, the bounded labels, and the collector an
// exposer scrapes.
#include <prometheus/text_serializer.h>

#include <catch2/catch.hpp>
#include <string>
#include <tether/metrics/session_metrics.hpp>

namespace {

using namespace tether;

std::string scrape(const prometheus::Collectable& collectable) {
  return prometheus::TextSerializer().Serialize(collectable.Collect());
}

// The sample line of `series` (name and labels as exposed), or "" if absent.
std::string sample(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return {};
  const auto end = text.find('\n', at + 1);
  return text.substr(at + 1, end - at - 1);
}

io::SessionSnapshot backing_off() {
  io::SessionSnapshot s;
  s.status = model::Status{model::StatusKind::backing_off, model::Reason::rate_limited, 2,
                           model::Instant{9000}, 503};
  s.phase = "backing_off";
  s.phase_age_ms = 1500;
  s.attempt = 3;
  s.next_attempt_in_ms = 2500;
  s.last_error = io::LastError{model::Instant{7500}, model::Reason::rate_limited, 503,
                               "server answered HTTP 503: Service Unavailable"};
  s.outage_failures = 2;
  s.counters.deliveries = 7;
  s.counters.duplicates_dropped = 1;
  s.counters.gaps = 1;
  s.counters.events_missed = 3;
  s.counters.connection_attempts = 3;
  s.counters.reconnects = 2;
  s.counters.connections_opened = 1;
  s.counters.connection_failures = 2;
  s.counters.failures_by_reason[static_cast<std::size_t>(model::Reason::rate_limited)] = 2;
  s.counters.bytes_received = 4096;
  s.checkpoint_lag_deliveries = 4;
  s.checkpoint_lag_ms = 250;
  return s;
}

}  // namespace

TEST_CASE("metrics: a snapshot's values, with bounded labels, in the application's registry",
          "[metrics]") {
  prometheus::Registry registry;
  metrics::SessionMetrics session(registry, metrics::Transport::websocket, {{"session", "orders"}});
  session.update(backing_off());
  const std::string text = scrape(registry);
  INFO(text);
  const std::string labels = "session=\"orders\",transport=\"websocket\"";
  CHECK(sample(text, "tether_session_deliveries_total{" + labels + "}") ==
        "tether_session_deliveries_total{" + labels + "} 7");
  CHECK(sample(text, "tether_session_received_bytes_total{" + labels + "}").ends_with(" 4096"));
  CHECK(sample(text, "tether_session_events_missed_total{" + labels + "}").ends_with(" 3"));
  CHECK(sample(text, "tether_session_reconnects_total{" + labels + "}").ends_with(" 2"));
  CHECK(sample(text,
               "tether_session_connection_failures_total{reason=\"rate_limited\"," + labels + "}")
            .ends_with(" 2"));
  CHECK(sample(text, "tether_session_connection_failures_total{reason=\"connect_timeout\"," +
                         labels + "}")
            .ends_with(" 0"));
  // Not failure reasons: no series.
  CHECK(text.find("reason=\"stop_requested\"") == std::string::npos);
  CHECK(text.find("reason=\"none\"") == std::string::npos);
  CHECK(sample(text,
               "tether_session_status{session=\"orders\",status=\"backing_off\","
               "transport=\"websocket\"}")
            .ends_with(" 1"));
  CHECK(sample(text,
               "tether_session_status{session=\"orders\",status=\"streaming\","
               "transport=\"websocket\"}")
            .ends_with(" 0"));
  CHECK(sample(text, "tether_session_next_attempt_seconds{" + labels + "}").ends_with(" 2.5"));
  CHECK(sample(text, "tether_session_phase_age_seconds{" + labels + "}").ends_with(" 1.5"));
  CHECK(sample(text, "tether_session_attempt{" + labels + "}").ends_with(" 3"));
  CHECK(sample(text, "tether_session_last_error_http_status{" + labels + "}").ends_with(" 503"));
  CHECK(sample(text, "tether_session_checkpoint_lag_deliveries{" + labels + "}").ends_with(" 4"));
  CHECK(sample(text, "tether_session_checkpoint_lag_seconds{" + labels + "}").ends_with(" 0.25"));
  // Nothing unbounded: no error text, no URL.
  CHECK(text.find("Service Unavailable") == std::string::npos);
  CHECK(text.find("# TYPE tether_session_deliveries_total counter") != std::string::npos);
  CHECK(text.find("# TYPE tether_session_status gauge") != std::string::npos);
}

TEST_CASE("metrics: counters move by differences and never go down, two sessions share families",
          "[metrics]") {
  prometheus::Registry registry;
  metrics::SessionMetrics a(registry, metrics::Transport::sse, {{"session", "a"}});
  metrics::SessionMetrics b(registry, metrics::Transport::sse, {{"session", "b"}});
  io::SessionSnapshot s = backing_off();
  a.update(s);
  s.counters.deliveries = 10;
  a.update(s);
  s.counters.deliveries = 2;  // a new session behind the same metrics
  a.update(s);
  s.counters.deliveries = 5;
  b.update(s);
  const std::string text = scrape(registry);
  INFO(text);
  CHECK(sample(text, "tether_session_deliveries_total{session=\"a\",transport=\"sse\"}")
            .ends_with(" 12"));
  CHECK(sample(text, "tether_session_deliveries_total{session=\"b\",transport=\"sse\"}")
            .ends_with(" 5"));
  std::size_t families = 0;
  for (auto at = text.find("# TYPE tether_session_deliveries_total"); at != std::string::npos;
       at = text.find("# TYPE tether_session_deliveries_total", at + 1))
    ++families;
  CHECK(families == 1);
}

TEST_CASE("metrics: the collector reads its source at every scrape", "[metrics]") {
  io::SessionSnapshot s = backing_off();
  int asked = 0;
  metrics::SessionCollector collector(
      [&] {
        ++asked;
        return s;
      },
      metrics::transport_of("https://example.com/sub/x"));
  CHECK(sample(scrape(collector), "tether_session_deliveries_total{transport=\"sse\"}")
            .ends_with(" 7"));
  s.counters.deliveries = 9;
  CHECK(sample(scrape(collector), "tether_session_deliveries_total{transport=\"sse\"}")
            .ends_with(" 9"));
  CHECK(asked == 2);
  CHECK(metrics::transport_of("wss://example.com/ws") == metrics::Transport::websocket);
  CHECK(metrics::name_of(metrics::Transport::websocket) == "websocket");
}
