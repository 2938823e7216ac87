// A checkpoint belongs to one stream and one process, proven with the real
// tether-watch binary against nginx + nchan: a checkpoint written for one URL is
// refused for another (naming both, printing nothing, changing nothing), and a
// second tether-watch on a checkpoint in use exits at start while the first
// carries on. Before checkpoint format version 2 both silently resumed from
// the wrong cursor, skipping or replaying events.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <tether/io/checkpoint_file.hpp>
#include <vector>

#include "child_process.hpp"
#include "nginx_server.hpp"

#ifdef TETHER_WATCH

namespace {

using namespace tether::io::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

void publish_sequences(const NginxServer& server, const std::string& channel, int first, int last) {
  for (int i = first; i <= last; ++i)
    REQUIRE(server.publish(channel, "{\"seq\":" + std::to_string(i) + "}") / 100 == 2);
}

}  // namespace

TEST_CASE(
    "tether-watch: a checkpoint of another stream is refused at start, naming both, and left "
    "unchanged",
    "[tether_watch][checkpoint_identity]") {
  NginxServer server = NginxServer::start();
  const Scratch dir("ckpt-identity-other-stream");
  const fs::path ckpt = dir / "watch.ckpt";
  publish_sequences(server, "a", 1, 3);
  publish_sequences(server, "b", 1, 5);

  // Stream A, with a secret in a query value.
  const std::string url_a = server.url("/sub/a?auth=SECRET-ONE");
  {
    Child first(TETHER_WATCH, {url_a, "--seq-from", "json:seq", "--checkpoint", ckpt.string()}, dir,
                "first");
    REQUIRE(first.wait_for_out_lines(3, 30s));
    ::kill(first.pid(), SIGTERM);
    INFO(first.err());
    REQUIRE(first.wait_exit(20s) == 0);
  }
  const std::string saved = read_all(ckpt);
  const std::string identity_a = server.url("/sub/a?auth seq=json:seq");
  const std::string identity_b = server.url("/sub/b seq=json:seq");
  const auto decoded = tether::io::decode_checkpoint_file(saved);
  INFO(saved);
  REQUIRE(decoded);
  CHECK(decoded->stream == identity_a);
  CHECK(decoded->cursor.sequence == 3);
  CHECK(saved.find("SECRET") == std::string::npos);  // query values never reach the file

  // Stream B on A's checkpoint: exit 4 at start, nothing printed, the file as it was.
  Child other(TETHER_WATCH,
              {server.url("/sub/b"), "--seq-from", "json:seq", "--checkpoint", ckpt.string()}, dir,
              "other");
  CHECK(other.wait_exit(30s) == 4);
  const std::string err = other.err();
  INFO(err);
  CHECK(err.find("checkpoint file " + ckpt.string() + ": belongs to stream '" + identity_a +
                 "', not '" + identity_b + "'") != std::string::npos);
  CHECK(other.out().empty());
  CHECK(read_all(ckpt) == saved);

  // The same URL with another --checkpoint-key, or numbered another way, is another stream too.
  Child keyed(
      TETHER_WATCH,
      {url_a, "--seq-from", "json:seq", "--checkpoint", ckpt.string(), "--checkpoint-key", "blue"},
      dir, "keyed");
  CHECK(keyed.wait_exit(30s) == 4);
  CHECK(keyed.err().find("not '" + identity_a + " key=blue'") != std::string::npos);
  CHECK(keyed.out().empty());
  Child unnumbered(TETHER_WATCH, {url_a, "--checkpoint", ckpt.string()}, dir, "unnumbered");
  CHECK(unnumbered.wait_exit(30s) == 4);
  CHECK(unnumbered.err().find("not '" + server.url("/sub/a?auth seq=none") + "'") !=
        std::string::npos);
  CHECK(read_all(ckpt) == saved);

  // Stream A again, its query secret rotated: the same stream, so it resumes after 3.
  publish_sequences(server, "a", 4, 5);
  Child resumed(TETHER_WATCH,
                {server.url("/sub/a?auth=SECRET-TWO"), "--seq-from", "json:seq", "--checkpoint",
                 ckpt.string(), "--max-events", "2"},
                dir, "resumed");
  CHECK(resumed.wait_exit(30s) == 0);
  const std::string out = resumed.out();
  INFO(resumed.err());
  CHECK(line_count(out) == 2);
  CHECK(out.find("\"seq\":4,") != std::string::npos);
  CHECK(out.find("\"seq\":3,") == std::string::npos);
}

TEST_CASE(
    "tether-watch: a second process on a checkpoint in use exits at start, the first carries on",
    "[tether_watch][checkpoint_identity]") {
  NginxServer server = NginxServer::start();
  const Scratch dir("ckpt-identity-in-use");
  const fs::path ckpt = dir / "watch.ckpt";
  const std::vector<std::string> args{server.url("/sub/c"), "--seq-from", "json:seq",
                                      "--checkpoint", ckpt.string()};
  publish_sequences(server, "c", 1, 3);

  Child first(TETHER_WATCH, args, dir, "first");
  REQUIRE(first.wait_for_out_lines(3, 30s));

  Child second(TETHER_WATCH, args, dir, "second");
  CHECK(second.wait_exit(30s) == 2);
  const std::string err = second.err();
  INFO(err);
  CHECK(err.find("checkpoint file " + ckpt.string() + ": in use by another process (pid " +
                 std::to_string(first.pid()) + ")") != std::string::npos);
  CHECK(second.out().empty());

  // The first one is unharmed: it keeps printing, and stops with its checkpoint.
  publish_sequences(server, "c", 4, 6);
  CHECK(first.wait_for_out_lines(6, 30s));
  ::kill(first.pid(), SIGTERM);
  CHECK(first.wait_exit(20s) == 0);
  const std::string out = first.out();
  INFO(out);
  CHECK(line_count(out) == 6);
  CHECK(out.find("\"seq\":6,") != std::string::npos);
  const auto saved = tether::io::decode_checkpoint_file(read_all(ckpt));
  REQUIRE(saved);
  CHECK(saved->cursor.sequence == 6);
  CHECK(saved->stream == server.url("/sub/c seq=json:seq"));

  // Its exit released the checkpoint: the next process resumes after 6.
  publish_sequences(server, "c", 7, 7);
  std::vector<std::string> next_args = args;
  next_args.insert(next_args.end(), {"--max-events", "1"});
  Child next(TETHER_WATCH, next_args, dir, "next");
  CHECK(next.wait_exit(30s) == 0);
  CHECK(next.out().find("\"seq\":7,") != std::string::npos);
}

#endif  // TETHER_WATCH
