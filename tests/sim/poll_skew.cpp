// Poll results stamped by a skewed clock (PollScenario::result_clock_skew_ms):
// the reducer measures the cadence from the poll it issued, so a results'
// clock behind the ticks' never brings a poll early; a reducer that measured it
// from the result's stamp is caught (by the reference's deadline rule: the
// next poll is due a cadence after the poll was issued), skewed or not.
#include <catch2/catch.hpp>
#include <cstdio>
#include <optional>
#include <string>
#include <tether/model/poll/reducer.hpp>
#include <tether/sim/poll_world.hpp>
#include <variant>

using namespace tether::sim;
namespace poll = tether::model::poll;

namespace {

// The mutant: after a success (or a quiet error), the next poll is due a
// cadence after the result's stamp instead of after the poll.
poll::Effects cadence_from_result(poll::State& s, const poll::Event& e) noexcept {
  poll::Effects fx = poll::transition_in_place(s, e);
  std::size_t endpoint = 0;
  tether::model::Instant stamp{};
  if (const auto* ok = std::get_if<poll::PollSucceeded>(&e))
    endpoint = ok->endpoint, stamp = ok->now;
  else if (const auto* f = std::get_if<poll::PollFailed>(&e))
    endpoint = f->endpoint, stamp = f->now;
  else
    return fx;
  auto* p = std::get_if<poll::Polling>(&s.phase);
  if (p == nullptr || endpoint >= p->endpoints.size() || p->endpoints[endpoint].failing) return fx;
  if (auto* w = std::get_if<poll::Waiting>(&p->endpoints[endpoint].activity))
    w->due_at = tether::model::after(stamp, s.config->endpoints[endpoint].cadence_ms);
  return fx;
}

}  // namespace

TEST_CASE("poll results stamped by a skewed clock: drawn, and every rule holds",
          "[poll-world][skew]") {
  int skewed = 0, behind = 0, failing = 0;
  for (std::uint64_t seed = 1; seed <= 1000; ++seed) {
    const PollScenario s = poll_swarm_scenario(seed);
    skewed += s.result_clock_skew_ms != 0 ? 1 : 0;
    behind += s.result_clock_skew_ms < 0 ? 1 : 0;
    const PollRunResult r = run_poll(s);
    if (!r.ok()) {
      ++failing;
      UNSCOPED_INFO("poll seed " << seed << ": " << describe(r));
    }
  }
  CHECK(failing == 0);
  CHECK(skewed > 200);
  CHECK(skewed < 400);
  CHECK(behind > 80);
}

TEST_CASE("poll mutant: the cadence measured from the result is caught, skewed or not",
          "[poll-world][skew][mutation]") {
  PollRunOptions o;
  o.reducer = &cadence_from_result;
  std::optional<std::uint64_t> caught;
  PollRunResult r;
  for (std::uint64_t seed = 1; seed <= 2000 && !caught; ++seed) {
    r = run_poll(poll_swarm_scenario(seed), o);
    if (!r.ok()) caught = seed;
  }
  REQUIRE(caught.has_value());
  const std::string first = describe(r);
  std::printf("poll mutant cadence_from_result caught by seed %llu (skew %lld ms): %s\n",
              static_cast<unsigned long long>(*caught),
              static_cast<long long>(poll_swarm_scenario(*caught).result_clock_skew_ms),
              first.substr(0, first.find('\n')).c_str());
  CHECK(run_poll(poll_swarm_scenario(*caught)).ok());
  // Without the skew a result comes after its poll, so a cadence from the
  // result only polls later: the reference's deadline rule (due a cadence
  // after the poll was sent) catches that too.
  std::optional<std::uint64_t> caught_unskewed;
  for (std::uint64_t seed = 1; seed <= 300 && !caught_unskewed; ++seed) {
    PollScenario s = poll_swarm_scenario(seed);
    s.result_clock_skew_ms = 0;
    if (!run_poll(s, o).ok()) caught_unskewed = seed;
  }
  CHECK(caught_unskewed.has_value());
}
