#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <tether/io/token_auth.hpp>

namespace tether::io {

namespace {

// How messages name the command: never by its text, which may hold a password.
constexpr std::string_view command_label = "token command (--token-cmd)";

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

// "CR", "NUL", "0x1B": names the first control byte of `token`, if any.
std::optional<std::string> control_byte_in(std::string_view token) {
  for (char c : token) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b != 0x7f) continue;
    switch (b) {
      case 0x00:
        return "NUL";
      case '\t':
        return "TAB";
      case '\n':
        return "LF";
      case '\r':
        return "CR";
      case 0x7f:
        return "DEL";
      default: {
        static constexpr char hex[] = "0123456789ABCDEF";
        return std::string("0x") + hex[b >> 4] + hex[b & 15];
      }
    }
  }
  return std::nullopt;
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// `/bin/sh -c command` in a new process group, stdout to `stdout_fd`, stdin
// from /dev/null, no other inherited descriptor (not a checkpoint lock, not a
// socket), an empty signal mask and default dispositions (the caller's
// threads block SIGTERM and may ignore SIGPIPE: the command must not inherit that).
std::expected<pid_t, int> spawn_shell(const std::string& command, int stdout_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  char* argv[] = {const_cast<char*>("sh"), const_cast<char*>("-c"),
                  const_cast<char*>(command.c_str()), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return std::unexpected(rc);
  return pid;
}

// True once `pid` has exited; leaves it unreaped (its pid, and so its process
// group id, cannot be reused while cancel() may still signal it).
bool has_exited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

std::string exit_reason(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = ::sigabbrev_np(WTERMSIG(status));
    return "killed by signal " + std::to_string(WTERMSIG(status)) +
           (name ? " (SIG" + std::string(name) + ")" : "");
  }
  return "ended with wait status " + std::to_string(status);
}

}  // namespace

std::expected<Credentials, std::string> TokenFileAuth::refresh() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return std::unexpected("token file " + path_.string() + ": " + std::strerror(errno));
  std::ostringstream content;
  content << in.rdbuf();
  std::string token = trim(content.str());
  if (token.empty()) return std::unexpected("token file " + path_.string() + " is empty");
  if (token.find_first_of("\r\n") != std::string::npos)
    return std::unexpected("token file " + path_.string() + " holds more than one line");
  if (auto byte = control_byte_in(token))
    return std::unexpected("token file " + path_.string() + " contains a control byte (" + *byte +
                           ")");
  return Credentials{std::move(token), std::nullopt};
}

struct TokenCommandAuth::Outcome {
  enum class End { exited, timed_out, cancelled } end = End::exited;
  int wait_status = 0;
  std::string output;
  bool overflow = false;  // more than output_bytes_max bytes were printed
};

// Reads the command's stdout until it exits, the timeout passes, or cancel()
// kills it; then reaps it.
TokenCommandAuth::Outcome TokenCommandAuth::run(pid_t pid, int out_fd) {
  Outcome outcome;
  // A pidfd turns "the command exited" into a poll event; without one (a
  // kernel before 5.3) the loop looks every 10 ms.
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  bool out_open = true;
  char chunk[4096];
  auto read_some = [&] {
    const ssize_t n = ::read(out_fd, chunk, sizeof chunk);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) out_open = false;
    if (n <= 0) return false;
    const std::size_t room = options_.output_bytes_max - outcome.output.size();
    const std::size_t got = static_cast<std::size_t>(n);
    outcome.output.append(chunk, std::min(got, room));  // the rest is drained and dropped
    if (got > room) outcome.overflow = true;
    return true;
  };
  while (!has_exited(pid)) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      outcome.end = Outcome::End::timed_out;
      ::kill(-pid, SIGKILL);
      break;
    }
    int wait_ms = static_cast<int>(std::min<std::int64_t>(left.count(), INT_MAX));
    if (pidfd.get() < 0) wait_ms = std::min(wait_ms, 10);
    pollfd fds[2]{};
    nfds_t count = 0;
    if (out_open) fds[count++] = pollfd{out_fd, POLLIN, 0};
    if (pidfd.get() >= 0) fds[count++] = pollfd{pidfd.get(), POLLIN, 0};
    if (::poll(fds, count, wait_ms) > 0 && out_open && fds[0].revents != 0) read_some();
  }
  while (out_open && !outcome.overflow && read_some()) {
  }  // what the command printed just before it exited
  bool cancelled = false;
  {
    std::lock_guard lock(child_mutex_);
    child_ = 0;  // before reaping: cancel() must never signal a reused pid
    cancelled = cancel_pending_;
    cancel_pending_ = false;
  }
  while (::waitpid(pid, &outcome.wait_status, 0) < 0 && errno == EINTR) {
  }
  if (cancelled && outcome.end == Outcome::End::exited) outcome.end = Outcome::End::cancelled;
  return outcome;
}

std::expected<Credentials, std::string> TokenCommandAuth::refresh() {
  const std::string label(command_label);
  std::lock_guard serial(refresh_mutex_);
  {
    std::lock_guard lock(child_mutex_);
    if (cancel_pending_) {
      cancel_pending_ = false;
      return std::unexpected(label + " was cancelled");
    }
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return std::unexpected(label + " could not start: " + std::strerror(errno));
  Fd read_end(fds[0]);
  Fd write_end(fds[1]);
  ::fcntl(read_end.get(), F_SETFL, O_NONBLOCK);
  const auto pid = spawn_shell(command_, write_end.get());
  write_end.reset();  // EOF once the command (and whatever inherited its stdout) closes it
  if (!pid) return std::unexpected(label + " could not start: " + std::strerror(pid.error()));
  {
    std::lock_guard lock(child_mutex_);
    child_ = *pid;
    if (cancel_pending_) ::kill(-*pid, SIGKILL);
  }
  const Outcome outcome = run(*pid, read_end.get());
  switch (outcome.end) {
    case Outcome::End::timed_out:
      return std::unexpected(label + " timed out after " +
                             std::to_string(options_.timeout.count()) + " ms");
    case Outcome::End::cancelled:
      return std::unexpected(label + " was cancelled");
    case Outcome::End::exited:
      break;
  }
  if (!WIFEXITED(outcome.wait_status) || WEXITSTATUS(outcome.wait_status) != 0)
    return std::unexpected(label + " failed: " + exit_reason(outcome.wait_status));
  const std::size_t newline = outcome.output.find('\n');
  if (newline == std::string::npos && outcome.overflow)
    return std::unexpected(label + " printed more than " +
                           std::to_string(options_.output_bytes_max) + " bytes without a newline");
  std::string token = trim(std::string_view(outcome.output).substr(0, newline));
  if (token.empty()) return std::unexpected(label + " printed no token");
  if (auto byte = control_byte_in(token))
    return std::unexpected("token from --token-cmd contains a control byte (" + *byte + ")");
  return Credentials{std::move(token), std::nullopt};
}

void TokenCommandAuth::cancel() {
  std::lock_guard lock(child_mutex_);
  cancel_pending_ = true;
  if (child_ != 0) ::kill(-child_, SIGKILL);
}

}  // namespace tether::io
