#include <cstdint>
#include <cstring>
#include <string>
#include <tether/io/json_stream_parser.hpp>

namespace tether::io {

namespace {

// The index of the first '"' or '\\' in bytes[pos, end), or `end`. Eight bytes
// at a time: a word holds one of them iff XOR with that byte repeated leaves a
// zero byte. Faster than two memchr calls on the short strings of etcd and
// Kubernetes objects, and than a byte loop on long ones (base64 values); the
// figures are in docs/performance.md.
std::size_t find_quote_or_backslash(std::string_view bytes, std::size_t pos, std::size_t end) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  constexpr std::uint64_t quotes = ones * static_cast<unsigned char>('"');
  constexpr std::uint64_t backslashes = ones * static_cast<unsigned char>('\\');
  while (end - pos >= sizeof(std::uint64_t)) {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes.data() + pos, sizeof word);
    const std::uint64_t q = word ^ quotes;
    const std::uint64_t b = word ^ backslashes;
    if (((((q - ones) & ~q) | ((b - ones) & ~b)) & highs) != 0) break;  // the byte loop finds it
    pos += sizeof word;
  }
  while (pos < end && bytes[pos] != '"' && bytes[pos] != '\\') ++pos;
  return pos;
}

bool json_whitespace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

std::string quoted_byte(char c) {
  constexpr char hex[] = "0123456789abcdef";
  const auto u = static_cast<unsigned char>(c);
  std::string text;
  if (u >= 0x20 && u < 0x7F) {
    text += '\'';
    text += c;
    text += "' (";
  } else {
    text += "(";
  }
  text += "0x";
  text += hex[u >> 4];
  text += hex[u & 0xF];
  text += ')';
  return text;
}

}  // namespace

// Where scan_value() stopped, and why.
struct JsonStreamParser::Scan {
  enum class Stop : std::uint8_t { closed, more, depth, mismatched };
  Stop stop;
  std::size_t pos;  // closed: past the closer; more: the end; else the offending byte
};

std::string_view JsonStreamError::kind_name() const {
  switch (kind) {
    case Kind::value_bytes:
      return "value_bytes_max";
    case Kind::depth:
      return "depth_max";
    case Kind::unexpected_byte:
      return "unexpected_byte";
    case Kind::mismatched_bracket:
      return "mismatched_bracket";
  }
  return "unknown error";
}

std::string JsonStreamError::message() const {
  std::string text = "JSON stream";
  const std::string at = " at byte " + std::to_string(offset);
  switch (kind) {
    case Kind::value_bytes:
    case Kind::depth:
      text += ' ';
      text += kind_name();
      text += " (" + std::to_string(limit) + ") exceeded" + at;
      break;
    case Kind::unexpected_byte:
      text += ": unexpected byte " + quoted_byte(byte) + at +
              " between values (a value must be an object or an array)";
      break;
    case Kind::mismatched_bracket:
      text += ": mismatched bracket " + quoted_byte(byte) + at + " (it closes a '" +
              (byte == '}' ? "[" : "{") + "')";
      break;
  }
  return text;
}

JsonStreamParser::JsonStreamParser(JsonStreamLimits limits) : limits_(limits) {}

void JsonStreamParser::start_stream() {
  value_.clear();
  closers_.clear();
  offset_ = 0;
  value_offset_ = 0;
  values_completed_ = 0;
  error_ = JsonStreamError{};
  in_string_ = false;
  escape_ = false;
  failed_ = false;
}

bool JsonStreamParser::finish() {
  if (failed_) return false;
  const bool discarded = !closers_.empty();
  value_.clear();
  closers_.clear();
  in_string_ = false;
  escape_ = false;
  return discarded;
}

std::expected<void, JsonStreamError> JsonStreamParser::fail(JsonStreamError error) {
  failed_ = true;
  error_ = error;
  // Nothing more will be parsed: give the memory back, not just the sizes.
  value_.clear();
  value_.shrink_to_fit();
  closers_.clear();
  return std::unexpected(error_);
}

std::expected<void, JsonStreamError> JsonStreamParser::feed(std::string_view bytes,
                                                            JsonStreamSink& sink) {
  if (failed_) return std::unexpected(error_);
  const std::size_t size = bytes.size();
  const std::uint64_t base = offset_;
  std::size_t pos = 0;
  while (pos < size) {
    if (closers_.empty()) {  // between values
      while (pos < size && json_whitespace(bytes[pos])) ++pos;
      if (pos == size) break;
      if (bytes[pos] != '{' && bytes[pos] != '[') {
        offset_ = base + pos;
        return fail({JsonStreamError::Kind::unexpected_byte, 0, base + pos, bytes[pos]});
      }
      value_offset_ = base + pos;
    }
    // Scan no further than the value may reach: the byte at `end`, if the
    // value has not closed by then, is the first one past value_bytes_max.
    const std::size_t start = pos;
    const std::size_t room = limits_.value_bytes_max - value_.size();
    const std::size_t end = size - pos > room ? pos + room : size;
    const Scan scan = scan_value(bytes, pos, end);
    if (scan.stop == Scan::Stop::closed) {
      std::string_view text = bytes.substr(start, scan.pos - start);
      if (!value_.empty()) {  // it began in an earlier chunk
        value_.append(text);
        text = value_;
      }
      ++values_completed_;
      sink.on_value({text, value_offset_});
      value_.clear();
      pos = scan.pos;
      continue;
    }
    offset_ = base + scan.pos;
    if (scan.stop == Scan::Stop::depth)
      return fail({JsonStreamError::Kind::depth, limits_.depth_max, offset_, bytes[scan.pos]});
    if (scan.stop == Scan::Stop::mismatched)
      return fail({JsonStreamError::Kind::mismatched_bracket, 0, offset_, bytes[scan.pos]});
    if (end < size)
      return fail(
          {JsonStreamError::Kind::value_bytes, limits_.value_bytes_max, offset_, bytes[end]});
    value_.append(bytes.substr(start));  // the value continues in a later chunk
    pos = size;
  }
  offset_ = base + size;
  return {};
}

// Scans bytes[pos, end) of the value in progress (at its opening bracket if it
// starts here), updating the bracket stack and the string state.
JsonStreamParser::Scan JsonStreamParser::scan_value(std::string_view bytes, std::size_t pos,
                                                    std::size_t end) {
  while (pos < end) {
    if (in_string_) {
      if (escape_) {  // the escaped byte, whatever it is (also after a chunk boundary)
        escape_ = false;
        ++pos;
        continue;
      }
      pos = find_quote_or_backslash(bytes, pos, end);
      if (pos < end) {  // else the string goes on in a later chunk
        escape_ = bytes[pos] == '\\';
        in_string_ = escape_;
        ++pos;
      }
      continue;
    }
    const char c = bytes[pos];
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      if (closers_.size() >= limits_.depth_max) return {Scan::Stop::depth, pos};
      closers_.push_back(c == '{' ? '}' : ']');
    } else if (c == '}' || c == ']') {
      if (closers_.back() != c) return {Scan::Stop::mismatched, pos};
      closers_.pop_back();
      if (closers_.empty()) return {Scan::Stop::closed, pos + 1};
    }
    ++pos;
  }
  return {Scan::Stop::more, end};
}

}  // namespace tether::io
