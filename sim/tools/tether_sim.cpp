// tether-sim: simulation campaigns, replays and shrinking (VOPR style).
//
//   tether-sim run --seeds N [--seed-start S] [--shard i/n] [--config FILE] [--json] [--fail-fast]
//       Runs swarm_scenario(seed) for the seeds S .. S+N-1 that belong to shard
//       i of n (seed - S = i mod n). Prints a summary table (or JSON) and, for
//       each failure, the one command that reproduces it. Exit 1 on any failure.
//       With --config, every seed runs the session policy of that
//       configuration file (tether-config/1, <tether/io/config.hpp>), exactly:
//       swarm_scenario(seed, policy) varies only the world, fleet and faults.
//       --fail-fast stops at the first failing seed (scripts/mutation_score.sh).
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
//
// Exit codes: 0 passed, 1 a scenario failed (or did not fail, for shrink),
// 2 bad arguments or an unreadable / invalid scenario file.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
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
#include <vector>

namespace {

using namespace tether::sim;

constexpr int exit_failed = 1;
constexpr int exit_usage = 2;
constexpr std::size_t failures_printed_max = 20;
constexpr std::uint64_t seeds_max = 100'000'000;
// How many guarantees docs/guarantees.md numbers (the last is the client's
// invariant): a campaign's summary counts each, "g1" .. "g11".
constexpr auto guarantees_numbered = static_cast<std::size_t>(number(Guarantee::client_invariant));

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

// --- run ---------------------------------------------------------------------------

struct Shard {
  std::uint64_t index = 0;
  std::uint64_t count = 1;
};

std::optional<Shard> parse_shard(const std::string& text) {
  Shard s;
  char slash = 0;
  char extra = 0;
  std::istringstream in(text);
  if (!(in >> s.index >> slash >> s.count) || slash != '/' || (in >> extra) || s.count == 0 ||
      s.index >= s.count)
    return std::nullopt;
  return s;
}

struct Failure {
  std::uint64_t seed;
  std::string what;
};

struct Campaign {
  std::uint64_t scenarios = 0;
  std::uint64_t events = 0;
  // [0]: could not run; [g]: the guarantee whose number(Guarantee) is g.
  std::array<std::uint64_t, guarantees_numbered + 1> violations{};
  std::vector<Failure> failures;
  std::uint64_t failed = 0;
  Coverage coverage;
  double wall_s = 0;
};

// The policy a campaign runs: the swarm's presets with variations, or one
// configuration file's session policy.
struct Policy {
  std::string file;    // empty: the swarm draws a configuration per seed
  std::string preset;  // the file's named base, if any
  tether::model::SessionConfig session;
  // The file's "seed": the whole fleet draws its jitter from it, as a fleet
  // deployed with that file does (Scenario::fixed_seed).
  std::optional<std::uint64_t> seed;
};

Campaign run_campaign(std::uint64_t start, std::uint64_t n, Shard shard, const Policy& policy,
                      bool fail_fast) {
  Campaign c;
  const bool progress = isatty(STDERR_FILENO) != 0;
  const auto t0 = std::chrono::steady_clock::now();
  const std::uint64_t mine = n / shard.count + (shard.index < n % shard.count ? 1 : 0);
  for (std::uint64_t k = shard.index; k < n; k += shard.count) {
    const std::uint64_t seed = start + k;
    Scenario scenario =
        policy.file.empty() ? swarm_scenario(seed) : swarm_scenario(seed, policy.session);
    if (!policy.file.empty()) scenario.fixed_seed = policy.seed;
    const RunResult r = run_session(scenario);
    c.scenarios += 1;
    c.events += r.events;
    c.coverage.merge(r.coverage);
    if (!r.error.empty()) c.violations[0] += 1;
    for (const Violation& v : r.violations)
      if (number(v.guarantee) != 0)
        c.violations[static_cast<std::size_t>(number(v.guarantee))] += 1;
    if (!r.ok()) {
      c.failed += 1;
      if (c.failures.size() < failures_printed_max)
        c.failures.push_back(Failure{seed, describe(r)});
      if (fail_fast) break;
    }
    if (progress && (c.scenarios % 50 == 0 || c.scenarios == mine))
      std::fprintf(stderr, "\r%" PRIu64 "/%" PRIu64 " scenarios, %" PRIu64 " failed", c.scenarios,
                   mine, c.failed);
  }
  if (progress) std::fputs("\n", stderr);
  c.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return c;
}

std::size_t coverage_total() { return phase_count * event_count; }

std::string policy_text(const Policy& p) {
  if (p.file.empty()) return "swarm (a preset with variations, per seed)";
  return p.file + (p.preset.empty() ? " (no preset base)" : " (preset base " + p.preset + ")") +
         ", varied: world, fleet, faults only";
}

// The one command that reproduces seed `seed` of this campaign.
std::string reproduce(const Policy& p, std::uint64_t seed) {
  if (p.file.empty()) return "tether-sim replay --seed " + std::to_string(seed);
  return "tether-sim run --config " + p.file + " --seeds 1 --seed-start " + std::to_string(seed);
}

void print_table(const Campaign& c, const Policy& p) {
  const double rate = c.wall_s > 0 ? static_cast<double>(c.events) / c.wall_s : 0;
  std::printf("policy             %s\n", policy_text(p).c_str());
  std::printf("scenarios          %" PRIu64 "\n", c.scenarios);
  std::printf("failed scenarios   %" PRIu64 "\n", c.failed);
  std::printf("events             %" PRIu64 "\n", c.events);
  std::printf("violations         ");
  for (std::size_t g = 1; g <= guarantees_numbered; ++g)
    std::printf("g%zu:%" PRIu64 " ", g, c.violations[g]);
  std::printf("\n");
  if (c.violations[0] > 0) std::printf("could not run      %" PRIu64 "\n", c.violations[0]);
  std::printf("coverage           %zu/%zu (state, event) pairs\n", c.coverage.pairs_reached(),
              coverage_total());
  std::printf("wall time          %.2f s\n", c.wall_s);
  std::printf("events/s           %.0f\n", rate);
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (ch == '\n') {
      out += "\\n";
      continue;
    }
    out += ch;
  }
  return out + "\"";
}

void print_json(const Campaign& c, const Policy& p) {
  std::printf(
      "{\n  \"policy\": {\"config\": %s, \"preset\": %s},\n",
      p.file.empty() ? "null" : json_string(p.file).c_str(),
      p.file.empty() ? "\"swarm\"" : (p.preset.empty() ? "null" : json_string(p.preset).c_str()));
  std::printf("  \"scenarios\": %" PRIu64 ",\n  \"failed\": %" PRIu64 ",\n  \"events\": %" PRIu64
              ",\n",
              c.scenarios, c.failed, c.events);
  std::printf("  \"violations\": {");
  for (std::size_t g = 1; g <= guarantees_numbered; ++g)
    std::printf("%s\"%zu\": %" PRIu64, g == 1 ? "" : ", ", g, c.violations[g]);
  std::printf("},\n  \"could_not_run\": %" PRIu64 ",\n", c.violations[0]);
  std::printf("  \"coverage\": {\"reached\": %zu, \"total\": %zu, \"never_reached\": [",
              c.coverage.pairs_reached(), coverage_total());
  const auto never = c.coverage.never_reached();
  for (std::size_t k = 0; k < never.size(); ++k)
    std::printf("%s%s", k ? ", " : "", json_string(never[k]).c_str());
  std::printf("]},\n  \"wall_s\": %.3f,\n  \"events_per_s\": %.0f,\n  \"failures\": [", c.wall_s,
              c.wall_s > 0 ? static_cast<double>(c.events) / c.wall_s : 0);
  for (std::size_t k = 0; k < c.failures.size(); ++k)
    std::printf("%s\n    {\"seed\": %" PRIu64 ", \"replay\": %s, \"what\": %s}", k ? "," : "",
                c.failures[k].seed, json_string(reproduce(p, c.failures[k].seed)).c_str(),
                json_string(c.failures[k].what).c_str());
  std::printf("%s]\n}\n", c.failures.empty() ? "" : "\n  ");
}

int cmd_run(std::uint64_t seeds, std::uint64_t start, const std::string& shard_text, bool json,
            const std::string& config_file, bool fail_fast) {
  const auto shard = parse_shard(shard_text);
  if (!shard) {
    std::fprintf(stderr, "tether-sim: --shard %s: expected i/n with 0 <= i < n\n",
                 shard_text.c_str());
    return exit_usage;
  }
  Policy policy;
  if (!config_file.empty()) {
    const auto loaded = tether::io::load_config(config_file);
    if (!loaded) {
      std::fprintf(stderr, "tether-sim: --config %s\n", loaded.error().message().c_str());
      return exit_usage;
    }
    policy = Policy{config_file, loaded->preset, loaded->session, loaded->seed};
  }
  const Campaign c = run_campaign(start, seeds, *shard, policy, fail_fast);
  if (json) {
    print_json(c, policy);
  } else {
    print_table(c, policy);
    for (const Failure& f : c.failures)
      std::printf("\nFAILED seed %" PRIu64 "\n%s  reproduce: %s\n", f.seed, f.what.c_str(),
                  reproduce(policy, f.seed).c_str());
    if (c.failed > c.failures.size())
      std::printf("\n... and %" PRIu64 " more failed seeds\n", c.failed - c.failures.size());
  }
  return c.failed == 0 ? 0 : exit_failed;
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
  std::uint64_t seeds = 0;
  std::uint64_t seed_start = 1;  // as the CI campaign (seeds 1..N), so their figures agree
  std::string shard = "0/1";
  bool json = false;
  bool fail_fast = false;
  std::string config_file;
  std::string file;
  std::optional<std::uint64_t> seed;
  bool trace = false;
  EventsArgs events;
  std::string out;
  std::uint32_t runs_max = ShrinkOptions{}.runs_max;
};

struct Commands {
  CLI::App* run = nullptr;
  CLI::App* replay = nullptr;
  CLI::App* shrink = nullptr;
  CLI::App* dump = nullptr;
};

CLI::App* add_run(CLI::App& app, Args& a) {
  auto* cmd = app.add_subcommand("run", "run swarm scenarios and print a summary");
  cmd->add_option("--seeds", a.seeds, "how many seeds (before sharding)")
      ->required()
      ->check(CLI::Range(std::uint64_t{1}, seeds_max));
  cmd->add_option("--seed-start", a.seed_start,
                  "the first seed (default 1: seeds 1..N, as the CI campaign)");
  cmd->add_option("--shard", a.shard, "run only shard i of n (i/n, 0 <= i < n)");
  cmd->add_flag("--json", a.json, "print the summary as JSON");
  cmd->add_flag("--fail-fast", a.fail_fast, "stop at the first failing seed");
  cmd->add_option(
      "--config", a.config_file,
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
  c.replay = add_replay(app, a);
  c.shrink = app.add_subcommand("shrink", "shrink a failing scenario and write it as JSON");
  c.shrink->add_option("file", a.file, "a scenario JSON file");
  c.shrink->add_option("--seed", a.seed, "the swarm scenario of this seed");
  c.shrink->add_option("-o,--output", a.out, "where to write the minimal scenario")->required();
  c.shrink->add_option("--runs-max", a.runs_max, "at most this many runs while shrinking");
  c.dump = app.add_subcommand("dump", "print a scenario (a file or a seed) as JSON");
  c.dump->add_option("file", a.file, "a scenario JSON file");
  c.dump->add_option("--seed", a.seed, "the swarm scenario of this seed");
  return c;
}

int dispatch(const Commands& c, Args& a) {
  if (c.run->parsed())
    return cmd_run(a.seeds, a.seed_start, a.shard, a.json, a.config_file, a.fail_fast);
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
