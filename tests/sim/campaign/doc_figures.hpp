#pragma once
// Docs that cannot drift: the campaign's deterministic figures, as committed
// in README.md and docs/, checked against the CI campaign's own run (ctest
// docs_campaign_figures, after the shards).
//
// A figure in a document is a number followed at once by a marker naming it:
//
//   10,000<!-- figure campaign.seeds --> scenarios, 21,856,988<!-- figure campaign.events -->
//
// (an HTML comment: invisible where the Markdown is rendered). The number may
// use ',' as a thousands separator. The check fails on a number that differs
// from the run's, on a marker with no number before it and on an unknown name,
// each reported with its file and line; a document need not hold every figure.
//
// The figures (campaign_figures): campaign.seeds (scenarios run),
// campaign.events (reducer events fed, the sum over every (phase, event)
// pair), campaign.pairs (all pairs), campaign.pairs_reached,
// campaign.pairs_unreachable (listed in unreachable_pairs.txt); and the poll,
// wait and mirror campaigns' (world_figures.hpp).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "coverage_file.hpp"

namespace tether::sim::campaign {

using Figures = std::map<std::string, std::uint64_t, std::less<>>;

inline Figures campaign_figures(const Coverage& merged, std::uint64_t first, std::uint64_t last,
                                std::size_t unreachable) {
  std::uint64_t events = 0;
  for (const auto& row : merged.counts)
    for (std::uint64_t c : row) events += c;
  return Figures{{"campaign.seeds", last - first + 1},
                 {"campaign.events", events},
                 {"campaign.pairs", phase_count * event_count},
                 {"campaign.pairs_reached", merged.pairs_reached()},
                 {"campaign.pairs_unreachable", unreachable}};
}

// "21,856,988" as 21856988; nullopt for anything else.
inline std::optional<std::uint64_t> figure_value(std::string_view digits) {
  std::uint64_t v = 0;
  if (digits.empty() || digits.front() == ',' || digits.back() == ',') return std::nullopt;
  for (char c : digits) {
    if (c == ',') continue;
    if (c < '0' || c > '9' || v > (UINT64_MAX - 9) / 10) return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

struct FigureCheck {
  std::size_t checked = 0;  // markers whose number matched
  std::string problems;     // one line per problem; empty: all good
};

// Checks every marker in `text` (the document `path`) against `figures`.
inline void check_figures(const Figures& figures, const std::string& path, std::string_view text,
                          FigureCheck& out) {
  constexpr std::string_view open = "<!-- figure ";
  for (std::size_t at = text.find(open); at != std::string_view::npos;
       at = text.find(open, at + 1)) {
    const std::size_t line =
        1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + at, '\n'));
    const std::string where = path + ":" + std::to_string(line) + ": ";
    const std::size_t name_at = at + open.size();
    const std::size_t close = text.find(" -->", name_at);
    if (close == std::string_view::npos) {
      out.problems += where + "an unterminated figure marker\n";
      continue;
    }
    const std::string_view name = text.substr(name_at, close - name_at);
    std::size_t begin = at;
    while (begin > 0 &&
           ((text[begin - 1] >= '0' && text[begin - 1] <= '9') || text[begin - 1] == ','))
      --begin;
    const auto written = figure_value(text.substr(begin, at - begin));
    const auto known = figures.find(name);
    if (known == figures.end()) {
      out.problems += where + "unknown figure '" + std::string(name) + "'\n";
    } else if (!written) {
      out.problems += where + "no number before the marker of '" + std::string(name) + "'\n";
    } else if (*written != known->second) {
      out.problems += where + std::string(name) + " is written " + std::to_string(*written) +
                      ", but the campaign measured " + std::to_string(known->second) + "\n";
    } else {
      ++out.checked;
    }
  }
}

}  // namespace tether::sim::campaign
