#pragma once
// The line-text vocabulary shared by the event log (event_log.cpp) and the
// canonical effect encoding (effects_hash.cpp): `key=value` fields separated by
// single spaces, `-` for an absent optional, percent-encoded tokens, cursors in
// full. Private to model/src.

#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <tether/model/cursor.hpp>

namespace tether::model::log_text {

inline constexpr std::array<std::string_view, 4> cursor_kind_names{"none", "sequence", "token", "start_time"};

inline std::string_view name_of_kind(CursorKind kind) {
  const auto i = static_cast<std::size_t>(kind);
  return i < cursor_kind_names.size() ? cursor_kind_names[i] : std::string_view{"unknown"};
}

// Token bytes written as they are; every other byte is %XX.
inline bool plain_token_byte(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '.': case '_': case '~': case ':': case '/': case '+': case '@': case ',': case '-':
      return true;
    default:
      return false;
  }
}

class Writer {
 public:
  std::string out;

  template <class Int>
  void number(Int v) {
    std::array<char, 24> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    out.append(buf.data(), r.ptr);
  }
  void key(std::string_view k) {
    out += ' ';
    out += k;
    out += '=';
  }
  template <class Int>
  void field(std::string_view k, Int v) {
    key(k);
    number(v);
  }
  template <class Int>
  void field(std::string_view k, const std::optional<Int>& v) {
    key(k);
    if (v) number(*v);
    else out += '-';
  }
  void name(std::string_view k, std::string_view v) {
    key(k);
    out += v;
  }
  void token(const Token& t) {
    static constexpr char digits[] = "0123456789ABCDEF";
    const std::string_view v = t.view();
    if (v == "-") {
      out += "%2D";
      return;
    }
    for (const char c : v) {
      if (plain_token_byte(c)) {
        out += c;
      } else {
        const auto b = static_cast<unsigned char>(c);
        out += '%';
        out += digits[b >> 4];
        out += digits[b & 0xF];
      }
    }
  }
  void cursor(std::string_view k, const Cursor& c) {
    key(k);
    out += name_of_kind(c.kind);
    const std::string p(k);
    field(p + ".seq", c.sequence);
    key(p + ".has_seq");
    out += c.has_sequence ? '1' : '0';
    field(p + ".start", c.start_time_ms);
    key(p + ".token");
    token(c.token);
  }
};

}  // namespace tether::model::log_text
