// The exported RapidCheck generators: generated scenarios hold every guarantee,
// and their shrinks stay runnable scenarios.
#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <tether/sim/generators.hpp>
#include <tether/sim/run.hpp>
#include <tether/sim/scenario_json.hpp>

using namespace tether::sim;

TEST_CASE("generated scenarios hold every guarantee", "[generators][property]") {
  // ~100 cases (RapidCheck's default max_success), well under 10 s at -O2.
  rc::prop("no violations", [](const Scenario& s) {
    const RunResult r = run(s);
    RC_ASSERT(r.error.empty());
    RC_ASSERT(r.violations.empty());
  });
}

TEST_CASE("shrinks of a generated scenario are valid scenarios", "[generators][property]") {
  rc::prop("every shrink checks", [] {
    const auto shrinkable = gen::scenario()(rc::Random(*rc::gen::arbitrary<std::uint64_t>()), 0);
    const Scenario s = shrinkable.value();
    RC_ASSERT(check_scenario(s).has_value());
    int seen = 0;
    for (auto shrinks = shrinkable.shrinks(); auto next = shrinks.next();) {
      const Scenario t = next->value();
      RC_ASSERT(check_scenario(t).has_value());
      RC_ASSERT(t.faults.size() <= s.faults.size());
      RC_ASSERT(t.clients <= s.clients);
      if (++seen == 50) break;
    }
  });
}
