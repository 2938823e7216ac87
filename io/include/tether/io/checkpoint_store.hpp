#pragma once
// Where the runner keeps the cursor it resumes from (docs/io.md, "Checkpoint
// stores and the file format"). The runner answers a SaveCheckpoint effect by
// calling save() and feeds back CheckpointSaved or CheckpointSaveFailed; at
// start it calls load() and passes the result to Started.
//
// Threading contract: the runner calls a store OFF the session's strand, on a
// worker thread, so load() and save() may block (file locks, fsync). One store
// instance serves one session at a time and that session's calls are
// serialized; the stores in this library also tolerate concurrent calls, but
// nothing is gained by making them.
//
// What load() promises:
//   - a value: the newest cursor saved so far (see supersedes() in
//     <tether/io/checkpoint_file.hpp> for what "newest" means);
//   - std::nullopt: no checkpoint exists yet (the file does not exist). This is
//     the ONLY answer that makes a session start from its configured start;
//   - an error: the checkpoint exists but cannot be trusted (corrupt, truncated,
//     unreadable, wrong version, written for another stream). Never a silent
//     fresh start, which would replay or skip history without anyone noticing.
//
// What save() promises: on success the cursor, or a newer one saved earlier, is
// durable. An older cursor never overwrites a newer one (monotonic merge), so a
// late or duplicated save is harmless and still succeeds.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <tether/model/cursor.hpp>

namespace tether::io {

struct CheckpointError {
  enum class Code : std::uint8_t {
    io_error,      // a system call failed (errno_value says which errno)
    locked,        // another store holds the lock: at open() of an exclusive store, or
                   // longer than the wait allowed (if limited) for one operation
    wrong_stream,  // the checkpoint was written for another stream (another URL,
                   // sequence source or key): its cursor means nothing here
    truncated,     // the file ends early (no final newline or no checksum line)
    bad_version,   // a checkpoint of a format version this build does not read
    bad_checksum,  // the stored checksum does not match the bytes
    corrupt,       // anything else malformed: magic, keys, values, size, ...
  };

  Code code = Code::io_error;
  std::string path;     // the checkpoint file; empty for stores without one
  std::string detail;   // what was wrong, e.g. "checksum mismatch (stored ..., computed ...)"
  int errno_value = 0;  // for io_error, else 0

  // "checkpoint file /x/y.ckpt: checksum mismatch (stored 0x..., computed 0x...)"
  std::string message() const {
    std::string text = path.empty() ? std::string("checkpoint store") : "checkpoint file " + path;
    text += ": ";
    text += detail;
    return text;
  }
};

constexpr std::string_view name_of(CheckpointError::Code code) {
  switch (code) {
    case CheckpointError::Code::io_error:
      return "io_error";
    case CheckpointError::Code::locked:
      return "locked";
    case CheckpointError::Code::wrong_stream:
      return "wrong_stream";
    case CheckpointError::Code::truncated:
      return "truncated";
    case CheckpointError::Code::bad_version:
      return "bad_version";
    case CheckpointError::Code::bad_checksum:
      return "bad_checksum";
    case CheckpointError::Code::corrupt:
      return "corrupt";
  }
  return "unknown";
}

class CheckpointStore {
 public:
  virtual ~CheckpointStore() = default;

  // The newest saved cursor, nullopt if none was ever saved, or why it cannot
  // be read. May block.
  virtual std::expected<std::optional<model::Cursor>, CheckpointError> load() = 0;

  // Persists `cursor` unless a newer cursor is already stored (then succeeds
  // without writing). May block (lock, write, fsync).
  virtual std::expected<void, CheckpointError> save(const model::Cursor& cursor) = 0;

 protected:
  CheckpointStore() = default;
  CheckpointStore(const CheckpointStore&) = default;
  CheckpointStore& operator=(const CheckpointStore&) = default;
};

}  // namespace tether::io
