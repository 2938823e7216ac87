// The polling session for real: PollRunner against a JSON file that nginx
// serves and the test rewrites. The application must see exactly the
// Added / Modified / Removed sequence that turns one content into the next,
// and a missing or malformed file must never look like removed keys. A
// credential refresh (after a 401) runs off the runner's strand: one that
// blocks holds up neither the other endpoints nor stop().
#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <expected>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <tether/io/poll_runner.hpp>
#include <vector>

#include "nginx_server.hpp"
#include "scripted_server.hpp"

namespace {

using namespace tether;
using namespace std::chrono_literals;
using io::testing::NginxServer;

struct ChangeLog {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> changes;  // "added a=1"
  std::vector<model::poll::Status> statuses;
  std::vector<std::string> diagnostics;

  io::PollCallbacks callbacks() {
    io::PollCallbacks c;
    c.on_change = [this](std::size_t, model::poll::ChangeKind kind, std::string_view key,
                         std::string_view value) {
      const char* name = kind == model::poll::ChangeKind::added      ? "added"
                         : kind == model::poll::ChangeKind::modified ? "modified"
                                                                     : "removed";
      std::lock_guard lock(mutex);
      changes.push_back(std::string(name) + " " + std::string(key) + "=" + std::string(value));
      changed.notify_all();
    };
    c.on_status = [this](std::size_t, const model::poll::Status& s) {
      std::lock_guard lock(mutex);
      statuses.push_back(s);
      changed.notify_all();
    };
    c.on_diagnostic = [this](const io::Diagnostic& d) {
      std::lock_guard lock(mutex);
      diagnostics.push_back(d.text);
      changed.notify_all();
    };
    return c;
  }
  bool wait_for_changes(std::size_t n) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 10s, [&] { return changes.size() >= n; });
  }
  template <class Pred>
  bool wait(Pred pred) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 10s, [&] { return pred(); });
  }
  std::vector<std::string> since(std::size_t first) {
    std::lock_guard lock(mutex);
    return {changes.begin() + static_cast<std::ptrdiff_t>(first), changes.end()};
  }
};

}  // namespace

TEST_CASE("poll runner: a rewritten file gives exactly the Added/Modified/Removed that explain it",
          "[poll_runner]") {
  NginxServer server = NginxServer::start();
  server.write_file("state.json", R"({"a":1,"b":2})");
  io::PollRunnerOptions options;
  options.config.endpoints.push_back({"state", 100, model::poll::Backoff::fixed(100)});
  options.urls.push_back(server.url("/files/state.json"));
  options.http.timeout = 2000ms;
  ChangeLog log;
  auto runner = io::PollRunner::start(options, log.callbacks());
  REQUIRE(runner);

  REQUIRE(log.wait_for_changes(2));
  CHECK(log.since(0) == std::vector<std::string>{"added a=1", "added b=2"});

  server.write_file("state.json", R"({"a":1,"b":3,"c":{"d":[4]}})");
  REQUIRE(log.wait_for_changes(4));
  CHECK(log.since(2) == std::vector<std::string>{"modified b=3", "added c={\"d\":[4]}"});

  server.write_file("state.json", R"({"a":1})");
  REQUIRE(log.wait_for_changes(6));
  CHECK(log.since(4) == std::vector<std::string>{"removed b=3", "removed c={\"d\":[4]}"});

  // Not served: quiet (a status, no change events), never "everything removed".
  std::filesystem::remove(server.files_dir() / "state.json");
  REQUIRE(log.wait([&] {
    return !log.statuses.empty() && log.statuses.back().health == model::poll::Health::not_served;
  }));
  // Malformed: a diagnostic and a backoff, never a Removed.
  server.write_file("state.json", "this is not json");
  REQUIRE(log.wait([&] {
    for (const auto& d : log.diagnostics)
      if (d.find("malformed body: body is not JSON") != std::string::npos) return true;
    return false;
  }));
  CHECK(log.since(6).empty());

  server.write_file("state.json", R"({"a":2})");
  REQUIRE(log.wait_for_changes(7));
  CHECK(log.since(6) == std::vector<std::string>{"modified a=2"});
  (*runner)->stop();
  CHECK((*runner)->finished());
  CHECK((*runner)->polls_completed() >= 6);
}

namespace {

// A provider whose first refresh answers at once and whose later ones block
// until released or cancelled (a token command that hangs). entered() is the
// synchronisation point: a refresh is running.
struct BlockingAuth final : io::AuthProvider {
  std::mutex mutex;
  std::condition_variable changed;
  int calls = 0;
  bool released = false;
  bool cancelled = false;

  std::expected<io::Credentials, std::string> refresh() override {
    std::unique_lock lock(mutex);
    if (++calls == 1) return io::Credentials{"first-token", std::nullopt};
    changed.notify_all();
    changed.wait(lock, [&] { return released || cancelled; });
    if (cancelled) return std::unexpected("cancelled");
    return io::Credentials{"second-token", std::nullopt};
  }
  void cancel() override {
    std::lock_guard lock(mutex);
    cancelled = true;
    changed.notify_all();
  }
  void release() {
    std::lock_guard lock(mutex);
    released = true;
    changed.notify_all();
  }
  bool entered(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return calls >= 2; });
  }
  int refreshes() {
    std::lock_guard lock(mutex);
    return calls;
  }
};

// A provider that always fails, counting its calls.
struct FailingAuth final : io::AuthProvider {
  std::atomic<int> calls{0};
  std::expected<io::Credentials, std::string> refresh() override {
    ++calls;
    return std::unexpected("no token here");
  }
};

std::size_t count_containing(ChangeLog& log, std::string_view text) {
  std::lock_guard lock(log.mutex);
  std::size_t n = 0;
  for (const auto& d : log.diagnostics)
    if (d.find(text) != std::string::npos) ++n;
  return n;
}

}  // namespace

TEST_CASE(
    "poll runner: a credential refresh that blocks holds up neither the other endpoints nor stop()",
    "[poll_runner][auth]") {
  NginxServer server = NginxServer::start();
  server.write_file("open.json", R"({"v":1})");
  io::testing::ScriptedServer locked(
      {io::testing::Behaviour::http_response(401)});  // every poll: 401
  io::PollRunnerOptions options;
  options.config.endpoints.push_back({"open", 100, model::poll::Backoff::fixed(100)});
  options.config.endpoints.push_back({"locked", 100, model::poll::Backoff::fixed(100)});
  options.urls = {server.url("/files/open.json"), locked.base_url() + "/locked.json"};
  options.http.timeout = 2000ms;
  auto auth = std::make_shared<BlockingAuth>();
  options.auth = auth;
  ChangeLog log;
  auto runner = io::PollRunner::start(options, log.callbacks());
  REQUIRE(runner);
  REQUIRE(log.wait_for_changes(1));
  REQUIRE(auth->entered(10s));  // the 401 started a refresh, which now blocks

  // The other endpoint is still polled, and its change still delivered.
  server.write_file("open.json", R"({"v":2})");
  CHECK(log.wait_for_changes(2));
  CHECK(log.since(0) == std::vector<std::string>{"added v=1", "modified v=2"});
  // "locked" answers 401 at every poll meanwhile: one refresh at a time.
  const std::size_t polls_of_locked = locked.connections_accepted();
  CHECK(locked.wait_for_connections(polls_of_locked + 2));
  CHECK(auth->refreshes() == 2);

  // stop() returns while the refresh still blocks (it is cancelled).
  auto stopping = std::async(std::launch::async, [&] { (*runner)->stop(); });
  const bool stopped = stopping.wait_for(10s) == std::future_status::ready;
  CHECK(stopped);
  if (!stopped) auth->release();  // the old code: unblock it, so the test ends
  stopping.get();
  CHECK((*runner)->finished());
  runner->reset();  // joins the workers
}

TEST_CASE("poll runner: stop() ends a first credential refresh that blocks",
          "[poll_runner][auth]") {
  io::testing::ScriptedServer server(
      {io::testing::Behaviour::http_response(200, {}, R"({"a":1})")});
  io::PollRunnerOptions options;
  options.config.endpoints.push_back({"state", 100, model::poll::Backoff::fixed(100)});
  options.urls = {server.base_url() + "/state.json"};
  auto auth = std::make_shared<BlockingAuth>();
  {
    std::lock_guard lock(auth->mutex);
    auth->calls = 1;  // the next refresh, the first one, blocks
  }
  options.auth = auth;
  ChangeLog log;
  auto runner = io::PollRunner::start(options, log.callbacks());
  REQUIRE(runner);
  REQUIRE(auth->entered(10s));
  auto stopping = std::async(std::launch::async, [&] { (*runner)->stop(); });
  const bool stopped = stopping.wait_for(10s) == std::future_status::ready;
  CHECK(stopped);
  if (!stopped) auth->release();
  stopping.get();
  CHECK((*runner)->finished());
  runner->reset();
  CHECK(server.connections_accepted() == 0);  // no poll without its first credentials
  CHECK(log.changes.empty());
}

TEST_CASE(
    "poll runner: a failing credential refresh is reported, once per 401 at most, never in a loop",
    "[poll_runner][auth]") {
  io::testing::ScriptedServer locked({io::testing::Behaviour::http_response(401)});
  io::PollRunnerOptions options;
  options.config.endpoints.push_back({"locked", 100, model::poll::Backoff::fixed(100)});
  options.urls = {locked.base_url() + "/locked.json"};
  auto auth = std::make_shared<FailingAuth>();
  options.auth = auth;
  ChangeLog log;
  auto runner = io::PollRunner::start(options, log.callbacks());
  REQUIRE(runner);
  REQUIRE(log.wait([&] {
    std::size_t n = 0;
    for (const auto& d : log.diagnostics)
      if (d.find("credential refresh failed: no token here") != std::string::npos) ++n;
    return n >= 3;
  }));
  (*runner)->stop();
  const int refreshes = auth->calls;
  const std::size_t polls = locked.connections_accepted();
  INFO(refreshes << " refreshes for " << polls << " polls answered 401");
  CHECK(count_containing(log, "no initial credentials: no token here") == 1);
  // The first refresh, then at most one per 401: never retried on its own.
  CHECK(refreshes <= static_cast<int>(polls) + 1);
  // Every failure is reported (but one that completes after the stop).
  const auto reported =
      static_cast<int>(count_containing(log, "credential refresh failed: no token here"));
  CHECK(reported <= refreshes - 1);
  CHECK(reported >= refreshes - 2);
}
