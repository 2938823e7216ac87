#pragma once
// A checkpoint store backed by one file (format: <tether/io/checkpoint_file.hpp>),
// safe against crashes at any instant and against other writers of the same file.
//
// save(cursor), under an exclusive flock on the sidecar "<file>.lock" (not on
// the file itself: rename replaces the file's inode, so a lock on it would
// guard nothing):
//   1. read and decode the current file. A file that exists but does not decode
//      is an error and is left as it is, for an operator to look at; saving
//      never papers over a corrupt checkpoint;
//   2. apply the monotonic merge: if the stored cursor is as new or newer
//      (supersedes() is false), succeed without writing;
//   3. write "<file>.tmp.<pid>" in the same directory, fsync it, rename it over
//      the file, fsync the directory. A crash before the rename leaves the old
//      file; after it, the new one. Never a mix, never an empty file.
// load() reads the file under a shared lock: nullopt only if it does not exist
// (in a directory that does); anything unreadable or undecodable is an error.
//
// Temporary files left by a writer that crashed are removed by the first save()
// of each store (under the exclusive lock, so no live writer owns one). The
// lock file is created by open() and never removed: removing lock files races.
// Errors carry the failed step, the path and errno's text; a short write, ENOSPC
// or EFBIG fails the save and leaves the previous checkpoint in place.
//
// flock locks belong to an open file description, so two stores on one file in
// one process exclude each other like two processes do, and the kernel drops a
// lock when its holder dies (no stale locks). See FileCheckpointOptions for how
// long a store waits for the lock. POSIX only.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <tether/io/checkpoint_store.hpp>
#include <tether/model/cursor.hpp>

namespace tether::io {

struct FileCheckpointOptions {
  // How long load() and save() wait for another store's lock. nullopt (the
  // default): as long as it takes, in a blocking flock that the kernel wakes
  // when the lock is released. A lock is held for one save, and save() is
  // bounded by the disk anyway (an fsync on a hung disk never returns), so the
  // caller's own timeout on its worker thread is the real bound. A value: poll
  // until then, and fail with CheckpointError::Code::locked; polling is not
  // fair, so a writer that saves in a tight loop can starve a polling one.
  std::optional<std::int64_t> lock_wait_ms_max;
};

class FileCheckpointStore final : public CheckpointStore {
 public:
  // Opens (creating if needed) the lock file "<file>.lock"; the directory must
  // exist and be writable. Does not read or create `file`. A relative path is
  // made absolute here, so messages name the file in full.
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
  std::expected<std::optional<model::Cursor>, CheckpointError> read_current() const;
  std::expected<void, CheckpointError> replace_file(const std::string& bytes) const;
  void remove_stale_temp_files() const;
  CheckpointError system_error(std::string_view step, const std::filesystem::path& subject, int errno_value) const;

  std::filesystem::path file_;       // absolute
  std::filesystem::path lock_file_;  // "<file>.lock"
  std::filesystem::path temp_file_;  // "<file>.tmp.<pid>"
  int lock_fd_ = -1;
  FileCheckpointOptions options_;
  std::mutex mutex_;  // serializes this instance's calls (flock does not, within one fd)
  bool temp_files_swept_ = false;
};

}  // namespace tether::io
