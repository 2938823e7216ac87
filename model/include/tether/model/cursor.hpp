#pragma once
// Where a stream resumes: a sequence number, an opaque server token (SSE
// Last-Event-ID, a revision), or a start time for the very first connection.

#include <array>
#include <cstdint>
#include <expected>
#include <string_view>

namespace tether::model {

// An opaque resume token kept inline (no heap): ids longer than `capacity`
// bytes are refused where they enter (Token::make), never truncated.
//
// Copies move only the bytes in use, and a new Token leaves its buffer
// uninitialised (nothing past size_ is ever read): cursors travel with the
// state, events and effects on every step, and a typical id is a few bytes.
class Token {
 public:
  // Room for JWT-like and base64 cursors as well as UUIDs, nchan's
  // "<seconds>:<index>" and revisions.
  static constexpr std::size_t capacity = 1024;

  enum class Error : std::uint8_t { too_long };

  constexpr Token() noexcept {}  // NOLINT(cppcoreguidelines-pro-type-member-init): see above
  Token(const Token& other) noexcept : size_(other.size_) { copy_bytes(other); }
  Token& operator=(const Token& other) noexcept {
    size_ = other.size_;
    copy_bytes(other);
    return *this;
  }
  static std::expected<Token, Error> make(std::string_view text);

  std::string_view view() const { return {bytes_, size_}; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr void clear() { size_ = 0; }  // bytes past size_ are never read
  friend bool operator==(const Token& a, const Token& b) { return a.view() == b.view(); }

 private:
  // Ids up to 64 bytes (nearly all) copy as one fixed-size block, which the
  // compiler inlines; a variable-length memcpy call per cursor copy doubled
  // the value API's cost per event.
  static constexpr std::size_t short_bytes = 64;
  void copy_bytes(const Token& other) noexcept {
    if (this == &other) return;
    if (other.size_ <= short_bytes) {
      __builtin_memcpy(bytes_, other.bytes_, short_bytes);
    } else {
      __builtin_memcpy(bytes_, other.bytes_, other.size_);
    }
  }
  std::uint16_t size_ = 0;
  char bytes_[capacity];  // NOLINT(cppcoreguidelines-avoid-c-arrays): uninitialised on purpose
};

enum class CursorKind : std::uint8_t {
  none,        // nothing to resume from: the server decides (usually "live")
  sequence,    // resume after this sequence number
  token,       // resume after this opaque id (may also carry a sequence)
  start_time,  // bootstrap only: the first connection starts at this wall time
};

// What a connection asks the server for.
enum class ResumeFrom : std::uint8_t {
  server_default,  // send no cursor
  cursor,          // resume after a cursor
  oldest,          // the oldest retained event (after "cursor too old", resync)
  live,            // the live head only (after "cursor too old", skip)
};

struct Cursor {
  Token token;  // kind == token only
  std::uint64_t sequence = 0;
  std::int64_t start_time_ms = 0;  // unix ms, kind == start_time only
  CursorKind kind = CursorKind::none;
  bool has_sequence = false;  // true for kind == sequence, optional for token

  static Cursor at_sequence(std::uint64_t seq) {
    return Cursor{{}, seq, 0, CursorKind::sequence, true};
  }
  static Cursor at_token(Token t) { return Cursor{t, 0, 0, CursorKind::token, false}; }
  static Cursor at_token(Token t, std::uint64_t seq) {
    return Cursor{t, seq, 0, CursorKind::token, true};
  }
  static Cursor at_start_time(std::int64_t unix_ms) {
    return Cursor{{}, 0, unix_ms, CursorKind::start_time, false};
  }

  friend bool operator==(const Cursor&, const Cursor&) = default;
};

}  // namespace tether::model
