#pragma once
// A recorded session as text: what the io runner writes (`--record FILE`) and
// the simulator replays exactly (`tether-sim replay --events FILE`). It lives in
// model/ because io/ and sim/ both depend on model/ and on nothing of each other.
// Pure: encoding and decoding are string functions (no files, no clocks).
//
//   tether-events/2
//   @version 0.1.0
//   @seed 7
//   @clock unix_ms=1765101600000 at_ms=0
//   @config {"format":"tether-config/1","preset":"aviso",...}
//   # tether-watch http://127.0.0.1:18080/sub/demo
//   0 Started checkpoint=- token_expires_at=- effects=Connect,ReportStatus hash=5c0f0e2a9d6f3b11
//   12 ConnectionOpened effects=ReportStatus hash=0b6d1e0f7a3c2d45
//   40 FrameReceived seq=42 id=1700000000:12 retry=- ref=7 effects=Deliver hash=1f2e3d4c5b6a7988
//   ...
//   @state phase=Stopped status=stopped reason=stop_requested failures=0 next_attempt_at=0
//   http_status=0 delivered=1 durable=1
//
// The header (format 2), in this order, each once, before the first event:
// - `@version V`: the tether version that recorded (<tether/model/version.hpp>);
// - `@seed N`: the jitter PRNG seed the session actually used;
// - `@clock unix_ms=U at_ms=M`: the wall clock read (Unix ms, UTC) at monotonic
//   time M, so the events' monotonic times can be shown as wall-clock times;
// - `@config JSON`: the session's full effective configuration as one line of
//   tether-config/1 JSON (docs/configuration.md; opaque here: model/ has no JSON).
//
// Then one line per event fed to the reducer, in order: `<now ms> <event name>
// <field>=<value> ...`, the name from name_of(Event), the fields of that event in
// a fixed order, all present, separated by single spaces. `-` is an absent
// optional. Tokens are percent-encoded (every byte outside [A-Za-z0-9._~:/+@,-]
// becomes %XX, and a token that is exactly "-" is written %2D). A Cursor is
// written in full (kind, sequence, has_seq, start time, token) so every field
// round-trips. In format 2 each event line ends with what that step did:
// `effects=<names joined by ','|->` and `hash=<16 hex digits>`, the hash of the
// step's canonical effects (<tether/model/effects_hash.hpp>).
//
// `@state ...` lines (format 2, anywhere after the header) state the reducer's
// phase, last status and delivery counters after the events before them; the
// recorder writes one when the session ends. Lines starting with '#' are
// comments, anywhere after the first line.
//
// `AuthRefreshed` and `AuthRefreshFailed` end with `request=N`, the refresh
// they answer; lines recorded before requests were numbered lack it and read
// as request 0 (which answers the refresh out, as those sessions did).
//
// Format 1 (`tether-events/1`) is format 2 without the header lines, the
// effects and the @state lines; it still decodes (replaying it needs the
// configuration and seed from elsewhere).
//
// Events carry no credentials (the access token never enters the model; only
// its expiry time does), and the configuration holds none, so a recording is
// safe to attach to an incident report.
//
// Decoding never throws and never trusts its input: every number is bounded
// (overflow is an error), unknown event names, unknown or missing fields and
// trailing text are errors, and the error names the line, the column and the field.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tether/model/effect.hpp>
#include <tether/model/event.hpp>
#include <tether/model/state.hpp>
#include <tether/model/status.hpp>
#include <vector>

namespace tether::model {

inline constexpr std::string_view event_log_header_v1 = "tether-events/1";
inline constexpr std::string_view event_log_header = "tether-events/2";  // what recorders write
inline constexpr std::size_t event_log_config_bytes_max = std::size_t{1} << 20;
inline constexpr std::size_t event_log_version_bytes_max = 64;

struct EventLogError {
  std::size_t line = 0;    // 1-based line in the log; 0 for a single decode_event()
  std::size_t column = 0;  // 1-based byte column where the offending field starts
  std::string field;       // "now", "event", "seq", "cursor.token", "header", "seed", "hash", ...
  std::string reason;

  // "line 3, column 10, field 'seq': expected an unsigned integer"
  std::string message() const;
};

// Monotonic times shown as wall-clock times: the wall clock read `unix_ms`
// (Unix milliseconds, UTC) at the monotonic instant `at`.
struct WallClockAnchor {
  std::int64_t unix_ms = 0;
  Instant at{};

  // The wall-clock time of a monotonic instant (saturating).
  std::int64_t unix_ms_of(Instant t) const noexcept;
  friend bool operator==(const WallClockAnchor&, const WallClockAnchor&) = default;
};

// The header lines of a format-2 recording.
struct RecordingHeader {
  std::string version;  // at most event_log_version_bytes_max of [0-9A-Za-z.+_-]
  std::uint64_t seed = 0;
  WallClockAnchor clock;
  std::string config;  // one line of JSON object text, at most event_log_config_bytes_max
  friend bool operator==(const RecordingHeader&, const RecordingHeader&) = default;
};

// What one step did, as recorded.
struct RecordedEffects {
  std::string kinds;       // effect_kinds(): "Connect,ReportStatus", "-"
  std::uint64_t hash = 0;  // effects_hash()
  friend bool operator==(const RecordedEffects&, const RecordedEffects&) = default;
};

struct RecordedStep {
  Event event;
  std::size_t line = 0;                    // 1-based line of the event in the text
  std::optional<RecordedEffects> effects;  // format 2 only
};

// What a `@state` line asserts about the reducer's state.
struct StateCheck {
  std::size_t phase = 0;  // Phase::index(); written as name_of(Phase)
  Status status;          // the last reported status
  std::uint64_t delivered_id = 0;
  std::uint64_t durable_id = 0;
  friend bool operator==(const StateCheck&, const StateCheck&) = default;
};
StateCheck state_check_of(const State& state);
// "phase=Stopped status=stopped reason=stop_requested failures=0 ..." (no '@state').
std::string describe(const StateCheck& check);

struct RecordedState {
  std::size_t line = 0;
  std::size_t after_steps = 0;  // holds after this many steps
  StateCheck check;
};

struct Recording {
  int format = 2;                         // 1 or 2
  std::optional<RecordingHeader> header;  // format 2 only
  std::vector<RecordedStep> steps;
  std::vector<RecordedState> states;
};

// --- format 2, written line by line (a recorder appends as the session runs) ---

// The format line and the four header lines, each ending in '\n'. The error
// names the field that cannot be written (a version or config that is not one
// line, too long, ...).
std::expected<std::string, EventLogError> encode_header(const RecordingHeader& header);
// One event line with what its step did (no newline).
std::string encode_step(const Event& event, std::span<const Effect> effects);
// encode_step() appended to `out`, the effects' hash given (effects_hash(), or
// fnv1a64 of what append_effects() appended): for a caller that encodes every
// step into one reused buffer and has the effects' text already (a trace
// written on every step).
void append_step(std::string& out, const Event& event, std::span<const Effect> effects,
                 std::uint64_t fx_hash);
// One `@state` line (no newline).
std::string encode_state(const StateCheck& check);

// A whole recording (either format; format 1 drops what it cannot hold).
// Comments are not kept. Format 2 needs a header (else the error names it).
std::expected<std::string, EventLogError> encode_recording(const Recording& recording);
// Either format. Accepts a final line without '\n' and "\r\n" line ends.
std::expected<Recording, EventLogError> decode_recording(std::string_view text);

// --- events alone -------------------------------------------------------------------

// One event as one line (no newline), without effects.
std::string encode_event(const Event& event);
// The same, appended to `out`.
void append_event(std::string& out, const Event& event);
// One such line back to its event.
std::expected<Event, EventLogError> decode_event(std::string_view line);

// A format-1 log: the header line, then one line per event, each ending in '\n'
// (hand-written logs and tests; recorders write format 2).
std::string encode_log(std::span<const Event> events);
// The events of a log of either format (decode_recording(), steps' events).
std::expected<std::vector<Event>, EventLogError> decode_log(std::string_view text);

// Field-by-field equality of two events (Event has no operator==).
bool same_event(const Event& a, const Event& b) noexcept;

}  // namespace tether::model
