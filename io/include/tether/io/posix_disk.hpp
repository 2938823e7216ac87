#pragma once
// The checkpoint store's file-system port (<tether/io/disk.hpp>) done with POSIX
// system calls: what FileCheckpointStore writes through. Stateless; every call
// retries EINTR. POSIX only.

#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/disk.hpp>
#include <vector>

namespace tether::io {

class PosixDisk final : public Disk {
 public:
  // open(O_NONBLOCK: a FIFO planted at the path must not hang), fstat (not a
  // regular file: Kind::not_a_regular_file), read. On ENOENT, stat() of the
  // directory tells "no file" from "no directory" (an unmounted or deleted
  // directory is a fault, not a first start).
  std::expected<std::optional<std::string>, DiskError> read_file(const std::filesystem::path& file,
                                                                 std::size_t bytes_max) override;
  // open(O_CREAT | O_TRUNC | O_NOFOLLOW), write all (a short write is retried
  // for the rest, so a full disk shows up as ENOSPC or EFBIG), fsync, close
  // (whose error counts: on some file systems a failed write surfaces only there).
  std::expected<void, DiskError> write_file_synced(const std::filesystem::path& file,
                                                   std::string_view bytes) override;
  std::expected<void, DiskError> rename(const std::filesystem::path& from,
                                        const std::filesystem::path& to) override;
  std::expected<void, DiskError> sync_directory_of(const std::filesystem::path& file) override;
  void remove(const std::filesystem::path& file) override;
  std::vector<std::filesystem::path> list(const std::filesystem::path& directory,
                                          std::string_view prefix) override;
};

}  // namespace tether::io
