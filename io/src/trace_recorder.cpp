#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <tether/io/trace_recorder.hpp>
#include <tether/model/version.hpp>

namespace tether::io {

namespace {

bool is_credential_header(std::string_view name) {
  auto same = [name](std::string_view other) {
    return name.size() == other.size() &&
           std::equal(name.begin(), name.end(), other.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == b;
           });
  };
  return same("authorization") || same("proxy-authorization") || same("cookie");
}

}  // namespace

model::RecordingHeader recording_header(Config config, std::uint64_t seed, Clock& clock) {
  config.seed = seed;
  config.session.seed = seed;
  // Values may be secrets (an API key); credential headers (which the format
  // refuses) go entirely. Replay needs none of them: the reducer never sees headers.
  std::erase_if(config.shell.http.headers,
                [](const auto& header) { return is_credential_header(header.first); });
  for (auto& header : config.shell.http.headers) header.second = std::string(recorded_header_value);
  model::RecordingHeader h;
  h.version = std::string(model::version);
  h.seed = seed;
  h.clock = model::WallClockAnchor{clock.unix_now_ms(), clock.now()};
  h.config = to_json(config, /*compact=*/true);
  return h;
}

std::expected<std::unique_ptr<TraceRecorder>, std::string> TraceRecorder::create(
    const std::filesystem::path& path, const model::RecordingHeader& header,
    std::string_view comment) {
  auto head = model::encode_header(header);
  if (!head)
    return std::unexpected("trace file " + path.string() + ": header: " + head.error().message());
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    return std::unexpected("trace file " + path.string() + ": " + std::strerror(errno));
  }
  std::unique_ptr<TraceRecorder> recorder(new TraceRecorder(file, path));
  std::string_view rest = comment;
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    *head += "# ";
    *head += rest.substr(0, end);
    *head += '\n';
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  }
  recorder->write(*head);
  return recorder;
}

TraceRecorder::~TraceRecorder() {
  if (file_ != nullptr) std::fclose(file_);
}

void TraceRecorder::write(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size()) failed_ = true;
}

void TraceRecorder::record(const model::Event& event, std::span<const model::Effect> effects) {
  std::string line = model::encode_step(event, effects);
  line += '\n';
  write(line);
  ++events_;
}

void TraceRecorder::record_state(const model::State& state) {
  if (state_written_ && events_at_state_ == events_) return;
  state_written_ = true;
  events_at_state_ = events_;
  std::string line = model::encode_state(model::state_check_of(state));
  line += '\n';
  write(line);
}

std::expected<void, std::string> TraceRecorder::flush() {
  if (std::fflush(file_) != 0) failed_ = true;
  if (failed_) return std::unexpected("trace file " + path_.string() + ": write failed");
  return {};
}

}  // namespace tether::io
