// Shrinking: greedy, bounded, and it keeps only candidates that still fail.
#include <algorithm>
#include <catch2/catch.hpp>
#include <tether/sim/scenario_json.hpp>
#include <tether/sim/shrink.hpp>
#include <tether/sim/swarm.hpp>

using namespace tether::sim;

namespace {

bool has_restart(const Scenario& s) {
  return std::any_of(s.faults.begin(), s.faults.end(),
                     [](const Fault& f) { return f.kind == FaultKind::server_restart; });
}

// A swarm scenario with a server restart among several other faults, on a fleet.
Scenario busy_scenario_with_restart() {
  for (std::uint64_t seed = 0; seed < 10000; ++seed) {
    Scenario s = swarm_scenario(seed);
    if (has_restart(s) && s.faults.size() >= 6 && s.clients >= 2) return s;
  }
  FAIL("no swarm seed below 10000 has a restart among 6 faults on 2+ clients");
  return {};
}

}  // namespace

TEST_CASE("shrink: 'any server restart' reduces to one restart, one client, short phases",
          "[shrink]") {
  const Scenario start = busy_scenario_with_restart();
  const ShrinkResult r = shrink_with_report(start, has_restart);
  INFO(to_json(r.scenario));
  REQUIRE(r.scenario.faults.size() == 1);
  CHECK(r.scenario.faults[0].kind == FaultKind::server_restart);
  CHECK(r.scenario.faults[0].duration_ms == 0);
  CHECK(r.scenario.faults[0].at_ms == 0);
  CHECK(r.scenario.clients == 1);
  CHECK(r.scenario.safety_ms == 1);
  CHECK_FALSE(r.budget_exhausted);
  CHECK(r.runs <= ShrinkOptions{}.runs_max);
  CHECK(check_scenario(r.scenario));
}

TEST_CASE("shrink: the run budget bounds the predicate calls", "[shrink]") {
  const Scenario start = busy_scenario_with_restart();
  std::uint32_t calls = 0;
  const ShrinkResult r = shrink_with_report(
      start,
      [&](const Scenario& s) {
        ++calls;
        return has_restart(s);
      },
      ShrinkOptions{5});
  CHECK(calls == 5);
  CHECK(r.runs == 5);
  CHECK(r.budget_exhausted);
  CHECK(has_restart(r.scenario));
}

TEST_CASE("shrink: a predicate that never holds keeps the original", "[shrink]") {
  const Scenario start = busy_scenario_with_restart();
  const Scenario r = shrink(start, [](const Scenario&) { return false; });
  CHECK(to_json(r) == to_json(start));
}

TEST_CASE("shrink with real runs: noise faults go, the cause stays", "[shrink]") {
  Scenario s;
  s.seed = 11;
  s.world.append_every_ms = 500;
  s.world.heartbeat_every_ms = 10000;
  s.world.retention_ms = 10000;
  s.config.resume.too_old = tether::model::TooOldPolicy::fail;
  s.clients = 2;
  s.faults = {Fault{FaultKind::slow_link, 1, 5000, 20000, 300},
              Fault{FaultKind::partition, 0, 20000, 40000}, Fault{FaultKind::reset, 0, 20000, 0},
              Fault{FaultKind::loss, all_clients, 70000, 5000, 500},
              Fault{FaultKind::server_errors, all_clients, 90000, 3000, 503}};
  const auto fails = [](const Scenario& c) {
    const RunResult r = run_session(c);
    return r.ok() && r.clients[0].final_phase == "Failed";
  };
  REQUIRE(fails(s));
  const ShrinkResult r = shrink_with_report(s, fails);
  INFO(to_json(r.scenario));
  CHECK(fails(r.scenario));
  CHECK(r.scenario.clients == 1);
  CHECK(r.scenario.faults.size() <= 2);
  for (const Fault& f : r.scenario.faults)
    CHECK((f.kind == FaultKind::partition || f.kind == FaultKind::reset));
  CHECK(r.scenario.safety_ms < s.safety_ms);
}
