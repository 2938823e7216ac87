#pragma once
// tether-watch as a child process, for the integration tests that run the CLI
// as a user does: spawn with stdout/stderr to files, wait for lines to appear
// (an event, bounded by a generous timeout), wait for the exit code.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace tether::io::testing {

struct WatchRun {
  pid_t pid = -1;
  std::filesystem::path out, err;
};

inline WatchRun spawn_watch(const std::string& binary, const std::vector<std::string>& args,
                            const std::filesystem::path& dir, const std::string& name) {
  WatchRun r{-1, dir / (name + ".out"), dir / (name + ".err")};
  r.pid = ::fork();
  if (r.pid == 0) {
    const int out = ::open(r.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(r.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> argv{const_cast<char*>(binary.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  return r;
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The exit code (128 + signal if killed), or -1 if it had to be killed after `timeout`.
inline int wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < until) {
    if (::waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

// Waits until `file` holds at least `n` lines containing `needle` (true), or `timeout`.
inline bool wait_for_lines(const std::filesystem::path& file, std::string_view needle, std::size_t n,
                           std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    std::istringstream in(slurp(file));
    std::size_t seen = 0;
    for (std::string line; std::getline(in, line);)
      if (line.find(needle) != std::string::npos) ++seen;
    if (seen >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace tether::io::testing
