#pragma once
// A campaign: a range of swarm seeds run with your configuration and your
// client code (<tether/sim/client_code.hpp>), stopping at the first failure,
// which it shrinks to a minimal scenario and writes as a scenario file
// (tether-scenario/1) that `tether-sim replay FILE` and sim::run_session replay
// exactly. What a client application's CI property-test suite runs
// (docs/simulation.md, "Your code under simulation").
//
//   tether::sim::CampaignOptions c;
//   c.seeds = 1000;
//   c.policy = my_config.session;             // every seed runs this policy
//   c.run.client_code = my_client_code;       // every process runs my application
//   c.failure_dir = "sim-failures";
//   const auto result = tether::sim::run_campaign(c);
//   if (!result.ok()) { std::fputs(tether::sim::describe(result).c_str(), stderr); return 1; }

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <tether/model/config.hpp>
#include <tether/sim/scenario.hpp>
#include <tether/sim/session_world.hpp>
#include <tether/sim/shrink.hpp>

namespace tether::sim {

struct CampaignOptions {
  std::uint64_t seed_first = 1;
  std::uint64_t seeds = 1000;
  // The session policy every seed runs, the swarm varying the world, the fleet
  // and the faults (swarm_scenario(seed, policy)); nullopt: the default swarm,
  // a preset with variations per seed.
  std::optional<model::SessionConfig> policy;
  RunOptions run;  // the client code, the event limit
  // Where the shrunk scenario of a failure is written (created if missing);
  // empty: not written.
  std::filesystem::path failure_dir;
  ShrinkOptions shrink;
};

struct CampaignFailure {
  std::uint64_t seed = 0;
  std::string violations;  // describe() of the failing run
  Scenario shrunk;         // a minimal scenario that fails the same guarantee
  std::string shrunk_violations;
  std::uint32_t shrink_runs = 0;
  std::filesystem::path file;  // the shrunk scenario's file; empty if not written
  std::string write_error;     // why the file could not be written, if so
};

struct CampaignResult {
  std::uint64_t scenarios = 0;  // run, the failing one included
  std::uint64_t events = 0;
  std::optional<CampaignFailure> failure;  // the first failing seed: the campaign stops there
  bool ok() const { return !failure.has_value(); }
};

CampaignResult run_campaign(const CampaignOptions& options);

// "campaign: N scenarios, E events, no violation" or the failing seed, its
// violations, the shrunk scenario's file and how to replay it.
std::string describe(const CampaignResult& result);

}  // namespace tether::sim
