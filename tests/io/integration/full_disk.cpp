// A full disk, for real: tether-watch runs with RLIMIT_FSIZE so small that no
// checkpoint fits (every save fails with EFBIG, as on a full disk), against
// nchan. It must keep streaming, probe the disk with backoff instead of a hot
// loop of saves and diagnostics, and exit non-zero because its final
// checkpoint could not be written.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "nginx_server.hpp"

#ifdef TETHER_WATCH

namespace {

using tether::io::testing::NginxServer;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct Child {
  pid_t pid = -1;
  int out = -1;  // stdout, a pipe (a file would hit the size limit too)
  int err = -1;
};

Child spawn_limited(const std::vector<std::string>& args, rlim_t file_bytes_max) {
  int out[2];
  int err[2];
  REQUIRE(::pipe(out) == 0);
  REQUIRE(::pipe(err) == 0);
  Child c;
  c.pid = ::fork();
  if (c.pid == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::close(out[0]);
    ::close(err[0]);
    ::signal(SIGXFSZ, SIG_IGN);  // so a write past the limit fails with EFBIG
    const rlimit limit{file_bytes_max, file_bytes_max};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    std::vector<char*> argv{const_cast<char*>(TETHER_WATCH)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(TETHER_WATCH, argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  c.out = out[0];
  c.err = err[0];
  return c;
}

std::size_t count(const std::string& text, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Reads both pipes until stdout holds `lines` lines (true) or `timeout` passes.
bool read_until_lines(const Child& c, std::string& out, std::string& err, std::size_t lines,
                      std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  char buf[65536];
  while (count(out, "\n") < lines) {
    if (std::chrono::steady_clock::now() > until) return false;
    pollfd fds[2] = {{c.out, POLLIN, 0}, {c.err, POLLIN, 0}};
    if (::poll(fds, 2, 100) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP)) == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) (i == 0 ? out : err).append(buf, static_cast<std::size_t>(n));
    }
  }
  return true;
}

void drain(int fd, std::string& into) {
  char buf[65536];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
    into.append(buf, static_cast<std::size_t>(n));
}

}  // namespace

TEST_CASE("full disk: saves back off, diagnostics do not flood, and a failed final flush exits 4",
          "[tether_watch][full_disk]") {
  NginxServer server = NginxServer::start();
  const fs::path dir =
      fs::temp_directory_path() / ("tether-full-disk-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (int i = 1; i <= 30; ++i)
    REQUIRE(server.publish("fd", "{\"seq\":" + std::to_string(i) + "}") / 100 == 2);
  // 64 bytes: the lock file's pid fits, a checkpoint (about 150 bytes) never does.
  Child c = spawn_limited(
      {server.url("/sub/fd"), "--seq-from", "json:seq", "--checkpoint", (dir / "c.ckpt").string()},
      64);
  std::string out;
  std::string err;
  const bool first = read_until_lines(c, out, err, 30, 30s);
  // More deliveries, more acks: each would have been a save (and a line on
  // stderr) in a hot loop before.
  for (int i = 31; i <= 60; ++i)
    REQUIRE(server.publish("fd", "{\"seq\":" + std::to_string(i) + "}") / 100 == 2);
  const bool second = read_until_lines(c, out, err, 60, 30s);
  ::kill(c.pid, SIGTERM);
  int status = 0;
  ::waitpid(c.pid, &status, 0);
  drain(c.out, out);
  drain(c.err, err);
  ::close(c.out);
  ::close(c.err);
  INFO(err);
  CHECK(first);
  CHECK(second);
  CHECK(count(out, "\n") == 60);  // streaming went on
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 4);
  CHECK(err.find("the final checkpoint save failed") != std::string::npos);
  CHECK(err.find("File too large") != std::string::npos);  // the cause, named
  // The first failure is reported, later ones within 30 s are not: at most the
  // first report and the final one (and a retry's, on a very slow machine).
  CHECK(count(err, "checkpoint file") <= 4);
  CHECK_FALSE(fs::exists(dir / "c.ckpt"));
  fs::remove_all(dir);
}

#endif  // TETHER_WATCH
