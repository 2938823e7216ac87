// Wait-for-resource for real: WaitRunner waits for a loopback port that the
// test opens late, never tries while the link is down, and wakes at once when
// it comes back.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "raw_socket.hpp"
#include <tether/io/wait_runner.hpp>

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
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, 8) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

model::wait::WaitConfig quick_wait() {
  model::wait::WaitConfig c = model::presets::kanade_wait();
  c.backoff.delay_ms_initial = 50;
  c.backoff.delay_ms_max = 400;  // +-25 %: at most 500 ms between attempts
  c.backoff.short_session_ms = 0;
  c.backoff.short_session_delay_ms_min = 0;
  c.backoff.restored_delay_ms_max = 0;
  return c;
}

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
    acquired_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    acquired = id;
  };
  auto runner = io::WaitRunner::start(options, callbacks);
  REQUIRE(runner);
  std::this_thread::sleep_for(1200ms);
  CHECK(acquired == 0);
  CHECK((*runner)->attempts() >= 3);  // it kept trying, with backoff
  const auto opened_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
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

TEST_CASE("wait runner: no attempt while the link is down, link up wakes the wait at once", "[wait_runner]") {
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
