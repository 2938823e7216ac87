// A swarm campaign over a range of seeds, for CI: every seed in [first, last]
// is drawn with swarm_scenario() and run; the exit status is 1 if any run broke
// a guarantee (or could not run), 0 otherwise. ctest runs two shards of it in
// parallel plus a determinism sample (tests/CMakeLists.txt).
//
//   tether_sim_campaign FIRST LAST                 # run seeds FIRST..LAST
//   tether_sim_campaign FIRST LAST --determinism   # run each twice, compare trace hashes
//
// Each failing seed prints the one line that reproduces it.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include <tether/sim/run.hpp>
#include <tether/sim/swarm.hpp>

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
  std::fputs("usage: tether_sim_campaign FIRST LAST [--determinism]\n", stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t first = 0, last = 0;
  if (argc < 3 || argc > 4 || !parse_seed(argv[1], first) || !parse_seed(argv[2], last) || last < first)
    return usage();
  const bool determinism = argc == 4 && std::strcmp(argv[3], "--determinism") == 0;
  if (argc == 4 && !determinism) return usage();

  RunOptions options;
  options.check_determinism = determinism;
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t scenarios = 0, events = 0, failing = 0;
  std::map<int, std::uint64_t> by_guarantee;
  Coverage coverage;
  for (std::uint64_t seed = first; seed <= last; ++seed) {
    const RunResult r = run(swarm_scenario(seed), options);
    ++scenarios;
    events += r.events;
    coverage.merge(r.coverage);
    if (r.ok()) continue;
    ++failing;
    for (const Violation& v : r.violations) ++by_guarantee[v.guarantee];
    if (failing <= 20) {
      std::printf("FAIL swarm seed %llu (reproduce: TETHER_SIM_SEED=%llu tether_sim_tests \"[.replay]\")\n%s",
                  static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed),
                  describe(r).c_str());
    }
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("campaign seeds %llu..%llu%s: %llu scenarios, %llu reducer events, %llu failing, "
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
  return failing == 0 ? 0 : 1;
}
