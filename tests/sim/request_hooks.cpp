// The application's request hook under simulation (WorldParams::request_hook):
// the production driver calls it before every attempt, its header reaches
// every request it completes, its failures and its lateness (past the connect
// timeout) fail attempts that the backoff retries, and every guarantee holds
// meanwhile, in one client's world and across the swarm.
#include <catch2/catch.hpp>
#include <string>
#include <tether/sim/scenario_json.hpp>
#include <tether/sim/session_world.hpp>
#include <tether/sim/swarm.hpp>

#include "status_history.hpp"

using namespace tether::sim;

namespace {

std::string failures_of(const RunResult& r) {
  std::string out = r.error;
  for (const Violation& v : r.violations) out += "\n" + v.message;
  return out;
}

Scenario hooked(Scenario s, Ms delay_ms_max, std::uint64_t fail_every) {
  s.world.request_hook = true;
  s.world.request_hook_delay_ms_max = delay_ms_max;
  s.world.request_hook_fail_every = fail_every;
  return s;
}

}  // namespace

TEST_CASE("request hooks: every completed hook's header reaches its request, failures are retried",
          "[session-world][hooks]") {
  Scenario s = hooked(test::aviso_base(60000), 200, 3);
  // Connection resets make attempts, one in three of whose hooks fails.
  for (const Ms at : {2000, 9000, 16000, 23000, 30000, 37000})
    s.faults.push_back(Fault{FaultKind::reset, 0, at, 0, 0});
  const RunResult r = run_session(s);
  INFO(failures_of(r));
  REQUIRE(r.ok());
  const ClientReport& c = r.clients.at(0);
  CHECK(c.hook_calls >= 7);  // the first attempt and one after each reset, at least
  CHECK(c.hook_failures >= 2);
  CHECK(c.unhooked_requests == 0);
  CHECK(c.hooked_requests == c.hook_calls - c.hook_failures);
  CHECK(c.deliveries > 100);
}

TEST_CASE("request hooks: a hook slower than the connect timeout abandons only its attempt",
          "[session-world][hooks]") {
  Scenario s = test::aviso_base(60000);
  s = hooked(s, 3 * s.config.connect.timeout_ms, 0);
  const RunResult r = run_session(s);
  INFO(failures_of(r));
  REQUIRE(r.ok());
  const ClientReport& c = r.clients.at(0);
  CHECK(c.unhooked_requests == 0);
  CHECK(c.hooked_requests >= 1);            // the session got through, late hooks and all
  CHECK(c.hook_calls > c.hooked_requests);  // some completed after their attempt was abandoned
  CHECK(c.deliveries > 0);
}

TEST_CASE("request hooks: the swarm's faults with a hook on every client break no guarantee",
          "[session-world][hooks][swarm]") {
  std::uint64_t calls = 0, failures = 0, hooked_requests = 0;
  for (std::uint64_t seed = 1; seed <= 150; ++seed) {
    Scenario s = swarm_scenario(seed);
    s = hooked(s, 2 * s.config.connect.timeout_ms / 3, 4);
    const RunResult r = run_session(s);
    INFO("swarm seed " << seed << ": " << failures_of(r));
    REQUIRE(r.ok());
    for (const ClientReport& c : r.clients) {
      CHECK(c.unhooked_requests == 0);
      calls += c.hook_calls;
      failures += c.hook_failures;
      hooked_requests += c.hooked_requests;
    }
  }
  CHECK(failures > 0);
  CHECK(hooked_requests > 0);
  CHECK(calls >= failures + hooked_requests);
}

TEST_CASE("request hooks: a scenario file keeps the hook's fields", "[scenario-json][hooks]") {
  const Scenario s = hooked(test::aviso_base(1000), 150, 5);
  const auto back = parse_scenario(to_json(s));
  REQUIRE(back);
  CHECK(back->world.request_hook);
  CHECK(back->world.request_hook_delay_ms_max == 150);
  CHECK(back->world.request_hook_fail_every == 5);
  CHECK(to_json(*back) == to_json(s));
}
