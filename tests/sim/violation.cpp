#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <tether/sim/poll_world.hpp>
#include <tether/sim/session_world.hpp>
#include <tether/sim/violation.hpp>

using namespace tether::sim;

// A rule's guarantee is found at compile time (a missing rule does not compile).
static_assert(RuleOf<wait_rules>("give-up").rule.guarantee == Guarantee::wait_give_up);
static_assert(RuleOf<poll_rules>("escalation").rule.guarantee == Guarantee::backoff_bounds);
static_assert(RuleOf<mirror_rules>("health-not-truth").rule.guarantee ==
              Guarantee::mirror_stream_health);

TEST_CASE("the session's guarantees carry docs/guarantees.md's numbers, the others none",
          "[violation]") {
  CHECK(number(Guarantee::no_silent_gap) == 1);
  CHECK(number(Guarantee::checkpoint) == 3);
  CHECK(number(Guarantee::liveness) == 7);
  CHECK(number(Guarantee::rate) == 10);
  CHECK(number(Guarantee::client_invariant) == 11);
  CHECK(number(Guarantee::driver_loop) == 0);
  CHECK(number(Guarantee::poll_cadence) == 0);
  CHECK(number(Guarantee::mirror_deadlines) == 0);
}

TEST_CASE("every guarantee has a name of its own", "[violation]") {
  std::set<std::string> names;
  const auto last = static_cast<int>(Guarantee::mirror_deadlines);
  for (int g = 1; g <= last; ++g) {
    const std::string n(name(static_cast<Guarantee>(g)));
    INFO("guarantee " << g);
    CHECK(n != "unknown");
    CHECK(names.insert(n).second);
  }
  CHECK(name(Guarantee::liveness) == "liveness");
}

TEST_CASE("a world's rule names are unique and each names one guarantee", "[violation]") {
  const auto unique = [](const auto& table) {
    std::set<std::string_view> seen;
    for (const Rule& r : table)
      if (!seen.insert(r.name).second) return false;
    return true;
  };
  CHECK(unique(poll_rules));
  CHECK(unique(wait_rules));
  CHECK(unique(mirror_rules));
}

TEST_CASE(
    "violations print as before: g<number> c<client> for the session, <rule> e<endpoint> for "
    "polling",
    "[violation]") {
  RunResult r;
  r.violations.push_back(Violation{Guarantee::liveness, {}, "not caught up", 120000, 2});
  r.violations.push_back(
      Violation{Guarantee::determinism, {}, "same scenario, different trace hash", 5, all_clients});
  CHECK(describe(r) ==
        "g7 c2 @120000: not caught up\ng9 c* @5: same scenario, different trace hash\n");

  PollRunResult p;
  p.violations.push_back(Violation{Guarantee::poll_cadence, "cadence", "a burst", 40, 1});
  CHECK(describe(p) == "cadence e1 @40: a burst\n");
}
