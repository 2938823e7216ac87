#pragma once
// An incremental parser for the `text/event-stream` format: the HTML Living
// Standard, "Server-sent events", §9.2.6 "Interpreting an event stream", and
// the event-dispatch steps that follow it.
//
// Theory of operation
// -------------------
// The transport hands every received chunk to feed(), in order, chunked however
// the network happened to chunk it. The parser splits the bytes into lines (CR,
// LF or CRLF; a CRLF split across two chunks is one line end), interprets each
// complete line as it arrives, and calls the sink:
//
//   on_event(event)   a blank line ended an event whose data buffer was not
//                     empty (one call per dispatched event, in stream order);
//   on_comment(text)  a line starting with ':' (servers send them as
//                     heartbeats; the driver treats them as liveness);
//   on_retry(ms)      a `retry:` field whose value is all ASCII digits.
//
// Any split of a stream into chunks gives the same calls with the same
// arguments, and the same error at the same offset. When the connection ends,
// finish() says whether an incomplete event (or line) was discarded: the
// standard never dispatches an event that is not followed by a blank line.
//
// Deviations from, and choices within, the standard:
// - Bytes, not code points. The standard decodes the stream as UTF-8 with
//   replacement; this parser passes bytes through unchanged, so a value holding
//   invalid UTF-8 reaches the sink as those bytes where a browser would see
//   U+FFFD. Line structure, field names and the NUL rule for `id` are the same
//   either way (UTF-8 decoding never merges or invents CR, LF, ':' or NUL).
//   Call valid_utf8() on a value to decide what to do with such events.
// - Only one UTF-8 byte order mark, at the very start of the stream, is
//   stripped (also when it arrives split across feeds); a second BOM is content.
// - `retry:` with an empty value, or one too large for 64 bits, is ignored.
// - The limits below: exceeding one is an error, never unbounded memory.
//
// Lifetime of views: every string_view handed to the sink points into the
// parser's buffers or into the chunk being fed, and is valid only during that
// callback. Copy what must outlive it.
//
// Cost: no heap allocation in steady state. Buffers grow to the largest line
// and event seen (bounded by the limits) and are reused; lines wholly inside a
// chunk are interpreted in place; CR and LF are found with memchr.
//
// Thread safety: none. One parser per connection, used from one thread; a sink
// must not call back into the parser that is calling it.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace tether::io {

struct SseLimits {
  // The longest line (field name, colon and value; not counting its line end).
  // Also bounds a server that sends bytes forever without a line end.
  std::size_t line_bytes_max = std::size_t{1} << 20;  // 1 MiB
  // The most data one event may buffer: the sum of its `data` values plus one
  // LF per `data` line.
  std::size_t event_bytes_max = std::size_t{8} << 20;  // 8 MiB
};

struct SseError {
  enum class Limit : std::uint8_t {
    line_bytes,   // SseLimits::line_bytes_max
    event_bytes,  // SseLimits::event_bytes_max
  };
  Limit limit;
  std::size_t limit_bytes;  // the configured value that was exceeded
  // Where in the stream (bytes since the first byte fed, a BOM included): for
  // line_bytes, the first byte past the limit; for event_bytes, the start of the
  // `data` line that would have exceeded it.
  std::uint64_t offset;

  std::string_view limit_name() const;  // "line_bytes_max" or "event_bytes_max"
  std::string message() const;  // e.g. "SSE line_bytes_max (1048576) exceeded at byte 1048576"
  friend bool operator==(const SseError&, const SseError&) = default;
};

struct SseEvent {
  std::string_view type;           // the `event` field; "message" if none or empty
  std::string_view data;           // `data` values joined by LF (the last LF removed)
  std::string_view last_event_id;  // the stream's last event ID at dispatch
};

// Receives what the parser finds. on_event is required; the others default to
// doing nothing.
class SseSink {
 public:
  virtual ~SseSink() = default;
  virtual void on_event(const SseEvent& event) = 0;
  virtual void on_comment(std::string_view text) { static_cast<void>(text); }  // after the ':'
  virtual void on_retry(std::uint64_t retry_ms) { static_cast<void>(retry_ms); }

 protected:
  SseSink() = default;
  SseSink(const SseSink&) = default;
  SseSink& operator=(const SseSink&) = default;
};

class SseParser {
 public:
  explicit SseParser(SseLimits limits = {});

  // Interprets `bytes`, the next part of the stream, calling `sink` for each
  // complete line's effect. After an error every later feed() returns the same
  // error without calling the sink (events before the offending line were
  // delivered) until start_stream().
  std::expected<void, SseError> feed(std::string_view bytes, SseSink& sink);

  // The stream ended (the connection closed). Discards the partial line and the
  // event in progress, and returns true if there was any: a partial line, or
  // `data`, `event` or `id` lines not yet closed by a blank line (the standard
  // never dispatches those). Returns false after an error (feed() reported it).
  // last_event_id() stays readable; call start_stream() before the next stream.
  bool finish();

  // Begins a new stream (a new connection) whose request carried `last_event_id`
  // as Last-Event-ID (empty: none). As in browsers, the new stream's events
  // carry that id until the server sends another. Clears line, BOM and buffer
  // state and any error; keeps the buffers' capacity. A new parser starts as if
  // start_stream("") had been called.
  void start_stream(std::string_view last_event_id = {});

  // The last event ID string (the standard's "last event ID string of the
  // event source"): set from the `id` field at every blank line, dispatched or
  // not, so "id: 7\n\n" changes it without an event. What to send as
  // Last-Event-ID when reconnecting. Valid until the next feed() or start_stream().
  std::string_view last_event_id() const { return last_event_id_; }

  // Bytes held between calls: the partial line (or up to 3 bytes held back
  // while they may be a BOM), the event's data, event type and pending id. At
  // most 3 + event_bytes_max + 3 * line_bytes_max (or more if start_stream()
  // was given a longer id). 0 after an error.
  std::size_t buffered_bytes() const;

  // Bytes consumed since start_stream(), a stripped BOM included (bytes held
  // back while they may be a BOM are counted once decided).
  std::uint64_t bytes_fed() const { return offset_; }
  // Complete lines (blank ones included) interpreted since start_stream(). The
  // transport counts a completed line as liveness, a partial one not: a server
  // trickling bytes that never end a line is not a live stream.
  std::uint64_t lines_completed() const { return lines_completed_; }
  const SseLimits& limits() const { return limits_; }
  bool failed() const { return failed_; }

 private:
  std::expected<void, SseError> feed_lines(std::string_view bytes, SseSink& sink);
  bool take_bom(std::string_view& bytes, SseSink& sink, std::expected<void, SseError>& result);
  std::expected<void, SseError> interpret(std::string_view line, std::uint64_t line_offset,
                                          SseSink& sink);
  void dispatch(SseSink& sink);
  std::expected<void, SseError> fail(SseError error);

  SseLimits limits_;
  std::string line_;               // a line that started in an earlier chunk
  std::string data_;               // the data buffer
  std::string type_;               // the event type buffer
  std::string id_;                 // the last event ID buffer
  std::string last_event_id_;      // committed from id_ at each blank line
  std::uint64_t offset_ = 0;       // bytes consumed so far
  std::uint64_t line_offset_ = 0;  // where line_ started
  std::uint64_t lines_completed_ = 0;
  SseError error_{};
  std::uint8_t bom_bytes_matched_ = 0;  // of EF BB BF, while still at the start
  bool bom_done_ = false;               // past the point where a BOM could be
  bool skip_lf_ = false;                // the last line ended with CR: an LF next is part of it
  bool event_pending_ = false;          // data, event or id lines since the last blank line
  bool failed_ = false;
};

// True if `bytes` is well-formed UTF-8 (no overlongs, no surrogates, nothing
// above U+10FFFF). For applications that want the standard's strictness.
bool valid_utf8(std::string_view bytes);

}  // namespace tether::io
