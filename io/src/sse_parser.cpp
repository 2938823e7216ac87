#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <tether/io/sse_parser.hpp>

namespace tether::io {

namespace {

constexpr char utf8_bom[] = {'\xEF', '\xBB', '\xBF'};
constexpr std::size_t utf8_bom_bytes = sizeof(utf8_bom);

// The index of the first `c` in bytes[from, size), or `size` if there is none.
std::size_t find_byte(std::string_view bytes, std::size_t from, char c) {
  if (from >= bytes.size()) return bytes.size();
  const void* hit = std::memchr(bytes.data() + from, c, bytes.size() - from);
  return hit == nullptr ? bytes.size()
                        : static_cast<std::size_t>(static_cast<const char*>(hit) - bytes.data());
}

// The value of an all-digits `retry` field; empty, non-digit or >= 2^64 values
// are not a number (the standard ignores the field then).
bool parse_retry_ms(std::string_view value, std::uint64_t& retry_ms) {
  if (value.empty()) return false;
  std::uint64_t n = 0;
  constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  for (const char c : value) {
    if (c < '0' || c > '9') return false;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (n > (max - digit) / 10) return false;
    n = n * 10 + digit;
  }
  retry_ms = n;
  return true;
}

}  // namespace

std::string_view SseError::limit_name() const {
  switch (limit) {
    case Limit::line_bytes:
      return "line_bytes_max";
    case Limit::event_bytes:
      return "event_bytes_max";
  }
  return "unknown limit";
}

std::string SseError::message() const {
  std::string text = "SSE ";
  text += limit_name();
  text += " (";
  text += std::to_string(limit_bytes);
  text += ") exceeded at byte ";
  text += std::to_string(offset);
  return text;
}

SseParser::SseParser(SseLimits limits) : limits_(limits) {}

void SseParser::start_stream(std::string_view last_event_id) {
  line_.clear();
  data_.clear();
  type_.clear();
  last_event_id_.assign(last_event_id);
  id_.assign(last_event_id);
  offset_ = 0;
  line_offset_ = 0;
  lines_completed_ = 0;
  error_ = SseError{};
  bom_bytes_matched_ = 0;
  bom_done_ = false;
  skip_lf_ = false;
  event_pending_ = false;
  failed_ = false;
}

bool SseParser::finish() {
  if (failed_) return false;
  const bool bom_pending = !bom_done_ && bom_bytes_matched_ > 0;
  const bool discarded = !line_.empty() || event_pending_ || bom_pending;
  line_.clear();
  data_.clear();
  type_.clear();
  id_.assign(last_event_id_);  // an id never closed by a blank line was never committed
  bom_bytes_matched_ = 0;
  bom_done_ = true;
  skip_lf_ = false;
  event_pending_ = false;
  return discarded;
}

std::size_t SseParser::buffered_bytes() const {
  const std::size_t bom = bom_done_ ? 0 : bom_bytes_matched_;
  return bom + line_.size() + data_.size() + type_.size() + id_.size();
}

std::expected<void, SseError> SseParser::fail(SseError error) {
  failed_ = true;
  error_ = error;
  // Nothing more will be parsed: give the memory back, not just the sizes.
  line_.clear();
  line_.shrink_to_fit();
  data_.clear();
  data_.shrink_to_fit();
  return std::unexpected(error_);
}

std::expected<void, SseError> SseParser::feed(std::string_view bytes, SseSink& sink) {
  if (failed_) return std::unexpected(error_);
  if (!bom_done_) {
    std::expected<void, SseError> result;
    if (!take_bom(bytes, sink, result)) return result;
  }
  return feed_lines(bytes, sink);
}

// Consumes the start of the stream while it may still be a BOM. Returns false
// if feed() has nothing more to do (`result` says how it went).
bool SseParser::take_bom(std::string_view& bytes, SseSink& sink,
                         std::expected<void, SseError>& result) {
  while (!bytes.empty() && bom_bytes_matched_ < utf8_bom_bytes &&
         bytes.front() == utf8_bom[bom_bytes_matched_]) {
    ++bom_bytes_matched_;
    bytes.remove_prefix(1);
  }
  if (bom_bytes_matched_ == utf8_bom_bytes) {  // a whole BOM: drop it
    bom_done_ = true;
    offset_ += utf8_bom_bytes;
    return true;
  }
  if (bytes.empty()) return false;  // still undecided; the next feed decides
  // Not a BOM: the bytes held back are content (they hold no CR or LF).
  bom_done_ = true;
  const std::string_view held(utf8_bom, bom_bytes_matched_);
  bom_bytes_matched_ = 0;
  result = feed_lines(held, sink);
  return result.has_value();
}

std::expected<void, SseError> SseParser::feed_lines(std::string_view bytes, SseSink& sink) {
  const std::size_t size = bytes.size();
  const std::uint64_t base = offset_;
  std::size_t pos = 0;
  if (skip_lf_ && size > 0) {
    skip_lf_ = false;
    if (bytes[0] == '\n') pos = 1;  // the LF of a CRLF split across feeds
  }
  // Next LF and CR at or after pos: each is searched again only once passed,
  // so a chunk without CR costs one memchr for CR, not one per line.
  std::size_t next_lf = find_byte(bytes, pos, '\n');
  std::size_t next_cr = find_byte(bytes, pos, '\r');
  while (pos < size) {
    if (next_lf < pos) next_lf = find_byte(bytes, pos, '\n');
    if (next_cr < pos) next_cr = find_byte(bytes, pos, '\r');
    const std::size_t end = std::min(next_lf, next_cr);  // `size`: no line end in this chunk
    const std::size_t held = line_.size();
    if (held + (end - pos) > limits_.line_bytes_max) {
      const std::uint64_t line_start = held > 0 ? line_offset_ : base + pos;
      offset_ = base + pos;
      return fail({SseError::Limit::line_bytes, limits_.line_bytes_max,
                   line_start + limits_.line_bytes_max});
    }
    if (end == size) {  // the line continues in a later chunk
      if (held == 0) line_offset_ = base + pos;
      line_.append(bytes.data() + pos, size - pos);
      break;
    }
    std::size_t next = end + 1;
    if (bytes[end] == '\r') {
      if (next < size) {
        if (bytes[next] == '\n') ++next;
      } else {
        skip_lf_ = true;
      }
    }
    ++lines_completed_;
    std::expected<void, SseError> result;
    if (held > 0) {
      line_.append(bytes.data() + pos, end - pos);
      result = interpret(line_, line_offset_, sink);
      line_.clear();
    } else {
      result = interpret(bytes.substr(pos, end - pos), base + pos, sink);
    }
    if (!result) {
      offset_ = base + pos;
      return result;
    }
    pos = next;
  }
  offset_ = base + size;
  return {};
}

// One complete line, without its line end.
std::expected<void, SseError> SseParser::interpret(std::string_view line, std::uint64_t line_offset,
                                                   SseSink& sink) {
  if (line.empty()) {
    dispatch(sink);
    return {};
  }
  if (line.front() == ':') {
    sink.on_comment(line.substr(1));
    return {};
  }
  std::string_view field = line;
  std::string_view value;
  if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);  // one space only
  }
  if (field == "data") {
    // value.size() < line_bytes_max, so the sum cannot overflow.
    if (data_.size() + value.size() + 1 > limits_.event_bytes_max)
      return fail({SseError::Limit::event_bytes, limits_.event_bytes_max, line_offset});
    data_.append(value);
    data_.push_back('\n');
    event_pending_ = true;
  } else if (field == "event") {
    type_.assign(value);
    event_pending_ = true;
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) {
      id_.assign(value);
      event_pending_ = true;
    }
  } else if (field == "retry") {
    std::uint64_t retry_ms = 0;
    if (parse_retry_ms(value, retry_ms)) sink.on_retry(retry_ms);
  }
  // Any other field is ignored.
  return {};
}

void SseParser::dispatch(SseSink& sink) {
  event_pending_ = false;
  if (std::string_view(last_event_id_) != std::string_view(id_)) last_event_id_.assign(id_);
  if (data_.empty()) {
    type_.clear();
    return;
  }
  data_.pop_back();  // every data line appended an LF; the last one goes
  const SseEvent event{type_.empty() ? std::string_view("message") : std::string_view(type_), data_,
                       last_event_id_};
  sink.on_event(event);
  data_.clear();
  type_.clear();
}

bool valid_utf8(std::string_view bytes) {
  const std::size_t size = bytes.size();
  std::size_t i = 0;
  while (i < size) {
    // ASCII fast path: eight bytes at a time.
    if (i + 8 <= size) {
      std::uint64_t word = 0;
      std::memcpy(&word, bytes.data() + i, sizeof word);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const auto lead = static_cast<unsigned char>(bytes[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned char second_min = 0x80;  // the range of the second byte excludes
    unsigned char second_max = 0xBF;  // overlongs, surrogates and > U+10FFFF
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) second_min = 0xA0;
      if (lead == 0xED) second_max = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) second_min = 0x90;
      if (lead == 0xF4) second_max = 0x8F;
    } else {
      return false;
    }
    if (size - i < length) return false;
    const auto second = static_cast<unsigned char>(bytes[i + 1]);
    if (second < second_min || second > second_max) return false;
    for (std::size_t k = 2; k < length; ++k) {
      const auto next = static_cast<unsigned char>(bytes[i + k]);
      if (next < 0x80 || next > 0xBF) return false;
    }
    i += length;
  }
  return true;
}

}  // namespace tether::io
