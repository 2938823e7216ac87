#pragma once
// Shared by the sim tests: questions about the statuses a run reported.

#include <tether/sim/session_world.hpp>
#include <utility>
#include <vector>

namespace tether::sim::test {

// Statuses of client 0 with this reason, as (time, delay until next attempt).
inline std::vector<std::pair<Ms, Ms>> backoffs(const RunResult& r, model::Reason reason) {
  std::vector<std::pair<Ms, Ms>> out;
  for (const auto& [at, st] : r.clients[0].statuses)
    if (st.kind == model::StatusKind::backing_off && st.reason == reason)
      out.emplace_back(at, st.next_attempt_at.ms - at);
  return out;
}

// One aviso client streaming from sequence 0: an event every 500 ms, a
// heartbeat every 10 s, faults during the first `safety_ms`.
inline Scenario aviso_base(Ms safety_ms) {
  Scenario s;
  s.seed = 11;
  s.safety_ms = safety_ms;
  s.world.append_every_ms = 500;
  s.world.heartbeat_every_ms = 10000;
  return s;
}

}  // namespace tether::sim::test
