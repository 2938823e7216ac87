// The poll, wait and mirror worlds run the production driver loop,
// io::ReducerLoop, with the real reducers: a defect of that loop's timer
// policy (io::LoopDefect, the driver mutants' kind) is the world's to catch,
// as a reducer mutant is. Each must be caught by some seed in 1..2000, by a
// rule of that world's oracle, while the loop without the defect passes it.
#include <catch2/catch.hpp>
#include <cstdio>
#include <optional>
#include <string>
#include <tether/io/reducer_loop.hpp>
#include <tether/sim/mirror_world.hpp>
#include <tether/sim/poll_world.hpp>
#include <tether/sim/wait_world.hpp>

using namespace tether::sim;
using tether::io::LoopDefect;

namespace {

constexpr std::uint64_t seeds_max = 2000;

const char* name_of_defect(LoopDefect d) {
  switch (d) {
    case LoopDefect::timer_not_rearmed_earlier:
      return "timer_not_rearmed_earlier";
    case LoopDefect::timer_fired_still_armed:
      return "timer_fired_still_armed";
    default:
      return "?";
  }
}

// The first seed whose run under the defect fails, and its first finding.
template <class Run>
std::optional<std::pair<std::uint64_t, std::string>> first_caught(Run&& run) {
  for (std::uint64_t seed = 1; seed <= seeds_max; ++seed)
    if (std::optional<std::string> finding = run(seed)) return std::pair{seed, *finding};
  return std::nullopt;
}

void report(const char* world, LoopDefect d, const std::pair<std::uint64_t, std::string>& caught) {
  std::printf("%s world, loop defect %-26s caught by seed %4llu: %s\n", world, name_of_defect(d),
              static_cast<unsigned long long>(caught.first), caught.second.c_str());
}

std::optional<std::string> first_finding(const PollRunResult& r) {
  if (r.ok()) return std::nullopt;
  const std::string all = describe(r);
  return all.substr(0, all.find('\n'));
}

template <class Result>
std::optional<std::string> first_finding(const Result& r) {
  if (r.ok()) return std::nullopt;
  if (!r.error.empty()) return "error: " + r.error;
  const Violation& f = r.violations.front();
  return std::string(f.rule) + " @" + std::to_string(f.at_ms) + ": " + f.message;
}

}  // namespace

TEST_CASE("the poll world catches the loop's timer defects", "[poll-world][loop][mutation]") {
  for (const LoopDefect d :
       {LoopDefect::timer_not_rearmed_earlier, LoopDefect::timer_fired_still_armed}) {
    PollRunOptions o;
    o.loop_defect = d;
    o.events_max = 200'000;
    const auto caught = first_caught(
        [&](std::uint64_t s) { return first_finding(run_poll(poll_swarm_scenario(s), o)); });
    INFO(name_of_defect(d));
    REQUIRE(caught);
    report("poll", d, *caught);
    CHECK(run_poll(poll_swarm_scenario(caught->first)).ok());
  }
}

TEST_CASE("the wait world catches the loop's timer defects", "[resource_world][loop][mutation]") {
  for (const LoopDefect d :
       {LoopDefect::timer_not_rearmed_earlier, LoopDefect::timer_fired_still_armed}) {
    WaitRunOptions o;
    o.loop_defect = d;
    o.events_max = 200'000;
    const auto caught =
        first_caught([&](std::uint64_t s) { return first_finding(run_wait(wait_scenario(s), o)); });
    INFO(name_of_defect(d));
    REQUIRE(caught);
    report("wait", d, *caught);
    CHECK(run_wait(wait_scenario(caught->first)).ok());
  }
}

TEST_CASE("the mirror world catches the loop's timer defects", "[resource_world][loop][mutation]") {
  for (const LoopDefect d :
       {LoopDefect::timer_not_rearmed_earlier, LoopDefect::timer_fired_still_armed}) {
    MirrorRunOptions o;
    o.loop_defect = d;
    o.events_max = 200'000;
    const auto caught = first_caught(
        [&](std::uint64_t s) { return first_finding(run_mirror(mirror_scenario(s), o)); });
    INFO(name_of_defect(d));
    REQUIRE(caught);
    report("mirror", d, *caught);
    CHECK(run_mirror(mirror_scenario(caught->first)).ok());
  }
}
