#pragma once
// Shrinking a failing scenario to a minimal one (greedy, bounded).
//
// Passes, repeated until one changes nothing or the run budget is spent:
//   1. drop each fault, one at a time;
//   2. shrink the fleet (1 client first, then one fewer at a time; faults aimed
//      at a removed client go with it);
//   3. halve each fault's duration, then move each fault earlier (halve at_ms);
//   4. shorten the phases: halve safety_ms (never below the last fault) and an
//      explicit liveness_ms.
// A candidate is kept only if check_scenario accepts it and `still_fails`
// returns true for it; each call of `still_fails` counts as one run.

#include <cstdint>
#include <functional>
#include <optional>
#include <tether/sim/scenario.hpp>
#include <tether/sim/session_world.hpp>

namespace tether::sim {

// True if the scenario still fails the way the original did.
using FailurePredicate = std::function<bool(const Scenario&)>;

struct ShrinkOptions {
  std::uint32_t runs_max = 400;  // calls of the predicate, at most
};

struct ShrinkResult {
  Scenario scenario;
  std::uint32_t runs = 0;         // predicate calls made
  std::uint32_t kept = 0;         // candidates accepted
  bool budget_exhausted = false;  // stopped by runs_max, not by a fixpoint
};

ShrinkResult shrink_with_report(const Scenario& failing, const FailurePredicate& still_fails,
                                const ShrinkOptions& options = {});

inline Scenario shrink(const Scenario& failing, const FailurePredicate& still_fails,
                       const ShrinkOptions& options = {}) {
  return shrink_with_report(failing, still_fails, options).scenario;
}

// How a run failed: the guarantee of its first violation, or none if it could
// not run at all (RunResult::error).
struct RunFailure {
  std::optional<Guarantee> guarantee;
};

// A predicate that runs the scenario and is true if it violates `guarantee`.
FailurePredicate violates_guarantee(Guarantee guarantee, RunOptions options = {});
// True if the scenario fails as `failure` says: violates its guarantee, or
// cannot run at all.
FailurePredicate fails_like(const RunFailure& failure, RunOptions options = {});

// How `result` failed; none if it passed.
std::optional<RunFailure> first_failure(const RunResult& result);

}  // namespace tether::sim
