// The wait world: a swarm campaign with every rule checked after every step,
// targeted scenarios, determinism, and mutation checks proving the oracle has
// teeth (each mutant is a wrapper around the real reducer that edits its
// public state or events; the model's sources are untouched). The world runs
// the production loop, io::ReducerLoop: a mutant is the reducer the loop is
// given (its Transition).
//
// A failing seed reproduces alone: run_wait(wait_scenario(seed)); the summary
// prints the first few.
#include <catch2/catch.hpp>
#include <cstdio>
#include <optional>
#include <string>
#include <tether/io/reducers.hpp>
#include <tether/model/presets.hpp>
#include <tether/sim/wait_world.hpp>
#include <variant>

#include "swarm_report.hpp"

using namespace tether::sim;
using namespace tether::test;
namespace model = tether::model;
namespace wait = tether::model::wait;

// --- campaign --------------------------------------------------------------------

TEST_CASE("wait swarm: 10000 seeds keep every rule", "[resource_world][swarm]") {
  const SwarmSummary s = timed("wait swarm", [] { return run_wait_swarm(1, wait_campaign_seeds); });
  CHECK(s.scenarios == wait_campaign_seeds);
  CHECK(s.failing == 0);
  // The campaign exercises every behaviour.
  for (const char* k :
       {"attempts", "backoffs", "holds", "offline waits", "attempts woken by Connected",
        "reopen pauses", "watches flapped", "acquire timeouts", "held after heal"})
    CHECK(s.counters.count(k) == 1);
}

TEST_CASE("wait world: the same seed gives the same trace hash", "[resource_world][determinism]") {
  for (std::uint64_t seed = 1; seed <= 20; ++seed)
    CHECK(run_wait(wait_scenario(seed)).trace_hash == run_wait(wait_scenario(seed)).trace_hash);
  CHECK(run_wait(wait_scenario(1)).trace_hash != run_wait(wait_scenario(2)).trace_hash);
}

// --- targeted wait scenarios -----------------------------------------------------------

namespace {
WaitScenario kanade_world() {
  WaitScenario s;
  s.config = model::presets::kanade_wait();
  s.config.seed = 7;
  s.safety_ms = 900000;
  s.latency_ms_min = 5;
  s.latency_ms_max = 5;
  return s;
}
}  // namespace

TEST_CASE("kanade waits out a missing resource with +-25 % doubling delays", "[resource_world]") {
  WaitScenario s = kanade_world();
  s.safety_ms = 600000;
  s.resource_absent = {{0, 600000}};  // appears after 10 minutes
  const WaitRunResult r = run_wait(s);
  REQUIRE(r.ok());
  REQUIRE(r.attempt_at_ms.size() >= 9);
  // Attempt k+1 follows the failure of attempt k (answered 5 ms later) by
  // 1000 * 2^(k-1) ms capped at 300000, +-25 %.
  for (std::size_t i = 1; i < r.attempt_at_ms.size() && r.attempt_at_ms[i] < 600000; ++i) {
    const std::int64_t ceiling = std::min<std::int64_t>(300000, std::int64_t{1000} << (i - 1));
    const std::int64_t waited = r.attempt_at_ms[i] - r.attempt_at_ms[i - 1] - 5;
    CHECK(waited >= ceiling - ceiling / 4);
    CHECK(waited <= ceiling + ceiling / 4);
  }
  REQUIRE(r.held_after_heal_ms);
  CHECK(*r.held_after_heal_ms <= liveness_bound_ms(s));
}

TEST_CASE("no attempt while down, Connected wakes a long backoff within 100 ms",
          "[resource_world]") {
  WaitScenario s = kanade_world();
  s.resource_absent = {{0, 400000}};
  s.link_down = {{300000, 360000}};  // while backing off for minutes
  const WaitRunResult r = run_wait(s);
  REQUIRE(r.ok());
  for (const Ms t : r.attempt_at_ms) CHECK((t < 300000 || t >= 360000));
  const auto after_up = std::find_if(r.attempt_at_ms.begin(), r.attempt_at_ms.end(),
                                     [](Ms t) { return t >= 360000; });
  REQUIRE(after_up != r.attempt_at_ms.end());
  CHECK(*after_up <= 360100);
}

TEST_CASE("a flapping broker gets at most one reopen per pause", "[resource_world]") {
  WaitScenario s = kanade_world();
  s.safety_ms = 30000;
  s.broker_flapping = {{0, 30000}};
  s.flap_ms_max = 0;  // every watch ends the moment it opens
  const WaitRunResult r = run_wait(s);
  REQUIRE(r.ok());
  const auto n =
      std::count_if(r.attempt_at_ms.begin(), r.attempt_at_ms.end(), [](Ms t) { return t < 30000; });
  CHECK(n <= 30000 / (1000 + 5) + 1);
  CHECK(n >= 20);
  for (std::size_t i = 1; i < r.attempt_at_ms.size(); ++i)
    CHECK(r.attempt_at_ms[i] - r.attempt_at_ms[i - 1] >= 1000);
}

TEST_CASE("without a link monitor the reducer still gets there", "[resource_world]") {
  WaitScenario s = kanade_world();
  s.link_monitor = false;
  s.safety_ms = 200000;
  s.link_down = {{0, 120000}};
  s.resource_absent = {{60000, 200000}};
  const WaitRunResult r = run_wait(s);
  REQUIRE(r.ok());
  REQUIRE(r.held_after_heal_ms);
}

TEST_CASE("a hung acquisition: one out, no second queued behind it, its late success held",
          "[resource_world][hung]") {
  WaitScenario s = kanade_world();
  s.safety_ms = 200000;
  s.acquisitions_hung = {{0, 100000}};  // the first acquisition answers after 100 s
  const WaitRunResult r = run_wait(s);
  REQUIRE(r.ok());
  // The one Acquire: its timeouts at 30 s, 61 s and 93 s count failures, the
  // attempts due meanwhile wait for it, and its success at 100 s is the hold.
  CHECK(r.attempt_at_ms == std::vector<Ms>{0});
  CHECK(r.counters.at("acquire timeouts") == 3);
  CHECK(r.counters.at("attempts behind an acquisition still out") >= 2);
  CHECK(r.counters.at("holds") == 1);
}

// --- mutation checks: the oracles have teeth ---------------------------------------------

namespace {

// The real reducers in the loop's in-place form.
wait::Effects wait_real(wait::State& s, const wait::Event& e) noexcept {
  return tether::io::WaitReducer::transition_in_place(s, e);
}

// (a) attempts while disconnected: the reducer is never told the link dropped.
wait::Effects deaf_to_disconnect(wait::State& s, const wait::Event& e) noexcept {
  if (std::holds_alternative<wait::Disconnected>(e))
    return wait_real(s, wait::Tick{wait::time_of(e)});
  return wait_real(s, e);
}

// (b) Connected wakes nothing.
wait::Effects deaf_to_connect(wait::State& s, const wait::Event& e) noexcept {
  if (std::holds_alternative<wait::Connected>(e)) {
    s.link = wait::Link::up;
    return wait_real(s, wait::Tick{wait::time_of(e)});
  }
  return wait_real(s, e);
}

// (c) no reopen pause: a pause ends the moment it begins.
wait::Effects no_reopen_pause(wait::State& s, const wait::Event& e) noexcept {
  wait::Effects fx = wait_real(s, e);
  if (auto* p = std::get_if<wait::Pausing>(&s.phase)) p->until = wait::time_of(e);
  return fx;
}

// (d) backoff too short: every backoff is cut to 60 % of its delay.
wait::Effects short_backoff(wait::State& s, const wait::Event& e) noexcept {
  wait::Effects fx = wait_real(s, e);
  if (auto* b = std::get_if<wait::BackingOff>(&s.phase);
      b != nullptr && b->cause != wait::Cause::reconnected) {
    const model::Instant now = wait::time_of(e);
    b->until = model::Instant{now.ms + (b->until.ms - now.ms) * 6 / 10};
  }
  return fx;
}

// (e) stuck: after three failures in a row the reducer waits (all but) forever,
// while its status still reports the policy's delay.
wait::Effects stuck_after_three(wait::State& s, const wait::Event& e) noexcept {
  wait::Effects fx = wait_real(s, e);
  if (auto* b = std::get_if<wait::BackingOff>(&s.phase); b != nullptr && b->failures >= 3)
    b->until = model::Instant{b->until.ms + 1'000'000'000};
  return fx;
}

// (i) the old reducer's timeout: it forgets the acquisition out, so the next
// attempt makes its own Acquire, which would queue behind the hung one.
wait::Effects timeout_forgets_the_call(wait::State& s, const wait::Event& e) noexcept {
  wait::Effects fx = wait_real(s, e);
  if (const auto* b = std::get_if<wait::BackingOff>(&s.phase);
      b != nullptr && b->cause == wait::Cause::acquire_timeout)
    s.acquire_out = 0;
  return fx;
}

// (j) a success after its timeout is dropped while the backoff runs.
wait::Effects late_success_dropped(wait::State& s, const wait::Event& e) noexcept {
  if (std::holds_alternative<wait::AcquireSucceeded>(e) &&
      std::holds_alternative<wait::BackingOff>(s.phase)) {
    s.acquire_out = 0;
    return wait_real(s, wait::Tick{wait::time_of(e)});
  }
  return wait_real(s, e);
}

// (k) an attempt behind a released acquisition waits for its own timeout
// instead of going when that one answers.
wait::Effects behind_waits_on(wait::State& s, const wait::Event& e) noexcept {
  const auto* a = std::get_if<wait::Acquiring>(&s.phase);
  if (a != nullptr && a->id == 0 &&
      (std::holds_alternative<wait::AcquireSucceeded>(e) ||
       std::holds_alternative<wait::AcquireFailed>(e))) {
    s.acquire_out = 0;
    return wait_real(s, wait::Tick{wait::time_of(e)});
  }
  return wait_real(s, e);
}

}  // namespace

// Each mutant must be caught for the right reason: the first seed whose run
// reports the rule the mutant breaks.
TEST_CASE("wait mutants are caught by some seed, and the real reducer passes it",
          "[resource_world][mutation]") {
  struct Mutant {
    const char* name;
    WaitReducer reducer;
    const char* rule;
  };
  for (const Mutant& mu :
       {Mutant{"attempts while disconnected", &deaf_to_disconnect, "attempt-while-down"},
        Mutant{"Connected does not wake", &deaf_to_connect, "connected-did-not-wake"},
        Mutant{"no reopen pause", &no_reopen_pause, "reopen-too-soon"},
        Mutant{"backoff shorter than the policy", &short_backoff, "wait-too-short"},
        Mutant{"stuck after three failures", &stuck_after_three, "not-acquired-in-time"},
        Mutant{"a timeout forgets the acquisition out", &timeout_forgets_the_call, "one-out"},
        Mutant{"a late success is dropped", &late_success_dropped, "late-success"},
        Mutant{"an attempt behind a released acquisition waits on", &behind_waits_on, "wedged"}}) {
    WaitRunOptions o;
    o.reducer = mu.reducer;
    o.events_max = 200'000;
    const auto seed = first_caught(
        [&](std::uint64_t s) { return !has_rule(run_wait(wait_scenario(s), o), mu.rule); });
    INFO(mu.name);
    REQUIRE(seed);
    std::printf("wait mutant '%s': caught by seed %llu (%s)\n", mu.name,
                static_cast<unsigned long long>(*seed), mu.rule);
    CHECK(run_wait(wait_scenario(*seed)).ok());
  }
}
