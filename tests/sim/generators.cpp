// The exported RapidCheck generators: generated scenarios hold every guarantee,
// and their shrinks stay runnable scenarios.
#include <rapidcheck/catch.h>

#include <catch2/catch.hpp>
#include <tether/model/presets.hpp>
#include <tether/sim/generators.hpp>
#include <tether/sim/scenario_json.hpp>
#include <tether/sim/session_world.hpp>

using namespace tether::sim;

TEST_CASE("generated scenarios hold every guarantee", "[generators][property]") {
  // ~100 cases (RapidCheck's default max_success), well under 10 s at -O2.
  rc::prop("no violations", [](const Scenario& s) {
    const RunResult r = run_session(s);
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

TEST_CASE("scenarios generated on one policy keep it, and hold every guarantee",
          "[generators][property]") {
  tether::model::SessionConfig policy = tether::model::presets::kanade();
  policy.backoff.delay_ms_initial = 1113;
  policy.resume.gaps = tether::model::GapDetection::relaxed;
  policy.resume.start = tether::model::Cursor::at_sequence(0);
  const auto same_policy = [&policy](const Scenario& s) {
    return s.config.backoff.delay_ms_initial == 1113 &&
           s.config.backoff.delay_ms_max == policy.backoff.delay_ms_max &&
           s.config.resume.gaps == policy.resume.gaps && s.label == "custom";
  };
  rc::prop("the policy, never varied", [&] {
    const auto shrinkable =
        gen::scenario(policy)(rc::Random(*rc::gen::arbitrary<std::uint64_t>()), 0);
    const Scenario s = shrinkable.value();
    RC_ASSERT(same_policy(s));
    RC_ASSERT(run_session(s).ok());
    int seen = 0;
    for (auto shrinks = shrinkable.shrinks(); auto next = shrinks.next();) {
      RC_ASSERT(same_policy(next->value()));
      if (++seen == 20) break;
    }
  });
}
