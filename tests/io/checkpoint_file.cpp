// tests/io/checkpoint_file.cpp tests io/src/checkpoint_file.cpp: the checkpoint
// file codec (round trips, truncation, bit flips, each named error) and the
// monotonic merge rule.

#include <rapidcheck/catch.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <tether/io/checkpoint_file.hpp>
#include <tuple>
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
  for (unsigned i = 0; i < Token::capacity; ++i)
    bytes += static_cast<char>((first + i * 4) & 0xFFu);
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
      case 0:
        return gen::just(Cursor{});
      case 1:
        return gen::map(gen::arbitrary<std::uint64_t>(), Cursor::at_sequence);
      case 2: {
        // Any bytes, up to the capacity (gen::string would favour printable ones).
        const auto bytes =
            gen::mapcat(gen::inRange<std::size_t>(0, Token::capacity + 1), [](std::size_t length) {
              return gen::container<std::string>(length, gen::arbitrary<char>());
            });
        return gen::map(gen::tuple(bytes, gen::arbitrary<std::uint64_t>(), gen::arbitrary<bool>()),
                        [](const std::tuple<std::string, std::uint64_t, bool>& t) {
                          const auto& [text, sequence, has_sequence] = t;
                          const Token tok = Token::make(text).value();
                          return has_sequence ? Cursor::at_token(tok, sequence)
                                              : Cursor::at_token(tok);
                        });
      }
      default:
        return gen::map(gen::arbitrary<std::int64_t>(), Cursor::at_start_time);
    }
  });
}

}  // namespace

TEST_CASE("checkpoint file: crc32c matches the published check value", "[checkpoint]") {
  CHECK(crc32c("123456789") == 0xE3069283u);
  CHECK(crc32c("") == 0u);
}

// crc32c folds eight bytes at a time (slicing-by-8) and the rest one by one:
// every length across those boundaries, at every alignment, gives what the
// bit-at-a-time definition gives.
TEST_CASE(
    "checkpoint file: crc32c agrees with the bitwise definition at every length and alignment",
    "[checkpoint]") {
  const auto bitwise = [](std::string_view bytes) {
    std::uint32_t crc = 0xFFFFFFFFu;
    for (const char c : bytes) {
      crc ^= static_cast<unsigned char>(c);
      for (int bit = 0; bit < 8; ++bit) crc = (crc & 1u) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return crc ^ 0xFFFFFFFFu;
  };
  std::string buffer;
  std::uint32_t state = 12345;
  for (int i = 0; i < 300; ++i) {
    state = state * 1103515245u + 12345u;
    buffer += static_cast<char>(state >> 16);
  }
  for (std::size_t offset = 0; offset < 8; ++offset)
    for (std::size_t length = 0; offset + length <= 80; ++length) {
      const std::string_view bytes = std::string_view(buffer).substr(offset, length);
      INFO("offset " << offset << ", length " << length);
      REQUIRE(crc32c(bytes) == bitwise(bytes));
    }
  CHECK(crc32c(buffer) == bitwise(buffer));
}

TEST_CASE("checkpoint file: the documented example, byte for byte", "[checkpoint]") {
  const std::string text = encode_checkpoint(Cursor::at_token(token("1700000000:12"), 42));
  CHECK(text == sealed("tether-checkpoint/1\nkind=token\nsequence=42\ntoken=1700000000:12\n"));
  CHECK(text.ends_with("crc32c=313E7F29\n"));
  CHECK(encode_checkpoint(Cursor{}) == sealed("tether-checkpoint/1\nkind=none\n"));
  CHECK(encode_checkpoint(Cursor::at_sequence(7)) ==
        sealed("tether-checkpoint/1\nkind=sequence\nsequence=7\n"));
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
    const auto e = error_of(sealed("tether-checkpoint/3\nstream=s\nkind=none\n"));
    CHECK(e.code == Code::bad_version);
    CHECK(e.line == 1);
    CHECK(e.message() == "line 1 (header): format version \"3\", this build reads versions 1 to 2");
    // Even with a checksum this version would not recognise.
    CHECK(error_of("tether-checkpoint/3\nkind=none\ncrc32c=00000000\n").code == Code::bad_version);
    CHECK(error_of(sealed("tether-checkpoint/0\nkind=none\n")).code == Code::bad_version);
    CHECK(error_of(sealed("tether-checkpoint/01\nkind=none\n")).code == Code::bad_version);
    CHECK(error_of(sealed("tether-checkpoint/02\nstream=s\nkind=none\n")).code ==
          Code::bad_version);
    CHECK(error_of(sealed("tether-checkpoint/\nkind=none\n")).code == Code::bad_version);
  }
  SECTION("not a checkpoint at all") {
    CHECK(error_of("{\"sequence\": 5}\n").code == Code::not_a_checkpoint);
    CHECK(error_of(sealed("tether-events/1\nkind=none\n")).code == Code::not_a_checkpoint);
    CHECK(error_of("\x7F"
                   "ELF")
              .code == Code::not_a_checkpoint);
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
    if (lower != encode_checkpoint(Cursor::at_sequence(1)))
      CHECK(error_of(lower).code == Code::bad_value);
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
  const auto check = [](std::string_view body, Code code, std::size_t line,
                        std::string_view field) {
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
    check(h + "kind=start_time\nstart_time_ms=9223372036854775808\n", Code::bad_value, 3,
          "start_time_ms");
    check(h + "kind=start_time\nstart_time_ms=1.5\n", Code::bad_value, 3, "start_time_ms");
    const auto e = error_of(sealed(h + "kind=sequence\nsequence=012\n"));
    CHECK(e.message() ==
          "line 3 (sequence): expected a decimal unsigned integer without '+' or leading zeros, "
          "got \"012\"");
    CHECK(error_of(sealed(h + "kind=sequence\nsequence=99999999999999999999\n"))
              .detail.starts_with("out of range"));
  }
  SECTION("tokens") {
    check(h + "kind=token\ntoken=a b\n", Code::bad_value, 3, "token");
    check(h + "kind=token\ntoken=%zz\n", Code::bad_value, 3, "token");
    check(h + "kind=token\ntoken=%2f\n", Code::bad_value, 3, "token");  // lower-case hex
    check(h + "kind=token\ntoken=%41\n", Code::bad_value, 3, "token");  // 'A' is written as itself
    check(h + "kind=token\ntoken=abc%2\n", Code::bad_value, 3, "token");
    check(h + "kind=token\ntoken=%\n", Code::bad_value, 3, "token");
    check(h + "kind=token\ntoken=" + std::string(Token::capacity + 1, 'x') + "\n", Code::bad_value,
          3, "token");
    CHECK(decode_checkpoint(
        sealed(h + "kind=token\ntoken=" + std::string(Token::capacity, 'x') + "\n")));
    CHECK(decode_checkpoint(sealed(h + "kind=token\ntoken=\n")).value() ==
          Cursor::at_token(token("")));
    CHECK(decode_checkpoint(sealed(h + "kind=token\ntoken=a=b%3D\n")).has_value() == false);
  }
  SECTION("size") {
    const auto e = error_of(std::string(checkpoint_bytes_max + 1, 'x'));
    CHECK(e.code == Code::too_large);
    CHECK(e.message() == "the file has " + std::to_string(checkpoint_bytes_max + 1) +
                             " bytes, more than the " + std::to_string(checkpoint_bytes_max) +
                             " a checkpoint can have");
  }
}

// --- version 2: the stream identity ---------------------------------------------

namespace {

// Every byte value, `length` of them (most need %XX, so the encoding is long).
std::string all_bytes(std::size_t length, unsigned first = 0) {
  std::string bytes;
  for (std::size_t i = 0; i < length; ++i) bytes += static_cast<char>((first + i * 7) & 0xFFu);
  return bytes;
}

std::vector<std::string> sample_streams() {
  return {"s",
          "http://127.0.0.1:8080/sub/orders seq=json:seq",
          "wss://example.com:443/a?access_token&b seq=none key=blue",
          std::string("a\0b\r\nstream=x\ncrc32c=00000000", 29),
          std::string(checkpoint_stream_bytes_max, 'x'),
          all_bytes(checkpoint_stream_bytes_max),
          all_bytes(checkpoint_stream_bytes_max, 0xFF)};
}

rc::Gen<std::string> any_stream() {
  using namespace rc;
  return gen::mapcat(gen::inRange<std::size_t>(1, checkpoint_stream_bytes_max + 1),
                     [](std::size_t length) {
                       return gen::container<std::string>(length, gen::arbitrary<char>());
                     });
}

}  // namespace

TEST_CASE("checkpoint file v2: the documented example, byte for byte", "[checkpoint][stream]") {
  const Cursor cursor = Cursor::at_token(token("1700000000:12"), 42);
  const std::string text =
      encode_checkpoint(cursor, "http://127.0.0.1:8080/sub/orders seq=json:seq");
  CHECK(text ==
        sealed("tether-checkpoint/2\nstream=http://127.0.0.1:8080/sub/orders%20seq%3Djson:seq\n"
               "kind=token\nsequence=42\ntoken=1700000000:12\n"));
  CHECK(text.ends_with("crc32c=763355DF\n"));
  const auto decoded = decode_checkpoint_file(text);
  REQUIRE(decoded);
  CHECK(decoded->cursor == cursor);
  CHECK(decoded->stream == "http://127.0.0.1:8080/sub/orders seq=json:seq");
  CHECK(decode_checkpoint(text).value() == cursor);  // the cursor alone
  // No stream: version 1, exactly as before.
  CHECK(encode_checkpoint(cursor, "") == encode_checkpoint(cursor));
  CHECK(encode_checkpoint(cursor).starts_with("tether-checkpoint/1\nkind=token\n"));
}

TEST_CASE("checkpoint file v2: every sample cursor round-trips with every sample stream",
          "[checkpoint][stream]") {
  for (const Cursor& cursor : sample_cursors()) {
    for (const std::string& stream : sample_streams()) {
      const std::string text = encode_checkpoint(cursor, stream);
      INFO(text);
      CHECK(text.starts_with("tether-checkpoint/2\nstream="));
      CHECK(text.size() <= checkpoint_bytes_max);
      const auto decoded = decode_checkpoint_file(text);
      REQUIRE(decoded);
      CHECK(decoded->cursor == cursor);
      CHECK(decoded->stream == stream);
      CHECK(encode_checkpoint(decoded->cursor, decoded->stream) == text);
    }
  }
}

TEST_CASE(
    "checkpoint file v2: the largest checkpoint fits checkpoint_bytes_max, which follows "
    "Token::capacity",
    "[checkpoint][stream]") {
  // A token of Token::capacity bytes and a stream of the maximum, every byte
  // %XX-encoded, and the longest sequence: the worst case the limit must hold.
  std::string nothing_plain_token(Token::capacity, '\xFF');
  const Cursor biggest =
      Cursor::at_token(token(nothing_plain_token), std::numeric_limits<std::uint64_t>::max());
  const std::string text =
      encode_checkpoint(biggest, std::string(checkpoint_stream_bytes_max, '\n'));
  CHECK(text.size() > 3 * (Token::capacity + checkpoint_stream_bytes_max));
  CHECK(text.size() <= checkpoint_bytes_max);
  const auto decoded = decode_checkpoint_file(text);
  REQUIRE(decoded);
  CHECK(decoded->cursor == biggest);
  CHECK(checkpoint_stream_bytes_max == stream_identity_bytes_max);
}

TEST_CASE("checkpoint file v2: random cursors and streams round-trip exactly",
          "[checkpoint][stream][property]") {
  rc::prop("decode(encode(c, s)) == {c, s}, and encode is a fixed point", [] {
    const Cursor cursor = *any_cursor();
    const std::string stream = *any_stream();
    const std::string text = encode_checkpoint(cursor, stream);
    RC_ASSERT(text.size() <= checkpoint_bytes_max);
    const auto decoded = decode_checkpoint_file(text);
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(decoded->cursor == cursor);
    RC_ASSERT(decoded->stream == stream);
    RC_ASSERT(encode_checkpoint(decoded->cursor, decoded->stream) == text);
  });
}

TEST_CASE("checkpoint file: a version-1 file still loads, and names no stream",
          "[checkpoint][stream]") {
  // Written by the previous release (the documented v1 example).
  const std::string v1 =
      "tether-checkpoint/1\nkind=token\nsequence=42\ntoken=1700000000:12\ncrc32c=313E7F29\n";
  const auto decoded = decode_checkpoint_file(v1);
  REQUIRE(decoded);
  CHECK(decoded->cursor == Cursor::at_token(token("1700000000:12"), 42));
  CHECK(decoded->stream.empty());
  CHECK(encode_checkpoint(decoded->cursor, decoded->stream) == v1);
}

TEST_CASE("checkpoint file v2: truncations and bit flips are errors", "[checkpoint][stream]") {
  std::size_t prefixes = 0;
  std::size_t flips = 0;
  for (const Cursor& cursor :
       {Cursor::at_token(token("1700000000:12"), 42), Cursor::at_sequence(7), Cursor{}}) {
    const std::string text = encode_checkpoint(cursor, "http://h:80/sub/a?x seq=json:seq key=k");
    for (std::size_t length = 0; length < text.size(); ++length, ++prefixes) {
      const auto decoded = decode_checkpoint_file(std::string_view(text).substr(0, length));
      INFO("cut at " << length << " of " << text);
      REQUIRE_FALSE(decoded);
      CHECK(decoded.error().code == Code::truncated);
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
      for (unsigned bit = 0; bit < 8; ++bit, ++flips) {
        std::string flipped = text;
        flipped[i] = static_cast<char>(static_cast<unsigned char>(flipped[i]) ^ (1u << bit));
        INFO("byte " << i << " bit " << bit << " of " << text);
        REQUIRE_FALSE(decode_checkpoint_file(flipped));
      }
    }
  }
  CHECK(prefixes > 200);
  CHECK(flips > 2000);
}

TEST_CASE("checkpoint file v2: the stream line is strict and canonical", "[checkpoint][stream]") {
  const auto check = [](std::string_view body, Code code, std::size_t line,
                        std::string_view field) {
    const auto e = error_of(sealed(body));
    CHECK(name_of(e.code) == name_of(code));
    CHECK(e.line == line);
    CHECK(e.field == field);
    return e;
  };
  const std::string h2 = "tether-checkpoint/2\n";
  const std::string h1 = "tether-checkpoint/1\n";
  SECTION("a version-2 file names its stream first, once") {
    CHECK(check(h2 + "kind=none\n", Code::missing_key, 2, "stream").detail ==
          "the first field must be stream");
    check(h2, Code::missing_key, 2, "stream");
    check(h2 + "kind=none\nstream=s\n", Code::missing_key, 2, "stream");
    check(h2 + "stream=s\n", Code::missing_key, 3, "kind");
    check(h2 + "stream=s\nsequence=1\nkind=sequence\n", Code::missing_key, 3, "kind");
    check(h2 + "stream=s\nstream=s\nkind=none\n", Code::duplicate_key, 3, "stream");
    check(h2 + "stream=s\nkind=none\nstream=s\n", Code::duplicate_key, 4, "stream");
    check(h2 + "stream=s\nkind=sequence\n", Code::missing_key, 4, "sequence");
    CHECK(decode_checkpoint_file(sealed(h2 + "stream=s\nkind=none\n")).value() ==
          Checkpoint{Cursor{}, "s"});
  }
  SECTION("a version-1 file has no stream") {
    const auto e = check(h1 + "stream=s\nkind=none\n", Code::unknown_key, 2, "stream");
    CHECK(e.message() == "line 2 (stream): a version 1 checkpoint has no stream");
    check(h1 + "kind=none\nstream=s\n", Code::unknown_key, 3, "stream");
  }
  SECTION("values") {
    CHECK(check(h2 + "stream=\nkind=none\n", Code::bad_value, 2, "stream").detail ==
          "empty (a checkpoint without a stream is written as version 1)");
    check(h2 + "stream=a b\nkind=none\n", Code::bad_value, 2, "stream");
    check(h2 + "stream=a=b\nkind=none\n", Code::bad_value, 2, "stream");
    check(h2 + "stream=%41\nkind=none\n", Code::bad_value, 2,
          "stream");  // 'A' is written as itself
    check(h2 + "stream=%3d\nkind=none\n", Code::bad_value, 2, "stream");  // lower-case hex
    check(h2 + "stream=%3\nkind=none\n", Code::bad_value, 2, "stream");
    check(h2 + "stream=s\r\nkind=none\n", Code::bad_value, 2, "stream");
    CHECK(decode_checkpoint_file(sealed(h2 + "stream=%3D%0A%25\nkind=none\n")).value().stream ==
          "=\n%");
  }
  SECTION("limits: the stream and the token") {
    const std::string longest(checkpoint_stream_bytes_max, 'x');
    CHECK(
        decode_checkpoint_file(sealed(h2 + "stream=" + longest + "\nkind=none\n")).value().stream ==
        longest);
    const auto e = check(h2 + "stream=" + longest + "x\nkind=none\n", Code::bad_value, 2, "stream");
    CHECK(e.detail == "a stream identity of " + std::to_string(checkpoint_stream_bytes_max + 1) +
                          " bytes, more than " + std::to_string(checkpoint_stream_bytes_max));
    const std::string full_token(Token::capacity, 'x');
    CHECK(decode_checkpoint(sealed(h2 + "stream=s\nkind=token\ntoken=" + full_token + "\n")));
    const auto t = check(h2 + "stream=s\nkind=token\ntoken=" + full_token + "x\n", Code::bad_value,
                         4, "token");
    CHECK(t.detail == "a token of " + std::to_string(Token::capacity + 1) + " bytes, more than " +
                          std::to_string(Token::capacity));
  }
}

TEST_CASE("checkpoint merge: an older checkpoint never replaces a newer one",
          "[checkpoint][merge]") {
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

TEST_CASE("checkpoint merge: with sequences, the kept cursor is the maximum",
          "[checkpoint][merge][property]") {
  rc::prop("folding saves keeps the largest sequence", [] {
    const auto sequences =
        *rc::gen::container<std::vector<std::uint64_t>>(rc::gen::inRange<std::uint64_t>(0, 50));
    std::optional<Cursor> kept;
    std::uint64_t max_sequence = 0;
    for (const std::uint64_t s : sequences) {
      const Cursor candidate =
          s % 2 == 0 ? Cursor::at_sequence(s) : Cursor::at_token(token("t"), s);
      if (!kept || supersedes(candidate, *kept)) kept = candidate;
      max_sequence = std::max(max_sequence, s);
    }
    if (kept) RC_ASSERT(kept->sequence == max_sequence);
  });
}
