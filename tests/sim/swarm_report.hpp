#pragma once
// What the wait and mirror world tests share: a campaign's summary printed
// with its wall time, the first seed a mutant is caught at, and whether a run
// reported a rule.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <tether/sim/swarm_summary.hpp>
#include <tether/sim/violation.hpp>

namespace tether::test {

inline constexpr std::uint64_t campaign_seeds = 2000;
// The wait world is cheap (most of its virtual time is backoff): five times the seeds.
inline constexpr std::uint64_t wait_campaign_seeds = 10000;

inline void print(const char* what, const sim::SwarmSummary& s, double seconds) {
  std::printf("%s: %llu scenarios, %llu reducer steps, %llu failing, worst %lld ms, %.2f s\n", what,
              static_cast<unsigned long long>(s.scenarios),
              static_cast<unsigned long long>(s.events), static_cast<unsigned long long>(s.failing),
              static_cast<long long>(s.worst_ms), seconds);
  for (const auto& [k, n] : s.counters)
    std::printf("  %s: %llu\n", k.c_str(), static_cast<unsigned long long>(n));
  for (const std::string& f : s.failures) std::printf("  FAIL %s\n", f.c_str());
}

template <class F>
sim::SwarmSummary timed(const char* what, F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  sim::SwarmSummary s = f();
  print(what, s, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return s;
}

// The first seed in 1..seeds_max at which `run` reports a violation.
template <class Run>
std::optional<std::uint64_t> first_caught(Run&& run, std::uint64_t seeds_max = campaign_seeds) {
  for (std::uint64_t seed = 1; seed <= seeds_max; ++seed)
    if (!run(seed)) return seed;
  return std::nullopt;
}

template <class Result>
bool has_rule(const Result& r, const std::string& rule) {
  return std::any_of(r.violations.begin(), r.violations.end(),
                     [&](const sim::Violation& f) { return f.rule == rule; });
}

}  // namespace tether::test
