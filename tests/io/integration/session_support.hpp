#pragma once
// Helpers for the integration tests of the shell's safety rules (redirects,
// header injection, liveness, limits, TLS failures, stream encodings): a quick
// session configuration, request-head parsing, waiting for a Runner to end,
// and running the tether-watch binary as a child process.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "collector.hpp"
#include <tether/io/runner.hpp>
#include <tether/model/presets.hpp>

namespace tether::io::testing {

// aviso with fast retries: a test that expects "retried" sees it quickly.
inline model::SessionConfig quick_config() {
  model::SessionConfig c = model::presets::aviso();
  c.backoff.delay_ms_initial = 20;
  c.backoff.delay_ms_max = 100;
  c.backoff.short_session_ms = 0;
  c.backoff.short_session_delay_ms_min = 0;
  c.connect.timeout_ms = 2000;
  return c;
}

inline RunnerOptions quick_options(std::string url) {
  RunnerOptions o;
  o.url = std::move(url);
  o.config = quick_config();
  o.sequence = SequenceExtractor::from_id();
  return o;
}

// The value of header `name` in a request head ("" when absent).
inline std::optional<std::string> header_in(const std::string& head, std::string_view name) {
  std::string lower_head = head;
  for (char& ch : lower_head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  std::string key = "\r\n" + std::string(name) + ":";
  for (char& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  const auto at = lower_head.find(key);
  if (at == std::string::npos) return std::nullopt;
  const auto start = head.find_first_not_of(' ', at + key.size());
  return head.substr(start, head.find("\r\n", start) - start);
}

// Pass c.statuses() (or c.statuses_ inside a Collector::wait predicate, which
// holds the lock).
inline bool any_status(const std::vector<model::Status>& statuses, model::StatusKind kind) {
  return std::any_of(statuses.begin(), statuses.end(), [kind](const model::Status& s) { return s.kind == kind; });
}

// Starts a Runner and waits (bounded) until its session ends by itself.
struct Ended {
  bool finished = false;
  model::Status status;
};
inline Ended run_to_end(RunnerOptions options, Collector& c, std::chrono::milliseconds timeout) {
  auto runner = Runner::start(std::move(options), c.callbacks());
  REQUIRE(runner);
  Ended out;
  out.finished = (*runner)->wait_until_finished(timeout);
  out.status = (*runner)->status();
  (*runner)->stop();
  return out;
}

#ifdef TETHER_WATCH
struct WatchResult {
  int exit_code = -1;  // 128 + signal if killed; -1 if it had to be killed at the timeout
  std::string out, err;
};

// Runs tether-watch with `args` until it exits (killed after `timeout`).
inline WatchResult run_watch(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  namespace fs = std::filesystem;
  static int runs = 0;
  const fs::path base = fs::temp_directory_path() /
                        ("tether-watch-safety-" + std::to_string(::getpid()) + "-" + std::to_string(++runs));
  const fs::path out_path = base.string() + ".out";
  const fs::path err_path = base.string() + ".err";
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> argv{const_cast<char*>(TETHER_WATCH)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(TETHER_WATCH, argv.data());
    ::_exit(127);
  }
  WatchResult result;
  const auto until = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  bool exited = false;
  while (!exited && std::chrono::steady_clock::now() < until) {
    exited = ::waitpid(pid, &status, WNOHANG) == pid;
    if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (exited) {
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  } else {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  const auto slurp = [](const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  result.out = slurp(out_path);
  result.err = slurp(err_path);
  fs::remove(out_path);
  fs::remove(err_path);
  return result;
}
#endif  // TETHER_WATCH

}  // namespace tether::io::testing
