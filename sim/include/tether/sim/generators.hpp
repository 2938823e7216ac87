#pragma once
// RapidCheck generators for simulation scenarios, for downstream property tests
// (CMake target tether::sim_rapidcheck: tether::sim + RapidCheck; header-only).
//
//   #include <tether/sim/generators.hpp>
//   rc::prop("my app survives the swarm", [](const tether::sim::Scenario& s) {
//     RC_ASSERT(tether::sim::run_session(s).ok());
//   });
//   rc::prop("my policy survives the swarm", [&] {
//     RC_ASSERT(tether::sim::run_session(*tether::sim::gen::scenario(my_policy)).ok());
//   });
//
// A scenario is drawn as swarm_scenario(seed) does (the seed comes from
// RapidCheck's random stream), so the generated mix is exactly the swarm
// campaign's. Unlike a bare seed, the result shrinks: RapidCheck removes
// faults (chunks, then single ones), shortens fault durations towards zero,
// shrinks the fleet (dropping the faults of the removed clients) and sends
// fault parameters towards zero. A failing property therefore reports a small,
// explicit scenario that scenario_json can write to a file and replay.

#include <rapidcheck.h>

#include <cstdint>
#include <ostream>
#include <tether/model/config.hpp>
#include <tether/sim/scenario.hpp>
#include <tether/sim/scenario_json.hpp>
#include <tether/sim/swarm.hpp>
#include <utility>
#include <vector>

namespace tether::sim {

// RapidCheck prints a counterexample as its scenario file (found by ADL).
inline void showValue(const Scenario& scenario, std::ostream& os) { os << to_json(scenario); }

}  // namespace tether::sim

namespace tether::sim::gen {

namespace detail {

inline rc::Seq<Fault> shrink_fault(const Fault& f) {
  auto with_duration = rc::seq::map(rc::shrink::towards<Ms>(f.duration_ms, 0), [f](Ms d) {
    Fault g = f;
    g.duration_ms = d;
    return g;
  });
  // Only parameters whose smaller values stay meaningful (0 = none/never).
  const bool param_shrinks = f.kind == FaultKind::rate_limit || f.kind == FaultKind::slow_link;
  auto with_param = rc::seq::map(
      param_shrinks ? rc::shrink::towards<std::int64_t>(f.param, 0) : rc::Seq<std::int64_t>(),
      [f](std::int64_t p) {
        Fault g = f;
        g.param = p;
        return g;
      });
  return rc::seq::concat(std::move(with_duration), std::move(with_param));
}

inline rc::Seq<Scenario> shrink_scenario(const Scenario& s) {
  auto fewer_faults =
      rc::seq::map(rc::shrink::removeChunks(s.faults), [s](std::vector<Fault> faults) {
        Scenario t = s;
        t.faults = std::move(faults);
        return t;
      });
  auto smaller_fleet =
      rc::seq::map(rc::shrink::towards<std::uint32_t>(s.clients, 1), [s](std::uint32_t n) {
        Scenario t = s;
        t.clients = n;
        for (Fault& f : t.faults)  // server faults ignore their client field: kept
          if (is_server_fault(f.kind) && f.client != all_clients && f.client >= n)
            f.client = all_clients;
        std::erase_if(t.faults,
                      [n](const Fault& f) { return f.client != all_clients && f.client >= n; });
        return t;
      });
  auto simpler_faults = rc::seq::map(rc::shrink::eachElement(s.faults, &shrink_fault),
                                     [s](std::vector<Fault> faults) {
                                       Scenario t = s;
                                       t.faults = std::move(faults);
                                       return t;
                                     });
  return rc::seq::concat(std::move(fewer_faults), std::move(smaller_fleet),
                         std::move(simpler_faults));
}

}  // namespace detail

// Scenarios drawn like the swarm campaign's, shrinking towards fewer and
// shorter faults and a smaller fleet.
inline rc::Gen<Scenario> scenario() {
  return rc::Gen<Scenario>([](const rc::Random& random, int /*size*/) {
    rc::Random r = random;
    return rc::shrinkable::shrinkRecur(swarm_scenario(r.next()), &detail::shrink_scenario);
  });
}

// Scenarios on one policy, drawn as swarm_scenario(seed, policy) draws them:
// the configuration is `policy` in every scenario and every shrink; the world,
// the fleet and the faults vary (and shrink as above).
inline rc::Gen<Scenario> scenario(const model::SessionConfig& policy) {
  return rc::Gen<Scenario>([policy](const rc::Random& random, int /*size*/) {
    rc::Random r = random;
    return rc::shrinkable::shrinkRecur(swarm_scenario(r.next(), policy), &detail::shrink_scenario);
  });
}

// The seed itself as a generator (no shrinking: a smaller seed is not a
// simpler scenario), for properties that want swarm_scenario(seed) directly.
inline rc::Gen<std::uint64_t> seed() {
  return rc::gen::noShrink(rc::gen::arbitrary<std::uint64_t>());
}

}  // namespace tether::sim::gen

namespace rc {

template <>
struct Arbitrary<tether::sim::Scenario> {
  static Gen<tether::sim::Scenario> arbitrary() { return tether::sim::gen::scenario(); }
};

}  // namespace rc
