#pragma once
// Heap allocations so far in this process (alloc_counter.cpp replaces the
// global operator new in every benchmark executable that links it). Read it
// around a timed loop only.
#include <cstdint>

namespace tether::bench {
std::uint64_t allocations();
}  // namespace tether::bench
