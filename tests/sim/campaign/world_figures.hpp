#pragma once
// The figures of the other reducers' campaigns, for the documents' markers
// (doc_figures.hpp): the poll, wait and mirror worlds' swarms over the seeds
// their CI tests run (tests/sim/poll_world.cpp, wait_world.cpp,
// mirror_world.cpp). Each is deterministic, so a document's figure either is
// the one measured here or has drifted. About 7 s in the dev build.
//
//   poll.seeds, poll.events, poll.polls, poll.failed_polls, poll.changes,
//   wait.seeds, wait.steps, mirror.seeds, mirror.steps
#include <cstdint>
#include <tether/sim/mirror_world.hpp>
#include <tether/sim/poll_world.hpp>
#include <tether/sim/wait_world.hpp>

#include "doc_figures.hpp"

namespace tether::sim::campaign {

inline constexpr std::uint64_t poll_campaign_seeds = 5000;
inline constexpr std::uint64_t wait_campaign_seeds = 10000;
inline constexpr std::uint64_t mirror_campaign_seeds = 2000;

inline void add_world_figures(Figures& figures) {
  const PollSwarmSummary poll = run_poll_swarm(1, poll_campaign_seeds);
  figures.emplace("poll.seeds", poll.scenarios);
  figures.emplace("poll.events", poll.events);
  figures.emplace("poll.polls", poll.polls);
  figures.emplace("poll.failed_polls", poll.failed_polls);
  figures.emplace("poll.changes", poll.changes);
  const SwarmSummary wait = run_wait_swarm(1, wait_campaign_seeds);
  figures.emplace("wait.seeds", wait.scenarios);
  figures.emplace("wait.steps", wait.events);
  const SwarmSummary mirror = run_mirror_swarm(1, mirror_campaign_seeds);
  figures.emplace("mirror.seeds", mirror.scenarios);
  figures.emplace("mirror.steps", mirror.events);
}

}  // namespace tether::sim::campaign
