#pragma once
// Where an event's sequence number comes from, configured by the CLI option
// `--seq-from id|id-suffix|json:FIELD`:
//
//   id          the whole SSE id is a decimal number ("42")
//   id-suffix   the part of the id after its last ':' ("1700000000:3" -> 3; an
//               id without ':' is used whole). Note nchan's ids are NOT
//               contiguous, so gap detection needs a sequence from the payload.
//   json:FIELD  a top-level member of a JSON object payload ({"seq": 42, ...})
//
// Only a non-negative integer that fits in 64 bits counts: no sign, fraction,
// exponent, leading zero (JSON) or quotes. Anything else is "no sequence", with
// a reason for diagnostics. Extraction allocates nothing and never throws.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tether::io {

enum class SequenceSource : std::uint8_t {
  id,          // the whole SSE id
  id_suffix,   // the SSE id after its last ':'
  json_field,  // a top-level member of the JSON object in the data
};

// Why an event has no sequence number.
enum class NoSequence : std::uint8_t {
  empty,            // the id (or its suffix) is empty
  not_digits,       // the id (or its suffix) is not all ASCII digits
  out_of_range,     // the number does not fit in 64 bits
  not_json_object,  // the payload does not start with a JSON object
  malformed_json,   // the payload is not well-formed JSON up to the member
  field_missing,    // the object has no such top-level member
  not_integer,      // the member is a number, but negative, fractional or with an exponent
  not_number,       // the member is a string, object, array, true, false or null
  too_deep,         // nesting deeper than json_depth_max before the member
};

std::string_view to_string(NoSequence reason);

struct SequenceSpecError {
  std::string_view reason;  // e.g. "empty JSON field name after 'json:'"
};

class SequenceExtractor {
 public:
  // Nested arrays and objects skipped while looking for the member. Deeper
  // payloads give NoSequence::too_deep (a limit on everything: the skip uses a
  // fixed-size stack, not recursion).
  static constexpr std::size_t json_depth_max = 256;

  // Parses "id", "id-suffix" or "json:FIELD" (FIELD non-empty, taken verbatim:
  // "json:a.b" names the top-level member "a.b", not a path).
  static std::expected<SequenceExtractor, SequenceSpecError> parse(std::string_view spec);

  static SequenceExtractor from_id() { return SequenceExtractor(SequenceSource::id, {}); }
  static SequenceExtractor from_id_suffix() {
    return SequenceExtractor(SequenceSource::id_suffix, {});
  }
  static SequenceExtractor from_json_field(std::string field) {
    return SequenceExtractor(SequenceSource::json_field, std::move(field));
  }

  SequenceSource source() const { return source_; }
  std::string_view json_field() const { return field_; }  // json_field only

  // The sequence number of an event with SSE id `id` and payload `data`.
  std::expected<std::uint64_t, NoSequence> extract_or_reason(std::string_view id,
                                                             std::string_view data) const;
  std::optional<std::uint64_t> extract(std::string_view id, std::string_view data) const {
    const auto r = extract_or_reason(id, data);
    return r ? std::optional<std::uint64_t>(*r) : std::nullopt;
  }

 private:
  SequenceExtractor(SequenceSource source, std::string field)
      : source_(source), field_(std::move(field)) {}

  SequenceSource source_;
  std::string field_;
};

// The building blocks, for other framings (e.g. WebSocket messages).

// `text` is one or more ASCII digits and fits in 64 bits (leading zeros allowed).
std::expected<std::uint64_t, NoSequence> decimal_u64(std::string_view text);

// The value of the top-level member `key` of the JSON object `json`, if it is a
// non-negative integer. Keys are compared after unescaping (so "\u0073eq"
// matches "seq"); the first matching member wins, and the payload after that
// member's value is not examined (the application parses the payload anyway).
// Raw bytes >= 0x80 in strings are not checked for valid UTF-8.
std::expected<std::uint64_t, NoSequence> json_top_level_u64(std::string_view json,
                                                            std::string_view key);

}  // namespace tether::io
