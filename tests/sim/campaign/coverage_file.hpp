#pragma once
// (state, event) coverage as a CI assertion (docs/simulation.md, "Coverage").
// Each campaign shard writes which pairs its seeds reached (and by how many
// seeds); the check merges the shards and compares the result with the list
// of pairs that cannot occur (tests/sim/campaign/unreachable_pairs.txt): every
// other pair must be reached, and no listed one may be (the list is then wrong).
//
// Shard file (one per shard, written by tether_sim_campaign --coverage-out):
//   tether-sim-coverage/1
//   seeds FIRST LAST
//   <phase>/<event> <steps> <seeds>      one line per pair, 144 of them
//
// Unreachable list: '#' starts a comment; "reason: <text>" names the reason
// for the pairs on the lines after it, one "<phase>/<event>" per line.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <expected>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tether/sim/trace.hpp>
#include <utility>
#include <vector>

namespace tether::sim::campaign {

using SeedCounts = std::array<std::array<std::uint64_t, event_count>, phase_count>;

// "<phase>/<event>" of every pair, in (phase, event) order: index p * event_count + e.
inline const std::vector<std::string>& pair_names() {
  static const std::vector<std::string> names = Coverage{}.never_reached();
  return names;
}

inline std::size_t pair_index(const std::string& name) {
  const auto& names = pair_names();
  return static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin());
}

// One more seed reached every pair `run` reached.
inline void count_seed(SeedCounts& seeds, const Coverage& run) {
  for (std::size_t p = 0; p < phase_count; ++p)
    for (std::size_t e = 0; e < event_count; ++e) seeds[p][e] += run.counts[p][e] > 0 ? 1U : 0U;
}

inline std::expected<void, std::string> write_coverage(const std::string& path, std::uint64_t first,
                                                       std::uint64_t last, const Coverage& coverage,
                                                       const SeedCounts& seeds) {
  std::ofstream out(path, std::ios::trunc);
  out << "tether-sim-coverage/1\nseeds " << first << ' ' << last << '\n';
  for (std::size_t k = 0; k < pair_names().size(); ++k)
    out << pair_names()[k] << ' ' << coverage.counts[k / event_count][k % event_count] << ' '
        << seeds[k / event_count][k % event_count] << '\n';
  out.flush();
  if (!out) return std::unexpected("cannot write coverage file " + path);
  return {};
}

struct ShardCoverage {
  std::uint64_t first = 0, last = 0;
  Coverage coverage;
  SeedCounts seeds{};
};

inline std::expected<ShardCoverage, std::string> read_coverage(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::unexpected(path + ": missing (did its campaign shard run?)");
  ShardCoverage s;
  std::string format, word;
  if (!std::getline(in, format) || format != "tether-sim-coverage/1" ||
      !(in >> word >> s.first >> s.last) || word != "seeds")
    return std::unexpected(path + ": not a tether-sim-coverage/1 file");
  std::vector<bool> seen(pair_names().size(), false);
  std::string name;
  std::uint64_t steps = 0, seeds = 0;
  while (in >> name >> steps >> seeds) {
    const std::size_t k = pair_index(name);
    if (k >= pair_names().size() || seen[k])
      return std::unexpected(path + ": unknown or repeated pair " + name);
    seen[k] = true;
    s.coverage.counts[k / event_count][k % event_count] = steps;
    s.seeds[k / event_count][k % event_count] = seeds;
  }
  if (!in.eof() ||
      std::count(seen.begin(), seen.end(), true) != static_cast<std::ptrdiff_t>(seen.size()))
    return std::unexpected(path + ": truncated");
  return s;
}

// Pair name -> the reason it cannot occur.
inline std::expected<std::map<std::string, std::string>, std::string> read_unreachable(
    std::istream& in, const std::string& path) {
  std::map<std::string, std::string> out;
  std::string line, reason;
  for (int number = 1; std::getline(in, line); ++number) {
    const auto from = line.find_first_not_of(" \t");
    if (from == std::string::npos || line[from] == '#') continue;
    line = line.substr(from, line.find_last_not_of(" \t\r") - from + 1);
    const std::string where = path + ":" + std::to_string(number) + ": ";
    if (line.rfind("reason:", 0) == 0) {
      reason = line.substr(line.find_first_not_of(" ", 7));
      continue;
    }
    if (reason.empty()) return std::unexpected(where + "a pair before any \"reason:\" line");
    if (pair_index(line) >= pair_names().size())
      return std::unexpected(where + "unknown pair \"" + line + "\"");
    if (!out.emplace(line, reason).second) return std::unexpected(where + line + " listed twice");
  }
  return out;
}

inline std::expected<std::map<std::string, std::string>, std::string> read_unreachable(
    const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::unexpected(path + ": cannot read");
  return read_unreachable(in, path);
}

struct Verdict {
  bool ok = false;
  std::string report;
};

struct Merged {
  Coverage coverage;
  SeedCounts seeds{};
};

// The shards merged; they must cover exactly seeds first..last (a missing,
// stale or overlapping shard is an error).
inline std::expected<Merged, std::string> merge_shards(std::uint64_t first, std::uint64_t last,
                                                       const std::vector<std::string>& files) {
  std::vector<ShardCoverage> shards;
  for (const std::string& f : files) {
    auto s = read_coverage(f);
    if (!s) return std::unexpected(s.error());
    shards.push_back(std::move(*s));
  }
  std::sort(shards.begin(), shards.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  const std::string range = std::to_string(first) + ".." + std::to_string(last);
  std::uint64_t next = first;
  Merged m;
  for (const ShardCoverage& s : shards) {
    if (s.first != next)
      return std::unexpected("the coverage files do not cover seeds " + range +
                             " exactly (a shard starts at " + std::to_string(s.first) +
                             ", expected " + std::to_string(next) + ")");
    next = s.last + 1;
    m.coverage.merge(s.coverage);
    for (std::size_t p = 0; p < phase_count; ++p)
      for (std::size_t e = 0; e < event_count; ++e) m.seeds[p][e] += s.seeds[p][e];
  }
  if (shards.empty() || next != last + 1)
    return std::unexpected("the coverage files do not cover seeds " + range +
                           " exactly (they end at " + std::to_string(next - 1) + ")");
  return m;
}

// After merging the shards (merge_shards): every pair not listed is reached,
// and no listed pair is.
inline Verdict check_coverage(const std::string& unreachable_path, std::uint64_t first,
                              std::uint64_t last, const std::vector<std::string>& files) {
  Verdict v;
  const auto unreachable = read_unreachable(unreachable_path);
  if (!unreachable) return {false, unreachable.error() + "\n"};
  const auto m = merge_shards(first, last, files);
  if (!m) return {false, m.error() + "\n"};
  const Coverage& merged = m->coverage;
  const SeedCounts& seeds = m->seeds;
  std::ostringstream r;
  std::size_t missed = 0, wrong = 0, reached = 0;
  std::vector<std::pair<std::uint64_t, std::string>> rarest;
  for (std::size_t k = 0; k < pair_names().size(); ++k) {
    const std::string& name = pair_names()[k];
    const std::uint64_t steps = merged.counts[k / event_count][k % event_count];
    const std::uint64_t by = seeds[k / event_count][k % event_count];
    const auto listed = unreachable->find(name);
    if (steps > 0) ++reached;
    if (steps > 0 && listed != unreachable->end()) {
      ++wrong;
      r << "REACHED although listed as unreachable: " << name << " (" << steps << " steps in " << by
        << " seeds); the list says: " << listed->second << "\n";
    } else if (steps == 0 && listed == unreachable->end()) {
      ++missed;
      r << "NEVER REACHED, and not listed as unreachable: " << name << "\n";
    } else if (steps > 0) {
      rarest.emplace_back(by, name);
    }
  }
  std::sort(rarest.begin(), rarest.end());
  r << "coverage, seeds " << first << ".." << last << ": " << reached << " of "
    << pair_names().size() << " (phase, event) pairs reached; " << unreachable->size()
    << " listed as unreachable; " << missed << " reachable pairs missed; " << wrong
    << " listed pairs reached\n  rarest reached pairs (seeds reaching them):";
  for (std::size_t k = 0; k < rarest.size() && k < 8; ++k)
    r << " " << rarest[k].second << " " << rarest[k].first;
  r << "\n";
  v.ok = missed == 0 && wrong == 0;
  v.report = r.str();
  return v;
}

}  // namespace tether::sim::campaign
