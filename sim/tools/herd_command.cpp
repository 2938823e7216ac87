#include "herd_command.hpp"

#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <tether/io/config.hpp>
#include <tether/model/presets.hpp>
#include <tether/sim/herd_plot.hpp>
#include <tether/sim/herd_report.hpp>
#include <tether/sim/herd_svg.hpp>
#include <vector>

namespace tether::sim::tools {

namespace {

constexpr int exit_usage = 2;
constexpr std::size_t violation_lines_max = 10;

// A policy named on the command line, by a preset or a configuration file.
struct Named {
  std::string label;
  model::SessionConfig config;
  std::optional<std::uint64_t> file_seed;  // the file's "seed": the whole fleet uses it
};

std::optional<Named> preset_named(const std::string& flag, const std::string& name) {
  std::string names;
  for (const model::presets::Named& p : model::presets::all()) {
    if (p.name == name) return Named{name, p.make(), std::nullopt};
    names += names.empty() ? "" : ", ";
    names += p.name;
  }
  std::fprintf(stderr, "tether-sim herd: %s '%s': unknown preset (one of: %s)\n", flag.c_str(),
               name.c_str(), names.c_str());
  return std::nullopt;
}

std::optional<Named> file_named(const std::string& flag, const std::string& path) {
  const auto loaded = io::load_config(path);
  if (!loaded) {
    std::fprintf(stderr, "tether-sim herd: %s %s\n", flag.c_str(),
                 loaded.error().message().c_str());
    return std::nullopt;
  }
  Named n{std::filesystem::path(path).filename().string(), loaded->session, loaded->seed};
  if (n.file_seed)
    std::fprintf(stderr,
                 "tether-sim herd: note: %s fixes \"seed\": %" PRIu64
                 ": every client of the fleet uses it, as a fleet deployed with that file does\n",
                 path.c_str(), *n.file_seed);
  return n;
}

// The fleets to run: the policy, then the comparison if one is named.
std::optional<std::vector<HerdFleet>> fleets_of(const HerdArgs& a) {
  if (a.config_file.empty() == a.preset.empty()) {
    std::fprintf(stderr, "tether-sim herd: give exactly one of --config FILE or --preset NAME\n");
    return std::nullopt;
  }
  std::vector<Named> named;
  auto policy =
      a.preset.empty() ? file_named("--config", a.config_file) : preset_named("--preset", a.preset);
  if (!policy) return std::nullopt;
  named.push_back(std::move(*policy));
  if (!a.compare_file.empty() || !a.compare_preset.empty()) {
    auto compare = a.compare_preset.empty() ? file_named("--compare", a.compare_file)
                                            : preset_named("--compare-preset", a.compare_preset);
    if (!compare) return std::nullopt;
    named.push_back(std::move(*compare));
  }
  std::vector<HerdFleet> fleets;
  for (Named& n : named) {
    HerdFleet f;
    f.label = std::move(n.label);
    f.config = n.config;
    f.clients = a.clients;
    f.outage_ms = a.outage_ms;
    f.seed = a.seed;
    f.shared_seed = a.shared_seed ? std::optional<std::uint64_t>(a.seed) : n.file_seed;
    f.bucket_ms = a.bucket_ms;
    fleets.push_back(std::move(f));
  }
  return fleets;
}

// Opens (truncating) an output file before the run, so a bad path costs no run.
bool writable(const std::string& flag, const std::string& path) {
  if (path.empty()) return true;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) return true;
  std::fprintf(stderr, "tether-sim herd: %s %s: cannot write the file\n", flag.c_str(),
               path.c_str());
  return false;
}

bool write(const std::string& flag, const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (out.flush()) return true;
  std::fprintf(stderr, "tether-sim herd: %s %s: cannot write the file\n", flag.c_str(),
               path.c_str());
  return false;
}

// Tells what is wrong with a fleet on stderr; returns its exit code.
int judge(const HerdPlot& p) {
  int code = 0;
  if (p.streaming_at_outage < p.fleet.clients)
    std::fprintf(stderr,
                 "tether-sim herd: note: %s: only %u of %u clients were streaming when the outage "
                 "began\n",
                 p.fleet.label.c_str(), p.streaming_at_outage, p.fleet.clients);
  if (p.violations_count > 0) {
    std::fprintf(stderr,
                 "tether-sim herd: VIOLATION: %s: the oracle found %zu broken guarantee(s), a "
                 "defect to report (the figures stand as measured):\n",
                 p.fleet.label.c_str(), p.violations_count);
    std::size_t shown = 0;
    std::size_t begin = 0;
    for (std::size_t end;
         (end = p.violations.find('\n', begin)) != std::string::npos && shown < violation_lines_max;
         begin = end + 1, ++shown)
      std::fprintf(stderr, "  %s\n", p.violations.substr(begin, end - begin).c_str());
    if (p.violations_count > shown)
      std::fprintf(stderr, "  ... and %zu more\n", p.violations_count - shown);
    code = herd_exit_violation;
  }
  if (const std::string flag = herd_flag_line(p); !flag.empty()) {
    std::fprintf(stderr, "tether-sim herd: %s\n", flag.c_str());
    if (code == 0) code = herd_exit_flagged;
  }
  if (const std::string line = herd_not_recovered_line(p); !line.empty()) {
    std::fprintf(stderr, "tether-sim herd: %s\n", line.c_str());
    if (code == 0) code = herd_exit_not_recovered;
  }
  return code;
}

// The most severe of two exit codes: a violation, then a herd, then no recovery.
int worse(int a, int b) {
  for (const int code : {herd_exit_violation, herd_exit_flagged, herd_exit_not_recovered})
    if (a == code || b == code) return code;
  return 0;
}

}  // namespace

CLI::App* add_herd(CLI::App& app, HerdArgs& a) {
  auto* cmd = app.add_subcommand(
      "herd", "plot what a fleet of one policy does to its server after an outage");
  auto* config = cmd->add_option("--config", a.config_file,
                                 "the policy: a configuration file (tether-config/1)");
  auto* preset = cmd->add_option("--preset", a.preset, "the policy: a named preset");
  config->excludes(preset);
  cmd->add_option("--clients", a.clients, "clients in the fleet")
      ->required()
      ->check(CLI::Range(std::uint32_t{1}, herd_clients_max));
  cmd->add_option("--outage-ms", a.outage_ms, "how long the server is down (refusing), in ms")
      ->required()
      ->check(CLI::Range(Ms{0}, herd_outage_ms_max));
  auto* compare =
      cmd->add_option("--compare", a.compare_file, "overlay a second policy: a configuration file");
  auto* compare_preset =
      cmd->add_option("--compare-preset", a.compare_preset, "overlay a second policy: a preset");
  compare->excludes(compare_preset);
  cmd->add_option("--seed", a.seed,
                  "the world's seed; each client's own jitter seed derives from it and its index "
                  "(default 1)");
  cmd->add_flag("--shared-seed", a.shared_seed,
                "every client uses the jitter seed --seed (a fleet sharing one seed: lockstep)");
  cmd->add_option("--json", a.json_file, "write the figures as JSON (tether-herd/1) to this file");
  cmd->add_option("--svg", a.svg_file, "write the plot as SVG to this file");
  cmd->add_option("--bucket-ms", a.bucket_ms,
                  "the plot's bucket and the herd check's window, in ms (default 100)")
      ->check(CLI::Range(Ms{1}, herd_bucket_ms_max));
  return cmd;
}

int cmd_herd(const HerdArgs& a) {
  const auto fleets = fleets_of(a);
  if (!fleets) return exit_usage;
  if (!writable("--json", a.json_file) || !writable("--svg", a.svg_file)) return exit_usage;
  std::vector<HerdPlot> plots;
  for (const HerdFleet& f : *fleets) {
    plots.push_back(run_herd(f));
    std::fputs(herd_summary(plots.back()).c_str(), stdout);
  }
  if (!a.json_file.empty() && !write("--json", a.json_file, herd_json(plots))) return exit_usage;
  if (!a.svg_file.empty() && !write("--svg", a.svg_file, herd_svg(plots))) return exit_usage;
  std::fflush(stdout);
  int code = 0;
  for (const HerdPlot& p : plots) code = worse(code, judge(p));
  return code;
}

}  // namespace tether::sim::tools
