#pragma once
// A streaming session's metrics in the Prometheus text exposition, through
// prometheus-cpp: the optional component tether::metrics, built when
// find_package(prometheus-cpp) finds it (Debian 12: prometheus-cpp-dev).
// docs/io.md ("Metrics") lists every family.
//
//   prometheus::Registry& registry = ...;  // the application's own
//   tether::metrics::SessionMetrics metrics(registry, tether::metrics::Transport::sse,
//                                           {{"session", "orders"}});
//   ...
//   metrics.update(runner->snapshot());    // whenever the values should move
//
// or, to have every scrape read the session afresh, a SessionCollector
// registered with a prometheus::Exposer (tether-watch --metrics-listen does):
//
//   auto collector = std::make_shared<tether::metrics::SessionCollector>(
//       [&runner] { return runner->snapshot(); }, tether::metrics::Transport::sse);
//   exposer.RegisterCollectable(collector);
//
// Labels are bounded: `transport` (sse, websocket), `reason` (the model's
// failure reasons) and `status` (the model's status kinds), plus the
// application's own, which must be bounded too (a fixed session name, never a
// URL, an id or a user).
#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/labels.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <tether/io/session_snapshot.hpp>
#include <vector>

namespace tether::metrics {

enum class Transport : std::uint8_t { sse, websocket };

// ws:// and wss:// URLs are WebSocket; the rest SSE (as the Runner decides).
Transport transport_of(std::string_view url);
std::string_view name_of(Transport transport);  // "sse", "websocket"

// The tether_session_* families in `registry` (added, or shared with another
// SessionMetrics there), and this session's series in them.
class SessionMetrics {
 public:
  // `labels` join `transport` on every series. Two SessionMetrics in one
  // registry need different labels, or they move the same series.
  SessionMetrics(prometheus::Registry& registry, Transport transport,
                 const prometheus::Labels& labels = {});
  SessionMetrics(const SessionMetrics&) = delete;
  SessionMetrics& operator=(const SessionMetrics&) = delete;

  // Moves every series to `snapshot`. Counters move by the difference since
  // the previous update; a count lower than before (a new session behind the
  // same metrics) is counted from zero, so no counter goes down.
  void update(const io::SessionSnapshot& snapshot);

 private:
  struct Count {
    prometheus::Counter* counter = nullptr;
    std::uint64_t seen = 0;
  };
  void advance(Count& count, std::uint64_t value);

  Count deliveries_, duplicates_, gaps_, missed_, attempts_, reconnects_, opened_, bytes_, saved_,
      save_failures_;
  std::map<model::Reason, Count> failures_;
  std::map<model::StatusKind, prometheus::Gauge*> status_;
  prometheus::Gauge* phase_age_ = nullptr;
  prometheus::Gauge* attempt_ = nullptr;
  prometheus::Gauge* consecutive_failures_ = nullptr;
  prometheus::Gauge* next_attempt_ = nullptr;
  prometheus::Gauge* outage_failures_ = nullptr;
  prometheus::Gauge* last_http_status_ = nullptr;
  prometheus::Gauge* lag_deliveries_ = nullptr;
  prometheus::Gauge* lag_seconds_ = nullptr;
};

// A prometheus::Collectable over its own registry: each Collect() (a scrape)
// asks `source` for a snapshot, updates the metrics, and collects them.
// Collect() may run on the exposer's threads: `source` must be thread-safe
// (Runner::snapshot() is), and calls are serialised here.
class SessionCollector final : public prometheus::Collectable {
 public:
  SessionCollector(std::function<io::SessionSnapshot()> source, Transport transport,
                   const prometheus::Labels& labels = {});
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::function<io::SessionSnapshot()> source_;
  std::unique_ptr<prometheus::Registry> registry_;
  std::unique_ptr<SessionMetrics> metrics_;
  mutable std::mutex mutex_;
};

}  // namespace tether::metrics
