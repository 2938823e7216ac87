// tether-sim: simulation campaigns, replays and shrinking (VOPR style).
//
//   tether-sim run --seeds N [--seed-start S] [--shard i/n] [--jobs J] [--config FILE]
//                  [--json] [--report FILE] [--progress] [--fail-fast]
//       Runs swarm_scenario(seed) for the seeds S .. S+N-1 that belong to shard
//       i of n (seed - S = i mod n), on J threads (default: every core; the
//       results do not depend on J). Prints a summary table (or JSON) and, for
//       each failure, the one command that reproduces it. Exit 1 on any failure.
//       On a terminal a progress bar (scenarios, events/s, failures, ETA) is
//       shown on stderr; off one, --progress prints a line every 5 s. Ctrl-C
//       stops cleanly: the summary covers the seeds run (exit 130).
//       --report also writes the JSON summary to FILE (ctest
//       docs_campaign_figures checks the docs' figures against it).
//       With --config, every seed runs the session policy of that
//       configuration file (tether-config/1, <tether/io/config.hpp>), exactly:
//       swarm_scenario(seed, policy) varies only the world, fleet and faults.
//       --fail-fast stops at the lowest failing seed (scripts/mutation_score.sh).
//   tether-sim merge REPORT... [-o FILE]
//       Combines the --report files of shards (CI matrix jobs) into the report
//       of their whole range, printed as run --json prints one; refuses
//       reports that overlap, leave a gap, were interrupted or ran different
//       policies (exit 2, naming them). Exit 1 if the merged run has failures.
//   tether-sim replay FILE|--seed S [--trace]
//       Runs one scenario (a scenario JSON file, or swarm_scenario(S)); prints
//       the per-event trace with --trace, then the outcome and the trace hash.
//   tether-sim replay --events FILE [--preset NAME] [--seed S] [--trace]
//       Replays a recording (<tether/model/event_log.hpp>, written by the io
//       runner in the field: tether-watch --record) through a fresh session of
//       the recording's own configuration and seed, checks every step's effects
//       and the final state against the recorded ones, and prints an operator
//       summary (outages, reconnects, refreshes, gaps, final state). Exit 1 at
//       the first divergence, which it names (step, line, time, event, what
//       differed). --preset / --seed replace the recorded configuration / seed
//       (what-if: would this preset have done the same?); a divergence is then
//       still exit 1. A tether-events/1 log records neither configuration nor
//       effects: it needs --preset (seed S, default 0) and is only replayed.
//       Exit 2 on a malformed recording (the message names the line, column
//       and field) or configuration.
//   tether-sim shrink --seed S|FILE -o OUT
//       Shrinks a failing scenario (same guarantee) and writes it to OUT.
//   tether-sim dump --seed S|FILE
//       Prints the scenario as JSON (a starting point for a scenario file).
//   tether-sim herd (--config FILE | --preset NAME) --clients N --outage-ms T
//                   [--compare FILE | --compare-preset NAME] [--seed S] [--shared-seed]
//                   [--json FILE] [--svg FILE] [--bucket-ms B]
//       The herd plot (<tether/sim/herd_plot.hpp>, docs/simulation.md "Herd
//       plot"): N clients (1..100000) of the policy stream, the server goes
//       down for T ms (0..3600000), then recovers. Prints, per fleet, the
//       connection attempts after the recovery in buckets of B ms (default
//       100), the peak bucket, the busiest B ms window against the herd bound
//       (<tether/sim/herd.hpp>) and the time until 99 % of the clients stream
//       again; --json / --svg write them as JSON (tether-herd/1) and as a
//       plot. Each client seeds its jitter as in production, its own seed
//       from S (default 1) and its index; --shared-seed (or a configuration
//       file's "seed") gives every client the same. --compare runs and
//       overlays a second policy on the same fleet. Same arguments, same
//       bytes. Exit 1 when a fleet is FLAGGED as a herd (its busiest window
//       above the bound, or a policy whose jitter cannot spread it), 3 when
//       a fleet did NOT RECOVER (fewer than 99 % streaming again within the
//       simulated horizon), 4 when the oracle found a broken guarantee (the
//       most severe wins: 4, then 1, then 3); each named on stderr.
//
// Exit codes: 0 passed, 1 a scenario failed (or did not fail, for shrink;
// a herd, for herd), 2 bad arguments or an unreadable / invalid scenario or
// configuration file, 130 a run interrupted by SIGINT.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <tether/io/config.hpp>
#include <tether/model/event_log.hpp>
#include <tether/model/names.hpp>
#include <tether/model/presets.hpp>
#include <tether/model/session.hpp>
#include <tether/model/version.hpp>
#include <tether/sim/recording_replay.hpp>
#include <tether/sim/scenario_json.hpp>
#include <tether/sim/session_world.hpp>
#include <tether/sim/shrink.hpp>
#include <tether/sim/swarm.hpp>
#include <tether/sim/trace.hpp>
#include <thread>
#include <vector>

#include "campaign_report.hpp"
#include "campaign_run.hpp"
#include "herd_command.hpp"

namespace {

using namespace tether::sim;

constexpr int exit_failed = 1;
constexpr int exit_usage = 2;
constexpr int exit_interrupted = 130;  // as a shell reports SIGINT
constexpr std::uint64_t seeds_max = 100'000'000;

// "cannot read" / invalid file: the message, and exit 2.
struct Loaded {
  std::optional<Scenario> scenario;
  std::string error;
};

Loaded load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {std::nullopt, path + ": cannot read the file"};
  std::string bytes;
  const auto limit = static_cast<std::streamsize>(scenario_bytes_max + 1);
  bytes.resize(scenario_bytes_max + 1);
  in.read(bytes.data(), limit);
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  auto parsed = parse_scenario(bytes);
  if (!parsed) return {std::nullopt, path + ": " + parsed.error().message()};
  return {std::move(*parsed), {}};
}

std::string hex(std::uint64_t v) {
  std::array<char, 17> buf{};
  std::snprintf(buf.data(), buf.size(), "%016" PRIx64, v);
  return buf.data();
}

// --- run / merge ---------------------------------------------------------------------

// `tether-sim run`'s options.
struct RunArgs {
  std::uint64_t seeds = 0;
  std::uint64_t seed_start = 1;  // as the CI campaign (seeds 1..N), so their figures agree
  std::string shard = "0/1";
  unsigned jobs = 0;  // 0: every core
  bool json = false;
  bool progress_lines = false;
  bool fail_fast = false;
  std::string config_file;
  std::string report_file;  // empty: no report file
};

std::optional<tools::Plan> plan_of(const RunArgs& a) {
  const auto shard = tools::parse_shard(a.shard);
  if (!shard) {
    std::fprintf(stderr, "tether-sim: --shard %s: expected i/n with 0 <= i < n\n", a.shard.c_str());
    return std::nullopt;
  }
  tools::Plan plan;
  plan.start = a.seed_start;
  plan.count = a.seeds;
  plan.shard = *shard;
  plan.jobs = a.jobs != 0 ? a.jobs : std::max(1u, std::thread::hardware_concurrency());
  plan.fail_fast = a.fail_fast;
  plan.progress = isatty(STDERR_FILENO) != 0 ? tools::Progress::terminal
                  : a.progress_lines         ? tools::Progress::lines
                                             : tools::Progress::none;
  if (!a.config_file.empty()) {
    const auto loaded = tether::io::load_config(a.config_file);
    if (!loaded) {
      std::fprintf(stderr, "tether-sim: --config %s\n", loaded.error().message().c_str());
      return std::nullopt;
    }
    plan.policy = tools::Policy{a.config_file, loaded->preset, loaded->session, loaded->seed};
  }
  return plan;
}

int cmd_run(const RunArgs& a) {
  const auto plan = plan_of(a);
  if (!plan) return exit_usage;
  if (!a.report_file.empty()) {
    if (auto ready = tools::prepare_report(a.report_file); !ready) {
      std::fprintf(stderr, "tether-sim: %s\n", ready.error().c_str());
      return exit_usage;
    }
  }
  const tools::Report report = tools::report_of(tools::run_campaign(*plan), *plan);
  if (a.json)
    tools::print_json(stdout, report);
  else
    tools::print_table(report);
  if (!a.report_file.empty()) {
    if (auto written = tools::write_report(a.report_file, report); !written) {
      std::fprintf(stderr, "tether-sim: %s\n", written.error().c_str());
      return exit_usage;
    }
  }
  if (report.covered < tools::seeds_of(*plan)) return exit_interrupted;
  return report.failed == 0 ? 0 : exit_failed;
}

int cmd_merge(const std::vector<std::string>& paths, const std::string& out) {
  std::vector<tools::Report> reports;
  for (const std::string& path : paths) {
    auto report = tools::read_report(path);
    if (!report) {
      std::fprintf(stderr, "tether-sim merge: %s\n", report.error().c_str());
      return exit_usage;
    }
    reports.push_back(std::move(*report));
  }
  const auto merged = tools::merge_reports(reports, paths);
  if (!merged) {
    std::fprintf(stderr, "tether-sim merge: %s\n", merged.error().c_str());
    return exit_usage;
  }
  tools::print_json(stdout, *merged);
  if (!out.empty()) {
    if (auto written = tools::write_report(out, *merged); !written) {
      std::fprintf(stderr, "tether-sim merge: %s\n", written.error().c_str());
      return exit_usage;
    }
  }
  return merged->failed == 0 ? 0 : exit_failed;
}

// --- replay / shrink ------------------------------------------------------------------

// The scenario named by FILE or --seed; prints the error and returns nullopt.
std::optional<Scenario> pick(const std::string& file, const std::optional<std::uint64_t>& seed) {
  if (file.empty() == !seed.has_value()) {
    std::fprintf(stderr, "tether-sim: give exactly one of FILE or --seed S\n");
    return std::nullopt;
  }
  if (seed) return swarm_scenario(*seed);
  Loaded l = load(file);
  if (!l.scenario) std::fprintf(stderr, "tether-sim: %s\n", l.error.c_str());
  return l.scenario;
}

int cmd_replay(const std::string& file, const std::optional<std::uint64_t>& seed, bool trace) {
  const auto s = pick(file, seed);
  if (!s) return exit_usage;
  RunOptions o;
  o.keep_trace_text = trace;
  const RunResult r = run_session(*s, o);
  if (trace) std::fputs(r.trace.c_str(), stdout);
  std::printf("scenario: %s policy, seed %" PRIu64 ", %u client(s), %zu fault(s), safety %" PRId64
              " ms\n",
              s->label.c_str(), s->seed, s->clients, s->faults.size(), s->safety_ms);
  std::printf("events: %" PRIu64 ", end: %" PRId64 " ms, trace hash: %s\n", r.events, r.end_ms,
              hex(r.trace_hash).c_str());
  if (r.ok()) {
    std::printf("outcome: ok\n");
    return 0;
  }
  std::printf("outcome: FAILED\n%s", describe(r).c_str());
  return exit_failed;
}

// --- replay a recorded event log -------------------------------------------------------

constexpr std::size_t event_log_bytes_max = std::size_t{256} << 20;

// What --events was given besides the file.
struct EventsArgs {
  std::string path;
  std::string preset;                 // empty: the recording's configuration
  std::optional<std::uint64_t> seed;  // nullopt: the recording's seed (format 1: 0)
  bool trace = false;
};

std::optional<tether::model::SessionConfig> preset_session(const std::string& preset) {
  namespace model = tether::model;
  std::string names;
  for (const model::presets::Named& p : model::presets::all()) {
    if (p.name == preset) return p.make();
    names += names.empty() ? "" : ", ";
    names += p.name;
  }
  std::fprintf(stderr, "tether-sim: --preset '%s': unknown preset (one of: %s)\n", preset.c_str(),
               names.c_str());
  return std::nullopt;
}

std::optional<std::string> read_event_log(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "tether-sim: %s: cannot read the file\n", path.c_str());
    return std::nullopt;
  }
  // In chunks: a small log must not cost a buffer of the largest one.
  std::string bytes;
  std::array<char, 64 * 1024> chunk{};
  while (bytes.size() <= event_log_bytes_max && in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    bytes.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (bytes.size() > event_log_bytes_max) {
    std::fprintf(stderr, "tether-sim: %s: larger than %zu bytes\n", path.c_str(),
                 event_log_bytes_max);
    return std::nullopt;
  }
  return bytes;
}

// The configuration a format-2 recording replays with: its own (header), or
// the --preset / --seed overrides. Prints the error and returns nullopt.
struct Replaying {
  tether::model::SessionConfig session;
  std::string
      described;  // "preset aviso, from the recording", "--preset zero_ws (not the recording's)"
};

std::optional<Replaying> configuration_of(const EventsArgs& a,
                                          const tether::model::RecordingHeader& header) {
  Replaying r;
  if (!a.preset.empty()) {
    auto session = preset_session(a.preset);
    if (!session) return std::nullopt;
    r.session = *session;
    r.described = "--preset " + a.preset + " (overriding the recording's configuration)";
  } else {
    auto config = tether::io::parse_config(header.config);
    if (!config) {
      std::fprintf(stderr, "tether-sim: %s: the recording's @config line: %s\n", a.path.c_str(),
                   config.error().message().c_str());
      return std::nullopt;
    }
    if (config->seed && *config->seed != header.seed) {
      std::fprintf(stderr,
                   "tether-sim: %s: the recording is inconsistent: @config says seed %" PRIu64
                   " but @seed says %" PRIu64 "\n",
                   a.path.c_str(), *config->seed, header.seed);
      return std::nullopt;
    }
    r.session = config->session;
    r.described =
        "the recording's" +
        (config->preset.empty() ? std::string() : " (based on preset " + config->preset + ")");
  }
  r.session.seed = a.seed.value_or(header.seed);
  r.described += "; seed " + std::to_string(r.session.seed) +
                 (!a.seed ? std::string(" (the recording's)")
                          : " (--seed; the recording's is " + std::to_string(header.seed) + ")");
  return r;
}

// The configuration a recording replays with: its own (format 2, unless
// --preset overrides it), or --preset's (format 1 names none).
std::optional<Replaying> replaying_for(const EventsArgs& a,
                                       const tether::model::Recording& recording) {
  Replaying replaying;
  if (recording.format == 1) {
    if (a.preset.empty()) {
      std::fprintf(stderr,
                   "tether-sim: %s is a tether-events/1 log: it does not name its configuration; "
                   "give --preset NAME [--seed S]\n",
                   a.path.c_str());
      return std::nullopt;
    }
    auto session = preset_session(a.preset);
    if (!session) return std::nullopt;
    replaying.session = *session;
    replaying.session.seed = a.seed.value_or(0);
    return replaying;
  }
  auto r = configuration_of(a, *recording.header);
  if (!r) return std::nullopt;
  return std::move(*r);
}

int cmd_replay_events(const EventsArgs& a) {
  namespace model = tether::model;
  const auto bytes = read_event_log(a.path);
  if (!bytes) return exit_usage;
  const auto recording = model::decode_recording(*bytes);
  if (!recording) {
    std::fprintf(stderr, "tether-sim: %s: %s\n", a.path.c_str(),
                 recording.error().message().c_str());
    return exit_usage;
  }
  const auto chosen = replaying_for(a, *recording);
  if (!chosen) return exit_usage;
  const Replaying& replaying = *chosen;
  ReplayOptions options;
  options.keep_trace_text = a.trace;
  const ReplayResult r = replay_recording(*recording, replaying.session, options);
  if (!r.error.empty()) {
    std::fprintf(stderr, "tether-sim: %s: %s\n", a.path.c_str(), r.error.c_str());
    return exit_usage;
  }
  if (a.trace) std::fputs(r.trace.c_str(), stdout);
  const std::string phase(model::name_of(r.state.phase));
  if (recording->format == 1) {
    std::printf("events: %zu, preset %s, seed %" PRIu64 ", final phase: %s, trace hash: %s\n",
                recording->steps.size(), a.preset.c_str(), replaying.session.seed, phase.c_str(),
                hex(r.trace_hash).c_str());
    std::printf("(a tether-events/1 log records no effects: nothing to compare)\n%s",
                r.summary.c_str());
    return 0;
  }
  const model::RecordingHeader& h = *recording->header;
  std::printf("recording: %s, tether-events/2 by tether %s (replaying with %s), %zu events\n",
              a.path.c_str(), h.version.c_str(), std::string(model::version).c_str(),
              recording->steps.size());
  std::printf("configuration: %s\n", replaying.described.c_str());
  if (r.divergence) {
    std::printf("%s", describe(*r.divergence).c_str());
    std::printf("events: %zu of %zu replayed, phase there: %s, trace hash: %s\n%s", r.steps,
                recording->steps.size(), phase.c_str(), hex(r.trace_hash).c_str(),
                r.summary.c_str());
    std::printf("outcome: DIVERGED (the recording is not reproduced%s)\n",
                h.version != model::version ? "; it was made by another tether version" : "");
    return exit_failed;
  }
  std::printf("effects: all %zu steps as recorded\n", r.effects_checked);
  if (recording->states.empty())
    std::printf(
        "final state: not recorded (the recorder did not see the session end: killed?), not "
        "checked\n");
  else
    std::printf("final state: as recorded (%zu state check(s))\n", r.states_checked);
  std::printf("events: %zu, final phase: %s, trace hash: %s\n%s", r.steps, phase.c_str(),
              hex(r.trace_hash).c_str(), r.summary.c_str());
  std::printf("outcome: replayed exactly\n");
  return 0;
}

int cmd_shrink(const std::string& file, const std::optional<std::uint64_t>& seed,
               const std::string& out, std::uint32_t runs_max) {
  const auto s = pick(file, seed);
  if (!s) return exit_usage;
  const auto failure = first_failure(run_session(*s));
  if (!failure) {
    std::fprintf(stderr, "tether-sim: the scenario passes; nothing to shrink\n");
    return exit_failed;
  }
  const ShrinkResult r = shrink_with_report(*s, fails_like(*failure), ShrinkOptions{runs_max});
  std::ofstream o(out, std::ios::binary | std::ios::trunc);
  o << to_json(r.scenario);
  if (!o.flush()) {
    std::fprintf(stderr, "tether-sim: %s: cannot write the file\n", out.c_str());
    return exit_usage;
  }
  const int g = failure->guarantee ? number(*failure->guarantee) : 0;  // 0: could not run
  std::printf(
      "shrunk (guarantee %d%s) in %u runs%s: %zu -> %zu faults, %u -> %u clients, safety %" PRId64
      " -> %" PRId64 " ms\nwrote %s; reproduce: tether-sim replay %s\n",
      g, failure->guarantee ? "" : ": could not run", r.runs,
      r.budget_exhausted ? " (budget spent)" : "", s->faults.size(), r.scenario.faults.size(),
      s->clients, r.scenario.clients, s->safety_ms, r.scenario.safety_ms, out.c_str(), out.c_str());
  return 0;
}

// Every option of every subcommand; CLI11 writes into it.
struct Args {
  RunArgs run;
  std::string file;
  std::optional<std::uint64_t> seed;
  bool trace = false;
  EventsArgs events;
  std::string out;
  std::uint32_t runs_max = ShrinkOptions{}.runs_max;
  std::vector<std::string> reports;  // merge
  tools::HerdArgs herd;
};

struct Commands {
  CLI::App* run = nullptr;
  CLI::App* merge = nullptr;
  CLI::App* replay = nullptr;
  CLI::App* shrink = nullptr;
  CLI::App* dump = nullptr;
  CLI::App* herd = nullptr;
};

CLI::App* add_run(CLI::App& app, Args& a) {
  auto* cmd = app.add_subcommand("run", "run swarm scenarios and print a summary");
  cmd->add_option("--seeds", a.run.seeds, "how many seeds (before sharding)")
      ->required()
      ->check(CLI::Range(std::uint64_t{1}, seeds_max));
  cmd->add_option("--seed-start", a.run.seed_start,
                  "the first seed (default 1: seeds 1..N, as the CI campaign)");
  cmd->add_option("--shard", a.run.shard, "run only shard i of n (i/n, 0 <= i < n)");
  cmd->add_option("--jobs", a.run.jobs,
                  "threads (default: every core); the results are the same for any number")
      ->check(CLI::Range(1u, 1024u));
  cmd->add_flag("--progress", a.run.progress_lines,
                "off a terminal, a progress line every 5 s (on one, a progress bar always)");
  cmd->add_flag("--json", a.run.json, "print the summary as JSON");
  cmd->add_option("--report", a.run.report_file,
                  "also write the JSON summary to this file (replaced whole, or removed if the "
                  "run cannot finish)");
  cmd->add_flag("--fail-fast", a.run.fail_fast, "stop at the first failing seed");
  cmd->add_option(
      "--config", a.run.config_file,
      "a configuration file (tether-config/1): run every seed on its session policy, varying only "
      "the world, the fleet and the faults");
  return cmd;
}

CLI::App* add_replay(CLI::App& app, Args& a) {
  auto* cmd =
      app.add_subcommand("replay", "run one scenario (a file or a seed) and print its outcome");
  cmd->add_option("file", a.file, "a scenario JSON file");
  cmd->add_option("--seed", a.seed, "the swarm scenario of this seed");
  cmd->add_flag("--trace", a.trace, "print the per-event trace");
  cmd->add_option("--events", a.events.path,
                  "a recording (tether-events/2, or /1 with --preset) instead of a scenario");
  cmd->add_option("--preset", a.events.preset,
                  "with --events: replay with this preset instead of the recording's configuration "
                  "(--seed: instead of its seed); a tether-events/1 log needs it");
  return cmd;
}

Commands add_commands(CLI::App& app, Args& a) {
  Commands c;
  c.run = add_run(app, a);
  c.merge = app.add_subcommand(
      "merge", "combine the --report files of shards into the report of the whole range");
  c.merge->add_option("reports", a.reports, "the shards' reports (tether-sim run --report)")
      ->required();
  c.merge->add_option("-o,--output", a.out, "also write the merged report to this file");
  c.replay = add_replay(app, a);
  c.shrink = app.add_subcommand("shrink", "shrink a failing scenario and write it as JSON");
  c.shrink->add_option("file", a.file, "a scenario JSON file");
  c.shrink->add_option("--seed", a.seed, "the swarm scenario of this seed");
  c.shrink->add_option("-o,--output", a.out, "where to write the minimal scenario")->required();
  c.shrink->add_option("--runs-max", a.runs_max, "at most this many runs while shrinking");
  c.dump = app.add_subcommand("dump", "print a scenario (a file or a seed) as JSON");
  c.dump->add_option("file", a.file, "a scenario JSON file");
  c.dump->add_option("--seed", a.seed, "the swarm scenario of this seed");
  c.herd = tools::add_herd(app, a.herd);
  return c;
}

int dispatch(const Commands& c, Args& a) {
  if (c.run->parsed()) return cmd_run(a.run);
  if (c.merge->parsed()) return cmd_merge(a.reports, a.out);
  if (c.herd->parsed()) return tools::cmd_herd(a.herd);
  if (c.replay->parsed() && (!a.events.path.empty() || !a.events.preset.empty())) {
    if (a.events.path.empty() || !a.file.empty()) {
      std::fprintf(
          stderr,
          "tether-sim: --preset goes with --events FILE, and --events with no scenario FILE\n");
      return exit_usage;
    }
    a.events.seed = a.seed;
    a.events.trace = a.trace;
    return cmd_replay_events(a.events);
  }
  if (c.replay->parsed()) return cmd_replay(a.file, a.seed, a.trace);
  if (c.shrink->parsed()) return cmd_shrink(a.file, a.seed, a.out, a.runs_max);
  if (c.dump->parsed()) {
    const auto s = pick(a.file, a.seed);
    if (!s) return exit_usage;
    std::fputs(to_json(*s).c_str(), stdout);
    return 0;
  }
  return exit_usage;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tether-sim: deterministic fault-scenario simulation of tether clients"};
  app.require_subcommand(1);
  Args args;
  const Commands commands = add_commands(app, args);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : exit_usage;
  }
  try {
    return dispatch(commands, args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tether-sim: %s\n", e.what());
    return exit_failed;
  }
}
