#pragma once
// A POSIX file descriptor that closes itself, and open() retried on EINTR:
// shared by PosixDisk (io/src/posix_disk.cpp) and FileCheckpointStore's lock
// file (io/src/file_checkpoint_store.cpp). Private to io_core.

#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace tether::io::detail {

// Closes a descriptor it owns.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  // Closes now and reports close()'s errno (0 on success): on some file systems
  // a failed write surfaces only here.
  int close_reporting() {
    const int result = ::close(std::exchange(fd_, -1));
    return result == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

inline int open_retrying(const char* path, int flags, mode_t mode = 0) {
  int fd = -1;
  do fd = ::open(path, flags, mode);
  while (fd < 0 && errno == EINTR);
  return fd;
}

}  // namespace tether::io::detail
