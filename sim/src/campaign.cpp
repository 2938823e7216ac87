#include <fstream>
#include <system_error>
#include <tether/sim/campaign.hpp>
#include <tether/sim/scenario_json.hpp>
#include <tether/sim/swarm.hpp>

namespace tether::sim {

namespace {

// The shrunk scenario as "<dir>/seed-<seed>.json".
void write_failure(const CampaignOptions& options, CampaignFailure& failure) {
  if (options.failure_dir.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(options.failure_dir, ec);
  const std::filesystem::path file =
      options.failure_dir / ("seed-" + std::to_string(failure.seed) + ".json");
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << to_json(failure.shrunk) << '\n';
  out.close();
  if (ec || !out) {
    failure.write_error =
        "cannot write " + file.string() + (ec ? ": " + ec.message() : std::string());
    return;
  }
  failure.file = file;
}

CampaignFailure shrink_failure(const CampaignOptions& options, const Scenario& scenario,
                               const RunResult& result) {
  CampaignFailure failure;
  failure.seed = scenario.seed;
  failure.violations = describe(result);
  const RunFailure how = first_failure(result).value_or(RunFailure{});
  const ShrinkResult shrunk =
      shrink_with_report(scenario, fails_like(how, options.run), options.shrink);
  failure.shrunk = shrunk.scenario;
  failure.shrink_runs = shrunk.runs;
  failure.shrunk_violations = describe(run_session(shrunk.scenario, options.run));
  write_failure(options, failure);
  return failure;
}

}  // namespace

CampaignResult run_campaign(const CampaignOptions& options) {
  CampaignResult out;
  for (std::uint64_t seed = options.seed_first; seed < options.seed_first + options.seeds; ++seed) {
    const Scenario scenario =
        options.policy ? swarm_scenario(seed, *options.policy) : swarm_scenario(seed);
    const RunResult result = run_session(scenario, options.run);
    ++out.scenarios;
    out.events += result.events;
    if (!result.ok()) {
      out.failure = shrink_failure(options, scenario, result);
      break;
    }
  }
  return out;
}

std::string describe(const CampaignResult& result) {
  std::string out = "campaign: " + std::to_string(result.scenarios) + " scenarios, " +
                    std::to_string(result.events) + " events";
  if (result.ok()) return out + ", no violation\n";
  const CampaignFailure& f = *result.failure;
  out += "; FAILED at seed " + std::to_string(f.seed) + ":\n" + f.violations;
  out += "shrunk in " + std::to_string(f.shrink_runs) + " runs to " +
         std::to_string(f.shrunk.clients) + " client(s), " +
         std::to_string(f.shrunk.faults.size()) + " fault(s):\n" + f.shrunk_violations;
  if (!f.file.empty())
    out += "scenario file: " + f.file.string() +
           " (parse_scenario + sim::run_session with the same client code replays it)\n";
  if (!f.write_error.empty()) out += f.write_error + "\n";
  return out;
}

}  // namespace tether::sim
