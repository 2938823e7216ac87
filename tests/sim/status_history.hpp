#pragma once
// Shared by the sim tests: questions about the statuses a run reported.

#include <utility>
#include <vector>

#include <tether/sim/run.hpp>

namespace tether::sim::test {

// Statuses of client 0 with this reason, as (time, delay until next attempt).
inline std::vector<std::pair<Ms, Ms>> backoffs(const RunResult& r, model::Reason reason) {
  std::vector<std::pair<Ms, Ms>> out;
  for (const auto& [at, st] : r.clients[0].statuses)
    if (st.kind == model::StatusKind::backing_off && st.reason == reason)
      out.emplace_back(at, st.next_attempt_at.ms - at);
  return out;
}

}  // namespace tether::sim::test
