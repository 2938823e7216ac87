// The herd check (sim/include/tether/sim/herd.hpp) and real seeding: a fleet
// seeds itself as production does (io::choose_seed), so its reconnections after
// a server restart spread out as the jitter policy says — and a fleet that
// shares one fixed seed, as a configuration file with a "seed" makes it,
// reconnects in lockstep and fails the check.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <tether/io/seed.hpp>
#include <tether/sim/herd.hpp>
#include <tether/sim/session_world.hpp>
#include <variant>
#include <vector>

using namespace tether::sim;

namespace {

constexpr std::uint32_t fleet = 1000;
constexpr Ms restart_at_ms = 10000;
constexpr Ms window_ms = 100;

// 1,000 aviso clients (full jitter over [0, c), c = 250 ms doubling to 30 s)
// stream for 10 s — longer than aviso's 5 s short-session limit, so no floor
// applies to the reconnection — then the server restarts, down for `down_ms`
// (refusing), losing nothing. The liveness check, 30 s after the safety phase,
// proves every client came back (after a 3 s outage no delay exceeds 16 s);
// the whole run lasts about 46 s, less than aviso's 90 s read-idle budget, so
// nothing but the restart makes a client reconnect, and the run stays cheap
// (Debug: about 1 s per run).
Scenario restart(std::uint64_t seed, Ms down_ms) {
  Scenario s;
  s.seed = seed;
  s.clients = fleet;
  s.safety_ms = 15000;
  s.liveness_ms = 30000;
  s.world.append_every_ms = 100000;  // no appends: the run measures connections
  s.faults.push_back(Fault{FaultKind::server_restart, all_clients, restart_at_ms, down_ms, 0});
  return s;
}

HerdVerdict herd(const Scenario& s) {
  const RunResult r = run_session(s);
  INFO(describe(r));
  REQUIRE(r.ok());
  const HerdVerdict v = check_herd(s, r, restart_at_ms, window_ms);
  // The figures docs/simulation.md ("Herd check") quotes.
  std::printf(
      "herd: seed %lu, down %ld ms, fixed seed %s: busiest %ld ms window %zu attempts (at %ld ms);"
      " attempts per client <= %u; expected <= %.1f; bound %zu\n",
      s.seed, s.faults[0].duration_ms, s.fixed_seed ? "yes" : "no", window_ms, v.peak.attempts,
      v.peak.window_start_ms, v.attempts_max, v.expected_max, v.bound);
  return v;
}

}  // namespace

TEST_CASE("herd: the busiest window slides over the attempts", "[herd]") {
  const std::vector<Ms> at = {1000, 0, 120, 150, 199, 219, 220, 500};
  const HerdPeak p = busiest_window(at, 100);
  CHECK(p.attempts == 4);  // [120, 220): 120, 150, 199, 219 — not 220, the window's end
  CHECK(p.window_start_ms == 120);
  CHECK(busiest_window(std::vector<Ms>{}, 100).attempts == 0);
  CHECK(busiest_window(std::vector<Ms>(7, 42), 1).attempts == 7);
}

TEST_CASE("herd: the bound follows the one jitter rule", "[herd]") {
  tether::model::BackoffPolicy full;  // full jitter over [0, 1000): one attempt each
  full.delay_ms_initial = 1000;
  CHECK(herd_expected_max(full, 1000, 1, 100) == Approx(100.0));  // N * 100 / c
  CHECK(herd_bound(full, 1000, 1, 100) == 140);                   // + 4 * sqrt(100)
  // Attempt 2 draws over [0, 2000): half as much again.
  CHECK(herd_expected_max(full, 1000, 2, 100) == Approx(150.0));
  tether::model::BackoffPolicy none = full;  // no jitter: nothing spreads the fleet
  none.jitter = tether::model::JitterKind::none;
  CHECK(herd_expected_max(none, 1000, 1, 100) == Approx(1000.0));
}

TEST_CASE("herd: 1,000 clients come back spread out after a server restart", "[herd]") {
  // Instant restart (every client reconnects once) and a 3 s restart (every
  // client is refused and backs off, a few attempts each, until it is back).
  for (const Ms down_ms : {Ms{0}, Ms{3000}}) {
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
      const Scenario s = restart(seed, down_ms);
      const HerdVerdict v = herd(s);
      INFO("seed " << seed << ", down " << down_ms << " ms: busiest window " << v.peak.attempts
                   << " attempts at " << v.peak.window_start_ms << " ms, bound " << v.bound);
      CHECK(v.ok());
      CHECK(v.bound < fleet);  // the bound is one a lockstep fleet breaks
    }
  }
}

TEST_CASE("herd: a fleet sharing one fixed seed fails the herd check", "[herd]") {
  for (const Ms down_ms : {Ms{0}, Ms{3000}}) {
    Scenario s = restart(1, down_ms);
    s.fixed_seed = 42;  // one configuration file with "seed": 42, deployed fleet-wide
    const HerdVerdict v = herd(s);
    INFO("down " << down_ms << " ms: busiest window " << v.peak.attempts << " attempts, bound "
                 << v.bound);
    CHECK_FALSE(v.ok());
    CHECK(v.peak.attempts >= fleet);  // every client inside one window
  }
}

TEST_CASE("seeding: a fixed seed wins, else one draw of entropy (io::choose_seed)",
          "[herd][seeding]") {
  int draws = 0;
  const auto entropy = [&draws] { return static_cast<std::uint64_t>(++draws) * 1000; };
  CHECK(tether::io::choose_seed(7, entropy) == 7);
  CHECK(tether::io::choose_seed(0, entropy) == 0);  // 0 is a seed like any other
  CHECK(draws == 0);                                // a fixed seed draws nothing
  CHECK(tether::io::choose_seed(std::nullopt, entropy) == 1000);
  CHECK(tether::io::choose_seed(std::nullopt, entropy) == 2000);
  CHECK(draws == 2);
}

TEST_CASE("seeding: simulated processes seed themselves, and a fixed seed puts them in lockstep",
          "[herd][seeding]") {
  // Three clients on identical links: only their jitter can tell them apart.
  Scenario s;
  s.seed = 5;
  s.clients = 3;
  s.safety_ms = 30000;
  s.world.latency_ms_min = s.world.latency_ms_max = 20;
  s.faults.push_back(Fault{FaultKind::server_restart, all_clients, 10000, 3000, 0});
  const auto connects = [](const Scenario& scenario) {
    const RunResult r = run_session(scenario);
    INFO(describe(r));
    REQUIRE(r.ok());
    std::vector<std::vector<Ms>> out;
    for (const ClientReport& c : r.clients) out.push_back(c.connect_at_ms);
    return out;
  };
  const auto own = connects(s);
  CHECK(own[0] != own[1]);
  CHECK(own[1] != own[2]);
  s.fixed_seed = 42;
  const auto shared = connects(s);
  CHECK(shared[0].size() > 2);  // the restart made them retry
  CHECK(shared[0] == shared[1]);
  CHECK(shared[1] == shared[2]);
}

// Regression (found by the herd check): a floor replaced the jitter instead of
// moving it, so clients whose sessions were short (a restart 3 s after they
// connected, inside aviso's 5 s short-session limit) all came back at exactly
// the 5 s floor — 1,000 attempts in one window.
TEST_CASE("herd: a short-session floor does not put the fleet in lockstep", "[herd]") {
  for (std::uint64_t seed = 1; seed <= 2; ++seed) {
    Scenario s = restart(seed, 0);
    s.faults[0].at_ms = 3000;
    const RunResult r = run_session(s);
    INFO(describe(r));
    REQUIRE(r.ok());
    const HerdVerdict v = check_herd(s, r, 3000, window_ms);
    INFO("seed " << seed << ": busiest window " << v.peak.attempts << " attempts at "
                 << v.peak.window_start_ms << " ms, bound " << v.bound);
    CHECK(v.ok());
    CHECK(v.peak.window_start_ms >= 3000 + 5000 - window_ms);  // the floor still holds
  }
}

namespace {
// What a reducer that ignores restored_delay_ms_max does: a network restore
// ends every backoff at once (the fleet's wake in one millisecond).
tether::model::Effects restore_wakes_at_once(tether::model::State& s,
                                             const tether::model::Event& e) noexcept {
  namespace model = tether::model;
  if (auto* b = std::get_if<model::BackingOff>(&s.phase);
      b != nullptr && std::holds_alternative<model::NetworkRestored>(e)) {
    b->until = model::time_of(e);
    return model::transition_in_place(s, model::Tick{model::time_of(e)});
  }
  return model::transition_in_place(s, e);
}
}  // namespace

// A network restore (issue 11): when the host says the network is back, each
// client cuts its backoff short to a draw over [0, restored_delay_ms_max], so
// a window of w ms holds about N * w / (restored_delay_ms_max + 1) of them,
// not the whole fleet. 1,000 clients lose their streams (a reset) and their
// network (20 s, every connect lost), backing off over [0, 20 s) then [0, 30 s);
// the restore comes at 30 s. Bound: the restore's share plus two regular
// attempts per client (herd_expected_max), plus four standard deviations.
TEST_CASE("herd: a network restore wakes the fleet spread over restored_delay_ms_max", "[herd]") {
  Scenario s;
  s.seed = 1;
  s.clients = fleet;
  s.safety_ms = 40000;
  s.liveness_ms = 70000;
  s.world.append_every_ms = 100000;  // no appends: the run measures connections
  s.world.notify_network_restored = true;
  s.config.backoff.delay_ms_initial = 20000;
  s.config.backoff.delay_ms_max = 30000;
  const Ms restored_at_ms = 30000;
  s.faults.push_back(Fault{FaultKind::reset, all_clients, 10000, 0, 0});
  s.faults.push_back(
      Fault{FaultKind::partition_to_server, all_clients, 10000, restored_at_ms - 10000, 0});
  const Ms spread_ms = s.config.backoff.restored_delay_ms_max;
  const double expected = static_cast<double>(fleet) * static_cast<double>(window_ms) /
                              static_cast<double>(spread_ms + 1) +
                          herd_expected_max(s.config.backoff, fleet, 2, window_ms);
  const auto bound = static_cast<std::size_t>(std::ceil(expected + 4 * std::sqrt(expected)));
  const RunResult r = run_session(s);
  INFO(describe(r));
  REQUIRE(r.ok());
  const HerdPeak peak = busiest_window(r, restored_at_ms, window_ms);
  std::printf(
      "herd: network restore, seed 1: busiest %ld ms window %zu attempts (at %ld ms); expected <= "
      "%.1f; "
      "bound %zu\n",
      window_ms, peak.attempts, peak.window_start_ms, expected, bound);
  CHECK(peak.attempts <= bound);
  CHECK(bound < fleet / 2);
  // The check has teeth: a fleet that wakes at once fails it.
  RunOptions o;
  o.reducer = &restore_wakes_at_once;
  const HerdPeak at_once = busiest_window(run_session(s, o), restored_at_ms, window_ms);
  std::printf("herd: network restore, waking at once: busiest %ld ms window %zu attempts\n",
              window_ms, at_once.attempts);
  CHECK(at_once.attempts > bound);
}
