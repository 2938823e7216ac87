// A fleet must not retry in lockstep: five tether-watch processes against the
// same closed port draw their jitter from different seeds (the OS's), so their
// retry schedules differ, and each recording names its seed for replay.
#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <set>

#include "child_process.hpp"

#ifdef TETHER_WATCH

namespace {

using namespace tether::io::testing;
using namespace std::chrono_literals;

// A loopback port that refuses connections: bound (so nobody else takes it), never listening.
struct ClosedPort {
  int fd = -1;
  std::uint16_t port = 0;
  ClosedPort() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
  }
  ~ClosedPort() { ::close(fd); }
};

// The next_attempt_at_ms of each backing_off status line, in order.
std::vector<std::int64_t> attempt_times(const std::string& err) {
  std::vector<std::int64_t> out;
  const std::string key = "\"next_attempt_at_ms\":";
  for (auto at = err.find(key); at != std::string::npos; at = err.find(key, at + 1))
    out.push_back(std::strtoll(err.c_str() + at + key.size(), nullptr, 10));
  return out;
}

// The recording's `@seed N` header line (tether-events/2).
std::string seed_of(const std::string& recording) {
  const auto at = recording.find("\n@seed ");
  if (at == std::string::npos) return {};
  return recording.substr(at + 7, recording.find('\n', at + 7) - at - 7);
}

}  // namespace

TEST_CASE("fleet: five processes against a closed port retry on different schedules",
          "[tether_watch][seed]") {
  ClosedPort closed;
  const Scratch dir("seed");
  const std::string url = "http://127.0.0.1:" + std::to_string(closed.port) + "/sub/x";
  constexpr std::size_t processes = 5;
  constexpr std::size_t backoffs = 5;  // aviso: ceilings 250, 500, 1000, 2000, 4000 ms
  std::vector<Child> runs;
  for (std::size_t i = 0; i < processes; ++i)
    runs.emplace_back(TETHER_WATCH,
                      std::vector<std::string>{url, "--json-status", "--record",
                                               (dir / (std::to_string(i) + ".events")).string()},
                      dir, "p" + std::to_string(i));
  for (Child& r : runs) {
    CHECK(r.wait_for_err_lines("backing_off", backoffs, 60s));
    ::kill(r.pid(), SIGTERM);
    CHECK(r.wait_exit(10s) == 0);
  }
  // The delays between successive attempts (each includes the same ~1 ms of
  // connect-and-refuse): with one shared seed they would all be equal.
  std::vector<std::vector<std::int64_t>> gaps;
  std::set<std::string> seeds;
  for (const Child& r : runs) {
    const auto times = attempt_times(r.err());
    REQUIRE(times.size() >= backoffs);
    std::vector<std::int64_t> g;
    for (std::size_t k = 1; k < backoffs; ++k) g.push_back(times[k] - times[k - 1]);
    gaps.push_back(g);
  }
  for (std::size_t i = 0; i < processes; ++i) {
    const std::string seed = seed_of(read_all(dir / (std::to_string(i) + ".events")));
    CHECK_FALSE(seed.empty());
    seeds.insert(seed);
    for (std::size_t j = 0; j < i; ++j) {
      std::int64_t most_apart_ms = 0;
      for (std::size_t k = 0; k < gaps[i].size(); ++k)
        most_apart_ms = std::max(most_apart_ms, std::abs(gaps[i][k] - gaps[j][k]));
      INFO("processes " << i << " and " << j);
      CHECK(most_apart_ms > 5);
    }
  }
  CHECK(seeds.size() == processes);
}

TEST_CASE("fleet: --seed fixes the schedule, for replay", "[tether_watch][seed]") {
  ClosedPort closed;
  const Scratch dir("seed-fixed");
  const std::string url = "http://127.0.0.1:" + std::to_string(closed.port) + "/sub/x";
  Child r(TETHER_WATCH, {url, "--seed", "12345", "--record", (dir / "r.events").string()}, dir,
          "fixed");
  CHECK(r.wait_for_err_lines("backing_off", 2, 60s));
  ::kill(r.pid(), SIGTERM);
  CHECK(r.wait_exit(10s) == 0);
  CHECK(seed_of(read_all(dir / "r.events")) == "12345");
}

#endif  // TETHER_WATCH
