// A swarm campaign over a range of seeds, for CI: every seed in [first, last]
// is drawn with swarm_scenario() and run; the exit status is 1 if any run broke
// a guarantee (or could not run), 0 otherwise. ctest runs two shards of it in
// parallel plus a determinism sample, and a coverage check over the shards
// (tests/CMakeLists.txt).
//
//   tether_sim_campaign FIRST LAST                 # run seeds FIRST..LAST
//   tether_sim_campaign FIRST LAST --determinism   # run each twice, compare trace hashes
//   tether_sim_campaign FIRST LAST --coverage-out FILE
//       # also write which (phase, event) pairs the seeds reached (coverage_file.hpp)
//   tether_sim_campaign FIRST LAST --seeds-reaching PHASE/EVENT
//       # also list the seeds whose runs reach that pair (to study a rare one)
//   tether_sim_campaign --check-coverage UNREACHABLE FIRST LAST FILE...
//       # merge the shards' FILEs (which must cover FIRST..LAST exactly) and
//       # fail if a pair not listed in UNREACHABLE was never reached, or a
//       # listed one was (docs/simulation.md, "Coverage")
//   tether_sim_campaign --check-figures UNREACHABLE FIRST LAST FILE...
//                       [--report NAME=REPORT]... --docs DOC...
//       # merge the shards' FILEs, run the poll, wait and mirror campaigns
//       # (world_figures.hpp), read each `tether-sim run --report` REPORT as
//       # the figures NAME.* (report_figures.hpp) and check every figure
//       # marked in the DOCs against them (doc_figures.hpp)
//
// Each failing seed prints the one line that reproduces it.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tether/sim/session_world.hpp>
#include <tether/sim/swarm.hpp>
#include <utility>
#include <vector>

#include "coverage_file.hpp"
#include "doc_figures.hpp"
#include "report_figures.hpp"
#include "world_figures.hpp"

using namespace tether::sim;

namespace {

bool parse_seed(const char* text, std::uint64_t& out) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0' || text[0] == '-') return false;
  out = v;
  return true;
}

int usage() {
  std::fputs(
      "usage: tether_sim_campaign FIRST LAST [--determinism] [--coverage-out FILE] "
      "[--seeds-reaching PHASE/EVENT]\n"
      "       tether_sim_campaign --check-coverage UNREACHABLE FIRST LAST FILE...\n"
      "       tether_sim_campaign --check-figures UNREACHABLE FIRST LAST FILE... "
      "[--report NAME=REPORT]... --docs DOC...\n",
      stderr);
  return 2;
}

int check_coverage(int argc, char** argv) {
  std::uint64_t first = 0, last = 0;
  if (argc < 6 || !parse_seed(argv[3], first) || !parse_seed(argv[4], last) || last < first)
    return usage();
  std::vector<std::string> files;
  for (int k = 5; k < argc; ++k) files.emplace_back(argv[k]);
  const auto verdict = tether::sim::campaign::check_coverage(argv[2], first, last, files);
  std::fputs(verdict.report.c_str(), stdout);
  return verdict.ok ? 0 : 1;
}

// The arguments after FIRST LAST: shard files, --report NAME=REPORT pairs,
// then --docs DOC...
struct FigureArgs {
  std::vector<std::string> files, docs;
  std::vector<std::pair<std::string, std::string>> reports;  // (name, path)
};

std::optional<FigureArgs> parse_figure_args(int argc, char** argv) {
  FigureArgs a;
  bool in_docs = false;
  for (int k = 5; k < argc; ++k) {
    const std::string_view arg = argv[k];
    if (arg == "--docs") {
      in_docs = true;
    } else if (arg == "--report" && k + 1 < argc && !in_docs) {
      const std::string_view pair = argv[++k];
      const std::size_t eq = pair.find('=');
      if (eq == 0 || eq == std::string_view::npos || eq + 1 == pair.size()) return std::nullopt;
      a.reports.emplace_back(std::string(pair.substr(0, eq)), std::string(pair.substr(eq + 1)));
    } else {
      (in_docs ? a.docs : a.files).emplace_back(arg);
    }
  }
  if (a.files.empty() || a.docs.empty()) return std::nullopt;
  return a;
}

int check_figures(int argc, char** argv) {
  std::uint64_t first = 0, last = 0;
  if (argc < 8 || !parse_seed(argv[3], first) || !parse_seed(argv[4], last) || last < first)
    return usage();
  const auto args = parse_figure_args(argc, argv);
  if (!args) return usage();
  const auto unreachable = campaign::read_unreachable(argv[2]);
  const auto merged = campaign::merge_shards(first, last, args->files);
  if (!unreachable || !merged) {
    std::printf("%s\n", (!unreachable ? unreachable.error() : merged.error()).c_str());
    return 1;
  }
  campaign::Figures figures =
      campaign::campaign_figures(merged->coverage, first, last, unreachable->size());
  campaign::add_world_figures(figures);
  for (const auto& [name, path] : args->reports) {
    if (auto added = campaign::add_report_figures(figures, name, path); !added) {
      std::printf("%s\n", added.error().c_str());
      return 1;
    }
  }
  campaign::FigureCheck check;
  for (const std::string& doc : args->docs) {
    std::ifstream in(doc, std::ios::binary);
    if (!in) {
      check.problems += doc + ": cannot read\n";
      continue;
    }
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    campaign::check_figures(figures, doc, text, check);
  }
  std::printf("measured:");
  for (const auto& [name, value] : figures)
    std::printf(" %s=%llu", name.c_str(), static_cast<unsigned long long>(value));
  std::printf("\n%zu figure(s) in %zu document(s) as measured\n%s", check.checked,
              args->docs.size(), check.problems.c_str());
  if (!check.problems.empty())
    std::printf("update the documents to the measured figures (or find what changed them)\n");
  return check.problems.empty() && check.checked > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "--check-coverage") == 0) return check_coverage(argc, argv);
  if (argc >= 2 && std::strcmp(argv[1], "--check-figures") == 0) return check_figures(argc, argv);
  std::uint64_t first = 0, last = 0;
  if (argc < 3 || !parse_seed(argv[1], first) || !parse_seed(argv[2], last) || last < first)
    return usage();
  bool determinism = false;
  const char* coverage_out = nullptr;
  std::size_t watched = campaign::pair_names().size();  // --seeds-reaching: the pair's index
  for (int k = 3; k < argc; ++k) {
    if (std::strcmp(argv[k], "--determinism") == 0)
      determinism = true;
    else if (std::strcmp(argv[k], "--coverage-out") == 0 && k + 1 < argc)
      coverage_out = argv[++k];
    else if (std::strcmp(argv[k], "--seeds-reaching") == 0 && k + 1 < argc)
      watched = campaign::pair_index(argv[++k]);
    else
      return usage();
    if (std::strcmp(argv[k - 1], "--seeds-reaching") == 0 &&
        watched >= campaign::pair_names().size())
      return usage();
  }
  std::string reaching;

  // A shard that dies leaves no file behind, never last run's.
  if (coverage_out != nullptr) std::remove(coverage_out);
  RunOptions options;
  options.check_determinism = determinism;
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t scenarios = 0, events = 0, failing = 0;
  std::map<int, std::uint64_t> by_guarantee;
  Coverage coverage;
  campaign::SeedCounts seeds_reaching{};
  for (std::uint64_t seed = first; seed <= last; ++seed) {
    const RunResult r = run_session(swarm_scenario(seed), options);
    ++scenarios;
    events += r.events;
    coverage.merge(r.coverage);
    campaign::count_seed(seeds_reaching, r.coverage);
    if (watched < campaign::pair_names().size() &&
        r.coverage.counts[watched / event_count][watched % event_count] > 0)
      reaching.append(" ").append(std::to_string(seed));
    if (r.ok()) continue;
    ++failing;
    for (const Violation& v : r.violations) ++by_guarantee[number(v.guarantee)];
    if (failing <= 20) {
      std::printf(
          "FAIL swarm seed %llu (reproduce: TETHER_SIM_SEED=%llu tether_sim_tests "
          "\"[.replay]\")\n%s",
          static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed),
          describe(r).c_str());
    }
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "campaign seeds %llu..%llu%s: %llu scenarios, %llu reducer events, %llu failing, "
      "%zu of %zu (phase, event) pairs reached, %.2f s\n",
      static_cast<unsigned long long>(first), static_cast<unsigned long long>(last),
      determinism ? " (each run twice)" : "", static_cast<unsigned long long>(scenarios),
      static_cast<unsigned long long>(events), static_cast<unsigned long long>(failing),
      coverage.pairs_reached(), phase_count * event_count, s);
  std::string never;
  for (const std::string& pair : coverage.never_reached()) never.append(" ").append(pair);
  std::printf("  never reached:%s\n", never.c_str());
  for (const auto& [g, n] : by_guarantee)
    std::printf("  g%d: %llu violations\n", g, static_cast<unsigned long long>(n));
  if (watched < campaign::pair_names().size())
    std::printf("  seeds reaching %s:%s\n", campaign::pair_names()[watched].c_str(),
                reaching.c_str());
  if (coverage_out != nullptr) {
    if (auto written =
            campaign::write_coverage(coverage_out, first, last, coverage, seeds_reaching);
        !written) {
      std::fprintf(stderr, "%s\n", written.error().c_str());
      return 1;
    }
  }
  return failing == 0 ? 0 : 1;
}
