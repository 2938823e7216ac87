#pragma once
// tether-watch's output as a library: each delivery becomes one JSON line on a
// buffered sink, and only what a flush handed on is acked, so the checkpoint
// never runs ahead of the output (a crash loses the unflushed lines, which
// were never acked, so they come again). tether-watch runs it over stdout; the
// simulator runs it over a simulated stdout that loses unflushed bytes when
// the process dies, and checks the checkpoint never passes a line the reader
// did not get (docs/simulation.md, "tether-watch under simulation").
//
// A line: {"delivery":N,"seq":S,"id":"...","event":"...","data":"..."}
// ("seq" and "id" only when the delivery has them); an SSE comment, when
// written, is {"comment":"..."}. Strings are JSON with invalid UTF-8 bytes
// replaced by U+FFFD, so every line parses.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/application.hpp>

namespace tether::io {

// Where the lines go: buffered writes, and a flush that hands them on.
class OutputSink {
 public:
  virtual ~OutputSink() = default;
  // False: the write failed; errno_value() says why.
  virtual bool write(std::string_view bytes) = 0;
  // Hands every byte written so far to the reader. False: it failed.
  virtual bool flush() = 0;
  virtual int errno_value() const = 0;
};

// `text` as a JSON string, quotes included.
void append_json_string(std::string& out, std::string_view text);
// A delivery's line, newline included.
void append_delivery_line(std::string& out, const Delivery& delivery);
// A comment's line, {"comment":"..."}, newline included.
void append_comment_line(std::string& out, std::string_view text);

// Thread-safe: the session's strand writes, another thread may flush.
class LineOutput {
 public:
  explicit LineOutput(OutputSink& sink) : sink_(sink) {}
  // Writes the delivery's line, unless the output is closing or failed.
  void write(const Delivery& delivery);
  // Writes a comment's line in order with the deliveries' lines, unless the
  // output is closing or failed. It is no delivery: it moves no ack.
  void write_comment(std::string_view text);
  // Flushes. The delivery id to ack up to (the last line this flush handed
  // on), if it is new; nullopt if there is nothing new to ack. After a failed
  // write or flush nothing more is written or acked: failed() says so.
  // `last`: nothing is written after this flush.
  std::optional<std::uint64_t> flush(bool last);
  bool failed() const;
  int errno_value() const;

 private:
  bool put(const std::string& line);  // under mutex_: false once the sink failed

  OutputSink& sink_;
  mutable std::mutex mutex_;
  std::string line_;              // reused
  std::uint64_t written_id_ = 0;  // the last delivery whose line was written
  std::uint64_t acked_id_ = 0;    // the last id flush() returned
  bool closing_ = false;
  bool failed_ = false;
  int errno_ = 0;
};

}  // namespace tether::io
