#pragma once
// Events: past-tense facts the driver feeds to transition(). Every event carries
// `now`, the driver's monotonic clock reading when it happened.

#include <cstdint>
#include <optional>
#include <tether/model/cursor.hpp>
#include <tether/model/time.hpp>
#include <variant>

namespace tether::model {

// The application started the session. `checkpoint` is what the driver loaded
// from its checkpoint store (it takes precedence over the configured start).
struct Started {
  Instant now;
  std::optional<Cursor> checkpoint;
  std::optional<Instant> token_expires_at;
};

// The application asked to stop. Accepted in every state.
struct StopRequested {
  Instant now;
};

// A deadline from next_deadline() may have passed. Early, late or repeated
// ticks are harmless.
struct Tick {
  Instant now;
};

// The transport is up and the server accepted the request (HTTP 200 with the
// right content type, or a completed WebSocket upgrade).
struct ConnectionOpened {
  Instant now;
};

enum class CloseCause : std::uint8_t {
  clean_close,      // the server ended the stream on purpose (WS 1000/1001, SSE end)
  unexpected_eof,   // the byte stream ended without a close
  transport_error,  // DNS, refused, reset, TLS, ...
  protocol_error,   // malformed frame, oversized line, bad content type
  // A retry would meet the same error: a failed TLS verification, a refused
  // redirect, a limit the server's bytes exceed, an unsupported encoding.
  // Ends the session (Failed, Reason::unrecoverable) instead of looping.
  unrecoverable,
};

// The connection (attempting or open) ended.
struct ConnectionClosed {
  Instant now;
  CloseCause cause;
};

// The server answered with a non-success HTTP status.
struct ServerRejected {
  Instant now;
  std::uint16_t http_status;
  std::optional<std::int64_t> retry_after_ms;  // parsed Retry-After, if any
};

// Bytes arrived that carry no event: a comment, a ping, a heartbeat.
struct BytesReceived {
  Instant now;
};

// One event frame arrived. The driver keeps the payload; `frame_ref` is its
// handle, returned in Deliver or DiscardFrame.
struct FrameReceived {
  Instant now;
  std::optional<std::uint64_t> sequence;  // for ordering, dedupe and gaps
  // Opaque resume id (SSE id:), if any. An empty id resets the resume cursor
  // (WHATWG: an `id:` field with no value clears the last event ID).
  std::optional<Token> id;
  std::optional<std::int64_t> retry_ms;  // SSE `retry:` field, if any
  std::uint64_t frame_ref = 0;
};

// The server said the resume cursor is older than its retained history (in-band;
// HTTP 410 arrives as ServerRejected and is treated the same).
struct CursorExpired {
  Instant now;
};

// A replay-only stream reached its end.
struct ReplayFinished {
  Instant now;
};

// The application finished with delivery `delivery_id` (cumulative). `cursor` is
// that delivery's position, which the driver knows from the frame it delivered
// (its id and/or sequence); it is what a checkpoint will store.
struct DeliveryAcked {
  Instant now;
  std::uint64_t delivery_id;
  Cursor cursor;
};

// The answers to RefreshAuth: `request` is the effect's, copied back by the
// driver. 0 (an answer that names no request: recordings made before requests
// were numbered) answers the refresh that is out.
struct AuthRefreshed {
  Instant now;
  std::optional<Instant> expires_at;
  std::uint32_t request = 0;
};

struct AuthRefreshFailed {
  Instant now;
  std::uint32_t request = 0;
};

struct CheckpointSaved {
  Instant now;
  std::uint64_t delivery_id;
};

struct CheckpointSaveFailed {
  Instant now;
  std::uint64_t delivery_id;
};

// The host's network came back (interface up, OS reachability callback).
struct NetworkRestored {
  Instant now;
};

// The application's lifecycle (docs/state-machine.md, "Paused" and
// "Reconnects"). Pause: no connection until ResumeRequested (the connection is
// closed, the checkpoint flushed); accepted in every live phase, and in Idle
// (a session paused before it started stays paused once it starts).
struct PauseRequested {
  Instant now;
};

// The end of a pause: the session reconnects from its cursor (not before the
// end of a backoff the pause interrupted; the give-up limits and the retry
// budget apply). Ignored unless Paused.
struct ResumeRequested {
  Instant now;
};

enum class ReconnectWhy : std::uint8_t {
  network_changed,  // the host's network changed: the socket may be bound to a dead interface
  restart,          // the application asked for a new connection
};

// Drop the current connection and reconnect from the cursor within
// uniform[0, backoff.restored_delay_ms_max] (a fleet told at once must not
// come back in lockstep), not counted as a failure; in BackingOff it wakes the
// session as NetworkRestored does. Ignored in the other phases.
struct ReconnectRequested {
  Instant now;
  ReconnectWhy why = ReconnectWhy::restart;
};

using Event =
    std::variant<Started, StopRequested, Tick, ConnectionOpened, ConnectionClosed, ServerRejected,
                 BytesReceived, FrameReceived, CursorExpired, ReplayFinished, DeliveryAcked,
                 AuthRefreshed, AuthRefreshFailed, CheckpointSaved, CheckpointSaveFailed,
                 NetworkRestored, PauseRequested, ResumeRequested, ReconnectRequested>;

inline Instant time_of(const Event& e) {
  return std::visit([](const auto& x) { return x.now; }, e);
}

}  // namespace tether::model
