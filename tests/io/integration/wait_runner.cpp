// Wait-for-resource for real: WaitRunner waits for a loopback port that the
// test opens late, never tries while the link is down, and wakes at once when
// it comes back.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <tether/io/wait_runner.hpp>
#include <tether/model/presets.hpp>
#include <thread>
#include <vector>

#include "raw_socket.hpp"

namespace {

using namespace tether;
using namespace std::chrono_literals;

// A listening socket on 127.0.0.1:port (the "resource" appearing).
int listen_on(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, 8) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

model::wait::Config quick_wait() {
  model::wait::Config c = model::presets::kanade_wait();
  c.backoff.delay_ms_initial = 50;
  c.backoff.delay_ms_max = 400;  // +-25 %: at most 500 ms between attempts
  c.backoff.short_session_ms = 0;
  c.backoff.short_session_delay_ms_min = 0;
  c.backoff.restored_delay_ms_max = 0;
  return c;
}

// A real blocking acquisition that hangs until the test lets it go, and what
// the runner reported; every wait is on an event (a condition), never a sleep.
struct Hang {
  std::mutex mutex;
  std::condition_variable changed;
  bool open = false;
  int calls = 0;
  std::vector<std::string> diagnostics;
  std::vector<model::wait::Status> statuses;
  std::vector<std::uint64_t> acquired, released;

  io::Acquirer acquirer() {
    return [this]() -> std::expected<void, std::string> {
      std::unique_lock lock(mutex);
      ++calls;
      changed.notify_all();
      changed.wait(lock, [&] { return open; });
      return {};
    };
  }
  io::WaitCallbacks callbacks() {
    io::WaitCallbacks c;
    c.on_diagnostic = [this](const io::Diagnostic& d) {
      record([&] { diagnostics.push_back(d.text); });
    };
    c.on_status = [this](const model::wait::Status& st) {
      record([&] { statuses.push_back(st); });
    };
    c.on_acquired = [this](std::uint64_t id) { record([&] { acquired.push_back(id); }); };
    c.on_release = [this](std::uint64_t id) { record([&] { released.push_back(id); }); };
    return c;
  }
  template <class Fn>
  void record(Fn fn) {
    std::lock_guard lock(mutex);
    fn();
    changed.notify_all();
  }
  void let_go() {
    record([&] { open = true; });
  }
  // Waits (20 s at most, a safety net) until `done` holds under the lock.
  template <class Pred>
  bool until(Pred done) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 20s, [&] { return done(*this); });
  }
  bool said(std::string_view text) const {
    return std::any_of(diagnostics.begin(), diagnostics.end(),
                       [&](const std::string& d) { return d.find(text) != std::string::npos; });
  }
  bool reported(model::wait::StatusKind kind, model::wait::Cause cause) const {
    return std::any_of(statuses.begin(), statuses.end(),
                       [&](const auto& st) { return st.kind == kind && st.cause == cause; });
  }
};

}  // namespace

TEST_CASE("wait runner: waits for a port that opens late, then holds it", "[wait_runner]") {
  const std::uint16_t port = io::testing::pick_free_port();
  io::WaitRunnerOptions options;
  options.config = quick_wait();
  options.acquire = io::tcp_port_acquirer("127.0.0.1", port, 500ms);
  std::atomic<std::uint64_t> acquired{0};
  std::atomic<std::int64_t> acquired_at_ms{0};
  const auto started = std::chrono::steady_clock::now();
  io::WaitCallbacks callbacks;
  callbacks.on_acquired = [&](std::uint64_t id) {
    acquired_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - started)
                         .count();
    acquired = id;
  };
  auto runner = io::WaitRunner::start(options, callbacks);
  REQUIRE(runner);
  std::this_thread::sleep_for(1200ms);
  CHECK(acquired == 0);
  CHECK((*runner)->attempts() >= 3);  // it kept trying, with backoff
  const auto opened_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count();
  const int fd = listen_on(port);
  REQUIRE(fd >= 0);
  for (int i = 0; i < 300 && acquired == 0; ++i) std::this_thread::sleep_for(10ms);
  CHECK(acquired != 0);
  // Within one maximal backoff (400 ms + 25 %) plus the attempt itself.
  CHECK(acquired_at_ms - opened_ms <= 500 + 300);
  CHECK((*runner)->status().kind == model::wait::StatusKind::held);
  (*runner)->stop();
  ::close(fd);
}

TEST_CASE("wait runner: no attempt while the link is down, link up wakes the wait at once",
          "[wait_runner]") {
  const std::uint16_t port = io::testing::pick_free_port();
  io::WaitRunnerOptions options;
  options.config = quick_wait();
  options.config.backoff.delay_ms_initial = 5000;  // a long wait that only link_up cuts short
  options.config.backoff.delay_ms_max = 5000;
  options.acquire = io::tcp_port_acquirer("127.0.0.1", port, 500ms);
  auto runner = io::WaitRunner::start(options, {});
  REQUIRE(runner);
  for (int i = 0; i < 100 && (*runner)->attempts() < 1; ++i) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(100ms);
  REQUIRE((*runner)->attempts() == 1);  // failed, now backing off for about 5 s
  (*runner)->link_down();
  std::this_thread::sleep_for(300ms);
  CHECK((*runner)->attempts() == 1);
  CHECK((*runner)->status().kind == model::wait::StatusKind::offline);
  const auto up = std::chrono::steady_clock::now();
  (*runner)->link_up();
  for (int i = 0; i < 100 && (*runner)->attempts() < 2; ++i) std::this_thread::sleep_for(5ms);
  CHECK((*runner)->attempts() == 2);
  CHECK(std::chrono::steady_clock::now() - up < 400ms);  // not the 5 s backoff
  (*runner)->stop();
}

TEST_CASE(
    "wait runner: a hung acquisition does not wedge it: its timeout is said, no second one queues "
    "behind it, and its late success is the hold",
    "[wait_runner][hung]") {
  using model::wait::Cause;
  using model::wait::StatusKind;
  Hang hang;
  io::WaitRunnerOptions options;
  options.config = quick_wait();
  options.config.acquire_timeout_ms = 200;
  options.acquire = hang.acquirer();
  auto runner = io::WaitRunner::start(options, hang.callbacks());
  REQUIRE(runner);
  // The timeout is said, naming the option; the backoff after it falls due and
  // the attempt waits for the call still out instead of queueing another.
  CHECK(hang.until([](const Hang& h) {
    return h.said("acquisition 1 unanswered after acquire_timeout_ms (200 ms)");
  }));
  CHECK(hang.until(
      [](const Hang& h) { return h.reported(StatusKind::acquiring, Cause::acquire_still_out); }));
  CHECK((*runner)->attempts() == 1);
  hang.let_go();
  CHECK(hang.until([](const Hang& h) { return !h.acquired.empty(); }));
  CHECK(hang.until([](const Hang& h) {
    return h.said("past acquire_timeout_ms (200 ms): the resource is held");
  }));
  {
    std::lock_guard lock(hang.mutex);
    CHECK(hang.acquired == std::vector<std::uint64_t>{1});
    CHECK(hang.released.empty());
    CHECK(hang.calls == 1);
  }
  CHECK((*runner)->attempts() == 1);
  CHECK((*runner)->status().kind == StatusKind::held);
  (*runner)->stop();
}

TEST_CASE("wait runner: an acquisition that never answers ends by attempts_max, released",
          "[wait_runner][hung]") {
  using model::wait::StatusKind;
  Hang hang;
  io::WaitRunnerOptions options;
  options.config = quick_wait();
  options.config.acquire_timeout_ms = 100;
  options.config.give_up.attempts_max = 3;
  options.acquire = hang.acquirer();
  auto runner = io::WaitRunner::start(options, hang.callbacks());
  REQUIRE(runner);
  CHECK(hang.until([](const Hang& h) {
    return !h.statuses.empty() && h.statuses.back().kind == StatusKind::gave_up;
  }));
  {
    std::lock_guard lock(hang.mutex);
    CHECK(hang.statuses.back().failures == 3);
    CHECK(hang.released == std::vector<std::uint64_t>{1});
    CHECK(hang.calls == 1);
    CHECK(hang.said("acquisition 1 unanswered after acquire_timeout_ms (100 ms)"));
  }
  CHECK((*runner)->attempts() == 1);
  hang.let_go();  // the worker's call returns; the runner ended: its answer is ignored
  (*runner)->stop();
  std::lock_guard lock(hang.mutex);
  CHECK(hang.acquired.empty());
}
