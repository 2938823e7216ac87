#pragma once
// A period of a fault in a simulated world's scenario.

#include <tether/sim/agenda.hpp>

namespace tether::sim {

// [from_ms, to_ms)
struct Interval {
  Ms from_ms;
  Ms to_ms;
};

}  // namespace tether::sim
