#pragma once
// A transport opens one connection at a time for the driver and reports what
// happens on it. The SSE, WebSocket and HTTP-poll transports (tether::io) and
// the test mocks implement it; the driver implements TransportListener.
//
// Contract (what the driver relies on):
// - Every listener call happens on the session's strand, never from inside
//   open() or close() (the transport posts), so the driver is never re-entered.
// - After close() returns, the transport makes no further listener call for
//   that connection: late bytes of a closed connection never reach the model.
// - A connection ends with exactly one on_rejected() or on_closed(), unless the
//   driver closed it first.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/url.hpp>
#include <tether/model/cursor.hpp>
#include <tether/model/event.hpp>
#include <utility>
#include <vector>

namespace tether::io {

// The request of one attempt as a request hook left it, checked
// (<tether/io/request_hook.hpp>): the URL (the configured origin, the hook's
// path and query), the method, the extra headers (in place of
// HttpOptions::headers) and a POST body template.
struct AttemptRequest {
  Url url;
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct ConnectRequest {
  std::uint32_t attempt = 1;
  model::ResumeFrom from = model::ResumeFrom::server_default;
  model::Cursor cursor;      // from == cursor only
  std::string bearer_token;  // empty: send no Authorization header
  // What a request hook made of the request; nullopt: the transport's
  // configured request (planned_request in <tether/io/request_hook.hpp>).
  std::optional<AttemptRequest> request;
};

// The head of the response that ends an attempt's request (after redirects):
// its status and header fields, in order.
struct ResponseHead {
  std::uint16_t http_status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
};

// One application message as the transport parsed it. The views are valid only
// during the on_message() call (they point into the transport's buffers).
struct Message {
  std::string_view type;  // SSE `event:` ("message" by default); WebSocket: "message"
  std::string_view data;
  // SSE: the last event ID, always present; empty after an `id:` with no
  // value (or before any id), which resets the resume cursor. WebSocket: the
  // frame's id when the framing carries one.
  std::optional<std::string_view> id;
  std::optional<std::int64_t> retry_ms;  // SSE `retry:` seen since the last message
};

class TransportListener {
 public:
  // The server accepted the request (HTTP 200 + right content type, or the
  // WebSocket upgrade completed).
  virtual void on_opened() = 0;
  // The server answered with another status. Ends the connection.
  virtual void on_rejected(std::uint16_t http_status, std::optional<std::int64_t> retry_after_ms,
                           std::string_view detail) = 0;
  // Bytes that carry no message (a comment, a ping): liveness only.
  virtual void on_bytes() = 0;
  // An SSE comment's text (after the ':'; the views valid during the call
  // only), when the transport delivers comments (SseOptions::deliver_comments),
  // just before the on_bytes() for the same line. Not a message: it moves no
  // cursor and feeds the reducer nothing.
  virtual void on_comment(std::string_view text) { static_cast<void>(text); }
  // `bytes` of the response body were read (SSE: after transfer decoding;
  // WebSocket: a message's payload), before the calls they cause. Counted
  // only (SessionSnapshot::counters): it feeds the reducer nothing.
  virtual void on_received(std::size_t bytes) { static_cast<void>(bytes); }
  virtual void on_message(const Message& message) = 0;
  // The connection ended; `detail` says why, for humans ("connect: Connection
  // refused", "SSE line_bytes_max (1048576) exceeded at byte 123 ..."). With
  // CloseCause::unrecoverable (a retry would meet the same error: a refused
  // certificate, a downgrade redirect, a limit the server's bytes exceed, a
  // token or header that would inject header lines) the session ends Failed.
  virtual void on_closed(model::CloseCause cause, std::string_view detail) = 0;
  // The server's in-band signals (SSE: SseSignals): the resume cursor is older
  // than the history it keeps; a replay-only stream is complete. Pure: a
  // forwarding listener must not drop them silently.
  virtual void on_cursor_expired() = 0;
  virtual void on_replay_finished() = 0;
  // Something a human should know that does not end the connection (a
  // redirect to another origin, followed without credentials). Names origins
  // only, never paths, queries or credentials.
  virtual void on_notice(std::string_view text) { static_cast<void>(text); }
  // The response head that ends the attempt's request, just before
  // on_opened() or on_rejected() (or the on_closed() of a 200 that is no
  // stream): for the response hook.
  virtual void on_response(const ResponseHead& head) { static_cast<void>(head); }

 protected:
  ~TransportListener() = default;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Start connecting; outcomes arrive at `listener` later, on the strand.
  virtual void open(const ConnectRequest& request, TransportListener& listener) = 0;
  // Abandon the current connection, if any. Idempotent.
  virtual void close() = 0;
  // Stop (true) or restart (false) reading from the current and later
  // connections: backpressure from an application that falls behind. Bytes
  // wait in the kernel's buffers and then in the server's; nothing is lost.
  virtual void set_paused(bool paused) { static_cast<void>(paused); }
};

}  // namespace tether::io
