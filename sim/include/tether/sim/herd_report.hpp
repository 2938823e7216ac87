#pragma once
// The herd plot's words and record: the summary a person reads, the lines
// that flag a herd or a fleet that did not come back, and the JSON record
// (format tether-herd/1). Each is a function of the plots alone (no clock,
// no locale, no path): the same run writes the same bytes. herd_svg.hpp
// draws the plot.

#include <span>
#include <string>
#include <tether/sim/herd_plot.hpp>

namespace tether::sim {

inline constexpr std::string_view herd_format = "tether-herd/1";

// How the fleet was seeded: "own seeds (from seed 1)", "one shared seed 42".
std::string seeding_of(const HerdFleet& fleet);

// The summary of one fleet, a line per figure (what tether-sim herd prints).
std::string herd_summary(const HerdPlot& plot);

// "FLAGGED: <policy>: ..." naming the busiest window and the bound, or empty.
std::string herd_flag_line(const HerdPlot& plot);
// "NOT RECOVERED: <policy>: ..." when fewer than 99 % of the fleet streamed
// again within the simulated horizon, or empty.
std::string herd_not_recovered_line(const HerdPlot& plot);

// The JSON record of the plots (the policy first, then the comparison, if any).
std::string herd_json(std::span<const HerdPlot> plots);

}  // namespace tether::sim
