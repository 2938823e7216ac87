#pragma once
// The checkpoint file store's algorithm, over a file-system port
// (<tether/io/disk.hpp>): what to read, check, merge, encode and write, and in
// which order, so that a crash at any step leaves the old checkpoint or the new
// one. FileCheckpointStore (<tether/io/file_checkpoint_store.hpp>) runs it over
// PosixDisk under its flock; the simulator runs the same code over a simulated
// disk that loses unsynced writes, tears them and fills up (docs/simulation.md).
//
// save(cursor):
//   0. the first save of each store removes "<file>.tmp.*" (temporary files of
//      a writer that crashed; the caller guarantees no live writer owns one);
//   1. read and decode the current file. A file that exists but does not decode,
//      or belongs to another stream, is an error and is left as it is, for an
//      operator to look at; saving never papers over a corrupt checkpoint;
//   2. apply the monotonic merge (supersedes()): if the stored cursor is as new
//      or newer, write nothing (unless the file names no stream and the store
//      does: then the stored cursor is rewritten with the identity), but sync
//      the directory before succeeding: the file read may be one whose rename
//      is not durable yet (a writer killed between its rename and its
//      directory fsync, or this store's own failed directory fsync), and
//      success promises that the cursor or a newer one is durable;
//   3. write "<file>.tmp.<writer_id>" and fsync it (Disk::write_file_synced),
//      rename it over the file, fsync the directory. A crash before the rename
//      is durable leaves the old file; after, the new one. Never a mix, never
//      an empty file. A failed step removes the temporary file and fails the
//      save, naming the step, the path and errno's text (ENOSPC: "No space left
//      on device"); the previous checkpoint stays.
// load(): nullopt only if the file does not exist (in a directory that does);
// anything unreadable, undecodable or of another stream is an error.
//
// Locking is the caller's: the store assumes it is the only writer of the file
// for the length of each call. Calls on one instance are serialized (a mutex).
//
// Every load and save reads the file; the store remembers the last bytes it
// encoded or decoded and what they decode to, and decodes again only bytes that
// differ from those (a save usually reads back the file it wrote last). Any
// changed byte (a torn or lost write, another writer) is decoded and checked.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/checkpoint_file.hpp>
#include <tether/io/checkpoint_store.hpp>
#include <tether/io/disk.hpp>
#include <tether/model/cursor.hpp>

namespace tether::io {

// Every member has an initializer, so designated initializers may name any subset.
struct DiskCheckpointOptions {
  // The identity of the stream whose cursor the file keeps (see
  // FileCheckpointOptions::stream). Empty: not checked; save() keeps the
  // identity the file already has.
  std::string stream{};
  // Names this writer's temporary file "<file>.tmp.<writer_id>": the process
  // id, unique among the processes that may write the file at once.
  std::uint64_t writer_id = 0;
};

class DiskCheckpointStore final : public CheckpointStore {
 public:
  // An error if `options` cannot work: a stream identity longer than
  // checkpoint_stream_bytes_max (a file holding it would never decode).
  // `file` is named in the message.
  static std::expected<void, CheckpointError> check(const std::filesystem::path& file,
                                                    const DiskCheckpointOptions& options);

  // Reads and writes nothing until the first load() or save(). `disk` must
  // outlive the store. `options` should pass check().
  DiskCheckpointStore(Disk& disk, std::filesystem::path file, DiskCheckpointOptions options);

  std::expected<std::optional<model::Cursor>, CheckpointError> load() override;
  std::expected<void, CheckpointError> save(const model::Cursor& cursor) override;

  // decode_checkpoint_file(bytes)'s checkpoint if `bytes` are the last bytes
  // this store encoded or decoded, nullopt otherwise: lets another reader of
  // the file (the simulator's durability check) skip a decode. Reads nothing.
  std::optional<Checkpoint> decoded_if_known(std::string_view bytes) const;

  const std::filesystem::path& path() const { return file_; }
  const std::filesystem::path& temp_path() const { return temp_file_; }

 private:
  // The file's checkpoint (nullptr: no file), valid until the next call that
  // remembers another.
  std::expected<const Checkpoint*, CheckpointError> read_current();
  std::expected<void, CheckpointError> check_stream(const Checkpoint& stored) const;
  std::expected<void, CheckpointError> write(const model::Cursor& cursor, std::string_view stream);
  std::expected<void, CheckpointError> replace_file(const std::string& bytes);
  void remember(std::string_view bytes, const model::Cursor& cursor, std::string_view stream);
  std::expected<void, CheckpointError> sync_directory();
  void remove_stale_temp_files();
  CheckpointError error(const DiskError& failure) const;

  Disk& disk_;
  std::filesystem::path file_;
  std::filesystem::path temp_file_;  // "<file>.tmp.<writer_id>"
  DiskCheckpointOptions options_;
  mutable std::mutex mutex_;
  bool temp_files_swept_ = false;
  // decode_checkpoint_file(known_bytes_) == known_, when known_is_set_.
  bool known_is_set_ = false;
  std::string known_bytes_;
  Checkpoint known_;
};

}  // namespace tether::io
