// Swarm runs: random scenarios, zero violations, and the determinism sample.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>

#include <tether/model/names.hpp>

#include <tether/sim/run.hpp>
#include <tether/sim/swarm.hpp>

using namespace tether::sim;

namespace {
// The one line that reproduces a failing seed (until the tether-sim CLI exists).
std::string reproduce(std::uint64_t seed, const RunResult& r) {
  return "swarm seed " + std::to_string(seed) + " (preset " + swarm_scenario(seed).preset + "):\n" + describe(r);
}
}  // namespace

TEST_CASE("swarm scenarios are data drawn from the seed", "[swarm]") {
  const Scenario a = swarm_scenario(42), b = swarm_scenario(42), c = swarm_scenario(43);
  CHECK(a.preset == b.preset);
  CHECK(a.faults.size() == b.faults.size());
  CHECK(a.safety_ms == b.safety_ms);
  CHECK((a.safety_ms != c.safety_ms || a.preset != c.preset || a.faults.size() != c.faults.size()));
  for (const Fault& f : a.faults) CHECK(f.at_ms < a.safety_ms);
}

TEST_CASE("1000 swarm seeds hold every guarantee", "[swarm]") {
  Coverage coverage;
  std::uint64_t events = 0;
  int failing = 0;
  for (std::uint64_t seed = 1; seed <= 1000; ++seed) {
    const RunResult r = run(swarm_scenario(seed));
    events += r.events;
    coverage.merge(r.coverage);
    if (!r.ok()) {
      ++failing;
      if (failing <= 5) UNSCOPED_INFO(reproduce(seed, r));
    }
  }
  CHECK(failing == 0);
  std::printf("swarm: 1000 seeds, %llu reducer events, %zu of %zu (phase, event) pairs reached\n",
              static_cast<unsigned long long>(events), coverage.pairs_reached(), phase_count * event_count);
}

TEST_CASE("the same seed gives the same trace hash", "[swarm][determinism]") {
  for (std::uint64_t seed = 1000; seed < 1020; ++seed) {
    RunOptions o;
    o.check_determinism = true;
    const RunResult r = run(swarm_scenario(seed), o);
    for (const Violation& v : r.violations) CHECK(v.guarantee != 9);
  }
  CHECK(run(swarm_scenario(7)).trace_hash == run(swarm_scenario(7)).trace_hash);
  CHECK(run(swarm_scenario(7)).trace_hash != run(swarm_scenario(8)).trace_hash);
}

TEST_CASE("throughput of a batch of swarm scenarios", "[swarm][throughput]") {
  // A figure, not an assertion: wall time is never asserted on.
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t events = 0;
  for (std::uint64_t seed = 5000; seed < 5100; ++seed) events += run(swarm_scenario(seed)).events;
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("throughput: 100 swarm scenarios, %llu reducer events in %.3f s = %.0f events/s\n",
              static_cast<unsigned long long>(events), s, static_cast<double>(events) / s);
  CHECK(events > 0);
}

// Not run by default: TETHER_SIM_SEED=<n> tether_sim_tests "[.replay]" prints
// that seed's scenario verdicts and trace (until tether-sim replay exists).
TEST_CASE("replay one swarm seed", "[.replay]") {
  const char* env = std::getenv("TETHER_SIM_SEED");
  const std::uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 10) : 1;
  RunOptions o;
  o.keep_trace_text = true;
  o.events_max = 20000;
  const Scenario s = swarm_scenario(seed);
  std::printf("preset %s, %u clients, safety %lld ms\n", s.preset.c_str(), s.clients,
              static_cast<long long>(s.safety_ms));
  for (const Fault& f : s.faults)
    std::printf("  fault %s client %d at %lld for %lld param %lld\n", std::string(name_of(f.kind)).c_str(),
                f.client == all_clients ? -1 : static_cast<int>(f.client), static_cast<long long>(f.at_ms),
                static_cast<long long>(f.duration_ms), static_cast<long long>(f.param));
  const RunResult r = run(s, o);
  std::fputs(r.trace.c_str(), stdout);
  std::fputs(describe(r).c_str(), stdout);
}

// Not run by default: outcome mix and coverage of a swarm batch, to tune the generator.
TEST_CASE("swarm outcome mix", "[.stats]") {
  Coverage coverage;
  std::map<std::string, int> finals;
  std::map<int, int> by_guarantee;
  int gaps = 0, refreshes = 0, redeliveries = 0;
  for (std::uint64_t seed = 1; seed <= 2000; ++seed) {
    const RunResult r = run(swarm_scenario(seed));
    coverage.merge(r.coverage);
    for (const Violation& v : r.violations) {
      if (by_guarantee[v.guarantee]++ == 0) std::printf("first g%d: seed %llu: %s\n", v.guarantee,
                                                       static_cast<unsigned long long>(seed), v.message.c_str());
    }
    for (const ClientReport& c : r.clients) {
      finals[std::string(c.final_phase) + (c.statuses.empty() ? "" : "/" + std::string(tether::model::name_of(c.statuses.back().second.reason)))]++;
      gaps += c.gaps.empty() ? 0 : 1;
      refreshes += c.refresh_rejected > 0 ? 1 : 0;
      redeliveries += c.redeliveries > 0 ? 1 : 0;
    }
  }
  for (const auto& [k, n] : finals) std::printf("final %s: %d\n", k.c_str(), n);
  for (const auto& [g, n] : by_guarantee) std::printf("g%d: %d\n", g, n);
  std::printf("clients with gaps %d, with 401 refreshes %d, with re-deliveries %d\n", gaps, refreshes, redeliveries);
  for (const std::string& p : coverage.never_reached()) std::printf("never: %s\n", p.c_str());
}
