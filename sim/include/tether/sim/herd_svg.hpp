#pragma once
// The herd plot drawn (tether-sim herd --svg): connection attempts per bucket
// against the time after the server's recovery, as bars (the policy) and a
// step line in another colour (the comparison, if any); each fleet's peak
// marked, its 99 %-streaming time and its herd bound as dashed lines; axes
// with their units, a title and a legend. Plain SVG 1.1 text, a function of
// the plots alone: the same run draws the same bytes.

#include <cstdint>
#include <span>
#include <string>
#include <tether/sim/herd_plot.hpp>

namespace tether::sim {

// The tick step for an axis from 0 to `span` (> 0): 1, 2 or 5 times a power of
// ten, the smallest giving at most `ticks_max` steps.
std::int64_t nice_step(std::int64_t span, std::int64_t ticks_max);

// The SVG of the plots (the policy first, then the comparison, if any; the
// first fleet's bucket sets the axis). One <rect class="bar"> per non-empty
// bucket of the first.
std::string herd_svg(std::span<const HerdPlot> plots);

}  // namespace tether::sim
