#pragma once
// The wait-for-resource example tests' driver (tests/model/wait/config.cpp and
// reducer.cpp): tether::test::ReducerHarness over wait::State, an exact policy
// (no randomness), and a helper that fails acquisitions in a row.
#include <cstdint>
#include <tether/model/wait/reducer.hpp>
#include <vector>

#include "../../support/reducer_harness.hpp"

namespace tether::test::wait_harness {

using namespace tether::model;
using namespace tether::model::wait;
using tether::test::at;

class Harness : public tether::test::ReducerHarness<State, Effects> {
 public:
  explicit Harness(const Config& config) : ReducerHarness(*make(config)) {}
  // The id of the Acquire in flight (precondition: acquiring).
  std::uint64_t id() const { return phase<Acquiring>().id; }
};

// No randomness: delays are exactly the ceilings, a Connected wake is immediate.
inline Config exact() {
  Config c;
  c.backoff.delay_ms_initial = 1000;
  c.backoff.multiplier = 2.0;
  c.backoff.delay_ms_max = 8000;
  c.backoff.jitter = JitterKind::none;
  c.backoff.restored_delay_ms_max = 0;
  c.reopen_pause_ms = 500;
  c.acquire_timeout_ms = 0;
  return c;
}

// Fail `n` acquisitions in a row at `t`, ticking through each backoff; the delays.
inline std::vector<std::int64_t> refuse(Harness& h, int n, std::int64_t& t) {
  std::vector<std::int64_t> delays;
  for (int i = 0; i < n && h.in<Acquiring>(); ++i) {
    h.feed(AcquireFailed{at(t), h.id()});
    if (!h.in<BackingOff>()) break;
    const std::int64_t until = h.phase<BackingOff>().until.ms;
    delays.push_back(until - t);
    t = until;
    h.feed(Tick{at(t)});
  }
  return delays;
}

}  // namespace tether::test::wait_harness
