#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <string>
#include <system_error>
#include <tether/io/checkpoint_file.hpp>
#include <tether/io/file_checkpoint_store.hpp>
#include <thread>
#include <utility>

#include "descriptor.hpp"

namespace tether::io {

namespace {

namespace fs = std::filesystem;
using Code = CheckpointError::Code;
using detail::Descriptor;
using detail::open_retrying;

// Releases a held flock at scope exit; -1: holds nothing.
class HeldLock {
 public:
  explicit HeldLock(int fd) : fd_(fd) {}
  ~HeldLock() {
    if (fd_ >= 0) ::flock(fd_, LOCK_UN);
  }
  HeldLock(const HeldLock&) = delete;
  HeldLock& operator=(const HeldLock&) = delete;

 private:
  int fd_;
};

// The holder's pid as an exclusive store records it in the lock file ("<pid>\n"),
// or 0 if the file holds none (not written yet, or released cleanly).
long recorded_holder(int lock_fd) {
  std::array<char, 24> text{};
  const ssize_t got = ::pread(lock_fd, text.data(), text.size(), 0);
  if (got <= 0) return 0;
  const char* end = text.data() + got;
  long pid = 0;
  const auto result = std::from_chars(text.data(), end, pid);
  if (result.ec != std::errc{} || result.ptr == end || *result.ptr != '\n' || pid <= 0) return 0;
  return pid;
}

// Best effort: the pid only makes an error message more useful.
void record_holder(int lock_fd) {
  const std::string text = std::to_string(::getpid()) + "\n";
  if (::ftruncate(lock_fd, 0) == 0) (void)!::pwrite(lock_fd, text.data(), text.size(), 0);
}

// An exclusive store's session lock, taken without waiting: a second session on
// one checkpoint is refused at start, never queued behind the first.
std::expected<void, CheckpointError> lock_session(int lock_fd, const fs::path& file,
                                                  const fs::path& lock_file) {
  while (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    const int lock_errno = errno;
    if (lock_errno == EINTR) continue;
    if (lock_errno != EWOULDBLOCK)
      return std::unexpected(CheckpointError{Code::io_error, file.string(),
                                             "cannot lock " + lock_file.string() + ": " +
                                                 std::generic_category().message(lock_errno) +
                                                 " (errno " + std::to_string(lock_errno) + ")",
                                             lock_errno});
    const long holder = recorded_holder(lock_fd);
    std::string detail = holder == ::getpid() ? "in use by another store of this process"
                                              : "in use by another process";
    if (holder != 0) detail += " (pid " + std::to_string(holder) + ")";
    detail += "; a checkpoint serves one session at a time (lock file " + lock_file.string() + ")";
    return std::unexpected(
        CheckpointError{Code::locked, file.string(), std::move(detail), EWOULDBLOCK});
  }
  record_holder(lock_fd);
  return {};
}

}  // namespace

std::expected<std::unique_ptr<FileCheckpointStore>, CheckpointError> FileCheckpointStore::open(
    const fs::path& file, FileCheckpointOptions options) {
  if (file.empty() || !file.has_filename())
    return std::unexpected(
        CheckpointError{Code::io_error, file.string(), "not a path to a file", EINVAL});
  std::error_code error;
  // Not lexically_normal(): "link/../x" is not "x" when link is a symlink.
  fs::path absolute = fs::absolute(file, error);
  if (error)
    return std::unexpected(CheckpointError{Code::io_error, file.string(),
                                           "cannot make the path absolute: " + error.message(),
                                           error.value()});
  if (auto usable =
          DiskCheckpointStore::check(absolute, DiskCheckpointOptions{.stream = options.stream});
      !usable)
    return std::unexpected(std::move(usable.error()));
  const fs::path lock_file = absolute.string() + ".lock";
  Descriptor lock_fd(
      open_retrying(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!lock_fd.valid()) {
    const int open_errno = errno;
    return std::unexpected(CheckpointError{Code::io_error, absolute.string(),
                                           "cannot create lock file " + lock_file.string() + ": " +
                                               std::generic_category().message(open_errno) +
                                               " (errno " + std::to_string(open_errno) + ")",
                                           open_errno});
  }
  if (options.exclusive) {
    if (auto locked = lock_session(lock_fd.get(), absolute, lock_file); !locked)
      return std::unexpected(std::move(locked.error()));
  }
  return std::unique_ptr<FileCheckpointStore>(
      new FileCheckpointStore(std::move(absolute), lock_fd.release(), std::move(options)));
}

FileCheckpointStore::FileCheckpointStore(fs::path file, int lock_fd, FileCheckpointOptions options)
    : file_(std::move(file)),
      lock_file_(file_.string() + ".lock"),
      lock_fd_(lock_fd),
      options_(std::move(options)),
      store_(disk_, file_,
             DiskCheckpointOptions{.stream = options_.stream,
                                   .writer_id = static_cast<std::uint64_t>(::getpid())}) {}

FileCheckpointStore::~FileCheckpointStore() {
  // Forget the pid before the lock goes (with the descriptor), so no later
  // message names a process that no longer holds it.
  if (options_.exclusive) (void)!::ftruncate(lock_fd_, 0);
  ::close(lock_fd_);
}

CheckpointError FileCheckpointStore::system_error(std::string_view step, const fs::path& subject,
                                                  int errno_value) const {
  std::string detail(step);
  detail += ' ';
  detail += subject.string();
  detail += ": ";
  detail += std::generic_category().message(errno_value);
  detail += " (errno " + std::to_string(errno_value) + ")";
  return CheckpointError{Code::io_error, file_.string(), std::move(detail), errno_value};
}

// Blocks in flock() unless a wait limit is set; then polls flock(LOCK_NB) with a
// growing pause until the deadline (a blocking flock has none).
std::expected<void, CheckpointError> FileCheckpointStore::lock(int operation) {
  using namespace std::chrono;
  if (!options_.lock_wait_ms_max) {
    while (::flock(lock_fd_, operation) != 0) {
      if (errno != EINTR) return std::unexpected(system_error("cannot lock", lock_file_, errno));
    }
    return {};
  }
  constexpr microseconds pause_min{100};
  constexpr microseconds pause_max{5'000};
  const auto deadline = steady_clock::now() + milliseconds(*options_.lock_wait_ms_max);
  microseconds pause = pause_min;
  while (::flock(lock_fd_, operation | LOCK_NB) != 0) {
    const int lock_errno = errno;
    if (lock_errno == EINTR) continue;
    if (lock_errno != EWOULDBLOCK)
      return std::unexpected(system_error("cannot lock", lock_file_, lock_errno));
    if (steady_clock::now() >= deadline)
      return std::unexpected(CheckpointError{Code::locked, file_.string(),
                                             "another writer held " + lock_file_.string() +
                                                 " for more than " +
                                                 std::to_string(*options_.lock_wait_ms_max) + " ms",
                                             EWOULDBLOCK});
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, pause_max);
  }
  return {};
}

// An exclusive store holds the lock already: a second flock on the same open
// file description would convert or release the session lock, not nest in it.
std::expected<void, CheckpointError> FileCheckpointStore::lock_for_operation(int operation) {
  if (options_.exclusive) return {};
  return lock(operation);
}

std::expected<std::optional<model::Cursor>, CheckpointError> FileCheckpointStore::load() {
  const std::lock_guard serialized(mutex_);
  if (auto locked = lock_for_operation(LOCK_SH); !locked)
    return std::unexpected(std::move(locked.error()));
  const HeldLock held(options_.exclusive ? -1 : lock_fd_);
  return store_.load();
}

// The temporary files the store's first save() removes belong to no live
// writer: this one holds the exclusive lock.
std::expected<void, CheckpointError> FileCheckpointStore::save(const model::Cursor& cursor) {
  const std::lock_guard serialized(mutex_);
  if (auto locked = lock_for_operation(LOCK_EX); !locked)
    return std::unexpected(std::move(locked.error()));
  const HeldLock held(options_.exclusive ? -1 : lock_fd_);
  return store_.save(cursor);
}

}  // namespace tether::io
