#pragma once
// The mirror world (model::mirror), run in virtual time and judged after every
// step by the reducer's reference oracle and by the world's own truth.
//
// A key-value source that changes at random, a
// push stream that delivers each change in order after a small latency unless
// it is stalled (changes during a stall are lost to push) and sends heartbeats
// while not stalled, and a poller that takes a snapshot some time after sending
// its request (observed_at = the send time) and feeds every key of it
// (ValuePolled, RemovalPolled for absent keys, then PollCompleted), except while
// polls fail.
//
// It runs the production driver, io::MirrorDriver (<tether/io/mirror_driver.hpp>,
// the mirror reducer in io::ReducerLoop), and is its ports, as the wait world
// is io::WaitDriver's (wait_world.hpp).
//
// Judging, after every step: the reducer's rules by its reference oracle
// (sim::MirrorReference, <tether/sim/reference/mirror.hpp>), told before each
// agenda item that nothing was fed meanwhile (idle_until). The world adds only
// what needs its own truth: every entry's value is one the source really held
// around its written_at (value-not-truth); the loop fed at once, and the
// driver said nothing (loop); the event limit (event-limit). Each run is deterministic: the same
// scenario gives the same trace hash.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tether/io/reducer_loop.hpp>
#include <tether/io/reducers.hpp>
#include <tether/model/mirror/reducer.hpp>
#include <tether/sim/agenda.hpp>
#include <tether/sim/interval.hpp>
#include <tether/sim/swarm_summary.hpp>
#include <tether/sim/violation.hpp>
#include <utility>
#include <vector>

namespace tether::sim {

struct MirrorScenario {
  std::uint64_t seed = 0;
  model::mirror::Config config;
  Ms run_ms = 60000;
  std::uint32_t keys = 4;         // the source's key space: "k0", "k1", ...
  Ms change_every_ms_max = 2000;  // the gap between source changes: uniform [1, max]
  std::int64_t removal_percent = 20;
  Ms push_latency_ms_max = 20;
  Ms heartbeat_every_ms = 1000;  // while not stalled
  std::vector<Interval> push_stalled;
  Ms poll_every_ms = 5000;
  Ms poll_latency_ms_max = 500;  // send -> snapshot -> response, in total
  // The poll server's clock runs this far ahead: a snapshot is stamped this
  // long after the request was sent, possibly later than its arrival (a
  // snapshot "from the future", which the mirror must not believe).
  Ms poll_clock_ahead_ms = 0;
  std::vector<Interval> polls_failing;
  std::optional<Ms> stop_at_ms;
};

MirrorScenario mirror_scenario(std::uint64_t seed);

// As WaitReducer: model::mirror::transition_in_place through io::MirrorReducer.
using MirrorReducer = model::mirror::Effects (*)(model::mirror::State&,
                                                 const model::mirror::Event&) noexcept;

struct MirrorRunOptions {
  MirrorReducer reducer = &io::MirrorReducer::transition_in_place;
  // The mutation check of the loop itself: a deliberate defect of the
  // production loop the world runs (io::LoopDefect), never set elsewhere.
  io::LoopDefect loop_defect = io::LoopDefect::none;
  std::uint64_t events_max = 1'000'000;
};

struct MirrorRunResult {
  std::uint64_t events = 0;
  std::uint64_t trace_hash = 0;
  std::vector<Violation> violations;                           // rule: mirror_rules (violation.hpp)
  std::vector<std::pair<Ms, model::mirror::Status>> statuses;  // every ReportStatus
  std::map<std::string, std::uint64_t> counters;
  Ms degraded_warm_ms_max = 0;  // longest spell of "stream degraded, backfill warm"
  std::string error;

  bool ok() const { return error.empty() && violations.empty(); }
};

MirrorRunResult run_mirror(const MirrorScenario& scenario, const MirrorRunOptions& options = {});
SwarmSummary run_mirror_swarm(std::uint64_t seed_first, std::uint64_t seed_last,
                              const MirrorRunOptions& options = {});

}  // namespace tether::sim
