#pragma once
// Everything pure about checkpoints: the file format (a string codec, no
// files), the canonical form of a cursor and the monotonic merge rule that both
// stores apply. FileCheckpointStore does the I/O around it.
//
// Format, version 2 (text, '\n' line ends, one key=value per line):
//
//   tether-checkpoint/2
//   stream=http://127.0.0.1:8080/sub/orders%20seq%3Djson:seq
//   kind=token
//   sequence=42
//   token=1700000000:12
//   crc32c=763355DF
//
//   line 1   the magic and version, "tether-checkpoint/2" (or "/1", below);
//   stream   the identity of the stream the cursor belongs to
//            (<tether/io/stream_identity.hpp>), percent-encoded like the token;
//            never empty; at most checkpoint_stream_bytes_max decoded bytes;
//   kind     none | sequence | token | start_time;
//   sequence decimal u64: required for kind=sequence, optional for kind=token,
//            absent otherwise;
//   token    kind=token only: the token's bytes, every byte outside
//            [A-Za-z0-9._~:/+@,-] written as %XX (upper-case hex), so any of the
//            256 byte values survives; may be empty; at most
//            model::Token::capacity decoded bytes;
//   start_time_ms  kind=start_time only: decimal i64 (unix ms);
//   crc32c   the CRC-32C (Castagnoli) of every byte before this line, as 8
//            upper-case hex digits, then '\n' as the file's last byte.
//
// Version 1 is the same without the stream line: a checkpoint that names no
// stream. Both are read; encode_checkpoint writes version 2 when it is given a
// stream identity and version 1 when it is not, so each (cursor, stream) has
// exactly one encoding and every version-1 file written so far stays valid.
// FileCheckpointStore treats a version-1 file as belonging to any stream and
// writes version 2 (with its identity) at its next save.
//
// Keys appear in the order above, each at most once, only those the version
// and kind use. Decoding is strict and accepts exactly what encode_checkpoint
// writes: numbers without sign, '+' or leading zeros, tokens and streams encoded
// canonically, no '\r', no blank lines, nothing after the checksum line. So a
// file that decodes is byte-for-byte encode_checkpoint(decoded), and a file that
// is cut anywhere (no final newline, or no checksum line) is an error, never a
// shorter cursor. The header is checked before the checksum, so a future version
// is reported as bad_version rather than as a checksum mismatch; the checksum is
// checked before the fields, so damaged bytes are reported as such.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <tether/io/stream_identity.hpp>
#include <tether/model/cursor.hpp>

namespace tether::io {

inline constexpr std::string_view checkpoint_magic = "tether-checkpoint/";
// The version written for a checkpoint with a stream identity; the oldest read.
inline constexpr std::uint32_t checkpoint_version = 2;
inline constexpr std::uint32_t checkpoint_version_min = 1;
// The longest stream identity a file holds (decoded bytes).
inline constexpr std::size_t checkpoint_stream_bytes_max = stream_identity_bytes_max;
// The largest encoding: every byte of the token and the stream as %XX, plus the
// other lines (header, kind, sequence, start time, checksum: under 150 bytes
// together). A bigger file is not ours. Grows with model::Token::capacity.
inline constexpr std::size_t checkpoint_bytes_max =
    256 + 3 * (model::Token::capacity + checkpoint_stream_bytes_max);

struct CheckpointDecodeError {
  enum class Code : std::uint8_t {
    truncated,         // no final newline, or no checksum line
    not_a_checkpoint,  // the first line is not "tether-checkpoint/<version>"
    bad_version,       // a version outside checkpoint_version_min..checkpoint_version
    bad_checksum,      // stored and computed CRC-32C differ
    too_large,         // more than checkpoint_bytes_max bytes
    trailing_data,     // bytes after the checksum line
    bad_line,          // a line without '='
    unknown_key,       // a key this version does not define
    duplicate_key,     // a key given twice
    misplaced_key,     // a key out of order, or one this kind does not use
    missing_key,       // a key this version or kind requires is absent
    bad_value,         // a value that does not parse or is not canonical
  };

  Code code = Code::truncated;
  std::size_t line = 0;  // 1-based line of the problem; 0 when it concerns the whole file
  std::string
      field;  // "header", "stream", "kind", "sequence", "token", "start_time_ms", "crc32c", "file"
  std::string detail;  // what was wrong, with the offending value where there is one

  // "line 3 (sequence): expected a decimal unsigned integer, got \"01\""
  std::string message() const;
};

std::string_view name_of(CheckpointDecodeError::Code code);

// What a checkpoint file holds.
struct Checkpoint {
  model::Cursor cursor;  // canonical
  std::string stream;    // the stream's identity; empty for a version-1 file

  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

// The file for `cursor` (of canonical(cursor): fields its kind does not use are
// not written) of the stream `stream`: version 2 with a stream line, or version
// 1 if `stream` is empty. `stream` must be at most checkpoint_stream_bytes_max
// bytes (FileCheckpointStore::open checks it): a longer one is written, and the
// decoder refuses the file. Never fails.
std::string encode_checkpoint(const model::Cursor& cursor, std::string_view stream = {});

// The cursor and stream identity in a checkpoint file, or the first thing
// wrong with it. Never throws; the cursor is always canonical.
std::expected<Checkpoint, CheckpointDecodeError> decode_checkpoint_file(std::string_view bytes);

// decode_checkpoint_file(bytes)'s cursor alone, for readers that do not care
// which stream it belongs to.
std::expected<model::Cursor, CheckpointDecodeError> decode_checkpoint(std::string_view bytes);

// `cursor` with only the fields its kind uses (what a save then load gives back):
// none keeps nothing, sequence its sequence, token its token and (if
// has_sequence) its sequence, start_time its start time. A cursor built with the
// Cursor::at_* factories is already canonical. An out-of-range kind becomes none.
model::Cursor canonical(const model::Cursor& cursor);

// The monotonic merge rule: true if `candidate` should replace `stored`, so that
// an older checkpoint never overwrites a newer one. Both are compared in
// canonical form; the rules, first match wins:
//   1. equal cursors: false (nothing to write);
//   2. candidate kind none: false (it says nothing, so it never replaces);
//   3. stored kind none: true;
//   4. start_time cursors only bootstrap a first connection: a real cursor
//      (sequence or token) replaces one, never the reverse; between two
//      start_time cursors the later time wins;
//   5. both carry a sequence: the larger sequence wins; on an equal sequence the
//      candidate wins (same position, so nothing moves backwards, and a token
//      reissued for that position takes effect);
//   6. otherwise (a token without a sequence on either side) the two cannot be
//      ordered: the candidate wins (last writer wins).
// A store with no checkpoint at all takes any candidate, kind none included.
// Only cursors of one stream are compared: FileCheckpointStore refuses a file
// of another stream before it gets here.
bool supersedes(const model::Cursor& candidate, const model::Cursor& stored);

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as in iSCSI and ext4:
// crc32c("123456789") == 0xE3069283.
std::uint32_t crc32c(std::string_view bytes);

}  // namespace tether::io
