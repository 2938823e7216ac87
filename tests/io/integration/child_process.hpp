#pragma once
// Helpers for tests that run tether-watch (or watch what it runs) as a child
// process: spawn with stdout/stderr to files, bounded waits for its exit, for a
// file line, for a process group to end. Every wait is bounded by a count of
// short polls (a safety net, never the synchronisation itself).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace tether::io::testing {

struct ChildRun {
  pid_t pid = -1;
  std::filesystem::path out, err;
};

// Runs `program args...` with stdout to dir/name.out and stderr to dir/name.err.
inline ChildRun spawn_child(const std::string& program, const std::vector<std::string>& args,
                            const std::filesystem::path& dir, const std::string& name) {
  ChildRun r{-1, dir / (name + ".out"), dir / (name + ".err")};
  r.pid = ::fork();
  if (r.pid == 0) {
    const int out = ::open(r.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(r.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  return r;
}

// The exit code (128 + signal if killed), or nullopt if it did not exit within
// `timeout` (then it is SIGKILLed and reaped).
inline std::optional<int> wait_child_exit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < until) {
    if (::waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return std::nullopt;
}

inline std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// Waits (up to 1000 polls of 10 ms) until `pred()` holds.
template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

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

}  // namespace tether::io::testing
