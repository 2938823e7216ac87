#pragma once
// Records every event a driver feeds to the reducer, with its time, in the
// event-log format the simulator replays (`tether-sim replay --events FILE
// --preset NAME`, format in <tether/model/event_log.hpp>). Events never carry
// credentials (the bearer token stays in the driver; headers and payloads are
// not events), so the file is safe to attach to an incident report — provided
// the comment holds no secret either: it is written verbatim (tether-watch
// writes its URL through redacted_url()).
#include <cstdio>
#include <expected>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <tether/model/event.hpp>

namespace tether::io {

class TraceRecorder {
 public:
  // Creates (truncates) `path` and writes the header and `comment` lines
  // (each prefixed "# ", verbatim: keep secrets out). The error names the file
  // and the OS reason.
  static std::expected<std::unique_ptr<TraceRecorder>, std::string> create(
      const std::filesystem::path& path, std::string_view comment = {});
  ~TraceRecorder();
  TraceRecorder(const TraceRecorder&) = delete;
  TraceRecorder& operator=(const TraceRecorder&) = delete;

  // Buffered (stdio); a write error is remembered and reported by flush().
  void record(const model::Event& event);
  // Pushes buffered lines to the file; the first write error since creation.
  std::expected<void, std::string> flush();
  std::size_t events_recorded() const { return events_; }

 private:
  TraceRecorder(std::FILE* file, std::filesystem::path path) : file_(file), path_(std::move(path)) {}
  std::FILE* file_;
  std::filesystem::path path_;
  std::size_t events_ = 0;
  bool failed_ = false;
};

}  // namespace tether::io
