#pragma once
// What a swarm campaign of the wait or mirror world found, summed over its seeds.

#include <cstdint>
#include <map>
#include <string>
#include <tether/sim/agenda.hpp>
#include <vector>

namespace tether::sim {

// A campaign over a range of seeds.
struct SwarmSummary {
  std::uint64_t scenarios = 0;
  std::uint64_t events = 0;  // reducer steps
  std::uint64_t failing = 0;
  // The first few failing seeds, each "seed <n>: <rule> @<ms>: <message>": the
  // seed alone reproduces the run (wait_scenario(n) / mirror_scenario(n)).
  std::vector<std::string> failures;
  // Behaviour counters summed over the campaign (what the scenarios exercised).
  std::map<std::string, std::uint64_t> counters;
  Ms worst_ms =
      0;  // wait: slowest acquisition after healing; mirror: longest degraded-while-warm spell
};

}  // namespace tether::sim
