#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <tether/io/token_auth.hpp>
#include <thread>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using tether::io::TokenCommandAuth;
using tether::io::TokenCommandOptions;

namespace {

fs::path scratch_file(const std::string& name) {
  return fs::temp_directory_path() / ("tether-token-" + std::to_string(::getpid()) + "-" + name);
}

// The pid a command wrote with `echo $$ > FILE`, once the line is complete
// (bounded: 10 s as a safety net).
pid_t wait_for_pid_file(const fs::path& path) {
  for (int i = 0; i < 1000; ++i) {
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!text.empty() && text.back() == '\n') return static_cast<pid_t>(std::stol(text));
    std::this_thread::sleep_for(10ms);
  }
  return 0;
}

// Whether any process of group `pgid` is still running (zombies do not count:
// a killed grandchild may wait for a reaper that is not us).
bool group_alive(pid_t pgid) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    char state = 0;
    long ppid = 0, pgrp = 0;
    fields >> state >> ppid >> pgrp;
    if (pgrp == pgid && state != 'Z') return true;
  }
  return false;
}

// Bounded wait (SIGKILL is delivered asynchronously).
bool group_ends(pid_t pgid) {
  for (int i = 0; i < 1000; ++i) {
    if (!group_alive(pgid)) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

}  // namespace

TEST_CASE("token_auth: a token file is re-read on every refresh", "[auth]") {
  const fs::path path = scratch_file("file");
  tether::io::TokenFileAuth auth(path);
  auto missing = auth.refresh();
  REQUIRE_FALSE(missing);
  CHECK(missing.error().find(path.string()) != std::string::npos);
  std::ofstream(path) << "  first-token \n";
  CHECK(auth.refresh()->bearer_token == "first-token");
  std::ofstream(path) << "second-token";
  CHECK(auth.refresh()->bearer_token == "second-token");
  std::ofstream(path) << "\n \n";
  CHECK(auth.refresh().error().find("is empty") != std::string::npos);
  std::ofstream(path) << "a\nb\n";
  CHECK(auth.refresh().error().find("more than one line") != std::string::npos);
  fs::remove(path);
}

TEST_CASE("token_auth: a token file holding a control byte is refused, its content never shown",
          "[auth][secrets]") {
  const fs::path path = scratch_file("ctl");
  tether::io::TokenFileAuth auth(path);
  const std::pair<std::string, std::string> cases[] = {
      {std::string("tok-SECRET\x01", 11) + "x", "(0x01)"},
      {"tok\tSECRET", "(TAB)"},
      {"tok\x7fSECRET", "(DEL)"},
      {std::string("tok\0SECRET", 10), "(NUL)"},
      {"tok-SECRET\rX-Injected: 1", "more than one line"}};
  for (const auto& [content, reason] : cases) {
    std::ofstream(path, std::ios::binary) << content;
    const auto refused = auth.refresh();
    REQUIRE_FALSE(refused);
    INFO(refused.error());
    CHECK(refused.error().find(path.string()) != std::string::npos);
    CHECK(refused.error().find(reason) != std::string::npos);
    CHECK(refused.error().find("SECRET") == std::string::npos);
  }
  fs::remove(path);
}

TEST_CASE("token_auth: a token command's first line, or its failure", "[auth]") {
  CHECK(TokenCommandAuth("printf 'tok-123\\nignored\\n'").refresh()->bearer_token == "tok-123");
  CHECK(TokenCommandAuth("printf ' tok-crlf\\r\\n'").refresh()->bearer_token == "tok-crlf");
  auto failed = TokenCommandAuth("exit 3").refresh();
  REQUIRE_FALSE(failed);
  CHECK(failed.error() == "token command (--token-cmd) failed: exit status 3");
  CHECK(TokenCommandAuth("kill -9 $$").refresh().error() ==
        "token command (--token-cmd) failed: killed by signal 9 (SIGKILL)");
  CHECK(TokenCommandAuth("true").refresh().error().find("printed no token") != std::string::npos);
  // Output past the cap is drained (the command is not blocked) but dropped.
  auto big = TokenCommandAuth("echo big; head -c 200000 /dev/zero | tr '\\\\0' x").refresh();
  REQUIRE(big);
  CHECK(big->bearer_token == "big");
  // A first line longer than the cap is refused, not truncated.
  auto long_line =
      TokenCommandAuth("printf 0123456789abcdefXYZ", TokenCommandOptions{.output_bytes_max = 16})
          .refresh();
  REQUIRE_FALSE(long_line);
  CHECK(long_line.error() ==
        "token command (--token-cmd) printed more than 16 bytes without a newline");
  // stdin is /dev/null: a command that reads it sees EOF instead of waiting.
  CHECK(TokenCommandAuth("read line; echo \"got${line}\"").refresh()->bearer_token == "got");
}

TEST_CASE("token_auth: a token command's messages never show the command line", "[auth][secrets]") {
  const std::pair<std::string, std::string> cases[] = {
      {"exit 3; : pw-SECRET", "failed: exit status 3"},
      {"kill -TERM $$; : pw-SECRET", "failed: killed by signal 15 (SIGTERM)"},
      {": pw-SECRET", "printed no token"},
      {"/nonexistent/pw-SECRET 2>/dev/null", "failed: exit status 127"},
      {"sleep 30; : pw-SECRET", "timed out after 100 ms"},
      {"printf 'tok-SECRET\\rX-Injected: 1'; : pw-SECRET", "control byte (CR)"},
  };
  for (const auto& [command, reason] : cases) {
    // Only the sleeping command is meant to time out (a slow machine may take
    // a while to start a shell).
    const auto timeout = command.starts_with("sleep") ? 100ms : 30'000ms;
    const auto refused =
        TokenCommandAuth(command, TokenCommandOptions{.timeout = timeout}).refresh();
    REQUIRE_FALSE(refused);
    INFO(command << " -> " << refused.error());
    CHECK(refused.error().find(reason) != std::string::npos);
    CHECK(refused.error().find("SECRET") == std::string::npos);
  }
}

TEST_CASE("token_auth: a token containing a control byte is refused, naming the byte",
          "[auth][secrets]") {
  const std::pair<std::string, std::string> cases[] = {
      {"printf 'tok\\rX-Injected: 1\\n'", "(CR)"},
      {"printf 'a\\000b\\n'", "(NUL)"},
      {"printf 'a\\tb\\n'", "(TAB)"},
      {"printf 'a\\033[2Jb\\n'", "(0x1B)"},
      {"printf 'a\\177b\\n'", "(DEL)"},
  };
  for (const auto& [command, reason] : cases) {
    const auto refused = TokenCommandAuth(command).refresh();
    REQUIRE_FALSE(refused);
    INFO(command << " -> " << refused.error());
    CHECK(refused.error() == "token from --token-cmd contains a control byte " + reason);
  }
}

TEST_CASE("token_auth: a token command past its timeout is killed with its process group",
          "[auth][timeout]") {
  const fs::path pid_file = scratch_file("timeout.pid");
  fs::remove(pid_file);
  TokenCommandAuth auth("echo $$ > " + pid_file.string() + "; sleep 60; echo late",
                        TokenCommandOptions{.timeout = 300ms});
  const auto began = std::chrono::steady_clock::now();
  const auto refused = auth.refresh();
  const auto took = std::chrono::steady_clock::now() - began;
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == "token command (--token-cmd) timed out after 300 ms");
  WARN("refresh with a 300 ms timeout took "
       << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  CHECK(took < 10s);  // not the command's 60 s
  const pid_t pgid = wait_for_pid_file(pid_file);
  REQUIRE(pgid > 0);
  CHECK(group_ends(pgid));  // the shell and its `sleep`
  fs::remove(pid_file);
}

TEST_CASE("token_auth: cancel() from another thread ends a blocked refresh at once",
          "[auth][cancel]") {
  const fs::path pid_file = scratch_file("cancel.pid");
  fs::remove(pid_file);
  TokenCommandAuth auth("echo $$ > " + pid_file.string() + "; sleep 60; echo late");
  std::optional<std::expected<tether::io::Credentials, std::string>> result;
  std::thread refresher([&] { result = auth.refresh(); });
  const pid_t pgid = wait_for_pid_file(pid_file);
  REQUIRE(pgid > 0);
  const auto cancelled_at = std::chrono::steady_clock::now();
  auth.cancel();
  refresher.join();
  const auto took = std::chrono::steady_clock::now() - cancelled_at;
  WARN("refresh returned " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                           << " ms after cancel()");
  CHECK(took < 10s);  // not the command's 60 s
  REQUIRE(result.has_value());
  REQUIRE_FALSE(result->has_value());
  CHECK(result->error() == "token command (--token-cmd) was cancelled");
  CHECK(group_ends(pgid));
  fs::remove(pid_file);

  // A cancel() with no command running fails the next refresh() at once (it
  // may have been about to start), and only that one.
  TokenCommandAuth idle("echo tok");
  idle.cancel();
  CHECK(idle.refresh().error() == "token command (--token-cmd) was cancelled");
  CHECK(idle.refresh()->bearer_token == "tok");
}

TEST_CASE(
    "token_auth: the token is taken when the command exits, not when its background children do",
    "[auth]") {
  const fs::path pid_file = scratch_file("background.pid");
  fs::remove(pid_file);
  const auto began = std::chrono::steady_clock::now();
  const auto got =
      TokenCommandAuth("echo $$ > " + pid_file.string() + "; echo tok; sleep 60 &").refresh();
  const auto took = std::chrono::steady_clock::now() - began;
  const pid_t pgid = wait_for_pid_file(pid_file);
  if (pgid > 0) ::kill(-pgid, SIGKILL);  // the background sleep
  REQUIRE(got);
  CHECK(got->bearer_token == "tok");
  CHECK(took < 10s);  // popen waited for the background sleep's end of stdout
  fs::remove(pid_file);
}
