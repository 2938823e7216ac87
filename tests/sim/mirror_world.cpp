// The mirror world: a swarm campaign with every rule checked after every
// step, targeted scenarios, determinism, and mutation checks proving the
// oracle has teeth (as tests/sim/wait_world.cpp does for the wait world).
//
// A failing seed reproduces alone: run_mirror(mirror_scenario(seed)); the
// summary prints the first few.
#include <catch2/catch.hpp>
#include <cstdio>
#include <optional>
#include <string>
#include <tether/io/reducers.hpp>
#include <tether/model/presets.hpp>
#include <tether/sim/mirror_world.hpp>
#include <variant>

#include "swarm_report.hpp"

using namespace tether::sim;
using namespace tether::test;
namespace presets = tether::model::presets;
namespace mirror = tether::model::mirror;

// --- campaign --------------------------------------------------------------------

TEST_CASE("mirror swarm: 2000 seeds keep every rule", "[resource_world][swarm]") {
  const SwarmSummary s = timed("mirror swarm", [] { return run_mirror_swarm(1, campaign_seeds); });
  CHECK(s.scenarios == campaign_seeds);
  CHECK(s.failing == 0);
  for (const char* k : {"pushes", "pushes lost to a stall", "polls", "polls older than the entry",
                        "steps degraded while backfill warm", "fresh answers"})
    CHECK(s.counters.count(k) == 1);
}

TEST_CASE("mirror world: the same seed gives the same trace hash",
          "[resource_world][determinism]") {
  for (std::uint64_t seed = 1; seed <= 20; ++seed)
    CHECK(run_mirror(mirror_scenario(seed)).trace_hash ==
          run_mirror(mirror_scenario(seed)).trace_hash);
  CHECK(run_mirror(mirror_scenario(1)).trace_hash != run_mirror(mirror_scenario(2)).trace_hash);
}

// --- targeted mirror scenarios ---------------------------------------------------------

TEST_CASE("a stalled stream is reported degraded while polls keep values warm",
          "[resource_world]") {
  MirrorScenario s;
  s.config = presets::aviso_mirror();  // budget 90 s, stale after 30 s
  s.run_ms = 600000;
  s.keys = 3;
  s.heartbeat_every_ms = 20000;
  s.poll_every_ms = 5000;
  s.poll_latency_ms_max = 200;
  s.push_stalled = {{100000, 400000}};
  const MirrorRunResult r = run_mirror(s);
  REQUIRE(r.ok());
  // Degraded once: within [last push before the stall + 90 s] and live again at the first push
  // after it.
  std::optional<Ms> degraded_at, live_again_at;
  for (const auto& [t, st] : r.statuses) {
    if (st.stream == mirror::StreamHealth::degraded && !degraded_at) {
      degraded_at = t;
      CHECK(st.backfill == mirror::Backfill::warm);
    }
    if (degraded_at && st.stream == mirror::StreamHealth::live && !live_again_at) live_again_at = t;
  }
  REQUIRE(degraded_at);
  CHECK(*degraded_at >= 100000);
  CHECK(*degraded_at <= 190000);
  REQUIRE(live_again_at);
  CHECK(*live_again_at >= 400000);
  CHECK(*live_again_at <= 400000 + 20000 + 2000);
  CHECK(r.degraded_warm_ms_max >= 200000);
}

TEST_CASE("without backfill a stalled stream's values go stale", "[resource_world]") {
  MirrorScenario s;
  s.config = presets::aviso_mirror();
  s.run_ms = 300000;
  s.poll_every_ms = 1000;
  s.polls_failing = {{0, 300000}};
  s.push_stalled = {{50000, 300000}};
  const MirrorRunResult r = run_mirror(s);
  REQUIRE(r.ok());
  REQUIRE_FALSE(r.statuses.empty());
  for (const auto& [t, st] : r.statuses) CHECK(st.backfill == mirror::Backfill::none);
  CHECK(r.degraded_warm_ms_max == 0);
}
// --- mutation checks: the oracles have teeth ---------------------------------------------

namespace {

// The real reducers in the loop's in-place form.
mirror::Effects mirror_real(mirror::State& s, const mirror::Event& e) noexcept {
  return tether::io::MirrorReducer::transition_in_place(s, e);
}
// (f) a poll counts as a heartbeat.
mirror::Effects poll_refreshes_liveness(mirror::State& s, const mirror::Event& e) noexcept {
  mirror::Effects fx = mirror_real(s, e);
  if (std::holds_alternative<mirror::ValuePolled>(e) ||
      std::holds_alternative<mirror::PollCompleted>(e)) {
    const mirror::Effects beat = mirror_real(s, mirror::HeartbeatReceived{mirror::time_of(e)});
    for (const mirror::Effect& x : beat) fx.push_back(x);
  }
  return fx;
}

// (g) a poll is stamped with its arrival, not its snapshot: values look fresher.
mirror::Effects poll_stamped_on_arrival(mirror::State& s, const mirror::Event& e) noexcept {
  mirror::Effects fx = mirror_real(s, e);
  if (const auto* p = std::get_if<mirror::ValuePolled>(&e)) {
    auto it = s.entries.find(p->key);
    if (it != s.entries.end() && it->second.source == mirror::Source::poll)
      it->second.written_at = p->now;
  }
  return fx;
}

// (h) a poll overwrites whatever the mirror holds, newer pushes included.
mirror::Effects poll_overwrites_push(mirror::State& s, const mirror::Event& e) noexcept {
  mirror::Effects fx = mirror_real(s, e);
  if (const auto* p = std::get_if<mirror::ValuePolled>(&e)) {
    auto it = s.entries.find(p->key);
    if (it != s.entries.end() && it->second.source == mirror::Source::push)
      it->second = mirror::Entry{p->value, mirror::Source::poll, std::min(p->observed_at, p->now)};
  }
  return fx;
}

}  // namespace

TEST_CASE("mirror mutants are caught by some seed, and the real reducer passes it",
          "[resource_world][mutation]") {
  struct Mutant {
    const char* name;
    MirrorReducer reducer;
    const char* rule;
  };
  for (const Mutant& mu :
       {Mutant{"a poll counts as a heartbeat", &poll_refreshes_liveness, "health-not-truth"},
        Mutant{"a poll stamped on arrival", &poll_stamped_on_arrival, "entries"},
        Mutant{"a poll overwrites a newer push", &poll_overwrites_push, "entries"}}) {
    MirrorRunOptions o;
    o.reducer = mu.reducer;
    const auto seed = first_caught(
        [&](std::uint64_t s) { return !has_rule(run_mirror(mirror_scenario(s), o), mu.rule); });
    INFO(mu.name);
    REQUIRE(seed);
    std::printf("mirror mutant '%s': caught by seed %llu (%s)\n", mu.name,
                static_cast<unsigned long long>(*seed), mu.rule);
    CHECK(run_mirror(mirror_scenario(*seed)).ok());
  }
}
