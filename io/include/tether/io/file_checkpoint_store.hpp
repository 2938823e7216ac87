#pragma once
// A checkpoint store backed by one file (format: <tether/io/checkpoint_file.hpp>),
// safe against crashes at any instant and against other writers of the same file.
//
// A checkpoint belongs to one stream and serves one session at a time:
//   - with FileCheckpointOptions::stream set (see stream_identity()), load() and
//     save() refuse a file written for another stream (Code::wrong_stream, the
//     message names both identities), and save() writes the identity into the
//     file (format version 2). A version-1 file names no stream: it loads as
//     this stream's, and the next save() writes it as version 2;
//   - by default (FileCheckpointOptions::exclusive) the store holds an exclusive
//     flock on the sidecar "<file>.lock" from open() until it is destroyed, so a
//     second store on the file, in this process or another, fails open() at
//     once with Code::locked, naming the holder's pid (which the holder writes
//     into the lock file). Two sessions on one checkpoint would overwrite each
//     other's cursors and skip events without any error.
//
// save(cursor) and load() are DiskCheckpointStore's algorithm
// (<tether/io/disk_checkpoint_store.hpp>) over PosixDisk, run under a flock on
// "<file>.lock" (not on the file itself: rename replaces the file's inode, so a
// lock on it would guard nothing): exclusive for save(), shared for load(); an
// exclusive store already holds it. In short, save(cursor):
//   1. read and decode the current file. A file that exists but does not decode,
//      or belongs to another stream, is an error and is left as it is, for an
//      operator to look at; saving never papers over a corrupt checkpoint;
//   2. apply the monotonic merge: if the stored cursor is as new or newer
//      (supersedes() is false), write nothing but fsync the directory (the
//      file read may be a rename not yet durable) and succeed (unless the file
//      names no stream and the store does: then the stored cursor is rewritten
//      with the identity);
//   3. write "<file>.tmp.<pid>" in the same directory, fsync it, rename it over
//      the file, fsync the directory. A crash before the rename leaves the old
//      file; after it, the new one. Never a mix, never an empty file.
// load() reads the file: nullopt only if it does not exist (in a directory that
// does); anything unreadable, undecodable or of another stream is an error.
//
// Temporary files left by a writer that crashed are removed by the first save()
// of each store (under the exclusive lock, so no live writer owns one). The
// lock file is created by open() and never removed: removing lock files races.
// Errors carry the failed step, the path and errno's text; a short write, ENOSPC
// or EFBIG fails the save and leaves the previous checkpoint in place.
//
// flock locks belong to an open file description, so two stores on one file in
// one process exclude each other like two processes do, and the kernel drops a
// lock when its holder dies, even by kill -9 (no stale locks). See
// FileCheckpointOptions for how long a non-exclusive store waits for the lock.
// POSIX only.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/checkpoint_file.hpp>
#include <tether/io/checkpoint_store.hpp>
#include <tether/io/disk_checkpoint_store.hpp>
#include <tether/io/posix_disk.hpp>
#include <tether/model/cursor.hpp>

namespace tether::io {

// Every member has an initializer, so designated initializers may name any
// subset ({.stream = ...}) without -Wmissing-field-initializers.
struct FileCheckpointOptions {
  // How long load() and save() wait for another store's lock. nullopt (the
  // default): as long as it takes, in a blocking flock that the kernel wakes
  // when the lock is released. A lock is held for one save, and save() is
  // bounded by the disk anyway (an fsync on a hung disk never returns), so the
  // caller's own timeout on its worker thread is the real bound. A value: poll
  // until then, and fail with CheckpointError::Code::locked; polling is not
  // fair, so a writer that saves in a tight loop can starve a polling one.
  // Ignored by an exclusive store, which never waits.
  std::optional<std::int64_t> lock_wait_ms_max{};

  // The identity of the stream whose cursor the file keeps (build it with
  // stream_identity(); at most checkpoint_stream_bytes_max bytes). Set: a file
  // of another stream is an error (Code::wrong_stream) for load() and save(),
  // and save() writes this identity. Empty: not checked, and save() keeps the
  // identity the file already has.
  std::string stream{};

  // Hold an exclusive flock on "<file>.lock" for the store's whole life: open()
  // fails at once (Code::locked, "in use by another process (pid N)") if another
  // store holds the file, and any other store on the file fails or waits until
  // this one is destroyed. false: lock per load()/save() only, so several stores
  // may share the file (the monotonic merge keeps it consistent); only for
  // stores that serve the same stream by design.
  bool exclusive = true;
};

class FileCheckpointStore final : public CheckpointStore {
 public:
  // Opens (creating if needed) the lock file "<file>.lock" and, if exclusive,
  // locks it; the directory must exist and be writable. Does not read or create
  // `file` (a file of another stream is found by the first load() or save()).
  // A relative path is made absolute here, so messages name the file in full.
  static std::expected<std::unique_ptr<FileCheckpointStore>, CheckpointError> open(
      const std::filesystem::path& file, FileCheckpointOptions options = {});

  ~FileCheckpointStore() override;
  FileCheckpointStore(const FileCheckpointStore&) = delete;
  FileCheckpointStore& operator=(const FileCheckpointStore&) = delete;

  std::expected<std::optional<model::Cursor>, CheckpointError> load() override;
  std::expected<void, CheckpointError> save(const model::Cursor& cursor) override;

  const std::filesystem::path& path() const { return file_; }

 private:
  FileCheckpointStore(std::filesystem::path file, int lock_fd, FileCheckpointOptions options);

  std::expected<void, CheckpointError> lock(int operation);
  std::expected<void, CheckpointError> lock_for_operation(int operation);
  CheckpointError system_error(std::string_view step, const std::filesystem::path& subject,
                               int errno_value) const;

  std::filesystem::path file_;       // absolute
  std::filesystem::path lock_file_;  // "<file>.lock"
  int lock_fd_ = -1;
  FileCheckpointOptions options_;
  std::mutex mutex_;  // serializes this instance's calls (flock does not, within one fd)
  PosixDisk disk_;
  DiskCheckpointStore store_;  // over disk_, writing "<file>.tmp.<pid>"
};

}  // namespace tether::io
