#pragma once
// `tether-sim herd`: the herd plot of a session policy (<tether/sim/herd_plot.hpp>)
// from the command line: the options, the run of one or two fleets, the
// files it writes and its exit code.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <tether/sim/agenda.hpp>

namespace tether::sim::tools {

// Exit codes besides 0 (every fleet within its herd bound and 99 % streaming
// again within the horizon) and 2 (bad arguments, an unreadable
// configuration or an unwritable output file).
inline constexpr int herd_exit_flagged = 1;        // a fleet is a herd
inline constexpr int herd_exit_not_recovered = 3;  // a fleet never reached 99 % streaming
inline constexpr int herd_exit_violation = 4;      // the oracle found a broken guarantee

struct HerdArgs {
  std::string config_file;
  std::string preset;
  std::uint32_t clients = 0;
  Ms outage_ms = 0;
  std::string compare_file;
  std::string compare_preset;
  std::uint64_t seed = 1;
  bool shared_seed = false;
  std::string json_file;
  std::string svg_file;
  Ms bucket_ms = 100;
};

CLI::App* add_herd(CLI::App& app, HerdArgs& args);
int cmd_herd(const HerdArgs& args);

}  // namespace tether::sim::tools
