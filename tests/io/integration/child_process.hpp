#pragma once
// Child processes for the integration tests that run tether-watch as a user
// does (or watch what it runs): a scratch directory, spawn with stdout/stderr
// to files, bounded waits for a line, an exit or a process group's end. Every
// wait polls an event with a generous timeout (a safety net, never the
// synchronisation itself).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace tether::io::testing {

inline std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline std::size_t count_of(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string_view::npos;
       at = text.find(what, at + what.size()))
    ++n;
  return n;
}

// Complete lines (an incomplete last line is still being written).
inline std::size_t line_count(std::string_view text) { return count_of(text, "\n"); }

// Complete lines that contain `needle`.
inline std::size_t lines_with(std::string_view text, std::string_view needle) {
  std::size_t n = 0;
  for (auto end = text.find('\n'); end != std::string_view::npos; end = text.find('\n')) {
    if (text.substr(0, end).find(needle) != std::string_view::npos) ++n;
    text.remove_prefix(end + 1);
  }
  return n;
}

// Polls `pred` every 5 ms until it holds (true) or `timeout` passes (false).
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// A fresh directory for one test case, removed with everything in it at the end.
class Scratch {
 public:
  explicit Scratch(std::string_view name,
                   const std::filesystem::path& base = std::filesystem::temp_directory_path())
      : path_(base / ("tether-it-" + std::string(name) + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~Scratch() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  const std::filesystem::path& path() const { return path_; }
  operator const std::filesystem::path&() const {
    return path_;
  }  // NOLINT: a Scratch is where it is
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// A child process with its stderr in a file and its stdout in a file (or on a
// descriptor the test reads). Killed and reaped at the latest when the Child
// goes, so a failed REQUIRE leaves no process behind.
class Child {
 public:
  // stdout to dir/name.out, stderr to dir/name.err (both exist on return);
  // stdin from `in_fd` when one is given (the caller's, left open), else the
  // test's own.
  Child(const std::string& program, const std::vector<std::string>& args,
        const std::filesystem::path& dir, const std::string& name, int in_fd = -1)
      : out_(dir / (name + ".out")), err_(dir / (name + ".err")) {
    const int out_fd = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    start(program, args, out_fd, in_fd);
    ::close(out_fd);
  }
  // stdout on `out_fd` (the caller's, left open), stderr to `err`.
  Child(const std::string& program, const std::vector<std::string>& args, int out_fd,
        std::filesystem::path err)
      : err_(std::move(err)) {
    start(program, args, out_fd);
  }
  ~Child() {
    if (pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Child(Child&& other) noexcept
      : pid_(std::exchange(other.pid_, -1)),
        out_(std::move(other.out_)),
        err_(std::move(other.err_)) {}
  Child& operator=(Child&&) = delete;

  pid_t pid() const { return pid_; }
  const std::filesystem::path& out_path() const { return out_; }
  const std::filesystem::path& err_path() const { return err_; }
  std::string out() const { return read_all(out_); }
  std::string err() const { return read_all(err_); }

  // The exit code (128 + signal if killed), or -1 if it was still running
  // after `timeout` (then it is SIGKILLed). Reaps it.
  int wait_exit(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return -1;  // reaped already: waitpid(-1) would take any child
    int status = 0;
    const bool exited =
        eventually([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, timeout);
    if (!exited) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    if (!exited) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // Whether it has exited, without reaping it (wait_exit does that).
  bool exited() const {
    siginfo_t info{};
    return pid_ <= 0 ||
           (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
            info.si_pid != 0);
  }

  // Waits until stdout holds `count` complete lines (or it exited, or `timeout`); true if it has
  // them.
  bool wait_for_out_lines(std::size_t count, std::chrono::milliseconds timeout) const {
    eventually([&] { return line_count(out()) >= count || exited(); }, timeout);
    return line_count(out()) >= count;
  }
  // Likewise for stderr lines that contain `needle`.
  bool wait_for_err_lines(std::string_view needle, std::size_t count,
                          std::chrono::milliseconds timeout) const {
    eventually([&] { return lines_with(err(), needle) >= count || exited(); }, timeout);
    return lines_with(err(), needle) >= count;
  }

 private:
  // argv is built before fork: the child of a threaded process only dup2s and execs.
  void start(const std::string& program, const std::vector<std::string>& args, int out_fd,
             int in_fd = -1) {
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const int err_fd = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_ = ::fork();
    if (pid_ == 0) {
      if (in_fd >= 0) ::dup2(in_fd, 0);
      ::dup2(out_fd, 1);
      ::dup2(err_fd, 2);
      ::execv(program.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(err_fd);
  }

  pid_t pid_ = -1;
  std::filesystem::path out_, err_;
};

// The pid a command wrote with `echo $$ > FILE`, once the line is complete; 0 if never.
inline pid_t wait_for_pid_file(const std::filesystem::path& path) {
  pid_t pid = 0;
  eventually([&] {
    const std::string text = read_all(path);
    if (text.empty() || text.back() != '\n') return false;
    pid = static_cast<pid_t>(std::stol(text));
    return true;
  });
  return pid;
}

// Running processes (zombies excluded: a killed grandchild may wait for a
// reaper that is not us) whose pid is `pid` or whose process group is `pid`.
inline bool process_or_group_alive(pid_t pid) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;
    const auto close = stat.rfind(')');
    if (close == std::string::npos || close + 2 > stat.size()) continue;
    std::istringstream fields(stat.substr(close + 2));
    char state = 0;
    long ppid = 0, pgrp = 0;
    fields >> state >> ppid >> pgrp;
    if (state == 'Z') continue;
    if (pgrp == pid || entry.path().filename() == std::to_string(pid)) return true;
  }
  return false;
}

#ifdef TETHER_WATCH
struct WatchResult {
  int exit_code = -1;  // 128 + signal if killed; -1 if it had to be killed at the timeout
  std::string out, err;
};

// Runs tether-watch with `args` until it exits (killed after `timeout`).
inline WatchResult run_watch(const std::vector<std::string>& args,
                             std::chrono::milliseconds timeout) {
  static int runs = 0;
  const Scratch dir("watch-run-" + std::to_string(++runs));
  Child child(TETHER_WATCH, args, dir.path(), "watch");
  WatchResult result;
  result.exit_code = child.wait_exit(timeout);
  result.out = child.out();
  result.err = child.err();
  return result;
}

// tether-watch on `url` with sequences from the JSON field "seq" and fast
// reconnects (no short-session penalty, a 20 ms first delay), then `more`.
inline std::vector<std::string> fast_watch_args(const std::string& url,
                                                std::vector<std::string> more) {
  std::vector<std::string> args{url,
                                "--seq-from",
                                "json:seq",
                                "--set",
                                "backoff.short_session_ms=0",
                                "--set",
                                "backoff.short_session_delay_ms_min=0",
                                "--set",
                                "backoff.delay_ms_initial=20"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}
#endif  // TETHER_WATCH

}  // namespace tether::io::testing
