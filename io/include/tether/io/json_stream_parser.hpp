#pragma once
// An incremental splitter for a stream of concatenated JSON values: what
// etcd's grpc-gateway sends for a watch (`{"result":{...}}` objects, one after
// another, newline-separated) and a Kubernetes watch sends (one
// `{"type":"ADDED","object":{...}}` per line), in a chunked HTTP response.
//
// Theory of operation
// -------------------
// The transport hands every received chunk to feed(), in order, chunked however
// the network happened to chunk it. The parser finds where each top-level value
// begins and ends, and calls the sink once per complete value with the value's
// text, from its opening '{' or '[' to the matching closer. Between values only
// JSON whitespace (space, tab, LF, CR) may appear, any amount of it or none:
// newline-delimited JSON and bare concatenation are both accepted.
//
// The boundaries are found WITHOUT parsing the JSON: the parser tracks the
// stack of open '{' and '[' outside strings, and whether it is inside a string
// (with backslash escapes, so `"\""` and `"\\"` end where they should, also when
// the backslash is the last byte of a chunk). Numbers, literals, commas and
// colons inside a value are not looked at. So an emitted value is balanced, not
// necessarily valid: VALIDATING IT IS THE CONSUMER'S JOB, e.g. with
// nlohmann::json::parse on the text (tether::io_core uses nlohmann-json
// privately; a consumer links its own).
//
// Any split of a stream into chunks gives the same calls with the same
// arguments, and the same error at the same offset.
//
// Errors (each names the byte offset; after one, the stream is unusable):
// - a byte between values that is neither whitespace nor '{' or '[': a
//   top-level scalar (`42`, `"text"`, `true`), a stray closer, a UTF-8 BOM or
//   an RFC 7464 record separator. etcd and Kubernetes send objects only;
// - a '}' closing a '[' or a ']' closing a '{' (the boundary would be a guess);
// - the limits below: exceeding one is an error, never unbounded memory. A
//   string that is never closed (a server bug) runs into value_bytes_max.
//
// An unterminated value when the stream ends (the connection closed mid-value):
// finish() discards it and returns true; it is never emitted, since a truncated
// value is not the value the server sent. Whether that is an error is the
// transport's call (a watch that ends mid-value ended uncleanly).
//
// Lifetime of views: the text handed to the sink points into the parser's
// buffer or into the chunk being fed, and is valid only during that callback.
// Copy what must outlive it.
//
// Cost: no heap allocation in steady state. A value wholly inside one chunk is
// emitted in place, without a copy; one that spans chunks is gathered in a
// buffer that grows to the largest such value seen (bounded by value_bytes_max)
// and is reused. Inside strings, the closing quote or a backslash is looked
// for eight bytes at a time.
//
// Thread safety: none. One parser per connection, used from one thread; a sink
// must not call back into the parser that is calling it.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace tether::io {

struct JsonStreamLimits {
  // The longest value, from its opening bracket to its closer inclusive.
  std::size_t value_bytes_max = std::size_t{8} << 20;  // 8 MiB
  // The deepest nesting: `{}` is depth 1, `{"a":[]}` depth 2. Bounds the
  // bracket stack, and a consumer's recursive parse of the value.
  std::size_t depth_max = 64;
};

struct JsonStreamError {
  enum class Kind : std::uint8_t {
    value_bytes,         // JsonStreamLimits::value_bytes_max exceeded
    depth,               // JsonStreamLimits::depth_max exceeded
    unexpected_byte,     // between values: not whitespace, '{' or '['
    mismatched_bracket,  // a '}' closing a '[', or a ']' closing a '{'
  };
  Kind kind;
  std::size_t limit;  // the configured limit that was exceeded; 0 for the other kinds
  // Where in the stream (bytes since start_stream()): for value_bytes, the
  // first byte past the limit (the value's start + value_bytes_max); for depth,
  // the bracket that opened one level too many; otherwise the offending byte.
  std::uint64_t offset;
  char byte;  // the byte at `offset`

  // "value_bytes_max", "depth_max", "unexpected_byte" or "mismatched_bracket".
  std::string_view kind_name() const;
  // e.g. "JSON stream value_bytes_max (8388608) exceeded at byte 8388610", or
  // "JSON stream: unexpected byte '4' (0x34) at byte 0 between values (a value
  // must be an object or an array)".
  std::string message() const;
  friend bool operator==(const JsonStreamError&, const JsonStreamError&) = default;
};

struct JsonStreamValue {
  std::string_view text;  // from the opening '{' or '[' to its closer
  std::uint64_t offset;   // where the value starts in the stream
};

// Receives each complete top-level value.
class JsonStreamSink {
 public:
  virtual ~JsonStreamSink() = default;
  virtual void on_value(const JsonStreamValue& value) = 0;

 protected:
  JsonStreamSink() = default;
  JsonStreamSink(const JsonStreamSink&) = default;
  JsonStreamSink& operator=(const JsonStreamSink&) = default;
};

class JsonStreamParser {
 public:
  explicit JsonStreamParser(JsonStreamLimits limits = {});

  // Scans `bytes`, the next part of the stream, calling `sink` for each value
  // it completes. After an error every later feed() returns the same error
  // without calling the sink (values before the offending byte were delivered)
  // until start_stream().
  std::expected<void, JsonStreamError> feed(std::string_view bytes, JsonStreamSink& sink);

  // The stream ended (the connection closed). Discards the value in progress,
  // if any, and returns true if there was one (see "An unterminated value"
  // above). Returns false after an error (feed() reported it). Call
  // start_stream() before the next stream.
  bool finish();

  // Begins a new stream (a new connection): clears the value in progress, the
  // offsets, the counters and any error; keeps the buffers' capacity. A new
  // parser starts as if start_stream() had been called.
  void start_stream();

  // Bytes held between calls: the part of a value that started in an earlier
  // chunk. At most value_bytes_max. 0 after an error.
  std::size_t buffered_bytes() const { return value_.size(); }
  // Bytes consumed since start_stream().
  std::uint64_t bytes_fed() const { return offset_; }
  // Values emitted since start_stream(): what a transport counts as liveness
  // (bytes of a value still arriving are not proof of a live watch).
  std::uint64_t values_completed() const { return values_completed_; }
  // 0 between values, else how many brackets of the value in progress are open.
  std::size_t depth() const { return closers_.size(); }
  const JsonStreamLimits& limits() const { return limits_; }
  bool failed() const { return failed_; }

 private:
  struct Scan;
  Scan scan_value(std::string_view bytes, std::size_t pos, std::size_t end);
  std::expected<void, JsonStreamError> fail(JsonStreamError error);

  JsonStreamLimits limits_;
  std::string value_;               // a value that started in an earlier chunk
  std::string closers_;             // the closer each open bracket expects, innermost last
  std::uint64_t offset_ = 0;        // bytes consumed so far
  std::uint64_t value_offset_ = 0;  // where the value in progress started
  std::uint64_t values_completed_ = 0;
  JsonStreamError error_{};
  bool in_string_ = false;  // inside a string of the value in progress
  bool escape_ = false;     // the last byte was a backslash inside a string
  bool failed_ = false;
};

}  // namespace tether::io
