// tether-watch as a user runs it: a child process against nchan, stopped by
// SIGTERM; its stdout lines, exit codes and checkpoint file.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <tether/io/checkpoint_file.hpp>
#include <vector>

#include "child_process.hpp"
#include "nginx_server.hpp"

#ifdef TETHER_WATCH

using namespace tether::io::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST_CASE("tether-watch: prints JSON lines, stops on SIGTERM with the checkpoint flushed, resumes",
          "[tether_watch]") {
  NginxServer server = NginxServer::start();
  const Scratch dir("watch");
  const fs::path ckpt = dir / "watch.ckpt";
  for (int i = 1; i <= 30; ++i)
    REQUIRE(server.publish("w", "{\"seq\":" + std::to_string(i) + "}") / 100 == 2);
  const std::vector<std::string> args{
      server.url("/sub/w"), "--seq-from",    "json:seq", "--checkpoint",
      ckpt.string(),        "--json-status", "--record", (dir / "w.events").string()};
  Child first(TETHER_WATCH, args, dir, "first");
  first.wait_for_out_lines(30, 5s);
  ::kill(first.pid(), SIGTERM);
  CHECK(first.wait_exit(10s) == 0);
  const std::string out = first.out();
  INFO(first.err());
  REQUIRE(line_count(out) == 30);
  CHECK(out.starts_with("{\"delivery\":1,\"seq\":1,\"id\":\""));
  CHECK(first.err().find("{\"status\":\"stopped\",\"reason\":\"stop_requested\"") !=
        std::string::npos);
  auto saved = tether::io::decode_checkpoint(read_all(ckpt));
  REQUIRE(saved);
  CHECK(saved->sequence == 30);
  CHECK(read_all(dir / "w.events").starts_with("tether-events/2\n"));

  for (int i = 31; i <= 35; ++i)
    REQUIRE(server.publish("w", "{\"seq\":" + std::to_string(i) + "}") / 100 == 2);
  Child second(TETHER_WATCH,
               {server.url("/sub/w"), "--seq-from", "json:seq", "--checkpoint", ckpt.string(),
                "--max-events", "5"},
               dir, "second");
  CHECK(second.wait_exit(20s) == 0);
  const std::string resumed = second.out();
  REQUIRE(line_count(resumed) == 5);
  CHECK(resumed.find("\"seq\":31,") != std::string::npos);
  CHECK(resumed.find("\"seq\":30,") == std::string::npos);
  // --max-events: the final checkpoint is the last line printed.
  auto after_max = tether::io::decode_checkpoint(read_all(ckpt));
  REQUIRE(after_max);
  CHECK(after_max->sequence == 35);
}

TEST_CASE("tether-watch: exit codes for bad usage, a corrupt checkpoint and a fatal status",
          "[tether_watch]") {
  const Scratch dir("watch-exit-codes");
  Child bad_url(TETHER_WATCH, {"not-a-url"}, dir, "bad_url");
  CHECK(bad_url.wait_exit(10s) == 2);
  CHECK(bad_url.err().find("missing scheme") != std::string::npos);
  Child bad_seq(TETHER_WATCH, {"http://127.0.0.1:1/x", "--seq-from", "json:"}, dir, "bad_seq");
  CHECK(bad_seq.wait_exit(10s) == 2);
  Child bad_preset(TETHER_WATCH, {"http://127.0.0.1:1/x", "--preset", "nope"}, dir, "bad_preset");
  CHECK(bad_preset.wait_exit(10s) == 2);

  NginxServer server = NginxServer::start();
  const fs::path ckpt = dir / "corrupt.ckpt";
  std::ofstream(ckpt) << "tether-checkpoint/1\nkind=sequence\nsequence=12\ncrc32c=00000000\n";
  Child corrupt(TETHER_WATCH, {server.url("/sub/c"), "--checkpoint", ckpt.string()}, dir,
                "corrupt");
  CHECK(corrupt.wait_exit(10s) == 4);
  const std::string err = corrupt.err();
  CHECK(err.find(ckpt.string()) != std::string::npos);
  CHECK(err.find("never restarts from the beginning silently") != std::string::npos);

  Child not_found(TETHER_WATCH, {server.url("/no/such/location")}, dir, "not_found");
  CHECK(not_found.wait_exit(10s) == 4);
  CHECK(not_found.err().find("HTTP 404") != std::string::npos);
}

#endif  // TETHER_WATCH
