#pragma once
// The body of one SSE response, turned into TransportListener calls: the part
// of an SSE transport that knows nothing of sockets. The Asio transport
// (io/src/net/sse_transport.cpp) and the simulator's transport (sim/) both
// hand it the bytes they receive, so the parser, the Message mapping and the
// liveness rule under simulation are the ones users run.
//
// Mapping:
// - an event                 -> on_message(), its id being the stream's last
//                               event ID (an empty one resets the cursor); an
//                               event whose type is SseOptions::cursor_expired_event
//                               or replay_finished_event (when set) is the
//                               server's in-band signal instead;
// - a comment                -> on_comment(text) when comments are delivered
//                               (SseOptions::deliver_comments), then
//                               on_bytes() (liveness) either way;
// - `retry:`                 -> carried by the next message (capped at a day);
// - a completed line of an event still in progress -> on_bytes(): proof of
//   life. A partial line is not: a server trickling bytes that never end a
//   line is not alive;
// - a limit exceeded         -> on_closed(unrecoverable): a retry would
//                               receive the same bytes.
//
// After cancel() (the transport's close()) no further listener call happens,
// also for the rest of a chunk being fed: a listener may close the connection
// from inside a call.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/sse_parser.hpp>
#include <tether/io/transport.hpp>

namespace tether::io {

struct SseSignals {
  // Event types the server uses for in-band signals ("": none).
  std::string cursor_expired_event;   // the resume cursor is older than the history kept
  std::string replay_finished_event;  // a replay-only stream reached its end
};

class SseStream final : private SseSink {
 public:
  // `deliver_comments`: pass each comment's text on (on_comment) besides
  // counting it as liveness.
  explicit SseStream(SseLimits limits = {}, SseSignals signals = {}, bool deliver_comments = false);

  // A new response body for `listener`; `last_event_id` is the id the request
  // resumed from (see SseParser::start_stream).
  void begin(std::string_view last_event_id, TransportListener& listener);
  // The next chunk of the body, split however the network split it. Returns
  // false once the stream has ended (a limit was exceeded and on_closed was
  // called) or was cancelled.
  bool feed(std::string_view chunk);
  // The body ended cleanly: on_closed(clean_close), saying whether an
  // unterminated final event was discarded.
  void finish();
  // No listener call from now on, until the next begin().
  void cancel() { listener_ = nullptr; }
  bool active() const { return listener_ != nullptr; }

  std::string_view last_event_id() const { return parser_.last_event_id(); }
  const SseParser& parser() const { return parser_; }

 private:
  void on_event(const SseEvent& event) override;
  void on_comment(std::string_view text) override;
  void on_retry(std::uint64_t retry_ms) override;

  SseParser parser_;
  SseSignals signals_;
  bool deliver_comments_ = false;
  TransportListener* listener_ = nullptr;
  std::optional<std::int64_t> pending_retry_ms_;
  bool told_ = false;  // a listener call happened during this feed
};

// "SSE line_bytes_max (...) exceeded at byte N: a retry would receive the same
// bytes; raise ...", naming the option that raises the limit.
std::string sse_limit_text(const SseError& error);

}  // namespace tether::io
