#pragma once
// The file-system port of the checkpoint store: the few operations
// DiskCheckpointStore (<tether/io/disk_checkpoint_store.hpp>) needs to keep a
// checkpoint file crash-safe, and no more. PosixDisk (<tether/io/posix_disk.hpp>)
// does them with system calls; the simulator implements the same port in
// memory and loses, tears and fills on purpose (io never depends on it).
//
// Crash semantics the store relies on (what POSIX promises, and all it
// promises): file data is durable once write_file_synced() returns; a name
// (a creation, a rename, a removal) is durable only once sync_directory_of()
// returns for a file in that directory. Until then a crash may leave the
// directory as it was before or after each pending change, in order. rename()
// is atomic: the target name holds the old file or the new one, never neither.
//
// Every call may block. Paths are used as given (the store passes absolute ones).

#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tether::io {

// One failed step of a Disk call. The store turns it into a CheckpointError:
// "<step> <subject>: <strerror(errno_value)> (errno N)" for Kind::system.
struct DiskError {
  enum class Kind : std::uint8_t {
    system,              // a system call failed with errno_value
    not_a_regular_file,  // read_file(): the path names a directory, a FIFO, ...
  };

  Kind kind = Kind::system;
  std::string step;  // "cannot open", "cannot write", "cannot fsync the directory of", ...
  std::filesystem::path subject;  // the path the step concerned
  int errno_value = 0;            // for Kind::system; else 0
};

class Disk {
 public:
  virtual ~Disk() = default;

  // The first `bytes_max` bytes of `file` (all of it if shorter). nullopt: it
  // does not exist, in a directory that does (a missing directory is an error,
  // never "no file").
  virtual std::expected<std::optional<std::string>, DiskError> read_file(
      const std::filesystem::path& file, std::size_t bytes_max) = 0;

  // Creates `file` (truncating one of that name), writes `bytes`, fsyncs and
  // closes it: on success its data is durable (its name is not, until
  // sync_directory_of). On failure the file may be left, partly written: the
  // caller removes it.
  virtual std::expected<void, DiskError> write_file_synced(const std::filesystem::path& file,
                                                           std::string_view bytes) = 0;

  // Atomically gives `from`'s file the name `to` (same directory), replacing
  // any file there.
  virtual std::expected<void, DiskError> rename(const std::filesystem::path& from,
                                                const std::filesystem::path& to) = 0;

  // fsync of `file`'s directory: every creation, rename and removal in it so
  // far becomes durable.
  virtual std::expected<void, DiskError> sync_directory_of(const std::filesystem::path& file) = 0;

  // Removes `file`, best effort (a leftover is harmless to the store).
  virtual void remove(const std::filesystem::path& file) = 0;

  // The files in `directory` whose names start with `prefix`, best effort
  // (empty if the directory cannot be read).
  virtual std::vector<std::filesystem::path> list(const std::filesystem::path& directory,
                                                  std::string_view prefix) = 0;

 protected:
  Disk() = default;
  Disk(const Disk&) = default;
  Disk& operator=(const Disk&) = default;
};

}  // namespace tether::io
