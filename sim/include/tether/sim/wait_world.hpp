#pragma once
// The wait world (model::wait), run in virtual time and judged after every
// step by the reducer's reference oracle and by the world's own truth (never
// by calling the reducer's own helpers).
//
// A resource that appears and disappears, a
// connection that goes down and up (reported to the reducer as Connected /
// Disconnected when the scenario has a link monitor), a broker that in some
// periods ends every watch right after opening it, and periods in which
// acquisitions hang. Acquisitions run as on io::WaitRunner's one worker
// thread: one at a time, in the order of their Acquire, so a hung one holds
// up those behind it. Each answers after a drawn latency, or, started in a
// hang period, only after that period ends (often past the acquire timeout):
// success if the link is up and the resource present at the answer, failure
// otherwise. A watch ends when the resource disappears or the link drops.
// After the safety phase every fault heals and the reducer must hold the
// resource within a bound derived from its policy.
//
// It runs the production driver, io::WaitDriver (<tether/io/wait_driver.hpp>,
// as WaitRunner runs it, with its loop io::ReducerLoop<io::WaitReducer>): the
// world (wait_world.cpp) takes the next item off its agenda, jumps virtual
// time there and calls the driver, which reads the world's clock, steps the
// reducer, hands each effect to the world, its ports (an Acquire goes through
// the host's offload, the one simulated worker, to the world's acquirer), and
// re-arms its one timer (an agenda item) by its own policy: only for an
// earlier deadline, so a Tick may come early, which the reducer ignores.
//
// Judging, after every step: the reducer's rules by its reference oracle
// (sim::WaitReference, <tether/sim/reference/wait.hpp>: the same oracle the
// model's property tests use, each rule written once there), told before each
// agenda item that nothing was fed meanwhile (idle_until). The world adds only
// what needs its own truth: once the world is healthy (resource present, link
// up, no flapping, no hanging) for liveness_bound_ms(), the reducer has held
// the resource (not-acquired-in-time); the loop fed at once (loop); the event
// limit (event-limit). Each run is deterministic: the same scenario gives the
// same trace hash.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tether/io/reducer_loop.hpp>
#include <tether/io/reducers.hpp>
#include <tether/model/wait/reducer.hpp>
#include <tether/sim/agenda.hpp>
#include <tether/sim/interval.hpp>
#include <tether/sim/swarm_summary.hpp>
#include <tether/sim/violation.hpp>
#include <vector>

namespace tether::sim {

struct WaitScenario {
  std::uint64_t seed = 0;
  model::wait::Config config;
  Ms safety_ms = 60000;  // faults happen in [0, safety_ms); all heal at safety_ms
  std::vector<Interval> resource_absent;
  std::vector<Interval> link_down;
  std::vector<Interval> broker_flapping;  // watches opened here end within flap_ms_max
  // Acquisitions that start here hang until the period ends, then answer after
  // a latency (those queued behind wait for them, as on the one worker).
  std::vector<Interval> acquisitions_hung;
  Ms flap_ms_max = 10;
  Ms latency_ms_min = 1;  // of an acquisition's answer, and of a watch's end
  Ms latency_ms_max = 50;
  bool link_monitor = true;  // the driver reports Connected / Disconnected
  // A chatty link monitor: while the link is up it repeats Connected this often
  // (0: never), which is no news and must wake nothing.
  Ms link_up_repeat_ms = 0;
  std::optional<Ms> stop_at_ms;
};

// Swarm: each seed draws its own policy (kanade_wait as published, or a
// variation) and fault mix (some kinds off, the others at their own rates).
WaitScenario wait_scenario(std::uint64_t seed);

// The longest a healthy world may wait for the reducer to hold the resource:
// the answer of the acquisition out, a watch of a flapping broker ending,
// then the longest wait the policy allows (the top of the jitter range at the
// cap, the reopen pause, or a Connected wake), then an answer.
Ms liveness_bound_ms(const WaitScenario& scenario);

// The reducer a run's loop drives (io::ReducerLoop's Transition, the in-place
// form): model::wait::transition_in_place through io::WaitReducer, except in
// the mutation tests, which wrap it in deliberately broken variants.
using WaitReducer = model::wait::Effects (*)(model::wait::State&,
                                             const model::wait::Event&) noexcept;

struct WaitRunOptions {
  WaitReducer reducer = &io::WaitReducer::transition_in_place;
  // The mutation check of the loop itself: a deliberate defect of the
  // production loop the world runs (io::LoopDefect), never set elsewhere.
  io::LoopDefect loop_defect = io::LoopDefect::none;
  std::uint64_t events_max =
      1'000'000;  // a limit on everything: a hot loop ends the run as a finding
};

struct WaitRunResult {
  std::uint64_t events = 0;
  std::uint64_t trace_hash = 0;
  std::vector<Violation> violations;  // rule: wait_rules (violation.hpp)
  std::vector<Ms> attempt_at_ms;
  std::optional<Ms> held_after_heal_ms;  // from safety_ms to the first hold after it
  std::map<std::string, std::uint64_t> counters;
  std::string error;  // the scenario could not run (invalid configuration)

  bool ok() const { return error.empty() && violations.empty(); }
};

WaitRunResult run_wait(const WaitScenario& scenario, const WaitRunOptions& options = {});
SwarmSummary run_wait_swarm(std::uint64_t seed_first, std::uint64_t seed_last,
                            const WaitRunOptions& options = {});

}  // namespace tether::sim
