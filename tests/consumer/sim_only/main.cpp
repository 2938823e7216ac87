// A minimal tether::sim client: reads a configuration file's JSON (tether::io_core,
// which tether::sim builds on) and a scenario's JSON (tether::sim), both with the
// library's nlohmann-json reader linked through the package, and runs the
// scenario to the end without a guarantee violation.
#include <cstdio>
#include <tether/io/config.hpp>
#include <tether/sim/scenario_json.hpp>
#include <tether/sim/session_world.hpp>

int main() {
  using namespace tether;
  auto config = io::parse_config(R"({"format": "tether-config/1", "preset": "aviso",
                                     "backoff": {"delay_ms_max": 60000}})");
  if (!config || config->session.backoff.delay_ms_max != 60000) {
    std::fprintf(stderr, "consumer_sim: %s\n",
                 config ? "backoff.delay_ms_max was not read" : config.error().message().c_str());
    return 1;
  }
  auto scenario =
      sim::parse_scenario(R"({"format": "tether-scenario/1", "preset": "aviso", "seed": 3})");
  if (!scenario) {
    std::fprintf(stderr, "consumer_sim: %s\n", scenario.error().message().c_str());
    return 1;
  }
  const sim::RunResult result = sim::run_session(*scenario);
  if (!result.ok() || result.events == 0) {
    std::fprintf(stderr, "consumer_sim: the scenario failed: %s %s\n", result.error.c_str(),
                 sim::describe(result).c_str());
    return 1;
  }
  std::printf(
      "consumer_sim: a tether-config/1 file read; a scenario from JSON ran, %llu events, no "
      "violation\n",
      static_cast<unsigned long long>(result.events));
  return 0;
}
