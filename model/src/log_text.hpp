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

inline constexpr std::array<std::string_view, 4> cursor_kind_names{"none", "sequence", "token",
                                                                   "start_time"};

inline std::string_view name_of_kind(CursorKind kind) {
  const auto i = static_cast<std::size_t>(kind);
  return i < cursor_kind_names.size() ? cursor_kind_names[i] : std::string_view{"unknown"};
}

// Token bytes written as they are; every other byte is %XX. A table: ids of
// 1 KB are scanned at every step the simulator's trace encodes.
inline constexpr std::array<bool, 256> plain_token_bytes = [] {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (const char c : {'.', '_', '~', ':', '/', '+', '@', ',', '-'})
    t[static_cast<unsigned char>(c)] = true;
  return t;
}();
inline bool plain_token_byte(char c) { return plain_token_bytes[static_cast<unsigned char>(c)]; }

// Appends to a caller's string, so that a caller encoding every step (the
// simulator's trace) reuses one buffer and allocates nothing once it is large
// enough.
class Writer {
 public:
  explicit Writer(std::string& o) : out(o) {}
  std::string& out;

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
    if (v)
      number(*v);
    else
      out += '-';
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
    // Runs of plain bytes are appended at once: ids can be 1024 bytes long.
    std::size_t run = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (plain_token_byte(v[i])) continue;
      out.append(v.data() + run, i - run);
      const auto b = static_cast<unsigned char>(v[i]);
      out += '%';
      out += digits[b >> 4];
      out += digits[b & 0xF];
      run = i + 1;
    }
    out.append(v.data() + run, v.size() - run);
  }
  // `k.sub=` (no string is built: this runs for every cursor of every step).
  void sub_key(std::string_view k, std::string_view sub) {
    out += ' ';
    out += k;
    out += sub;
    out += '=';
  }
  void cursor(std::string_view k, const Cursor& c) {
    key(k);
    out += name_of_kind(c.kind);
    sub_key(k, ".seq");
    number(c.sequence);
    sub_key(k, ".has_seq");
    out += c.has_sequence ? '1' : '0';
    sub_key(k, ".start");
    number(c.start_time_ms);
    sub_key(k, ".token");
    token(c.token);
  }
};

}  // namespace tether::model::log_text
