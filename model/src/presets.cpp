#include <array>
#include <tether/model/presets.hpp>

namespace tether::model::presets {

SessionConfig aviso() {
  SessionConfig c;
  c.backoff.delay_ms_initial = 250;
  c.backoff.multiplier = 2.0;
  c.backoff.delay_ms_max = 30000;
  c.backoff.jitter = JitterKind::full;
  c.backoff.short_session_ms = 5000;
  c.backoff.short_session_delay_ms_min = 5000;
  c.backoff.hint_ms_max = 300000;
  c.heartbeat = HeartbeatPolicy{.interval_ms = 30000, .interval_multiple = 3, .slack_ms = 30000};
  return c;
}

SessionConfig zero_ws() {
  SessionConfig c;
  c.backoff.delay_ms_initial = 500;
  c.backoff.multiplier = 2.0;
  c.backoff.delay_ms_max = 30000;
  c.backoff.jitter = JitterKind::full;
  c.backoff.reset_on = ResetOn::first_frame;
  // nchan pings WebSocket clients; 90 s of silence is a dead link.
  c.heartbeat = HeartbeatPolicy{.interval_ms = 30000, .interval_multiple = 3, .slack_ms = 30000};
  return c;
}

SessionConfig kanade() {
  SessionConfig c;
  c.backoff.delay_ms_initial = 1000;
  c.backoff.multiplier = 2.0;
  c.backoff.delay_ms_max = 300000;
  c.backoff.jitter = JitterKind::proportional;
  c.backoff.jitter_fraction = 0.25;
  c.backoff.restored_delay_ms_max = 100;  // "wake at once", with a small spread
  c.give_up = GiveUpPolicy{};             // retry forever
  c.heartbeat = HeartbeatPolicy{.interval_ms = 30000, .interval_multiple = 3, .slack_ms = 30000};
  return c;
}

SessionConfig koprs(std::int64_t interval_ms) {
  SessionConfig c;
  c.backoff.delay_ms_initial = interval_ms;
  c.backoff.multiplier = 2.0;
  c.backoff.delay_ms_max = interval_ms * 32;
  c.backoff.jitter = JitterKind::none;
  c.backoff.reset_on = ResetOn::first_frame;
  // Three missed intervals, and never less than the interval plus 30 s.
  c.heartbeat =
      HeartbeatPolicy{.interval_ms = interval_ms, .interval_multiple = 3, .slack_ms = 30000};
  return c;
}

SessionConfig grpc() {
  SessionConfig c;
  c.backoff.delay_ms_initial = 1000;
  c.backoff.multiplier = 1.6;
  c.backoff.delay_ms_max = 120000;
  c.backoff.jitter = JitterKind::proportional;
  c.backoff.jitter_fraction = 0.2;
  c.connect.timeout_ms = 20000;
  c.connect.timeout_tracks_backoff = true;
  // gRPC keepalive pings every 30 s by default in streaming servers; allow 4.
  c.heartbeat = HeartbeatPolicy{.interval_ms = 30000, .interval_multiple = 4, .slack_ms = 30000};
  return c;
}

SessionConfig client_go() {
  SessionConfig c;
  c.backoff.delay_ms_initial = 800;
  c.backoff.multiplier = 2.0;
  c.backoff.delay_ms_max = 30000;
  c.backoff.jitter = JitterKind::upward;
  c.backoff.jitter_fraction = 1.0;
  c.backoff.reset_on = ResetOn::stable_period;
  c.backoff.stable_ms = 120000;
  c.backoff.short_session_ms = 1000;
  // Kubernetes watches may stay silent for minutes between changes and
  // bookmarks: five minutes without a byte is a dead link.
  c.heartbeat = HeartbeatPolicy{.interval_ms = 60000, .interval_multiple = 5, .slack_ms = 60000};
  return c;
}

namespace {
SessionConfig koprs_default() { return koprs(); }
constexpr std::array<Named, 6> kAll{{
    {"aviso", &aviso},
    {"zero_ws", &zero_ws},
    {"kanade", &kanade},
    {"koprs", &koprs_default},
    {"grpc", &grpc},
    {"client_go", &client_go},
}};
}  // namespace

std::span<const Named> all() { return kAll; }

poll::Config zero_poll() {
  poll::Config c;
  c.endpoints.push_back(poll::EndpointConfig{"state", 5000, poll::Backoff::fixed(5000)});
  c.endpoints.push_back(poll::EndpointConfig{"backfill", 30000, poll::Backoff::fixed(5000)});
  return c;
}

poll::Config koprs_poll(std::int64_t interval_ms) {
  // An interval too large to multiply is left for validate() to refuse.
  const std::int64_t cap_ms = interval_ms > poll::poll_ms_max ? interval_ms : interval_ms * 32;
  poll::Config c;
  c.endpoints.push_back(poll::EndpointConfig{"resource", interval_ms,
                                             poll::Backoff::exponential(interval_ms, 2.0, cap_ms)});
  return c;
}

wait::Config kanade_wait() {
  wait::Config c;
  c.backoff = kanade().backoff;  // 1 s x2 to 300 s, +-25 %, wake within 100 ms
  c.give_up = kanade().give_up;  // forever
  c.reopen_pause_ms = 1000;
  c.acquire_timeout_ms = 30000;
  return c;
}

mirror::Config aviso_mirror() {
  mirror::Config c;
  c.heartbeat = aviso().heartbeat.value_or(HeartbeatPolicy{});
  c.stale_after_ms = 30000;
  return c;
}

}  // namespace tether::model::presets
