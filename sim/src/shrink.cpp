#include <algorithm>
#include <tether/sim/scenario_json.hpp>
#include <tether/sim/shrink.hpp>
#include <utility>

namespace tether::sim {

namespace {

class Shrinker {
 public:
  Shrinker(Scenario s, const FailurePredicate& still_fails, const ShrinkOptions& o)
      : best_(std::move(s)), still_fails_(still_fails), options_(o) {}

  ShrinkResult run() {
    // Each productive pass makes the scenario strictly smaller, so this ends;
    // the run budget bounds it regardless.
    bool changed = true;
    while (changed && !exhausted()) {
      changed = false;
      changed |= drop_faults();
      changed |= shrink_fleet();
      changed |= halve_durations();
      changed |= move_faults_earlier();
      changed |= shorten_phases();
    }
    return ShrinkResult{best_, runs_, kept_, exhausted()};
  }

 private:
  bool exhausted() const { return runs_ >= options_.runs_max; }

  // Keeps `candidate` if it is valid and still fails.
  bool try_keep(Scenario candidate) {
    if (exhausted() || !check_scenario(candidate)) return false;
    ++runs_;
    if (!still_fails_(candidate)) return false;
    best_ = std::move(candidate);
    ++kept_;
    return true;
  }

  bool drop_faults() {
    bool changed = false;
    for (std::size_t i = best_.faults.size(); i-- > 0;) {
      Scenario c = best_;
      c.faults.erase(c.faults.begin() + static_cast<std::ptrdiff_t>(i));
      changed |= try_keep(std::move(c));
    }
    return changed;
  }

  static Scenario with_clients(const Scenario& s, std::uint32_t n) {
    Scenario c = s;
    c.clients = n;
    // Faults of removed clients go, except server faults (their client field
    // is unused): those stay, retargeted to all clients.
    for (Fault& f : c.faults)
      if (is_server_fault(f.kind) && f.client != all_clients && f.client >= n)
        f.client = all_clients;
    std::erase_if(c.faults,
                  [n](const Fault& f) { return f.client != all_clients && f.client >= n; });
    return c;
  }

  bool shrink_fleet() {
    for (std::uint32_t n = 1; n < best_.clients; ++n)
      if (try_keep(with_clients(best_, n))) return true;
    return false;
  }

  bool halve_durations() {
    bool changed = false;
    for (std::size_t i = 0; i < best_.faults.size(); ++i) {
      while (best_.faults[i].duration_ms > 0 && !exhausted()) {
        Scenario c = best_;
        c.faults[i].duration_ms /= 2;
        if (!try_keep(std::move(c))) break;
        changed = true;
      }
    }
    return changed;
  }

  bool move_faults_earlier() {
    bool changed = false;
    for (std::size_t i = 0; i < best_.faults.size(); ++i) {
      if (best_.faults[i].at_ms == 0) continue;
      Scenario c = best_;
      c.faults[i].at_ms /= 2;
      changed |= try_keep(std::move(c));
    }
    return changed;
  }

  bool shorten_phases() {
    bool changed = false;
    Ms last_fault_ms = 0;
    for (const Fault& f : best_.faults) last_fault_ms = std::max(last_fault_ms, f.at_ms + 1);
    const Ms safety_ms = std::max({best_.safety_ms / 2, last_fault_ms, Ms{1}});
    if (safety_ms < best_.safety_ms) {
      Scenario c = best_;
      c.safety_ms = safety_ms;
      changed |= try_keep(std::move(c));
    }
    if (best_.liveness_ms > 1) {
      Scenario c = best_;
      c.liveness_ms /= 2;
      changed |= try_keep(std::move(c));
    }
    return changed;
  }

  Scenario best_;
  const FailurePredicate& still_fails_;
  ShrinkOptions options_;
  std::uint32_t runs_ = 0;
  std::uint32_t kept_ = 0;
};

}  // namespace

ShrinkResult shrink_with_report(const Scenario& failing, const FailurePredicate& still_fails,
                                const ShrinkOptions& options) {
  return Shrinker(failing, still_fails, options).run();
}

std::optional<RunFailure> first_failure(const RunResult& result) {
  if (!result.error.empty()) return RunFailure{};
  if (!result.violations.empty()) return RunFailure{result.violations.front().guarantee};
  return std::nullopt;
}

FailurePredicate violates_guarantee(Guarantee guarantee, RunOptions options) {
  return [guarantee, options](const Scenario& s) {
    const RunResult r = run_session(s, options);
    return std::any_of(r.violations.begin(), r.violations.end(),
                       [guarantee](const Violation& v) { return v.guarantee == guarantee; });
  };
}

FailurePredicate fails_like(const RunFailure& failure, RunOptions options) {
  if (failure.guarantee) return violates_guarantee(*failure.guarantee, std::move(options));
  return [options](const Scenario& s) { return !run_session(s, options).error.empty(); };
}

}  // namespace tether::sim
