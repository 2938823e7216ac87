#include <array>
#include <limits>
#include <tether/io/sequence_extractor.hpp>

namespace tether::io {

namespace {

using Result = std::expected<std::uint64_t, NoSequence>;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The digits of a JSON number's integer part, and what surrounds them.
struct NumberShape {
  std::size_t digits_begin = 0;
  std::size_t digits_end = 0;
  bool negative = false;
  bool fraction_or_exponent = false;
};

// A cursor over a JSON text that checks the grammar of what it passes over.
// No recursion and no allocation: nesting is tracked in a fixed-size stack.
class JsonScanner {
 public:
  explicit JsonScanner(std::string_view text) : text_(text) {}

  void skip_ws() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }  // !at_end() only
  bool consume(char c) {
    if (at_end() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  // A string starting at the cursor ('"'); `equal` says whether its unescaped
  // bytes are exactly `key`. False if the string is malformed.
  bool string_equals(std::string_view key, bool& equal) {
    if (!consume('"')) return false;
    std::size_t matched = 0;
    equal = true;
    const auto match = [&](char byte) {
      if (equal && matched < key.size() && key[matched] == byte) {
        ++matched;
      } else {
        equal = false;
      }
    };
    while (!at_end()) {
      const char c = text_[pos_++];
      if (c == '"') {
        equal = equal && matched == key.size();
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return false;  // raw control character
      if (c != '\\') {
        match(c);
        continue;
      }
      if (at_end()) return false;
      const char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          match(e);
          break;
        case 'b':
          match('\b');
          break;
        case 'f':
          match('\f');
          break;
        case 'n':
          match('\n');
          break;
        case 'r':
          match('\r');
          break;
        case 't':
          match('\t');
          break;
        case 'u': {
          std::uint32_t code_point = 0;
          if (!hex4(code_point)) return false;
          if (!unicode_escape(code_point, match)) equal = false;
          break;
        }
        default:
          return false;
      }
    }
    return false;  // unterminated
  }

  // A string starting at the cursor, checked but not compared (the fast path
  // for values and nested keys).
  bool skip_string() {
    if (!consume('"')) return false;
    while (!at_end()) {
      const char c = text_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;  // raw control character
      if (c != '\\') continue;
      if (at_end()) return false;
      switch (text_[pos_++]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
          break;
        case 'u': {
          std::uint32_t ignored = 0;
          if (!hex4(ignored)) return false;
          break;
        }
        default:
          return false;
      }
    }
    return false;  // unterminated
  }

  // A number starting at the cursor, per the JSON grammar.
  bool number(NumberShape& shape) {
    shape = NumberShape{};
    if (consume('-')) shape.negative = true;
    shape.digits_begin = pos_;
    if (consume('0')) {
      // a leading zero stands alone
    } else if (!at_end() && is_digit(peek())) {
      while (!at_end() && is_digit(peek())) ++pos_;
    } else {
      return false;
    }
    shape.digits_end = pos_;
    if (consume('.')) {
      shape.fraction_or_exponent = true;
      if (!digits()) return false;
    }
    if (consume('e') || consume('E')) {
      shape.fraction_or_exponent = true;
      if (!consume('+')) consume('-');
      if (!digits()) return false;
    }
    return true;
  }

  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  // Skips one value of any kind, nested ones included.
  std::expected<void, NoSequence> skip_value() {
    // One bit per open container: set for an object, clear for an array.
    std::array<std::uint64_t, SequenceExtractor::json_depth_max / 64> objects{};
    std::size_t depth = 0;
    const auto is_object = [&](std::size_t level) {
      return ((objects[level / 64] >> (level % 64)) & 1U) != 0;
    };
    const auto closer = [&]() { return is_object(depth - 1) ? '}' : ']'; };
    for (;;) {
      // A value starts here.
      skip_ws();
      if (at_end()) return std::unexpected(NoSequence::malformed_json);
      const char c = peek();
      if (c == '{' || c == '[') {
        if (depth == SequenceExtractor::json_depth_max)
          return std::unexpected(NoSequence::too_deep);
        ++pos_;
        const std::uint64_t bit = std::uint64_t{1} << (depth % 64);
        objects[depth / 64] = c == '{' ? (objects[depth / 64] | bit) : (objects[depth / 64] & ~bit);
        ++depth;
        skip_ws();
        if (!consume(closer())) {
          if (c == '{' && !member_name()) return std::unexpected(NoSequence::malformed_json);
          continue;  // the container's first value
        }
        --depth;  // {} or []
      } else if (!scalar()) {
        return std::unexpected(NoSequence::malformed_json);
      }
      // A value ended: close every container that ends here; stop at a ','.
      for (;;) {
        if (depth == 0) return {};
        skip_ws();
        if (consume(closer())) {
          --depth;
          continue;
        }
        if (!consume(',')) return std::unexpected(NoSequence::malformed_json);
        if (is_object(depth - 1) && !member_name())
          return std::unexpected(NoSequence::malformed_json);
        break;
      }
    }
  }

  // `"name" :` inside an object, with surrounding whitespace.
  bool member_name() {
    skip_ws();
    if (!skip_string()) return false;
    skip_ws();
    return consume(':');
  }

  std::size_t pos() const { return pos_; }
  std::string_view text() const { return text_; }

 private:
  bool digits() {
    const std::size_t begin = pos_;
    while (!at_end() && is_digit(peek())) ++pos_;
    return pos_ > begin;
  }

  bool hex4(std::uint32_t& value) {
    if (text_.size() - pos_ < 4) return false;
    value = 0;
    for (int k = 0; k < 4; ++k) {
      const int h = hex_value(text_[pos_++]);
      if (h < 0) return false;
      value = value * 16 + static_cast<std::uint32_t>(h);
    }
    return true;
  }

  // Feeds the UTF-8 bytes of a \u escape (and of a following low surrogate
  // escape, if it completes a pair) to `match`. Returns false for a lone
  // surrogate, which no UTF-8 key can equal (JSON's grammar allows it).
  template <class Match>
  bool unicode_escape(std::uint32_t code_point, Match& match) {
    if (code_point >= 0xDC00 && code_point <= 0xDFFF) return false;
    if (code_point >= 0xD800 && code_point <= 0xDBFF) {
      std::uint32_t low = 0;
      if (text_.substr(pos_, 2) != "\\u") return false;
      const std::size_t saved = pos_;
      pos_ += 2;
      if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) {
        pos_ = saved;  // not a pair: the next escape is read on its own
        return false;
      }
      code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
    }
    const auto byte = [](std::uint32_t v) {
      return static_cast<char>(static_cast<unsigned char>(v));
    };
    if (code_point < 0x80) {
      match(byte(code_point));
    } else if (code_point < 0x800) {
      match(byte(0xC0 | (code_point >> 6)));
      match(byte(0x80 | (code_point & 0x3F)));
    } else if (code_point < 0x10000) {
      match(byte(0xE0 | (code_point >> 12)));
      match(byte(0x80 | ((code_point >> 6) & 0x3F)));
      match(byte(0x80 | (code_point & 0x3F)));
    } else {
      match(byte(0xF0 | (code_point >> 18)));
      match(byte(0x80 | ((code_point >> 12) & 0x3F)));
      match(byte(0x80 | ((code_point >> 6) & 0x3F)));
      match(byte(0x80 | (code_point & 0x3F)));
    }
    return true;
  }

  // A string, number or literal at the cursor.
  bool scalar() {
    if (at_end()) return false;
    const char c = peek();
    if (c == '"') return skip_string();
    if (c == '-' || is_digit(c)) {
      NumberShape shape;
      return number(shape);
    }
    return literal("true") || literal("false") || literal("null");
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

// The member value at the cursor, which must be a non-negative integer.
Result member_u64(JsonScanner& json) {
  if (json.at_end()) return std::unexpected(NoSequence::malformed_json);
  const char c = json.peek();
  if (c == '-' || is_digit(c)) {
    NumberShape shape;
    if (!json.number(shape)) return std::unexpected(NoSequence::malformed_json);
    json.skip_ws();  // the number must end the member: "42x" is not 42
    if (json.at_end() || (json.peek() != ',' && json.peek() != '}'))
      return std::unexpected(NoSequence::malformed_json);
    if (shape.negative || shape.fraction_or_exponent)
      return std::unexpected(NoSequence::not_integer);
    return decimal_u64(
        json.text().substr(shape.digits_begin, shape.digits_end - shape.digits_begin));
  }
  if (c == '"' || c == '{' || c == '[' || c == 't' || c == 'f' || c == 'n')
    return std::unexpected(NoSequence::not_number);
  return std::unexpected(NoSequence::malformed_json);
}

}  // namespace

std::string_view to_string(NoSequence reason) {
  switch (reason) {
    case NoSequence::empty:
      return "empty";
    case NoSequence::not_digits:
      return "not all digits";
    case NoSequence::out_of_range:
      return "does not fit in 64 bits";
    case NoSequence::not_json_object:
      return "payload is not a JSON object";
    case NoSequence::malformed_json:
      return "malformed JSON";
    case NoSequence::field_missing:
      return "no such top-level field";
    case NoSequence::not_integer:
      return "not a non-negative integer";
    case NoSequence::not_number:
      return "not a number";
    case NoSequence::too_deep:
      return "JSON nested too deeply";
  }
  return "unknown";
}

std::expected<std::uint64_t, NoSequence> decimal_u64(std::string_view text) {
  if (text.empty()) return std::unexpected(NoSequence::empty);
  constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t n = 0;
  bool overflow = false;
  for (const char c : text) {
    if (!is_digit(c)) return std::unexpected(NoSequence::not_digits);
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (n > (max - digit) / 10) overflow = true;  // keep going: a later non-digit wins
    n = n * 10 + digit;
  }
  if (overflow) return std::unexpected(NoSequence::out_of_range);
  return n;
}

std::expected<std::uint64_t, NoSequence> json_top_level_u64(std::string_view json,
                                                            std::string_view key) {
  JsonScanner scan(json);
  scan.skip_ws();
  if (!scan.consume('{')) return std::unexpected(NoSequence::not_json_object);
  scan.skip_ws();
  if (scan.consume('}')) return std::unexpected(NoSequence::field_missing);
  for (;;) {
    scan.skip_ws();
    bool equal = false;
    if (!scan.string_equals(key, equal)) return std::unexpected(NoSequence::malformed_json);
    scan.skip_ws();
    if (!scan.consume(':')) return std::unexpected(NoSequence::malformed_json);
    scan.skip_ws();
    if (equal) return member_u64(scan);
    if (auto skipped = scan.skip_value(); !skipped) return std::unexpected(skipped.error());
    scan.skip_ws();
    if (scan.consume(',')) continue;
    if (scan.consume('}')) return std::unexpected(NoSequence::field_missing);
    return std::unexpected(NoSequence::malformed_json);
  }
}

std::expected<SequenceExtractor, SequenceSpecError> SequenceExtractor::parse(
    std::string_view spec) {
  if (spec == "id") return from_id();
  if (spec == "id-suffix") return from_id_suffix();
  constexpr std::string_view json_prefix = "json:";
  if (spec.starts_with(json_prefix)) {
    const std::string_view field = spec.substr(json_prefix.size());
    if (field.empty())
      return std::unexpected(SequenceSpecError{"empty JSON field name after 'json:'"});
    return from_json_field(std::string(field));
  }
  if (spec.empty())
    return std::unexpected(
        SequenceSpecError{"empty sequence spec; expected id, id-suffix or json:FIELD"});
  if (spec == "json")
    return std::unexpected(SequenceSpecError{"missing JSON field name; expected json:FIELD"});
  return std::unexpected(
      SequenceSpecError{"unknown sequence spec; expected id, id-suffix or json:FIELD"});
}

std::expected<std::uint64_t, NoSequence> SequenceExtractor::extract_or_reason(
    std::string_view id, std::string_view data) const {
  switch (source_) {
    case SequenceSource::id:
      return decimal_u64(id);
    case SequenceSource::id_suffix: {
      const std::size_t colon = id.rfind(':');
      return decimal_u64(colon == std::string_view::npos ? id : id.substr(colon + 1));
    }
    case SequenceSource::json_field:
      return json_top_level_u64(data, field_);
  }
  return std::unexpected(NoSequence::empty);
}

}  // namespace tether::io
