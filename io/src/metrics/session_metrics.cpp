#include <string>
#include <tether/metrics/session_metrics.hpp>
#include <tether/model/names.hpp>
#include <utility>

namespace tether::metrics {

namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Labels;

constexpr std::string_view prefix = "tether_session_";

Family<Counter>& counters(prometheus::Registry& registry, std::string_view name,
                          const std::string& help) {
  return prometheus::BuildCounter()
      .Name(std::string(prefix) + std::string(name))
      .Help(help)
      .Register(registry);
}

Family<Gauge>& gauges(prometheus::Registry& registry, std::string_view name,
                      const std::string& help) {
  return prometheus::BuildGauge()
      .Name(std::string(prefix) + std::string(name))
      .Help(help)
      .Register(registry);
}

Labels with(Labels labels, std::string_view name, std::string_view value) {
  labels.insert_or_assign(std::string(name), std::string(value));
  return labels;
}

// The reasons an attempt can fail with (a status's reason when it backs off,
// gives up or fails); not none, the stops, or a checkpoint that never loaded.
bool is_failure_reason(model::Reason reason) {
  return reason != model::Reason::none && reason != model::Reason::stop_requested &&
         reason != model::Reason::replay_complete &&
         reason != model::Reason::checkpoint_unreadable && !model::is_lifecycle(reason);
}

double seconds(std::int64_t ms) { return static_cast<double>(ms) / 1000.0; }

}  // namespace

Transport transport_of(std::string_view url) {
  return url.starts_with("ws://") || url.starts_with("wss://") ? Transport::websocket
                                                               : Transport::sse;
}

std::string_view name_of(Transport transport) {
  return transport == Transport::websocket ? "websocket" : "sse";
}

SessionMetrics::SessionMetrics(prometheus::Registry& registry, Transport transport,
                               const Labels& labels) {
  const Labels base = with(labels, "transport", name_of(transport));
  const auto count = [&](std::string_view name, const std::string& help) {
    return Count{&counters(registry, name, help).Add(base)};
  };
  deliveries_ = count("deliveries_total", "Events handed to the application.");
  duplicates_ =
      count("duplicates_dropped_total", "Frames at or below the last delivered sequence, dropped.");
  gaps_ = count("gaps_total", "Losses reported to the application (ReportGap).");
  missed_ = count("events_missed_total", "Sequences lost, over the gaps whose size is known.");
  attempts_ = count("connection_attempts_total", "Connection attempts (Connect effects).");
  reconnects_ = count("reconnects_total", "Connection attempts after the session's first.");
  opened_ = count("connections_opened_total", "Connections the server accepted.");
  bytes_ = count("received_bytes_total",
                 "Response body bytes read (SSE after transfer decoding; WebSocket payloads).");
  saved_ = count("checkpoints_saved_total", "Checkpoint saves that completed.");
  save_failures_ = count("checkpoint_save_failures_total", "Checkpoint saves that failed.");
  auto& failures = counters(registry, "connection_failures_total",
                            "Attempts that failed, by the reason the session gave.");
  for (std::size_t r = 0; r < io::reason_count; ++r) {
    const auto reason = static_cast<model::Reason>(r);
    if (is_failure_reason(reason))
      failures_[reason] = Count{&failures.Add(with(base, "reason", model::name_of(reason)))};
  }
  auto& status = gauges(registry, "status", "1 for the session's status, 0 for the others.");
  for (auto kind = model::StatusKind::idle;;
       kind = static_cast<model::StatusKind>(static_cast<int>(kind) + 1)) {
    status_[kind] = &status.Add(with(base, "status", model::name_of(kind)));
    if (kind == model::StatusKind::failed) break;
  }
  const auto gauge = [&](std::string_view name, const std::string& help) {
    return &gauges(registry, name, help).Add(base);
  };
  phase_age_ = gauge("phase_age_seconds", "Time since the current phase (or attempt) began.");
  attempt_ = gauge("attempt", "The attempt under way, or while backing off the next one.");
  consecutive_failures_ = gauge("consecutive_failures", "Failed attempts in a row.");
  next_attempt_ = gauge("next_attempt_seconds", "Time until the next attempt (0: not waiting).");
  outage_failures_ = gauge("outage_failures", "Failed attempts in the outage under way.");
  last_http_status_ =
      gauge("last_error_http_status", "The HTTP status of the last failed attempt (0: none).");
  lag_deliveries_ = gauge("checkpoint_lag_deliveries",
                          "Deliveries acked (committable) whose checkpoint is not durable yet.");
  lag_seconds_ = gauge("checkpoint_lag_seconds",
                       "Age of the oldest acked delivery whose checkpoint is not durable yet.");
}

void SessionMetrics::advance(Count& count, std::uint64_t value) {
  const std::uint64_t delta = value >= count.seen ? value - count.seen : value;
  if (delta > 0) count.counter->Increment(static_cast<double>(delta));
  count.seen = value;
}

void SessionMetrics::update(const io::SessionSnapshot& s) {
  const io::SessionCounters& c = s.counters;
  advance(deliveries_, c.deliveries);
  advance(duplicates_, c.duplicates_dropped);
  advance(gaps_, c.gaps);
  advance(missed_, c.events_missed);
  advance(attempts_, c.connection_attempts);
  advance(reconnects_, c.reconnects);
  advance(opened_, c.connections_opened);
  advance(bytes_, c.bytes_received);
  advance(saved_, c.checkpoints_saved);
  advance(save_failures_, c.checkpoint_save_failures);
  for (auto& [reason, count] : failures_) advance(count, c.failures(reason));
  for (auto& [kind, gauge] : status_) gauge->Set(kind == s.status.kind ? 1.0 : 0.0);
  phase_age_->Set(seconds(s.phase_age_ms));
  attempt_->Set(static_cast<double>(s.attempt));
  consecutive_failures_->Set(static_cast<double>(s.status.failures));
  next_attempt_->Set(seconds(s.next_attempt_in_ms.value_or(0)));
  outage_failures_->Set(static_cast<double>(s.outage_failures));
  last_http_status_->Set(s.last_error ? static_cast<double>(s.last_error->http_status) : 0.0);
  lag_deliveries_->Set(static_cast<double>(s.checkpoint_lag_deliveries));
  lag_seconds_->Set(seconds(s.checkpoint_lag_ms.value_or(0)));
}

SessionCollector::SessionCollector(std::function<io::SessionSnapshot()> source, Transport transport,
                                   const Labels& labels)
    : source_(std::move(source)),
      registry_(std::make_unique<prometheus::Registry>()),
      metrics_(std::make_unique<SessionMetrics>(*registry_, transport, labels)) {}

std::vector<prometheus::MetricFamily> SessionCollector::Collect() const {
  std::lock_guard lock(mutex_);
  metrics_->update(source_());
  return registry_->Collect();
}

}  // namespace tether::metrics
