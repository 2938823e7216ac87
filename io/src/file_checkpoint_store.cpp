#include <tether/io/file_checkpoint_store.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include <tether/io/checkpoint_file.hpp>

namespace tether::io {

namespace {

namespace fs = std::filesystem;
using Code = CheckpointError::Code;

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

int open_retrying(const char* path, int flags, mode_t mode = 0) {
  int fd = -1;
  do fd = ::open(path, flags, mode);
  while (fd < 0 && errno == EINTR);
  return fd;
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

// Up to checkpoint_bytes_max + 1 bytes: enough for the decoder to call a bigger
// file too large without reading all of it. 0, or the errno of the failed read.
int read_bounded(int fd, std::string& bytes) {
  bytes.assign(checkpoint_bytes_max + 1, '\0');
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

// A stream identity for a message: in single quotes, bytes outside printable
// ASCII (and the quote and backslash) as \xNN.
std::string shown(std::string_view identity) {
  constexpr std::string_view hex = "0123456789ABCDEF";
  std::string out = "'";
  for (const char c : identity) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7F && c != '\'' && c != '\\') {
      out += c;
    } else {
      out += "\\x";
      out += hex[byte >> 4];
      out += hex[byte & 0xFu];
    }
  }
  out += '\'';
  return out;
}

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
std::expected<void, CheckpointError> lock_session(int lock_fd, const fs::path& file, const fs::path& lock_file) {
  while (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    const int lock_errno = errno;
    if (lock_errno == EINTR) continue;
    if (lock_errno != EWOULDBLOCK)
      return std::unexpected(CheckpointError{Code::io_error, file.string(),
                                             "cannot lock " + lock_file.string() + ": " +
                                                 std::generic_category().message(lock_errno) + " (errno " +
                                                 std::to_string(lock_errno) + ")",
                                             lock_errno});
    const long holder = recorded_holder(lock_fd);
    std::string detail = holder == ::getpid() ? "in use by another store of this process" : "in use by another process";
    if (holder != 0) detail += " (pid " + std::to_string(holder) + ")";
    detail += "; a checkpoint serves one session at a time (lock file " + lock_file.string() + ")";
    return std::unexpected(CheckpointError{Code::locked, file.string(), std::move(detail), EWOULDBLOCK});
  }
  record_holder(lock_fd);
  return {};
}

CheckpointError from_decode_error(const fs::path& file, const CheckpointDecodeError& error) {
  using D = CheckpointDecodeError::Code;
  Code code = Code::corrupt;
  if (error.code == D::truncated) code = Code::truncated;
  else if (error.code == D::bad_version) code = Code::bad_version;
  else if (error.code == D::bad_checksum) code = Code::bad_checksum;
  return CheckpointError{code, file.string(), error.message(), 0};
}

}  // namespace

std::expected<std::unique_ptr<FileCheckpointStore>, CheckpointError> FileCheckpointStore::open(
    const fs::path& file, FileCheckpointOptions options) {
  if (file.empty() || !file.has_filename())
    return std::unexpected(CheckpointError{Code::io_error, file.string(), "not a path to a file", EINVAL});
  std::error_code error;
  // Not lexically_normal(): "link/../x" is not "x" when link is a symlink.
  fs::path absolute = fs::absolute(file, error);
  if (error)
    return std::unexpected(CheckpointError{Code::io_error, file.string(),
                                           "cannot make the path absolute: " + error.message(), error.value()});
  if (options.stream.size() > checkpoint_stream_bytes_max)
    return std::unexpected(CheckpointError{
        Code::io_error, absolute.string(),
        "a stream identity of " + std::to_string(options.stream.size()) + " bytes, more than the " +
            std::to_string(checkpoint_stream_bytes_max) + " a checkpoint holds (stream_identity() shortens it)",
        EINVAL});
  const fs::path lock_file = absolute.string() + ".lock";
  Descriptor lock_fd(open_retrying(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!lock_fd.valid()) {
    const int open_errno = errno;
    return std::unexpected(CheckpointError{
        Code::io_error, absolute.string(),
        "cannot create lock file " + lock_file.string() + ": " + std::generic_category().message(open_errno) +
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
      temp_file_(file_.string() + ".tmp." + std::to_string(::getpid())),
      lock_fd_(lock_fd),
      options_(std::move(options)) {}

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
    if (lock_errno != EWOULDBLOCK) return std::unexpected(system_error("cannot lock", lock_file_, lock_errno));
    if (steady_clock::now() >= deadline)
      return std::unexpected(CheckpointError{Code::locked, file_.string(),
                                             "another writer held " + lock_file_.string() + " for more than " +
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

std::expected<void, CheckpointError> FileCheckpointStore::check_stream(const Checkpoint& stored) const {
  if (options_.stream.empty() || stored.stream.empty() || stored.stream == options_.stream) return {};
  return std::unexpected(CheckpointError{Code::wrong_stream, file_.string(),
                                         "belongs to stream " + shown(stored.stream) + ", not " +
                                             shown(options_.stream) +
                                             " (use another checkpoint file for this stream, or delete this one "
                                             "to start over)",
                                         0});
}

std::expected<std::optional<Checkpoint>, CheckpointError> FileCheckpointStore::read_current() const {
  // O_NONBLOCK: a FIFO planted at the path must not hang the open.
  Descriptor fd(open_retrying(file_.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd.valid()) {
    const int open_errno = errno;
    if (open_errno != ENOENT) return std::unexpected(system_error("cannot open", file_, open_errno));
    // No file, but is there still a directory? An unmounted or deleted
    // directory is a fault, not a first start.
    struct stat dir_status {};
    if (::stat(file_.parent_path().c_str(), &dir_status) != 0)
      return std::unexpected(system_error("cannot find the directory of", file_, errno));
    return std::nullopt;
  }
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) return std::unexpected(system_error("cannot stat", file_, errno));
  if (!S_ISREG(status.st_mode))
    return std::unexpected(CheckpointError{Code::corrupt, file_.string(), "not a regular file", 0});
  std::string bytes;
  if (const int read_errno = read_bounded(fd.get(), bytes); read_errno != 0)
    return std::unexpected(system_error("cannot read", file_, read_errno));
  auto decoded = decode_checkpoint_file(bytes);
  if (!decoded) return std::unexpected(from_decode_error(file_, decoded.error()));
  return std::move(*decoded);
}

// Write the temporary file, make it durable, rename it over the checkpoint,
// make the rename durable. On failure the temporary file is removed and the
// checkpoint is what it was (or, if only the directory fsync failed, the new
// checkpoint may not survive a power cut: still reported as a failure).
std::expected<void, CheckpointError> FileCheckpointStore::replace_file(const std::string& bytes) const {
  Descriptor temp(open_retrying(temp_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!temp.valid()) return std::unexpected(system_error("cannot create", temp_file_, errno));
  const auto abandon = [&](std::string_view step, int step_errno) {
    ::unlink(temp_file_.c_str());
    return std::unexpected(system_error(step, temp_file_, step_errno));
  };
  if (const int e = write_all(temp.get(), bytes); e != 0) return abandon("cannot write", e);
  if (const int e = fsync_retrying(temp.get()); e != 0) return abandon("cannot fsync", e);
  if (const int e = temp.close_reporting(); e != 0) return abandon("cannot close", e);
  if (::rename(temp_file_.c_str(), file_.c_str()) != 0) return abandon("cannot rename over the checkpoint", errno);

  Descriptor dir(open_retrying(file_.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return std::unexpected(system_error("cannot open the directory of", file_, errno));
  if (const int e = fsync_retrying(dir.get()); e != 0)
    return std::unexpected(system_error("cannot fsync the directory of", file_, e));
  return {};
}

// Best effort: a leftover temporary file wastes a few bytes and is never read,
// so failing to remove one is not worth failing a save for.
void FileCheckpointStore::remove_stale_temp_files() const {
  const std::string prefix = file_.filename().string() + ".tmp.";
  std::error_code error;
  fs::directory_iterator it(file_.parent_path(), error);
  // A bound on the work: a directory of thousands of unrelated files is walked once.
  for (const fs::directory_iterator end; !error && it != end; it.increment(error)) {
    if (it->path().filename().string().starts_with(prefix)) {
      std::error_code ignored;
      fs::remove(it->path(), ignored);
    }
  }
}

std::expected<std::optional<model::Cursor>, CheckpointError> FileCheckpointStore::load() {
  const std::lock_guard serialized(mutex_);
  if (auto locked = lock_for_operation(LOCK_SH); !locked) return std::unexpected(std::move(locked.error()));
  const HeldLock held(options_.exclusive ? -1 : lock_fd_);
  const auto stored = read_current();
  if (!stored) return std::unexpected(stored.error());
  if (!*stored) return std::nullopt;
  if (auto matches = check_stream(**stored); !matches) return std::unexpected(std::move(matches.error()));
  return (*stored)->cursor;
}

std::expected<void, CheckpointError> FileCheckpointStore::save(const model::Cursor& cursor) {
  const std::lock_guard serialized(mutex_);
  if (auto locked = lock_for_operation(LOCK_EX); !locked) return std::unexpected(std::move(locked.error()));
  const HeldLock held(options_.exclusive ? -1 : lock_fd_);
  if (!temp_files_swept_) {
    remove_stale_temp_files();
    temp_files_swept_ = true;
  }
  const auto stored = read_current();
  if (!stored) return std::unexpected(stored.error());
  if (!*stored) return replace_file(encode_checkpoint(cursor, options_.stream));
  if (auto matches = check_stream(**stored); !matches) return std::unexpected(std::move(matches.error()));
  // A store without an identity keeps the file's; one with an identity gives
  // it to a version-1 file even when the stored cursor stays (merge below).
  const std::string& stream = options_.stream.empty() ? (*stored)->stream : options_.stream;
  if (supersedes(cursor, (*stored)->cursor)) return replace_file(encode_checkpoint(cursor, stream));
  if ((*stored)->stream == stream) return {};
  return replace_file(encode_checkpoint((*stored)->cursor, stream));
}

}  // namespace tether::io
