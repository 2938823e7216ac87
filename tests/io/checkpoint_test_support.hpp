#pragma once
// Shared by the checkpoint tests: a temporary directory that cleans up after
// itself, a checkpoint file body sealed with its checksum line, and child
// processes (spawn, wait, a readiness pipe).

#include <fcntl.h>
#include <poll.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <tether/io/checkpoint_file.hpp>
#include <vector>

namespace tether::io::test {

// A fresh directory under temp_directory_path(), removed with its contents.
class TempDir {
 public:
  TempDir() {
    static std::atomic<std::uint32_t> counter{0};
    std::random_device entropy;
    const std::string name = "tether-ckpt-test-" + std::to_string(::getpid()) + "-" +
                             std::to_string(counter.fetch_add(1)) + "-" + std::to_string(entropy());
    path_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// `body` (the header and field lines) followed by its correct crc32c line.
inline std::string sealed(std::string_view body) {
  constexpr std::string_view digits = "0123456789ABCDEF";
  const std::uint32_t crc = crc32c(body);
  std::string out(body);
  out += "crc32c=";
  for (int shift = 28; shift >= 0; shift -= 4) out += digits[(crc >> shift) & 0xFu];
  out += '\n';
  return out;
}

// fork() + execv() of args[0] with `args`; the child's pid. The child calls
// only async-signal-safe functions before exec.
inline pid_t spawn(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// waitpid() for `pid`, retried on EINTR; its status.
inline int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// A child reports that it is ready by writing one byte to write_fd(), which
// it inherits (the read end is close-on-exec). Create it before spawn(), call
// wait() after: it closes the parent's copy of the write end, so a child that
// dies unready gives EOF instead of a hang.
class ReadyPipe {
 public:
  ReadyPipe() {
    int fds[2] = {-1, -1};
    if (::pipe(fds) == 0) {
      read_fd_ = fds[0];
      write_fd_ = fds[1];
      ::fcntl(read_fd_, F_SETFD, FD_CLOEXEC);
    }
  }
  ~ReadyPipe() {
    close_write_end();
    if (read_fd_ >= 0) ::close(read_fd_);
  }
  ReadyPipe(const ReadyPipe&) = delete;
  ReadyPipe& operator=(const ReadyPipe&) = delete;

  bool valid() const { return read_fd_ >= 0; }
  int write_fd() const { return write_fd_; }
  // True once the byte arrived; false on EOF (the child exited unready) or
  // after timeout_ms (a safety net, not a synchronisation).
  bool wait(int timeout_ms) {
    close_write_end();
    pollfd p{read_fd_, POLLIN, 0};
    int ready = 0;
    while ((ready = ::poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {
    }
    if (ready != 1) return false;
    char byte = 0;
    ssize_t n = 0;
    while ((n = ::read(read_fd_, &byte, 1)) < 0 && errno == EINTR) {
    }
    return n == 1;
  }

 private:
  void close_write_end() {
    if (write_fd_ >= 0) ::close(write_fd_);
    write_fd_ = -1;
  }
  int read_fd_ = -1;
  int write_fd_ = -1;
};

// How many files in `dir` have names starting with `prefix`.
inline std::size_t count_files_starting(const std::filesystem::path& dir, std::string_view prefix) {
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().filename().string().starts_with(prefix)) ++count;
  return count;
}

}  // namespace tether::io::test
