#pragma once
// What the wait world (wait_world.cpp) and the mirror world (mirror_world.cpp)
// share: fault intervals, the trace hash, counters and the swarm summary.
// Private to sim/src (not installed).
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <tether/model/backoff.hpp>
#include <tether/model/prng.hpp>
#include <tether/sim/mirror_world.hpp>
#include <tether/sim/wait_world.hpp>
#include <utility>
#include <vector>

namespace tether::sim::world_detail {

using model::Prng;

inline bool chance(Prng& p, std::int64_t percent) { return p.uniform(0, 99) < percent; }

inline bool inside(const std::vector<Interval>& xs, Ms t) {
  return std::any_of(xs.begin(), xs.end(),
                     [t](const Interval& x) { return x.from_ms <= t && t < x.to_ms; });
}

// Up to `count_max` intervals inside [0, span_ms), each `len_min..len_max` long.
inline std::vector<Interval> draw_intervals(Prng& p, Ms span_ms, std::int64_t count_max, Ms len_min,
                                            Ms len_max) {
  std::vector<Interval> out;
  const std::int64_t n = p.uniform(1, count_max);
  for (std::int64_t i = 0; i < n; ++i) {
    const Ms from = p.uniform(0, span_ms - 1);
    out.push_back(Interval{from, std::min(span_ms, from + p.uniform(len_min, len_max))});
  }
  std::sort(out.begin(), out.end(),
            [](const Interval& a, const Interval& b) { return a.from_ms < b.from_ms; });
  return out;
}

// FNV-1a 64 over the 8 bytes of each value: the trace hash.
inline std::uint64_t mix(std::uint64_t h, std::int64_t v) {
  for (unsigned i = 0; i < 8; ++i) {
    h ^= (static_cast<std::uint64_t>(v) >> (8U * i)) & 0xFFU;
    h *= 0x100000001B3ULL;
  }
  return h;
}
constexpr std::uint64_t hash_seed = 0xCBF29CE484222325ULL;

inline std::string ms_text(Ms v) { return std::to_string(v); }

// --- policy bounds, from the one jitter rule (model::jitter_envelope) ---------

inline std::pair<std::int64_t, std::int64_t> delay_range(const model::BackoffPolicy& b,
                                                         std::uint32_t n) {
  const model::DelayBounds j = model::jitter_envelope(b, n);
  return {j.delay_ms_min, j.delay_ms_max};
}

inline void count(std::map<std::string, std::uint64_t>& counters, const std::string& name,
                  std::uint64_t n = 1) {
  counters[name] += n;
}

template <class Result>
void summarise(SwarmSummary& sum, std::uint64_t seed, const Result& r) {
  ++sum.scenarios;
  sum.events += r.events;
  for (const auto& [k, n] : r.counters) sum.counters[k] += n;
  if (r.ok()) return;
  ++sum.failing;
  if (sum.failures.size() >= 10) return;
  if (!r.error.empty()) {
    sum.failures.push_back("seed " + std::to_string(seed) + ": cannot run: " + r.error);
  } else {
    const Violation& f = r.violations.front();
    sum.failures.push_back("seed " + std::to_string(seed) + ": " + std::string(f.rule) + " @" +
                           std::to_string(f.at_ms) + ": " + f.message);
  }
}

}  // namespace tether::sim::world_detail
