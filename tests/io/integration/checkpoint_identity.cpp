// A checkpoint belongs to one stream and one process, proven with the real
// tether-watch binary against nginx + nchan: a checkpoint written for one URL is
// refused for another (naming both, printing nothing, changing nothing), and a
// second tether-watch on a checkpoint in use exits at start while the first
// carries on. Before checkpoint format version 2 both silently resumed from
// the wrong cursor, skipping or replaying events.
#include <catch2/catch.hpp>

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

#include <tether/io/checkpoint_file.hpp>

#include "nginx_server.hpp"

#ifdef TETHER_WATCH

namespace {

using tether::io::testing::NginxServer;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

// A scratch directory for one test case, removed at the end.
class Scratch {
 public:
  explicit Scratch(const std::string& name)
      : path_(fs::temp_directory_path() / ("tether-ckpt-identity-" + std::to_string(::getpid()) + "-" + name)) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~Scratch() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

// A tether-watch child with stdout and stderr in files; killed and reaped at
// the latest when the Watch goes, so a failed REQUIRE leaves no process behind.
class Watch {
 public:
  Watch(const std::vector<std::string>& args, const Scratch& dir, const std::string& name)
      : out_(dir / (name + ".out")), err_(dir / (name + ".err")) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int out = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(out, 1);
      ::dup2(err, 2);
      std::vector<char*> argv{const_cast<char*>(TETHER_WATCH)};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(TETHER_WATCH, argv.data());
      ::_exit(127);
    }
  }
  ~Watch() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;

  pid_t pid() const { return pid_; }
  std::string out() const { return slurp(out_); }
  std::string err() const { return slurp(err_); }

  // Its exit code (128 + signal if killed), or -1 if it was still running after
  // `timeout` (then it is killed). A safety net only: the tests wait for exits
  // that happen at start.
  int wait_exit(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < until) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(10ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return -1;
  }

  // Waits until stdout has at least `count` lines (or it exited, or the
  // safety-net timeout passed); true if it has them.
  bool wait_for_lines(std::size_t count, std::chrono::milliseconds timeout) const {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (lines(out()) < count) {
      if (std::chrono::steady_clock::now() >= until || exited()) break;
      std::this_thread::sleep_for(10ms);
    }
    return lines(out()) >= count;
  }

  // Whether it has exited, without reaping it (wait_exit does that).
  bool exited() const {
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid != 0;
  }

  static std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static std::size_t lines(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  }

 private:
  pid_t pid_ = -1;
  fs::path out_, err_;
};

void publish_sequences(const NginxServer& server, const std::string& channel, int first, int last) {
  for (int i = first; i <= last; ++i)
    REQUIRE(server.publish(channel, "{\"seq\":" + std::to_string(i) + "}") / 100 == 2);
}

}  // namespace

TEST_CASE("tether-watch: a checkpoint of another stream is refused at start, naming both, and left unchanged",
          "[tether_watch][checkpoint_identity]") {
  NginxServer server = NginxServer::start();
  const Scratch dir("other-stream");
  const fs::path ckpt = dir / "watch.ckpt";
  publish_sequences(server, "a", 1, 3);
  publish_sequences(server, "b", 1, 5);

  // Stream A, with a secret in a query value.
  const std::string url_a = server.url("/sub/a?auth=SECRET-ONE");
  {
    Watch first({url_a, "--seq-from", "json:seq", "--checkpoint", ckpt.string()}, dir, "first");
    REQUIRE(first.wait_for_lines(3, 30s));
    ::kill(first.pid(), SIGTERM);
    INFO(first.err());
    REQUIRE(first.wait_exit(20s) == 0);
  }
  const std::string saved = Watch::slurp(ckpt);
  const std::string identity_a = server.url("/sub/a?auth seq=json:seq");
  const std::string identity_b = server.url("/sub/b seq=json:seq");
  const auto decoded = tether::io::decode_checkpoint_file(saved);
  INFO(saved);
  REQUIRE(decoded);
  CHECK(decoded->stream == identity_a);
  CHECK(decoded->cursor.sequence == 3);
  CHECK(saved.find("SECRET") == std::string::npos);  // query values never reach the file

  // Stream B on A's checkpoint: exit 4 at start, nothing printed, the file as it was.
  Watch other({server.url("/sub/b"), "--seq-from", "json:seq", "--checkpoint", ckpt.string()}, dir, "other");
  CHECK(other.wait_exit(30s) == 4);
  const std::string err = other.err();
  INFO(err);
  CHECK(err.find("checkpoint file " + ckpt.string() + ": belongs to stream '" + identity_a + "', not '" +
                 identity_b + "'") != std::string::npos);
  CHECK(other.out().empty());
  CHECK(Watch::slurp(ckpt) == saved);

  // The same URL with another --checkpoint-key, or numbered another way, is another stream too.
  Watch keyed({url_a, "--seq-from", "json:seq", "--checkpoint", ckpt.string(), "--checkpoint-key", "blue"}, dir,
              "keyed");
  CHECK(keyed.wait_exit(30s) == 4);
  CHECK(keyed.err().find("not '" + identity_a + " key=blue'") != std::string::npos);
  CHECK(keyed.out().empty());
  Watch unnumbered({url_a, "--checkpoint", ckpt.string()}, dir, "unnumbered");
  CHECK(unnumbered.wait_exit(30s) == 4);
  CHECK(unnumbered.err().find("not '" + server.url("/sub/a?auth seq=none") + "'") != std::string::npos);
  CHECK(Watch::slurp(ckpt) == saved);

  // Stream A again, its query secret rotated: the same stream, so it resumes after 3.
  publish_sequences(server, "a", 4, 5);
  Watch resumed({server.url("/sub/a?auth=SECRET-TWO"), "--seq-from", "json:seq", "--checkpoint", ckpt.string(),
                 "--max-events", "2"},
                dir, "resumed");
  CHECK(resumed.wait_exit(30s) == 0);
  const std::string out = resumed.out();
  INFO(resumed.err());
  CHECK(Watch::lines(out) == 2);
  CHECK(out.find("\"seq\":4,") != std::string::npos);
  CHECK(out.find("\"seq\":3,") == std::string::npos);
}

TEST_CASE("tether-watch: a second process on a checkpoint in use exits at start, the first carries on",
          "[tether_watch][checkpoint_identity]") {
  NginxServer server = NginxServer::start();
  const Scratch dir("in-use");
  const fs::path ckpt = dir / "watch.ckpt";
  const std::vector<std::string> args{server.url("/sub/c"), "--seq-from", "json:seq", "--checkpoint", ckpt.string()};
  publish_sequences(server, "c", 1, 3);

  Watch first(args, dir, "first");
  REQUIRE(first.wait_for_lines(3, 30s));

  Watch second(args, dir, "second");
  CHECK(second.wait_exit(30s) == 2);
  const std::string err = second.err();
  INFO(err);
  CHECK(err.find("checkpoint file " + ckpt.string() + ": in use by another process (pid " +
                 std::to_string(first.pid()) + ")") != std::string::npos);
  CHECK(second.out().empty());

  // The first one is unharmed: it keeps printing, and stops with its checkpoint.
  publish_sequences(server, "c", 4, 6);
  CHECK(first.wait_for_lines(6, 30s));
  ::kill(first.pid(), SIGTERM);
  CHECK(first.wait_exit(20s) == 0);
  const std::string out = first.out();
  INFO(out);
  CHECK(Watch::lines(out) == 6);
  CHECK(out.find("\"seq\":6,") != std::string::npos);
  const auto saved = tether::io::decode_checkpoint_file(Watch::slurp(ckpt));
  REQUIRE(saved);
  CHECK(saved->cursor.sequence == 6);
  CHECK(saved->stream == server.url("/sub/c seq=json:seq"));

  // Its exit released the checkpoint: the next process resumes after 6.
  publish_sequences(server, "c", 7, 7);
  std::vector<std::string> next_args = args;
  next_args.insert(next_args.end(), {"--max-events", "1"});
  Watch next(next_args, dir, "next");
  CHECK(next.wait_exit(30s) == 0);
  CHECK(next.out().find("\"seq\":7,") != std::string::npos);
}

#endif  // TETHER_WATCH
