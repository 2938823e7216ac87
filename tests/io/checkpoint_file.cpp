// tests/io/checkpoint_file.cpp tests io/src/checkpoint_file.cpp: the checkpoint
// file codec (round trips, truncation, bit flips, each named error) and the
// monotonic merge rule.

#include <tether/io/checkpoint_file.hpp>

#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <cstdint>
#include <algorithm>
#include <limits>
#include <optional>
#include <tuple>
#include <string>
#include <vector>

#include "checkpoint_test_support.hpp"

using namespace tether::io;
using tether::io::test::sealed;
using tether::model::Cursor;
using tether::model::CursorKind;
using tether::model::Token;
using Code = CheckpointDecodeError::Code;

namespace {

Token token(std::string_view text) { return Token::make(text).value(); }

// Every byte value, in a token of `capacity` bytes starting at `first`.
Token all_bytes_token(unsigned first) {
  std::string bytes;
  for (unsigned i = 0; i < Token::capacity; ++i) bytes += static_cast<char>((first + i * 4) & 0xFFu);
  return token(bytes);
}

std::vector<Cursor> sample_cursors() {
  return {Cursor{},
          Cursor::at_sequence(0),
          Cursor::at_sequence(42),
          Cursor::at_sequence(std::numeric_limits<std::uint64_t>::max()),
          Cursor::at_token(token("1700000000:12")),
          Cursor::at_token(token("")),
          Cursor::at_token(token("-")),
          Cursor::at_token(token("a b%c\r\n=crc32c=00000000"), 7),
          Cursor::at_token(all_bytes_token(0)),
          Cursor::at_token(all_bytes_token(1), 9),
          Cursor::at_token(all_bytes_token(2)),
          Cursor::at_token(all_bytes_token(3), std::numeric_limits<std::uint64_t>::max()),
          Cursor::at_start_time(1'700'000'000'000),
          Cursor::at_start_time(std::numeric_limits<std::int64_t>::min()),
          Cursor::at_start_time(std::numeric_limits<std::int64_t>::max()),
          Cursor::at_start_time(0)};
}

// The decode error for `bytes`, which must not decode.
CheckpointDecodeError error_of(const std::string& bytes) {
  const auto decoded = decode_checkpoint(bytes);
  INFO("bytes: " << bytes);
  REQUIRE_FALSE(decoded);
  INFO("error: " << decoded.error().message());
  CHECK_FALSE(decoded.error().detail.empty());
  CHECK_FALSE(decoded.error().field.empty());
  return decoded.error();
}

rc::Gen<Cursor> any_cursor() {
  using namespace rc;
  return gen::mapcat(gen::inRange(0, 4), [](int kind) -> Gen<Cursor> {
    switch (kind) {
      case 0: return gen::just(Cursor{});
      case 1: return gen::map(gen::arbitrary<std::uint64_t>(), Cursor::at_sequence);
      case 2: {
        // Any bytes, up to the capacity (gen::string would favour printable ones).
        const auto bytes = gen::mapcat(gen::inRange<std::size_t>(0, Token::capacity + 1), [](std::size_t length) {
          return gen::container<std::string>(length, gen::arbitrary<char>());
        });
        return gen::map(gen::tuple(bytes, gen::arbitrary<std::uint64_t>(), gen::arbitrary<bool>()),
                        [](const std::tuple<std::string, std::uint64_t, bool>& t) {
                          const auto& [text, sequence, has_sequence] = t;
                          const Token tok = Token::make(text).value();
                          return has_sequence ? Cursor::at_token(tok, sequence) : Cursor::at_token(tok);
                        });
      }
      default: return gen::map(gen::arbitrary<std::int64_t>(), Cursor::at_start_time);
    }
  });
}

}  // namespace

TEST_CASE("checkpoint file: crc32c matches the published check value", "[checkpoint]") {
  CHECK(crc32c("123456789") == 0xE3069283u);
  CHECK(crc32c("") == 0u);
}

TEST_CASE("checkpoint file: the documented example, byte for byte", "[checkpoint]") {
  const std::string text = encode_checkpoint(Cursor::at_token(token("1700000000:12"), 42));
  CHECK(text == sealed("tether-checkpoint/1\nkind=token\nsequence=42\ntoken=1700000000:12\n"));
  CHECK(text.ends_with("crc32c=313E7F29\n"));
  CHECK(encode_checkpoint(Cursor{}) == sealed("tether-checkpoint/1\nkind=none\n"));
  CHECK(encode_checkpoint(Cursor::at_sequence(7)) == sealed("tether-checkpoint/1\nkind=sequence\nsequence=7\n"));
  CHECK(encode_checkpoint(Cursor::at_token(token("a b/%"))) ==
        sealed("tether-checkpoint/1\nkind=token\ntoken=a%20b/%25\n"));
  CHECK(encode_checkpoint(Cursor::at_start_time(-5)) ==
        sealed("tether-checkpoint/1\nkind=start_time\nstart_time_ms=-5\n"));
}

TEST_CASE("checkpoint file: every sample cursor round-trips", "[checkpoint]") {
  for (const Cursor& cursor : sample_cursors()) {
    const std::string text = encode_checkpoint(cursor);
    INFO(text);
    CHECK(text.size() <= checkpoint_bytes_max);
    const auto decoded = decode_checkpoint(text);
    REQUIRE(decoded);
    CHECK(*decoded == cursor);
    CHECK(encode_checkpoint(*decoded) == text);
  }
}

TEST_CASE("checkpoint file: random cursors round-trip exactly", "[checkpoint][property]") {
  rc::prop("decode(encode(c)) == c, and encode is a fixed point", [] {
    const Cursor cursor = *any_cursor();
    const std::string text = encode_checkpoint(cursor);
    const auto decoded = decode_checkpoint(text);
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(*decoded == cursor);
    RC_ASSERT(encode_checkpoint(*decoded) == text);
  });
}

TEST_CASE("checkpoint file: fields a kind does not use are not stored", "[checkpoint]") {
  Cursor messy = Cursor::at_sequence(5);
  messy.token = token("stray");
  messy.start_time_ms = 99;
  CHECK(canonical(messy) == Cursor::at_sequence(5));
  CHECK(decode_checkpoint(encode_checkpoint(messy)).value() == Cursor::at_sequence(5));

  Cursor none_with_data{token("x"), 3, 4, CursorKind::none, true};
  CHECK(canonical(none_with_data) == Cursor{});
  Cursor start{token("x"), 3, 4, CursorKind::start_time, true};
  CHECK(canonical(start) == Cursor::at_start_time(4));
  Cursor token_without_flag{token("x"), 3, 0, CursorKind::token, false};
  CHECK(canonical(token_without_flag) == Cursor::at_token(token("x")));
  for (const Cursor& c : sample_cursors()) CHECK(canonical(c) == c);
}

TEST_CASE("checkpoint file: every truncation is an error, never a cursor", "[checkpoint]") {
  std::size_t prefixes = 0;
  for (const Cursor& cursor : sample_cursors()) {
    const std::string text = encode_checkpoint(cursor);
    for (std::size_t length = 0; length < text.size(); ++length, ++prefixes) {
      const auto decoded = decode_checkpoint(std::string_view(text).substr(0, length));
      INFO("cut at " << length << " of " << text);
      REQUIRE_FALSE(decoded);
      CHECK(decoded.error().code == Code::truncated);
    }
  }
  CHECK(prefixes > 1000);
}

TEST_CASE("checkpoint file: every single-bit flip is detected", "[checkpoint]") {
  std::size_t flips = 0;
  for (const Cursor& cursor : sample_cursors()) {
    const std::string text = encode_checkpoint(cursor);
    for (std::size_t i = 0; i < text.size(); ++i) {
      for (unsigned bit = 0; bit < 8; ++bit, ++flips) {
        std::string flipped = text;
        flipped[i] = static_cast<char>(static_cast<unsigned char>(flipped[i]) ^ (1u << bit));
        const auto decoded = decode_checkpoint(flipped);
        INFO("byte " << i << " bit " << bit << " of " << text);
        REQUIRE_FALSE(decoded);
      }
    }
  }
  CHECK(flips > 10000);
}

TEST_CASE("checkpoint file: the header is checked first", "[checkpoint]") {
  SECTION("another version") {
    const auto e = error_of(sealed("tether-checkpoint/2\nkind=none\n"));
    CHECK(e.code == Code::bad_version);
    CHECK(e.line == 1);
    CHECK(e.message() == "line 1 (header): format version \"2\", this build reads version 1");
    // Even with a checksum this version would not recognise.
    CHECK(error_of("tether-checkpoint/2\nkind=none\ncrc32c=00000000\n").code == Code::bad_version);
    CHECK(error_of(sealed("tether-checkpoint/01\nkind=none\n")).code == Code::bad_version);
    CHECK(error_of(sealed("tether-checkpoint/\nkind=none\n")).code == Code::bad_version);
  }
  SECTION("not a checkpoint at all") {
    CHECK(error_of("{\"sequence\": 5}\n").code == Code::not_a_checkpoint);
    CHECK(error_of(sealed("tether-events/1\nkind=none\n")).code == Code::not_a_checkpoint);
    CHECK(error_of("\x7F" "ELF").code == Code::not_a_checkpoint);
  }
  SECTION("empty or cut inside the header") {
    CHECK(error_of("").code == Code::truncated);
    CHECK(error_of("").message() == "the file is empty");
    CHECK(error_of("tether-check").code == Code::truncated);
    CHECK(error_of("tether-checkpoint/1").code == Code::truncated);
  }
}

TEST_CASE("checkpoint file: the checksum is checked before the fields", "[checkpoint]") {
  std::string text = encode_checkpoint(Cursor::at_sequence(42));
  text.replace(text.find("42"), 2, "43");
  const auto e = error_of(text);
  CHECK(e.code == Code::bad_checksum);
  CHECK(e.message().starts_with("checksum mismatch (stored 0x"));
  CHECK(e.message().find(", computed 0x") != std::string::npos);

  SECTION("the checksum must be 8 upper-case hex digits") {
    std::string lower = encode_checkpoint(Cursor::at_sequence(1));
    for (char& c : lower)
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (lower != encode_checkpoint(Cursor::at_sequence(1))) CHECK(error_of(lower).code == Code::bad_value);
    CHECK(error_of("tether-checkpoint/1\nkind=none\ncrc32c=ABC\n").code == Code::bad_value);
    CHECK(error_of("tether-checkpoint/1\nkind=none\ncrc32c=\n").field == "crc32c");
  }
  SECTION("nothing may follow the checksum line") {
    const std::string good = encode_checkpoint(Cursor::at_sequence(1));
    CHECK(error_of(good + "\n").code == Code::trailing_data);
    CHECK(error_of(good + "kind=none\n").code == Code::trailing_data);
    CHECK(error_of(good + good).code == Code::trailing_data);
  }
  SECTION("a missing checksum line is a truncation") {
    CHECK(error_of("tether-checkpoint/1\nkind=none\n").code == Code::truncated);
    CHECK(error_of("tether-checkpoint/1\n").code == Code::truncated);
  }
}

TEST_CASE("checkpoint file: malformed fields give named errors", "[checkpoint]") {
  const auto check = [](std::string_view body, Code code, std::size_t line, std::string_view field) {
    const auto e = error_of(sealed(body));
    CHECK(name_of(e.code) == name_of(code));
    CHECK(e.line == line);
    CHECK(e.field == field);
  };
  const std::string h = "tether-checkpoint/1\n";
  SECTION("keys") {
    check(h + "kind=sequence\nsequence=1\nowner=me\n", Code::unknown_key, 4, "owner");
    check(h + "kind=sequence\nsequence=1\nsequence=2\n", Code::duplicate_key, 4, "sequence");
    check(h + "kind=none\nkind=none\n", Code::duplicate_key, 3, "kind");
    check(h + "sequence=1\nkind=sequence\n", Code::missing_key, 2, "kind");
    check(h + "kind=token\ntoken=a\nsequence=1\n", Code::misplaced_key, 4, "sequence");
    check(h + "kind=sequence\nsequence=1\ntoken=a\n", Code::misplaced_key, 4, "token");
    check(h + "kind=none\nsequence=1\n", Code::misplaced_key, 3, "sequence");
    check(h + "kind=start_time\nsequence=1\nstart_time_ms=1\n", Code::misplaced_key, 3, "sequence");
    check(h + "kind=sequence\n", Code::missing_key, 3, "sequence");
    check(h + "kind=token\nsequence=1\n", Code::missing_key, 4, "token");
    check(h + "kind=start_time\n", Code::missing_key, 3, "start_time_ms");
    check(h, Code::missing_key, 2, "kind");
    check(h + "kind=none\n\n", Code::bad_line, 3, "file");
    check(h + "kind=none\nno equals sign\n", Code::bad_line, 3, "file");
    check(h + "Kind=none\n", Code::unknown_key, 2, "Kind");
  }
  SECTION("kinds and numbers") {
    check(h + "kind=sequences\n", Code::bad_value, 2, "kind");
    check(h + "kind=none\r\n", Code::bad_value, 2, "kind");
    check("tether-checkpoint/1\r\nkind=none\r\n", Code::bad_line, 1, "header");
    check(h + "kind=sequence\nsequence=\n", Code::bad_value, 3, "sequence");
    check(h + "kind=sequence\nsequence=012\n", Code::bad_value, 3, "sequence");
    check(h + "kind=sequence\nsequence=+12\n", Code::bad_value, 3, "sequence");
    check(h + "kind=sequence\nsequence=-1\n", Code::bad_value, 3, "sequence");
    check(h + "kind=sequence\nsequence=12a\n", Code::bad_value, 3, "sequence");
    check(h + "kind=sequence\nsequence= 12\n", Code::bad_value, 3, "sequence");
    check(h + "kind=sequence\nsequence=18446744073709551616\n", Code::bad_value, 3, "sequence");
    check(h + "kind=start_time\nstart_time_ms=-0\n", Code::bad_value, 3, "start_time_ms");
    check(h + "kind=start_time\nstart_time_ms=9223372036854775808\n", Code::bad_value, 3, "start_time_ms");
    check(h + "kind=start_time\nstart_time_ms=1.5\n", Code::bad_value, 3, "start_time_ms");
    const auto e = error_of(sealed(h + "kind=sequence\nsequence=012\n"));
    CHECK(e.message() ==
          "line 3 (sequence): expected a decimal unsigned integer without '+' or leading zeros, got \"012\"");
    CHECK(error_of(sealed(h + "kind=sequence\nsequence=99999999999999999999\n")).detail.starts_with("out of range"));
  }
  SECTION("tokens") {
    check(h + "kind=token\ntoken=a b\n", Code::bad_value, 3, "token");
    check(h + "kind=token\ntoken=%zz\n", Code::bad_value, 3, "token");
    check(h + "kind=token\ntoken=%2f\n", Code::bad_value, 3, "token");  // lower-case hex
    check(h + "kind=token\ntoken=%41\n", Code::bad_value, 3, "token");  // 'A' is written as itself
    check(h + "kind=token\ntoken=abc%2\n", Code::bad_value, 3, "token");
    check(h + "kind=token\ntoken=%\n", Code::bad_value, 3, "token");
    check(h + "kind=token\ntoken=" + std::string(Token::capacity + 1, 'x') + "\n", Code::bad_value, 3, "token");
    CHECK(decode_checkpoint(sealed(h + "kind=token\ntoken=" + std::string(Token::capacity, 'x') + "\n")));
    CHECK(decode_checkpoint(sealed(h + "kind=token\ntoken=\n")).value() == Cursor::at_token(token("")));
    CHECK(decode_checkpoint(sealed(h + "kind=token\ntoken=a=b%3D\n")).has_value() == false);
  }
  SECTION("size") {
    const auto e = error_of(std::string(checkpoint_bytes_max + 1, 'x'));
    CHECK(e.code == Code::too_large);
    CHECK(e.message() == "the file has 1025 bytes, more than the 1024 a checkpoint can have");
  }
}

TEST_CASE("checkpoint merge: an older checkpoint never replaces a newer one", "[checkpoint][merge]") {
  const Cursor none{};
  const Cursor seq5 = Cursor::at_sequence(5);
  const Cursor seq6 = Cursor::at_sequence(6);
  const Cursor tok5 = Cursor::at_token(token("e5"), 5);
  const Cursor tok5b = Cursor::at_token(token("e5b"), 5);
  const Cursor tok6 = Cursor::at_token(token("e6"), 6);
  const Cursor bare_a = Cursor::at_token(token("a"));
  const Cursor bare_b = Cursor::at_token(token("b"));
  const Cursor start1 = Cursor::at_start_time(1000);
  const Cursor start2 = Cursor::at_start_time(2000);

  SECTION("equal cursors: nothing to write") {
    for (const Cursor& c : {none, seq5, tok5, bare_a, start1}) CHECK_FALSE(supersedes(c, c));
  }
  SECTION("none never replaces; anything replaces none") {
    for (const Cursor& c : {seq5, tok5, bare_a, start1}) {
      CHECK_FALSE(supersedes(none, c));
      CHECK(supersedes(c, none));
    }
  }
  SECTION("sequences order cursors that have one, across kinds") {
    CHECK(supersedes(seq6, seq5));
    CHECK_FALSE(supersedes(seq5, seq6));
    CHECK(supersedes(tok6, seq5));
    CHECK_FALSE(supersedes(seq5, tok6));
    CHECK(supersedes(seq6, tok5));
    CHECK_FALSE(supersedes(tok5, tok6));
  }
  SECTION("an equal sequence: the candidate wins (same position)") {
    CHECK(supersedes(tok5b, tok5));
    CHECK(supersedes(tok5, tok5b));
    CHECK(supersedes(tok5, seq5));
    CHECK(supersedes(seq5, tok5));
  }
  SECTION("start times only bootstrap") {
    for (const Cursor& real : {seq5, tok5, bare_a}) {
      CHECK(supersedes(real, start2));
      CHECK_FALSE(supersedes(start2, real));
    }
    CHECK(supersedes(start2, start1));
    CHECK_FALSE(supersedes(start1, start2));
  }
  SECTION("tokens without a sequence cannot be ordered: last writer wins") {
    CHECK(supersedes(bare_a, bare_b));
    CHECK(supersedes(bare_b, bare_a));
    CHECK(supersedes(bare_a, seq6));
    CHECK(supersedes(seq5, bare_a));
  }
  SECTION("compared in canonical form") {
    Cursor seq5_with_stray_token = seq5;
    seq5_with_stray_token.token = token("stray");
    CHECK_FALSE(supersedes(seq5_with_stray_token, seq5));
  }
}

TEST_CASE("checkpoint merge: with sequences, the kept cursor is the maximum", "[checkpoint][merge][property]") {
  rc::prop("folding saves keeps the largest sequence", [] {
    const auto sequences = *rc::gen::container<std::vector<std::uint64_t>>(rc::gen::inRange<std::uint64_t>(0, 50));
    std::optional<Cursor> kept;
    std::uint64_t max_sequence = 0;
    for (const std::uint64_t s : sequences) {
      const Cursor candidate = s % 2 == 0 ? Cursor::at_sequence(s) : Cursor::at_token(token("t"), s);
      if (!kept || supersedes(candidate, *kept)) kept = candidate;
      max_sequence = std::max(max_sequence, s);
    }
    if (kept) RC_ASSERT(kept->sequence == max_sequence);
  });
}
