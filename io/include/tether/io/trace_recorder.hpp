#pragma once
// Records a session for exact replay (`tether-sim replay --events FILE`, format
// tether-events/2 in <tether/model/event_log.hpp>): a header with the full
// effective configuration, the jitter seed, tether's version and a wall-clock
// anchor, then every event the driver feeds to the reducer with the effects it
// produced (their names and hash), and the reducer's state when the session
// ends. Replay rebuilds the session from the header alone and names the first
// step whose effects differ.
//
// No credentials: events never carry the bearer token (it stays in the driver;
// payloads are not events), recording_header() blanks every header value of the
// configuration (a header may carry an API key), and tether-config/1 refuses
// credential headers. So the file is safe to attach to an incident report,
// provided the comment holds no secret either: it is written verbatim
// (tether-watch writes its URL through redacted_url()).
#include <cstdio>
#include <expected>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <tether/io/clock.hpp>
#include <tether/io/config.hpp>
#include <tether/model/effect.hpp>
#include <tether/model/event.hpp>
#include <tether/model/event_log.hpp>
#include <tether/model/state.hpp>

namespace tether::io {

// What a header value of the configuration becomes in a recording.
inline constexpr std::string_view recorded_header_value = "(not recorded)";

// The header of a recording of a session that runs `config` with jitter seed
// `seed` (the one actually used), anchored on `clock` now: this tether's
// version, `config` as one line of tether-config/1 (with config.seed = seed and
// every HTTP header value replaced by recorded_header_value).
model::RecordingHeader recording_header(Config config, std::uint64_t seed, Clock& clock);

class TraceRecorder {
 public:
  // Creates (truncates) `path` and writes `header`, then `comment` lines
  // (each prefixed "# ", verbatim: keep secrets out). The error names the file
  // and the OS reason, or the header field that cannot be written.
  static std::expected<std::unique_ptr<TraceRecorder>, std::string> create(
      const std::filesystem::path& path, const model::RecordingHeader& header,
      std::string_view comment = {});
  ~TraceRecorder();
  TraceRecorder(const TraceRecorder&) = delete;
  TraceRecorder& operator=(const TraceRecorder&) = delete;

  // One step: the event fed and the effects the reducer returned for it. Call
  // it right after the transition (before executing the effects, which may
  // feed further events). Buffered (stdio); a write error is remembered and
  // reported by flush().
  void record(const model::Event& event, std::span<const model::Effect> effects);
  // A `@state` line for replay to check, when steps were recorded since the
  // last one (the driver writes one when the session ends).
  void record_state(const model::State& state);
  // Pushes buffered lines to the file; the first write error since creation.
  std::expected<void, std::string> flush();
  std::size_t events_recorded() const { return events_; }

 private:
  TraceRecorder(std::FILE* file, std::filesystem::path path)
      : file_(file), path_(std::move(path)) {}
  void write(const std::string& line);
  std::FILE* file_;
  std::filesystem::path path_;
  std::size_t events_ = 0;
  std::size_t events_at_state_ = 0;
  bool state_written_ = false;
  bool failed_ = false;
};

}  // namespace tether::io
