#pragma once
// Swarm testing (TigerBeetle's VOPR): every seed draws its own configuration
// (a preset with variations), world, fleet and fault mix (some fault kinds
// disabled, the others weighted differently), and a concrete fault timeline.
// The result is plain data: a Scenario does not depend on the generator's PRNG
// call order once drawn.

#include <cstdint>

#include <tether/sim/scenario.hpp>

namespace tether::sim {

Scenario swarm_scenario(std::uint64_t seed);

}  // namespace tether::sim
