#include <tether/io/trace_recorder.hpp>

#include <cerrno>
#include <cstring>

#include <tether/model/event_log.hpp>

namespace tether::io {

std::expected<std::unique_ptr<TraceRecorder>, std::string> TraceRecorder::create(
    const std::filesystem::path& path, std::string_view comment) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    return std::unexpected("trace file " + path.string() + ": " + std::strerror(errno));
  }
  std::unique_ptr<TraceRecorder> recorder(new TraceRecorder(file, path));
  std::string head(model::event_log_header);
  head += '\n';
  std::string_view rest = comment;
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    head += "# ";
    head += rest.substr(0, end);
    head += '\n';
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  }
  if (std::fwrite(head.data(), 1, head.size(), file) != head.size()) recorder->failed_ = true;
  return recorder;
}

TraceRecorder::~TraceRecorder() {
  if (file_ != nullptr) std::fclose(file_);
}

void TraceRecorder::record(const model::Event& event) {
  std::string line = model::encode_event(event);
  line += '\n';
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) failed_ = true;
  ++events_;
}

std::expected<void, std::string> TraceRecorder::flush() {
  if (std::fflush(file_) != 0) failed_ = true;
  if (failed_) return std::unexpected("trace file " + path_.string() + ": write failed");
  return {};
}

}  // namespace tether::io
