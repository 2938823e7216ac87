// tether-watch as a user runs it: a child process against nchan, stopped by
// SIGTERM; its stdout lines, exit codes and checkpoint file.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "nginx_server.hpp"
#include <tether/io/checkpoint_file.hpp>

#ifdef TETHER_WATCH

namespace {

using tether::io::testing::NginxServer;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct Run {
  pid_t pid = -1;
  fs::path out, err;
};

Run spawn(const std::vector<std::string>& args, const fs::path& dir, const std::string& name) {
  Run r{-1, dir / (name + ".out"), dir / (name + ".err")};
  r.pid = ::fork();
  if (r.pid == 0) {
    const int out = ::open(r.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(r.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> argv{const_cast<char*>(TETHER_WATCH)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(TETHER_WATCH, argv.data());
    ::_exit(127);
  }
  return r;
}

int wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < until) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(10ms);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

fs::path scratch() {
  auto dir = fs::temp_directory_path() / ("tether-watch-it-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("tether-watch: prints JSON lines, stops on SIGTERM with the checkpoint flushed, resumes", "[tether_watch]") {
  NginxServer server = NginxServer::start();
  const fs::path dir = scratch();
  const fs::path ckpt = dir / "watch.ckpt";
  fs::remove(ckpt);
  for (int i = 1; i <= 30; ++i) REQUIRE(server.publish("w", "{\"seq\":" + std::to_string(i) + "}") / 100 == 2);
  const std::vector<std::string> args{server.url("/sub/w"), "--seq-from", "json:seq", "--checkpoint",
                                      ckpt.string(), "--json-status", "--record", (dir / "w.events").string()};
  Run first = spawn(args, dir, "first");
  for (int i = 0; i < 500 && lines(slurp(first.out)) < 30; ++i) std::this_thread::sleep_for(10ms);
  ::kill(first.pid, SIGTERM);
  CHECK(wait_exit(first.pid, 10s) == 0);
  const std::string out = slurp(first.out);
  INFO(slurp(first.err));
  REQUIRE(lines(out) == 30);
  CHECK(out.starts_with("{\"delivery\":1,\"seq\":1,\"id\":\""));
  CHECK(slurp(first.err).find("{\"status\":\"stopped\",\"reason\":\"stop_requested\"") != std::string::npos);
  auto saved = tether::io::decode_checkpoint(slurp(ckpt));
  REQUIRE(saved);
  CHECK(saved->sequence == 30);
  CHECK(slurp(dir / "w.events").starts_with("tether-events/1\n"));

  for (int i = 31; i <= 35; ++i) REQUIRE(server.publish("w", "{\"seq\":" + std::to_string(i) + "}") / 100 == 2);
  Run second = spawn({server.url("/sub/w"), "--seq-from", "json:seq", "--checkpoint", ckpt.string(),
                      "--max-events", "5"}, dir, "second");
  CHECK(wait_exit(second.pid, 20s) == 0);
  const std::string resumed = slurp(second.out);
  REQUIRE(lines(resumed) == 5);
  CHECK(resumed.find("\"seq\":31,") != std::string::npos);
  CHECK(resumed.find("\"seq\":30,") == std::string::npos);
  // --max-events: the final checkpoint is the last line printed.
  auto after_max = tether::io::decode_checkpoint(slurp(ckpt));
  REQUIRE(after_max);
  CHECK(after_max->sequence == 35);
  fs::remove_all(dir);
}

TEST_CASE("tether-watch: exit codes for bad usage, a corrupt checkpoint and a fatal status", "[tether_watch]") {
  const fs::path dir = scratch();
  Run bad_url = spawn({"not-a-url"}, dir, "bad_url");
  CHECK(wait_exit(bad_url.pid, 10s) == 2);
  CHECK(slurp(bad_url.err).find("missing scheme") != std::string::npos);
  Run bad_seq = spawn({"http://127.0.0.1:1/x", "--seq-from", "json:"}, dir, "bad_seq");
  CHECK(wait_exit(bad_seq.pid, 10s) == 2);
  Run bad_preset = spawn({"http://127.0.0.1:1/x", "--preset", "nope"}, dir, "bad_preset");
  CHECK(wait_exit(bad_preset.pid, 10s) == 2);

  NginxServer server = NginxServer::start();
  const fs::path ckpt = dir / "corrupt.ckpt";
  std::ofstream(ckpt) << "tether-checkpoint/1\nkind=sequence\nsequence=12\ncrc32c=00000000\n";
  Run corrupt = spawn({server.url("/sub/c"), "--checkpoint", ckpt.string()}, dir, "corrupt");
  CHECK(wait_exit(corrupt.pid, 10s) == 4);
  const std::string err = slurp(corrupt.err);
  CHECK(err.find(ckpt.string()) != std::string::npos);
  CHECK(err.find("never restarts from the beginning silently") != std::string::npos);

  Run not_found = spawn({server.url("/no/such/location")}, dir, "not_found");
  CHECK(wait_exit(not_found.pid, 10s) == 4);
  CHECK(slurp(not_found.err).find("HTTP 404") != std::string::npos);
  fs::remove_all(dir);
}

#endif  // TETHER_WATCH
