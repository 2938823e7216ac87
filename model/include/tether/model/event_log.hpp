#pragma once
// A recorded session as text: the event log that the io runner writes and the
// simulator replays bit-for-bit (`tether-sim replay --events FILE`). It lives in
// model/ because io/ and sim/ both depend on model/ and on nothing of each other.
// Pure: encoding and decoding are string functions (no files, no clocks).
//
//   tether-events/1
//   0 Started checkpoint=- token_expires_at=-
//   12 ConnectionOpened
//   40 FrameReceived seq=42 id=1700000000:12 retry=- ref=7
//   55 DeliveryAcked delivery=1 cursor=token cursor.seq=42 cursor.has_seq=1 cursor.start=0 cursor.token=1700000000:12
//
// One line per event, in order: `<now ms> <event name> <field>=<value> ...`, the
// name from name_of(Event), the fields of that event in a fixed order, all
// present, separated by single spaces. `-` is an absent optional. Tokens are
// percent-encoded (every byte outside [A-Za-z0-9._~:/+@,-] becomes %XX, and a
// token that is exactly "-" is written %2D). A Cursor is written in full
// (kind, sequence, has_seq, start time, token) so every field round-trips.
//
// Events carry no credentials (the access token never enters the model; only
// its expiry time does), so a log is safe to attach to an incident report.
//
// Decoding never throws and never trusts its input: every number is bounded
// (overflow is an error), unknown event names, unknown or missing fields and
// trailing text are errors, and the error names the field and its column.

#include <cstddef>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tether/model/event.hpp>

namespace tether::model {

inline constexpr std::string_view event_log_header = "tether-events/1";

struct EventLogError {
  std::size_t line = 0;    // 1-based line in the log; 0 for a single decode_event()
  std::size_t column = 0;  // 1-based byte column where the offending field starts
  std::string field;       // "now", "event", "seq", "cursor.token", "header", ...
  std::string reason;

  // "line 3, column 10, field 'seq': expected an unsigned integer"
  std::string message() const;
};

// One event as one line (no newline).
std::string encode_event(const Event& event);
// One line (no newline) back to its event.
std::expected<Event, EventLogError> decode_event(std::string_view line);

// The header line, then one line per event, each ending in '\n'.
std::string encode_log(std::span<const Event> events);
// The events of a log, or the first error with its line number. Accepts a final
// line without '\n' and "\r\n" line ends; lines starting with '#' are comments.
std::expected<std::vector<Event>, EventLogError> decode_log(std::string_view text);

// Field-by-field equality of two events (Event has no operator==).
bool same_event(const Event& a, const Event& b) noexcept;

}  // namespace tether::model
