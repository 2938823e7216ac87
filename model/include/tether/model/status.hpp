#pragma once
// What the application renders: one value per connection status, reported by a
// ReportStatus effect every time it changes.

#include <cstddef>
#include <cstdint>
#include <tether/model/time.hpp>

namespace tether::model {

// Why the client is not streaming right now, or why it ended.
enum class Reason : std::uint8_t {
  none,
  // retried with backoff
  connect_timeout,
  confirm_timeout,
  transport_error,
  unexpected_eof,
  protocol_error,
  clean_close,
  heartbeat_timeout,
  server_error,  // 5xx other than 503
  rate_limited,  // 429 / 503, maybe with Retry-After
  auth_refresh_failed,
  cursor_resync,  // cursor too old, resuming elsewhere
  // terminal: Stopped
  stop_requested,
  replay_complete,
  // terminal: GaveUp
  attempts_exhausted,
  outage_too_long,
  // terminal: Failed
  unauthorized,            // 401 and no auth provider
  rejected_after_refresh,  // 401 again right after a successful refresh
  http_status,             // another 4xx (or unexpected status), kept in Status
  cursor_too_old,          // and the policy says fail
  unrecoverable,           // a connection error that a retry would reproduce
  checkpoint_unreadable,   // the driver could not load the checkpoint: never started
  // the application's lifecycle (appended: the values above are stable)
  pause_requested,    // Paused, or the wait after a resume (retry budget)
  network_changed,    // a connection dropped by ReconnectRequested{network_changed}
  restart_requested,  // a connection dropped by ReconnectRequested{restart}
};

// How many reasons there are (restart_requested is the last): the size of a
// table indexed by Reason. A reason appended after it must move this too.
inline constexpr std::size_t reason_count = static_cast<std::size_t>(Reason::restart_requested) + 1;

// A reason the application's lifecycle gave (a pause, a network change, a
// restart): why the session is not streaming, never a failure of the server
// or the network.
constexpr bool is_lifecycle(Reason reason) {
  return reason == Reason::pause_requested || reason == Reason::network_changed ||
         reason == Reason::restart_requested;
}

enum class StatusKind : std::uint8_t {
  idle,
  connecting,
  streaming,
  backing_off,
  refreshing_auth,
  stopped,
  gave_up,
  failed,
  paused,  // appended: the values above are stable
};

struct Status {
  StatusKind kind = StatusKind::idle;
  Reason reason = Reason::none;
  std::uint32_t failures = 0;     // consecutive failed attempts so far
  Instant next_attempt_at{};      // backing_off only
  std::uint16_t http_status = 0;  // failed with Reason::http_status, or the 5xx/429 seen

  friend constexpr bool operator==(const Status&, const Status&) = default;
};

}  // namespace tether::model
