#include <array>
#include <charconv>
#include <optional>
#include <system_error>
#include <tether/io/checkpoint_file.hpp>
#include <type_traits>
#include <utility>

namespace tether::io {

namespace {

using model::Cursor;
using model::CursorKind;
using Error = CheckpointDecodeError;
using Code = CheckpointDecodeError::Code;

// --- CRC-32C ---------------------------------------------------------------------

constexpr std::uint32_t crc32c_polynomial_reflected = 0x82F63B78u;

using Crc32cTable = std::array<std::uint32_t, 256>;

constexpr Crc32cTable make_crc32c_table() {
  Crc32cTable table{};
  for (std::uint32_t byte = 0; byte < 256; ++byte) {
    std::uint32_t crc = byte;
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc & 1u) != 0 ? (crc >> 1) ^ crc32c_polynomial_reflected : crc >> 1;
    table[byte] = crc;
  }
  return table;
}

// Slicing-by-8: tables[k][b] is the CRC of byte b followed by k zero bytes, so
// eight bytes are folded in with eight independent lookups instead of a chain
// of eight dependent ones (a checkpoint is checksummed at every save).
constexpr std::array<Crc32cTable, 8> make_crc32c_tables() {
  std::array<Crc32cTable, 8> tables{};
  tables[0] = make_crc32c_table();
  for (std::size_t k = 1; k < tables.size(); ++k)
    for (std::size_t byte = 0; byte < 256; ++byte)
      tables[k][byte] = (tables[k - 1][byte] >> 8) ^ tables[0][tables[k - 1][byte] & 0xFFu];
  return tables;
}

constexpr std::array<Crc32cTable, 8> crc32c_tables = make_crc32c_tables();

// Four bytes as a little-endian word, whatever the machine's byte order.
std::uint32_t little_endian_u32(const char* bytes) {
  std::uint32_t word = 0;
  for (int i = 3; i >= 0; --i) word = (word << 8) | static_cast<unsigned char>(bytes[i]);
  return word;
}

// --- vocabulary ----------------------------------------------------------------------

constexpr std::string_view hex_digits = "0123456789ABCDEF";

// Field keys, in the order a file lists them.
enum class Key : std::uint8_t { stream, kind, sequence, token, start_time_ms };
constexpr std::array<std::string_view, 5> key_names{"stream", "kind", "sequence", "token",
                                                    "start_time_ms"};
constexpr std::array<std::string_view, 4> kind_names{"none", "sequence", "token", "start_time"};
constexpr std::string_view crc_key = "crc32c=";

std::size_t index_of(Key key) { return static_cast<std::size_t>(key); }
std::string_view name_of_key(Key key) { return key_names[index_of(key)]; }
std::string_view name_of_kind(CursorKind kind) {
  return kind_names[static_cast<std::size_t>(kind)];
}

std::optional<Key> key_named(std::string_view name) {
  for (std::size_t i = 0; i < key_names.size(); ++i)
    if (key_names[i] == name) return static_cast<Key>(i);
  return std::nullopt;
}

// Whether a file of `kind` may carry `key`, and whether it must (the stream
// key depends on the version, not the kind: see FieldParser).
bool key_allowed(CursorKind kind, Key key) {
  switch (key) {
    case Key::stream:
      return true;
    case Key::kind:
      return true;
    case Key::sequence:
      return kind == CursorKind::sequence || kind == CursorKind::token;
    case Key::token:
      return kind == CursorKind::token;
    case Key::start_time_ms:
      return kind == CursorKind::start_time;
  }
  return false;
}
bool key_required(CursorKind kind, Key key) {
  return key == Key::kind || key == Key::stream ||
         (key_allowed(kind, key) && key != Key::sequence) ||
         (key == Key::sequence && kind == CursorKind::sequence);
}

// Token bytes written as themselves; every other byte is %XX.
constexpr bool plain_token_byte_slow(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '.':
    case '_':
    case '~':
    case ':':
    case '/':
    case '+':
    case '@':
    case ',':
    case '-':
      return true;
    default:
      return false;
  }
}

constexpr std::array<bool, 256> make_plain_token_bytes() {
  std::array<bool, 256> table{};
  for (std::size_t byte = 0; byte < table.size(); ++byte)
    table[byte] = plain_token_byte_slow(static_cast<char>(static_cast<unsigned char>(byte)));
  return table;
}

constexpr std::array<bool, 256> plain_token_bytes = make_plain_token_bytes();

bool plain_token_byte(char c) { return plain_token_bytes[static_cast<unsigned char>(c)]; }

int upper_hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A value for an error message: printable ASCII as is, other bytes as \xNN,
// at most 40 bytes of it.
std::string quoted(std::string_view value) {
  constexpr std::size_t shown_bytes_max = 40;
  std::string out = "\"";
  for (std::size_t i = 0; i < value.size() && i < shown_bytes_max; ++i) {
    const auto byte = static_cast<unsigned char>(value[i]);
    if (byte >= 0x20 && byte < 0x7F && byte != '"' && byte != '\\') {
      out += value[i];
    } else {
      out += "\\x";
      out += hex_digits[byte >> 4];
      out += hex_digits[byte & 0xFu];
    }
  }
  if (value.size() > shown_bytes_max) out += "...";
  out += '"';
  return out;
}

std::unexpected<Error> fail(Code code, std::size_t line, std::string_view field,
                            std::string detail) {
  return std::unexpected(Error{code, line, std::string(field), std::move(detail)});
}

template <class Int>
std::string decimal(Int value) {
  std::array<char, 24> buf{};
  const auto result = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  return std::string(buf.data(), result.ptr);
}

template <class Int>
void append_decimal(std::string& out, Int value) {
  std::array<char, 24> buf{};
  const auto result = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  out.append(buf.data(), result.ptr);
}

void append_hex8(std::string& out, std::uint32_t value) {
  for (int shift = 28; shift >= 0; shift -= 4) out += hex_digits[(value >> shift) & 0xFu];
}

std::string hex8(std::uint32_t value) {
  std::string out;
  append_hex8(out, value);
  return out;
}

// --- encoding ------------------------------------------------------------------------

// Token and stream bytes: plain bytes as themselves, every other byte %XX.
void append_encoded(std::string& out, std::string_view bytes) {
  std::size_t plain_from = 0;  // runs of plain bytes are appended whole
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (plain_token_byte(bytes[i])) continue;
    out.append(bytes.substr(plain_from, i - plain_from));
    const auto byte = static_cast<unsigned char>(bytes[i]);
    out += '%';
    out += hex_digits[byte >> 4];
    out += hex_digits[byte & 0xFu];
    plain_from = i + 1;
  }
  out.append(bytes.substr(plain_from));
}

// --- decoding ------------------------------------------------------------------------

// A decimal integer in its one canonical spelling (what std::to_chars writes):
// no '+', no leading zeros, no "-0", no surrounding text, within range.
template <class Int>
std::expected<Int, std::string> parse_canonical(std::string_view text) {
  Int value{};
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec == std::errc::result_out_of_range)
    return std::unexpected("out of range: " + quoted(text));
  const bool parsed = result.ec == std::errc{} && result.ptr == text.data() + text.size();
  if (!parsed || decimal(value) != text) {
    constexpr bool is_signed = std::is_signed_v<Int>;
    return std::unexpected(std::string(is_signed ? "expected a decimal integer"
                                                 : "expected a decimal unsigned integer") +
                           " without '+' or leading zeros, got " + quoted(text));
  }
  return value;
}

// The bytes of a canonically %-encoded value (token or stream), at most
// `bytes_max` of them; `what` names the value in the error.
std::expected<std::string, std::string> parse_encoded(std::string_view text, std::size_t bytes_max,
                                                      std::string_view what) {
  std::string bytes;
  bytes.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '%') {
      if (!plain_token_byte(c))
        return std::unexpected("byte " + quoted(text.substr(i, 1)) + " at offset " + decimal(i) +
                               " must be %-encoded");
      bytes += c;
      continue;
    }
    const int high = i + 2 < text.size() ? upper_hex_value(text[i + 1]) : -1;
    const int low = i + 2 < text.size() ? upper_hex_value(text[i + 2]) : -1;
    if (high < 0 || low < 0)
      return std::unexpected("'%' at offset " + decimal(i) +
                             " is not followed by two upper-case hex digits in " + quoted(text));
    const auto byte = static_cast<char>(high * 16 + low);
    if (plain_token_byte(byte))
      return std::unexpected(quoted(text.substr(i, 3)) + " at offset " + decimal(i) +
                             " encodes a byte written as itself");
    bytes += byte;
    i += 2;
  }
  if (bytes.size() > bytes_max)
    return std::unexpected("a " + std::string(what) + " of " + decimal(bytes.size()) +
                           " bytes, more than " + decimal(bytes_max));
  return bytes;
}

std::expected<model::Token, std::string> parse_token(std::string_view text) {
  const auto bytes = parse_encoded(text, model::Token::capacity, "token");
  if (!bytes) return std::unexpected(bytes.error());
  auto token = model::Token::make(*bytes);
  if (!token)
    return std::unexpected("a token of " + decimal(bytes->size()) + " bytes does not fit");
  return *token;
}

std::expected<std::string, std::string> parse_stream(std::string_view text) {
  auto bytes = parse_encoded(text, checkpoint_stream_bytes_max, "stream identity");
  if (bytes && bytes->empty())
    return std::unexpected(
        std::string("empty (a checkpoint without a stream is written as version 1)"));
  return bytes;
}

std::expected<CursorKind, std::string> parse_kind(std::string_view text) {
  for (std::size_t i = 0; i < kind_names.size(); ++i)
    if (kind_names[i] == text) return static_cast<CursorKind>(i);
  return std::unexpected("expected none, sequence, token or start_time, got " + quoted(text));
}

// Line 1: the magic and version (which it returns). Checked before anything
// else, so that a file of another version is named as such (its checksum may be
// computed otherwise).
std::expected<std::uint32_t, Error> check_header(std::string_view bytes) {
  if (bytes.empty()) return fail(Code::truncated, 0, "file", "the file is empty");
  const std::size_t newline = bytes.find('\n');
  const std::string_view line = bytes.substr(0, newline);
  if (!line.starts_with(checkpoint_magic)) {
    if (newline == std::string_view::npos && checkpoint_magic.starts_with(line))
      return fail(Code::truncated, 1, "header", "the file ends inside its first line");
    return fail(Code::not_a_checkpoint, 1, "header",
                "expected " + quoted(std::string(checkpoint_magic) + decimal(checkpoint_version)) +
                    ", got " + quoted(line));
  }
  if (newline == std::string_view::npos)
    return fail(Code::truncated, 1, "header", "the file ends inside its first line");
  if (line.ends_with('\r'))
    return fail(Code::bad_line, 1, "header",
                "the line ends in \"\\r\\n\"; checkpoint files use \"\\n\"");
  const std::string_view text = line.substr(checkpoint_magic.size());
  for (std::uint32_t version = checkpoint_version_min; version <= checkpoint_version; ++version)
    if (text == decimal(version)) return version;
  return fail(Code::bad_version, 1, "header",
              "format version " + quoted(text) + ", this build reads versions " +
                  decimal(checkpoint_version_min) + " to " + decimal(checkpoint_version));
}

// One "key=value" line parsed into `cursor` (and `stream`).
struct FieldParser {
  std::uint32_t version = checkpoint_version;
  Cursor cursor;
  std::string stream;
  std::optional<CursorKind> kind;
  std::array<bool, key_names.size()> seen{};
  std::optional<Key> last;

  // Version 2 files start with the stream; version 1 files have none.
  bool has_stream() const { return version >= 2; }
  Key first_key() const { return has_stream() ? Key::stream : Key::kind; }

  std::expected<void, Error> line(std::size_t number, std::string_view text) {
    const std::size_t equals = text.find('=');
    if (equals == std::string_view::npos)
      return fail(Code::bad_line, number, "file", "expected key=value, got " + quoted(text));
    const std::string_view name = text.substr(0, equals);
    const std::string_view value = text.substr(equals + 1);
    const auto key = key_named(name);
    if (!key) {
      const std::string shown = quoted(name);  // the key, with odd bytes escaped
      return fail(Code::unknown_key, number, std::string_view(shown).substr(1, shown.size() - 2),
                  "unknown key");
    }
    if (*key == Key::stream && !has_stream())
      return fail(Code::unknown_key, number, "stream",
                  "a version " + decimal(version) + " checkpoint has no stream");
    if (seen[index_of(*key)])
      return fail(Code::duplicate_key, number, name_of_key(*key), "the key appears a second time");
    if (!seen[index_of(first_key())] && *key != first_key())
      return fail(Code::missing_key, number, name_of_key(first_key()),
                  "the first field must be " + std::string(name_of_key(first_key())));
    if (!kind && *key != Key::kind && *key != Key::stream)
      return fail(Code::missing_key, number, "kind",
                  "kind must come before " + std::string(name_of_key(*key)));
    if (last && *key < *last)
      return fail(Code::misplaced_key, number, name_of_key(*key),
                  "must come before " + std::string(name_of_key(*last)));
    if (kind && !key_allowed(*kind, *key))
      return fail(Code::misplaced_key, number, name_of_key(*key),
                  "a kind=" + std::string(name_of_kind(*kind)) + " checkpoint has no " +
                      std::string(name_of_key(*key)));
    if (auto parsed = value_of(*key, value); !parsed)
      return fail(Code::bad_value, number, name_of_key(*key), std::move(parsed.error()));
    seen[index_of(*key)] = true;
    last = key;
    return {};
  }

  std::expected<void, std::string> value_of(Key key, std::string_view value) {
    switch (key) {
      case Key::stream: {
        auto s = parse_stream(value);
        if (!s) return std::unexpected(s.error());
        stream = std::move(*s);
        return {};
      }
      case Key::kind: {
        const auto k = parse_kind(value);
        if (!k) return std::unexpected(k.error());
        kind = *k;
        return {};
      }
      case Key::sequence: {
        const auto n = parse_canonical<std::uint64_t>(value);
        if (!n) return std::unexpected(n.error());
        cursor.sequence = *n;
        cursor.has_sequence = true;
        return {};
      }
      case Key::token: {
        const auto t = parse_token(value);
        if (!t) return std::unexpected(t.error());
        cursor.token = *t;
        return {};
      }
      case Key::start_time_ms: {
        const auto ms = parse_canonical<std::int64_t>(value);
        if (!ms) return std::unexpected(ms.error());
        cursor.start_time_ms = *ms;
        return {};
      }
    }
    return std::unexpected(std::string("unreachable key"));
  }

  // After the last field line; `number` is the checksum line's.
  std::expected<Checkpoint, Error> finish(std::size_t number) {
    if (!seen[index_of(first_key())])
      return fail(Code::missing_key, number, name_of_key(first_key()),
                  "no " + std::string(name_of_key(first_key())) + " before the checksum");
    if (!kind) return fail(Code::missing_key, number, "kind", "no kind before the checksum");
    for (std::size_t i = 0; i < key_names.size(); ++i) {
      const auto key = static_cast<Key>(i);
      if (key == Key::stream && !has_stream()) continue;
      if (key_required(*kind, key) && !seen[i])
        return fail(Code::missing_key, number, name_of_key(key),
                    "a kind=" + std::string(name_of_kind(*kind)) + " checkpoint needs " +
                        std::string(name_of_key(key)));
    }
    cursor.kind = *kind;
    return Checkpoint{cursor, std::move(stream)};
  }
};

}  // namespace

std::string_view name_of(CheckpointDecodeError::Code code) {
  switch (code) {
    case Code::truncated:
      return "truncated";
    case Code::not_a_checkpoint:
      return "not_a_checkpoint";
    case Code::bad_version:
      return "bad_version";
    case Code::bad_checksum:
      return "bad_checksum";
    case Code::too_large:
      return "too_large";
    case Code::trailing_data:
      return "trailing_data";
    case Code::bad_line:
      return "bad_line";
    case Code::unknown_key:
      return "unknown_key";
    case Code::duplicate_key:
      return "duplicate_key";
    case Code::misplaced_key:
      return "misplaced_key";
    case Code::missing_key:
      return "missing_key";
    case Code::bad_value:
      return "bad_value";
  }
  return "unknown";
}

std::string CheckpointDecodeError::message() const {
  if (line == 0) return detail;
  return "line " + decimal(line) + " (" + field + "): " + detail;
}

std::uint32_t crc32c(std::string_view bytes) {
  const auto& t = crc32c_tables;
  std::uint32_t crc = 0xFFFFFFFFu;
  const char* at = bytes.data();
  std::size_t left = bytes.size();
  for (; left >= 8; left -= 8, at += 8) {
    const std::uint32_t low = crc ^ little_endian_u32(at);
    const std::uint32_t high = little_endian_u32(at + 4);
    crc = t[7][low & 0xFFu] ^ t[6][(low >> 8) & 0xFFu] ^ t[5][(low >> 16) & 0xFFu] ^
          t[4][low >> 24] ^ t[3][high & 0xFFu] ^ t[2][(high >> 8) & 0xFFu] ^
          t[1][(high >> 16) & 0xFFu] ^ t[0][high >> 24];
  }
  for (; left > 0; --left, ++at)
    crc = (crc >> 8) ^ t[0][(crc ^ static_cast<unsigned char>(*at)) & 0xFFu];
  return crc ^ 0xFFFFFFFFu;
}

Cursor canonical(const Cursor& cursor) {
  switch (cursor.kind) {
    case CursorKind::none:
      return Cursor{};
    case CursorKind::sequence:
      return Cursor::at_sequence(cursor.sequence);
    case CursorKind::token:
      return cursor.has_sequence ? Cursor::at_token(cursor.token, cursor.sequence)
                                 : Cursor::at_token(cursor.token);
    case CursorKind::start_time:
      return Cursor::at_start_time(cursor.start_time_ms);
  }
  return Cursor{};
}

bool supersedes(const Cursor& candidate_in, const Cursor& stored_in) {
  const Cursor candidate = canonical(candidate_in);
  const Cursor stored = canonical(stored_in);
  if (candidate == stored) return false;
  if (candidate.kind == CursorKind::none) return false;
  if (stored.kind == CursorKind::none) return true;
  const bool candidate_bootstrap = candidate.kind == CursorKind::start_time;
  const bool stored_bootstrap = stored.kind == CursorKind::start_time;
  if (candidate_bootstrap && stored_bootstrap)
    return candidate.start_time_ms > stored.start_time_ms;
  if (candidate_bootstrap || stored_bootstrap) return stored_bootstrap;
  if (candidate.has_sequence && stored.has_sequence) return candidate.sequence >= stored.sequence;
  return true;  // a token without a sequence on either side: cannot be ordered
}

std::string encode_checkpoint(const Cursor& cursor_in, std::string_view stream) {
  const Cursor cursor = canonical(cursor_in);
  std::string out;
  // The longest it can be, so that it is allocated once.
  constexpr std::size_t fixed_lines_bytes_max = 150;
  out.reserve(fixed_lines_bytes_max + 3 * (stream.size() + cursor.token.view().size()));
  out += checkpoint_magic;
  append_decimal(out, stream.empty() ? checkpoint_version_min : checkpoint_version);
  if (!stream.empty()) {
    out += "\nstream=";
    append_encoded(out, stream);
  }
  out += "\nkind=";
  out += name_of_kind(cursor.kind);
  out += '\n';
  if (cursor.has_sequence) {
    out += "sequence=";
    append_decimal(out, cursor.sequence);
    out += '\n';
  }
  if (cursor.kind == CursorKind::token) {
    out += "token=";
    append_encoded(out, cursor.token.view());
    out += '\n';
  }
  if (cursor.kind == CursorKind::start_time) {
    out += "start_time_ms=";
    append_decimal(out, cursor.start_time_ms);
    out += '\n';
  }
  const std::uint32_t crc = crc32c(out);
  out += crc_key;
  append_hex8(out, crc);
  out += '\n';
  return out;
}

std::expected<Cursor, CheckpointDecodeError> decode_checkpoint(std::string_view bytes) {
  auto decoded = decode_checkpoint_file(bytes);
  if (!decoded) return std::unexpected(std::move(decoded.error()));
  return decoded->cursor;
}

std::expected<Checkpoint, CheckpointDecodeError> decode_checkpoint_file(std::string_view bytes) {
  if (bytes.size() > checkpoint_bytes_max)
    return fail(Code::too_large, 0, "file",
                "the file has " + decimal(bytes.size()) + " bytes, more than the " +
                    decimal(checkpoint_bytes_max) + " a checkpoint can have");
  const auto version = check_header(bytes);
  if (!version) return std::unexpected(std::move(version.error()));
  if (bytes.back() != '\n')
    return fail(Code::truncated, 0, "file", "the last line has no newline: the file was cut short");

  // The checksum line is the first line starting "crc32c="; it covers every
  // byte before it and is checked before any field is read.
  const std::size_t fields_start = bytes.find('\n') + 1;
  std::size_t crc_start = fields_start;
  std::size_t crc_line = 2;
  for (; crc_start < bytes.size() && !bytes.substr(crc_start).starts_with(crc_key); ++crc_line)
    crc_start = bytes.find('\n', crc_start) + 1;  // found: the file ends with '\n'
  if (crc_start == bytes.size())
    return fail(Code::truncated, 0, "file",
                "no crc32c line after line " + decimal(crc_line - 1) + ": the file was cut short");

  const std::size_t crc_end = bytes.find('\n', crc_start);
  if (crc_end + 1 != bytes.size())
    return fail(Code::trailing_data, crc_line + 1, "file", "bytes after the checksum line");
  const std::string_view crc_text =
      bytes.substr(crc_start + crc_key.size(), crc_end - crc_start - crc_key.size());
  std::uint32_t stored = 0;
  bool crc_ok = crc_text.size() == 8;
  for (const char c : crc_text) {
    const int digit = upper_hex_value(c);
    crc_ok = crc_ok && digit >= 0;
    stored = (stored << 4) | static_cast<std::uint32_t>(digit < 0 ? 0 : digit);
  }
  if (!crc_ok)
    return fail(Code::bad_value, crc_line, "crc32c",
                "expected 8 upper-case hex digits, got " + quoted(crc_text));
  const std::uint32_t computed = crc32c(bytes.substr(0, crc_start));
  if (computed != stored)
    return fail(
        Code::bad_checksum, 0, "crc32c",
        "checksum mismatch (stored 0x" + hex8(stored) + ", computed 0x" + hex8(computed) + ")");

  FieldParser fields;
  fields.version = *version;
  std::size_t number = 2;
  for (std::size_t start = fields_start; start < crc_start; ++number) {
    const std::size_t newline = bytes.find('\n', start);
    if (auto parsed = fields.line(number, bytes.substr(start, newline - start)); !parsed)
      return std::unexpected(std::move(parsed.error()));
    start = newline + 1;
  }
  return fields.finish(crc_line);
}

}  // namespace tether::io
