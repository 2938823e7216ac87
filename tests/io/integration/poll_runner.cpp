// The polling session for real: PollRunner against a JSON file that nginx
// serves and the test rewrites. The application must see exactly the
// Added / Modified / Removed sequence that turns one content into the next,
// and a missing or malformed file must never look like removed keys.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "nginx_server.hpp"
#include <tether/io/poll_runner.hpp>

namespace {

using namespace tether;
using namespace std::chrono_literals;
using io::testing::NginxServer;

struct ChangeLog {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> changes;  // "added a=1"
  std::vector<model::poll::EndpointStatus> statuses;
  std::vector<std::string> diagnostics;

  io::PollCallbacks callbacks() {
    io::PollCallbacks c;
    c.on_change = [this](std::size_t, model::poll::ChangeKind kind, std::string_view key, std::string_view value) {
      const char* name = kind == model::poll::ChangeKind::added      ? "added"
                         : kind == model::poll::ChangeKind::modified ? "modified"
                                                                     : "removed";
      std::lock_guard lock(mutex);
      changes.push_back(std::string(name) + " " + std::string(key) + "=" + std::string(value));
      changed.notify_all();
    };
    c.on_status = [this](std::size_t, const model::poll::EndpointStatus& s) {
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

TEST_CASE("poll runner: a rewritten file gives exactly the Added/Modified/Removed that explain it", "[poll_runner]") {
  NginxServer server = NginxServer::start();
  server.write_file("state.json", R"({"a":1,"b":2})");
  io::PollRunnerOptions options;
  options.config.endpoints.push_back({"state", 100, model::poll::PollBackoff::fixed(100)});
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
