#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <tether/io/posix_disk.hpp>
#include <utility>

#include "descriptor.hpp"

namespace tether::io {

namespace {

namespace fs = std::filesystem;
using detail::Descriptor;
using detail::open_retrying;

std::unexpected<DiskError> failed(std::string step, const fs::path& subject, int errno_value) {
  return std::unexpected(DiskError{DiskError::Kind::system, std::move(step), subject, errno_value});
}

// Writes all of `bytes`; 0, or the errno of the write that failed. A short
// write is retried for the rest, so a full disk shows up as ENOSPC or EFBIG.
int write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (written == 0) return EIO;  // no progress and no errno: give up, don't spin
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return 0;
}

int fsync_retrying(int fd) {
  int result = 0;
  do result = ::fsync(fd);
  while (result != 0 && errno == EINTR);
  return result == 0 ? 0 : errno;
}

// Up to bytes_max bytes. 0, or the errno of the failed read.
int read_bounded(int fd, std::string& bytes, std::size_t bytes_max) {
  bytes.assign(bytes_max, '\0');
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    const ssize_t got = ::read(fd, bytes.data() + filled, bytes.size() - filled);
    if (got < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (got == 0) break;
    filled += static_cast<std::size_t>(got);
  }
  bytes.resize(filled);
  return 0;
}

}  // namespace

std::expected<std::optional<std::string>, DiskError> PosixDisk::read_file(const fs::path& file,
                                                                          std::size_t bytes_max) {
  // O_NONBLOCK: a FIFO planted at the path must not hang the open.
  Descriptor fd(open_retrying(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd.valid()) {
    const int open_errno = errno;
    if (open_errno != ENOENT) return failed("cannot open", file, open_errno);
    // No file, but is there still a directory? An unmounted or deleted
    // directory is a fault, not a first start.
    struct stat dir_status {};
    if (::stat(file.parent_path().c_str(), &dir_status) != 0)
      return failed("cannot find the directory of", file, errno);
    return std::nullopt;
  }
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) return failed("cannot stat", file, errno);
  if (!S_ISREG(status.st_mode))
    return std::unexpected(
        DiskError{DiskError::Kind::not_a_regular_file, "not a regular file", file, 0});
  std::string bytes;
  if (const int read_errno = read_bounded(fd.get(), bytes, bytes_max); read_errno != 0)
    return failed("cannot read", file, read_errno);
  return bytes;
}

std::expected<void, DiskError> PosixDisk::write_file_synced(const fs::path& file,
                                                            std::string_view bytes) {
  Descriptor fd(
      open_retrying(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd.valid()) return failed("cannot create", file, errno);
  if (const int e = write_all(fd.get(), bytes); e != 0) return failed("cannot write", file, e);
  if (const int e = fsync_retrying(fd.get()); e != 0) return failed("cannot fsync", file, e);
  if (const int e = fd.close_reporting(); e != 0) return failed("cannot close", file, e);
  return {};
}

std::expected<void, DiskError> PosixDisk::rename(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return failed("cannot rename", from, errno);
  return {};
}

std::expected<void, DiskError> PosixDisk::sync_directory_of(const fs::path& file) {
  Descriptor dir(open_retrying(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return failed("cannot open the directory of", file, errno);
  if (const int e = fsync_retrying(dir.get()); e != 0)
    return failed("cannot fsync the directory of", file, e);
  return {};
}

void PosixDisk::remove(const fs::path& file) {
  std::error_code ignored;
  fs::remove(file, ignored);
}

std::vector<fs::path> PosixDisk::list(const fs::path& directory, std::string_view prefix) {
  std::vector<fs::path> found;
  std::error_code error;
  fs::directory_iterator it(directory, error);
  // A bound on the work: a directory of thousands of unrelated files is walked once.
  for (const fs::directory_iterator end; !error && it != end; it.increment(error)) {
    if (it->path().filename().string().starts_with(prefix)) found.push_back(it->path());
  }
  return found;
}

}  // namespace tether::io
