// A minimal tether::sim client: reads a scenario from JSON (the library's
// nlohmann-json reader, linked through the package) and runs it to the end
// without a guarantee violation.
#include <cstdio>

#include <tether/sim/run.hpp>
#include <tether/sim/scenario_json.hpp>

int main() {
  using namespace tether::sim;
  auto scenario = parse_scenario(R"({"format": "tether-scenario/1", "preset": "aviso", "seed": 3})");
  if (!scenario) {
    std::fprintf(stderr, "consumer_sim: %s\n", scenario.error().message().c_str());
    return 1;
  }
  const RunResult result = run(*scenario);
  if (!result.ok() || result.events == 0) {
    std::fprintf(stderr, "consumer_sim: the scenario failed: %s %s\n", result.error.c_str(),
                 describe(result).c_str());
    return 1;
  }
  std::printf("consumer_sim: tether::sim ran a scenario from JSON, %llu events, no violation\n",
              static_cast<unsigned long long>(result.events));
  return 0;
}
