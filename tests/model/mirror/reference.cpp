// Freshness mirror against its reference oracle: properties over random event
// sequences judged after every step by the reference oracle,
// sim::MirrorReference (<tether/sim/reference/mirror.hpp>,
// tether::sim_reference), the one the simulator's mirror world uses too: it
// recomputes entries, stream health and backfill from the events alone.
#include <rapidcheck/catch.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <tether/model/mirror/reducer.hpp>
#include <tether/model/presets.hpp>
#include <tether/sim/reference/mirror.hpp>
#include <utility>
#include <vector>

#include "harness.hpp"

using namespace tether::model;
using namespace tether::model::mirror;

using tether::test::at;
using tether::test::mirror_tests::small;

// --- properties --------------------------------------------------------------------

namespace {

struct Choices {
  const std::vector<std::uint32_t>& values;
  std::size_t next = 0;
  std::uint32_t pick(std::uint32_t bound) {
    return next < values.size() ? values[next++] % bound : 0;
  }
};

// The reference's first finding, for RapidCheck's report.
std::string describe(const tether::sim::Violation& v, std::size_t step) {
  return std::string(v.rule) + " @" + std::to_string(v.at_ms) + ": " + v.message + " (step " +
         std::to_string(step) + ")";
}

Config draw_config(Choices& ch) {
  Config c;
  const std::int64_t stale[] = {1, 100, 500, 30000};
  const std::int64_t intervals[] = {1, 100, 1000, 30000};
  c.stale_after_ms = stale[ch.pick(4)];
  c.heartbeat.interval_ms = intervals[ch.pick(4)];
  c.heartbeat.interval_multiple = 1 + ch.pick(4);
  c.heartbeat.slack_ms = ch.pick(3) == 0 ? 0 : ch.pick(5000);
  if (ch.pick(4) == 0) c.keys_max = 1 + ch.pick(3);
  if (ch.pick(4) == 0) c.value_bytes_max = ch.pick(4);
  if (ch.pick(8) == 0) c.key_bytes_max = 1;
  return c;
}

// A push stream that stalls and resumes, polls with lag (some out of order, some
// from "the future"), removals, heartbeats, ticks at and around deadlines, a
// clock that sometimes steps back, rare stops and events before Started.
std::string run_script(const Config& config, Choices& ch, std::size_t steps_max) {
  State state = *make(config);
  std::vector<tether::sim::Violation> found;
  tether::sim::MirrorReference reference(config, found);
  const char* const keys[] = {"a", "b", "c", "dd", "eee"};
  const char* const values[] = {"", "x", "yy", "zzz", "long value"};
  std::int64_t t = ch.pick(1000);
  const std::size_t start_at = ch.pick(3) == 0 ? ch.pick(5) : 0;
  for (std::size_t i = 0; i < steps_max; ++i) {
    const std::uint32_t kind = ch.pick(24);
    const std::int64_t dt = ch.pick(5) == 0 ? ch.pick(200000) : ch.pick(2000);
    const std::string key = keys[ch.pick(5)];
    const std::string value = values[ch.pick(5)];
    const std::int64_t lag =
        ch.pick(6) == 0 ? -static_cast<std::int64_t>(ch.pick(500)) : ch.pick(3000);
    Event e = Tick{at(t)};
    if (i == start_at) {
      e = Started{at(t)};
    } else if (kind <= 5) {
      const auto d = next_deadline(state);
      t = d ? std::max(t, d->ms + (ch.pick(3) == 0 ? static_cast<std::int64_t>(ch.pick(300)) : 0))
            : t + dt;
      e = Tick{at(t)};
    } else if (kind <= 7) {
      e = Tick{at(t += dt)};
    } else if (kind <= 10) {
      e = ValuePushed{at(t += dt / 4), key, value};
    } else if (kind == 11) {
      e = RemovalPushed{at(t += dt / 4), key};
    } else if (kind == 12) {
      e = HeartbeatReceived{at(t += dt / 4)};
    } else if (kind <= 17) {
      t += dt / 4;
      e = ValuePolled{at(t), at(t - lag), key, value};
    } else if (kind <= 18) {
      t += dt / 4;
      e = RemovalPolled{at(t), at(t - lag), key};
    } else if (kind <= 20) {
      t += dt / 4;
      e = PollCompleted{at(t), at(t - lag)};
    } else if (kind == 21) {
      e = ValuePushed{at(t - ch.pick(1000)), key, value};  // the driver's clock stepped back
    } else if (kind == 22 && ch.pick(10) == 0) {
      e = StopRequested{at(t)};
    } else if (kind == 23 && ch.pick(4) == 0) {
      e = Started{at(t)};  // a confused driver starts it again: ignored
    }
    // Nothing was fed before this event (nor after the deadline, which a driver owes a Tick).
    const auto d = next_deadline(state);
    reference.idle_until(std::min(time_of(e).ms, d ? d->ms : time_of(e).ms) - 1);
    Step step = transition(std::move(state), e);
    state = std::move(step.state);
    reference.step(state, e, step.effects, t + static_cast<std::int64_t>(ch.pick(100000)));
    if (!found.empty()) return describe(found.front(), i);
  }
  const auto d = next_deadline(state);
  reference.idle_until(d ? d->ms - 1 : t + 1'000'000'000);
  return found.empty() ? "" : describe(found.front(), steps_max);
}

rc::Gen<std::vector<std::uint32_t>> choices(std::size_t length_max) {
  return rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, length_max + 1), [](std::size_t n) {
    return rc::gen::container<std::vector<std::uint32_t>>(n, rc::gen::arbitrary<std::uint32_t>());
  });
}

}  // namespace

TEST_CASE("mirror: every step of random sequences agrees with the recomputation",
          "[mirror][property]") {
  // A batch of up to 8 sequences per case (see the wait property).
  rc::prop("never Fresh past the threshold; polls never revive the stream; status is the truth",
           [] {
             const auto n = *rc::gen::inRange<std::size_t>(1, 9);
             const auto batch =
                 *rc::gen::container<std::vector<std::vector<std::uint32_t>>>(n, choices(3000));
             for (const auto& values : batch) {
               Choices ch{values};
               const Config config = draw_config(ch);
               const std::string why = run_script(config, ch, 300);
               if (!why.empty()) RC_FAIL(why);
             }
           });
}

TEST_CASE("mirror: aviso_mirror keeps the rules over long sequences", "[mirror][property]") {
  rc::prop("aviso_mirror, 1500 steps", [] {
    const auto values = *choices(12000);
    Choices ch{values};
    const std::string why = run_script(presets::aviso_mirror(), ch, 1500);
    if (!why.empty()) RC_FAIL(why);
  });
}

TEST_CASE("mirror: the oracle catches a poll that refreshes liveness", "[mirror][property]") {
  // A deliberately broken driver-side wrapper: it turns every poll into a
  // heartbeat as well. The reference, which counts pushes only, must object.
  Config c = small();
  State s = *make(c);
  std::vector<tether::sim::Violation> found;
  tether::sim::MirrorReference reference(c, found);
  const auto step = [&](const Event& e, bool mutate) {
    Step st = transition(std::move(s), e);
    Effects fx = st.effects;
    if (mutate) {
      Step extra = transition(std::move(st.state), HeartbeatReceived{time_of(e)});
      st.state = std::move(extra.state);
      for (const Effect& x : extra.effects) fx.push_back(x);
    }
    s = std::move(st.state);
    reference.step(s, e, fx);
  };
  step(Started{at(0)}, false);
  step(ValuePushed{at(0), "k", "v"}, false);
  step(Tick{at(3000)}, false);  // degraded
  CHECK(found.empty());
  step(ValuePolled{at(3100), at(3100), "k", "v"}, true);
  REQUIRE_FALSE(found.empty());
  CHECK(found[0].rule == "health-not-truth");
  CHECK(found[0].guarantee == tether::sim::Guarantee::mirror_stream_health);
}

TEST_CASE("mirror: the oracle catches a status left past its deadline", "[mirror][property]") {
  // Live since a push at 0; the budget (3 s) runs out at 3000, the reducer's
  // deadline. A driver that feeds nothing through 3000 (no Tick) leaves the
  // application holding `live` when the truth is `degraded`.
  const Config c = small();
  State s = *make(c);
  std::vector<tether::sim::Violation> found;
  tether::sim::MirrorReference reference(c, found);
  for (const Event& e : {Event{Started{at(0)}}, Event{ValuePushed{at(0), "k", "v"}}}) {
    Step st = transition(std::move(s), e);
    s = std::move(st.state);
    reference.step(s, e, st.effects);
  }
  REQUIRE(next_deadline(s) == at(3000));
  reference.idle_until(2999);
  CHECK(found.empty());
  reference.idle_until(3000);
  REQUIRE(found.size() == 1);
  CHECK(found[0].rule == "status-late");
  CHECK(found[0].guarantee == tether::sim::Guarantee::mirror_deadlines);
}
