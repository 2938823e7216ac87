// Freshness mirror: an example for every rule, then properties over random
// event sequences judged after every step by the reference oracle,
// sim::MirrorReference (<tether/sim/reference/mirror.hpp>,
// tether::sim_reference), the one the simulator's mirror world uses too: it
// recomputes entries, stream health and backfill from the events alone.
#include <rapidcheck/catch.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tether/model/freshness_mirror.hpp>
#include <tether/model/presets.hpp>
#include <tether/sim/reference/mirror.hpp>
#include <utility>
#include <vector>

#include "../support/reducer_harness.hpp"

using namespace tether::model;
using namespace tether::model::mirror;

namespace {

using tether::test::at;

class Harness : public tether::test::ReducerHarness<MirrorState, Effects> {
 public:
  explicit Harness(const MirrorConfig& config) : ReducerHarness(*make_mirror(config)) {}
  Freshness fresh(std::string_view key, std::int64_t t) const {
    return freshness_of(state_, key, at(t));
  }
  std::optional<std::string> value(std::string_view key) const {
    const Entry* e = find(state_, key);
    return e == nullptr ? std::nullopt : e->value;
  }
  const MirrorStatus& status() const { return state_.status; }
};

// Stale after 500 ms; the stream is degraded after 3 s of push silence.
MirrorConfig small() {
  MirrorConfig c;
  c.stale_after_ms = 500;
  c.heartbeat = HeartbeatPolicy{.interval_ms = 1000, .interval_multiple = 3, .slack_ms = 0};
  return c;
}

}  // namespace

// --- presets and configuration ---------------------------------------------

TEST_CASE("aviso_mirror: aviso's 90 s heartbeat budget, values stale after 30 s",
          "[mirror][presets]") {
  const MirrorConfig c = presets::aviso_mirror();
  CHECK(c.heartbeat.budget_ms() == 90000);
  CHECK(c.heartbeat.budget_ms() == presets::aviso().heartbeat->budget_ms());
  CHECK(c.stale_after_ms == 30000);
  CHECK(validate(c));
}

TEST_CASE("a mirror configuration that cannot work names its field", "[mirror][config]") {
  MirrorConfig c = small();
  SECTION("threshold") {
    c.stale_after_ms = 0;
    CHECK(validate(c).error().field == "stale_after_ms");
  }
  SECTION("heartbeat fields are checked as for a session") {
    c.heartbeat.interval_ms = 0;
    CHECK(validate(c).error().field == "heartbeat.interval_ms");
  }
  SECTION("limits") {
    c.keys_max = 0;
    CHECK(validate(c).error().field == "keys_max");
  }
  CHECK_FALSE(make_mirror(c).has_value());
}

// --- freshness -----------------------------------------------------------------

TEST_CASE("freshness is Never, then Fresh strictly before the threshold, then Stale", "[mirror]") {
  Harness h(small());
  h.feed(Started{at(0)});
  CHECK(h.fresh("k", 0) == Freshness::never);
  h.feed(ValuePushed{at(1000), "k", "v1"});
  CHECK(h.value("k") == "v1");
  CHECK(find(h.state(), "k")->source == Source::push);
  CHECK(find(h.state(), "k")->written_at == at(1000));
  CHECK(h.fresh("k", 1000) == Freshness::fresh);
  CHECK(h.fresh("k", 1499) == Freshness::fresh);
  CHECK(h.fresh("k", 1500) == Freshness::stale);  // exactly at the threshold: Stale
  CHECK(h.fresh("k", 99999) == Freshness::stale);
  CHECK(h.fresh("other", 1000) == Freshness::never);
}

TEST_CASE("a polled value is as old as its snapshot, not its response", "[mirror]") {
  Harness h(small());
  h.feed(Started{at(0)});
  h.feed(ValuePolled{at(1000), at(800), "k", "v"});
  CHECK(find(h.state(), "k")->source == Source::poll);
  CHECK(find(h.state(), "k")->written_at == at(800));
  CHECK(h.fresh("k", 1299) == Freshness::fresh);
  CHECK(h.fresh("k", 1300) == Freshness::stale);
  SECTION("a snapshot from the future is taken as now") {
    h.feed(ValuePolled{at(2000), at(5000), "j", "v"});
    CHECK(find(h.state(), "j")->written_at == at(2000));
  }
}

TEST_CASE("a poll never overwrites a newer push, ties go to the push", "[mirror]") {
  Harness h(small());
  h.feed(Started{at(0)});
  h.feed(ValuePushed{at(1000), "k", "pushed"});
  SECTION("a snapshot taken before the push changes nothing") {
    h.feed(ValuePolled{at(1100), at(900), "k", "old"});
    CHECK(h.one<WriteIgnored>()->cause == IgnoreCause::older_than_entry);
    CHECK(h.value("k") == "pushed");
    CHECK(find(h.state(), "k")->written_at == at(1000));  // not refreshed either
  }
  SECTION("a snapshot taken in the same millisecond loses") {
    h.feed(ValuePolled{at(1100), at(1000), "k", "same-ms"});
    CHECK(h.one<WriteIgnored>());
    CHECK(h.value("k") == "pushed");
  }
  SECTION("a snapshot taken after the push wins") {
    h.feed(ValuePolled{at(1100), at(1001), "k", "newer"});
    CHECK(h.one<ValueChanged>()->change == Change::modified);
    CHECK(h.one<ValueChanged>()->source == Source::poll);
    CHECK(h.value("k") == "newer");
    SECTION("and a later push wins again") {
      h.feed(ValuePushed{at(1200), "k", "pushed2"});
      CHECK(h.value("k") == "pushed2");
    }
  }
}

TEST_CASE("polls that answer out of order keep the newest snapshot", "[mirror]") {
  Harness h(small());
  h.feed(Started{at(0)});
  h.feed(ValuePolled{at(1000), at(900), "k", "new"});
  h.feed(ValuePolled{at(1010), at(700), "k", "old"});  // slow response of an earlier poll
  CHECK(h.value("k") == "new");
  CHECK(h.one<WriteIgnored>());
  h.feed(ValuePolled{at(1020), at(900), "k", "same snapshot time"});  // poll vs poll tie: applies
  CHECK(h.value("k") == "same snapshot time");
}

TEST_CASE("a removal is a tombstone: no value, but known, and as fresh as its time", "[mirror]") {
  Harness h(small());
  h.feed(Started{at(0)});
  h.feed(ValuePushed{at(100), "k", "v"});
  h.feed(RemovalPolled{at(300), at(200), "k"});
  CHECK(h.one<ValueChanged>()->change == Change::removed);
  CHECK_FALSE(h.value("k"));
  REQUIRE(find(h.state(), "k") != nullptr);
  CHECK(h.fresh("k", 699) == Freshness::fresh);
  CHECK(h.fresh("k", 700) == Freshness::stale);
  SECTION("an older snapshot cannot resurrect it") {
    h.feed(ValuePolled{at(310), at(150), "k", "v"});
    CHECK(h.one<WriteIgnored>());
    CHECK_FALSE(h.value("k"));
  }
  SECTION("a push can") {
    h.feed(ValuePushed{at(310), "k", "back"});
    CHECK(h.one<ValueChanged>()->change == Change::added);
  }
  SECTION("pushed removals too") {
    h.feed(ValuePushed{at(310), "k", "back"});
    h.feed(RemovalPushed{at(320), "k"});
    CHECK(h.one<ValueChanged>()->change == Change::removed);
    CHECK(h.one<ValueChanged>()->source == Source::push);
  }
}

TEST_CASE("what a write did to the value", "[mirror]") {
  Harness h(small());
  h.feed(Started{at(0)});
  h.feed(ValuePushed{at(1), "k", "a"});
  CHECK(h.one<ValueChanged>()->change == Change::added);
  h.feed(ValuePushed{at(2), "k", "b"});
  CHECK(h.one<ValueChanged>()->change == Change::modified);
  h.feed(ValuePolled{at(4), at(3), "k", "b"});
  CHECK(h.one<ValueChanged>()->change == Change::refreshed);
  CHECK(find(h.state(), "k")->source == Source::poll);
  h.feed(RemovalPushed{at(5), "never-seen"});
  CHECK(h.one<ValueChanged>()->change == Change::refreshed);  // no value before or after
}

// --- stream liveness --------------------------------------------------------------

TEST_CASE("a poll never counts as a heartbeat: backfill cannot hide a stalled stream", "[mirror]") {
  Harness h(small());
  h.feed(Started{at(0)});
  CHECK(h.status().stream == StreamHealth::starting);
  h.feed(ValuePushed{at(100), "k", "v"});
  CHECK(h.status().stream == StreamHealth::live);
  CHECK(h.status().stream_since == at(100));
  CHECK(h.deadline() == at(3100));  // the heartbeat budget; values going stale set no deadline
  // Polls every 400 ms keep the value warm...
  for (std::int64_t t = 400; t < 3100; t += 400) {
    h.feed(ValuePolled{at(t), at(t), "k", "v"});
    CHECK(h.fresh("k", t) == Freshness::fresh);
    CHECK(h.status().stream == StreamHealth::live);
  }
  CHECK(h.status().backfill == Backfill::warm);
  // ...but the stream, silent since 100, is degraded at 100 + 3000.
  h.feed(Tick{at(3100)});
  REQUIRE(h.one<ReportStatus>());
  CHECK(h.one<ReportStatus>()->status.stream == StreamHealth::degraded);
  CHECK(h.one<ReportStatus>()->status.backfill == Backfill::warm);
  CHECK(h.status().stream_since == at(3100));
  for (std::int64_t t = 3200; t < 10000; t += 400) {
    h.feed(ValuePolled{at(t), at(t), "k", "v"});
    CHECK(h.status().stream == StreamHealth::degraded);
    h.feed(PollCompleted{at(t), at(t)});
    CHECK(h.status().stream == StreamHealth::degraded);
  }
  SECTION("a push revives it") {
    h.feed(ValuePushed{at(10000), "k", "v"});
    CHECK(h.status().stream == StreamHealth::live);
  }
  SECTION("so does a heartbeat") {
    h.feed(HeartbeatReceived{at(10000)});
    CHECK(h.status().stream == StreamHealth::live);
    CHECK(h.last().size() == 1);
  }
}

TEST_CASE("a stream never heard from is degraded once the budget runs out", "[mirror]") {
  Harness h(small());
  h.feed(Started{at(0)});
  CHECK(h.one<ReportStatus>()->status.stream == StreamHealth::starting);
  CHECK(h.deadline() == at(3000));
  h.feed(Tick{at(2999)});
  CHECK(h.last().empty());
  h.feed(Tick{at(3000)});
  CHECK(h.one<ReportStatus>()->status.stream == StreamHealth::degraded);
  CHECK_FALSE(h.deadline());
}

TEST_CASE("an event after an unticked deadline reports the degradation first", "[mirror]") {
  Harness h(small());
  h.feed(Started{at(0)});
  h.feed(HeartbeatReceived{at(0)});
  h.feed(ValuePushed{at(5000), "k", "v"});  // nobody ticked at 3000
  const auto st = h.all<ReportStatus>();
  REQUIRE(st.size() == 2);
  CHECK(st[0].status.stream == StreamHealth::degraded);
  CHECK(st[0].status.stream_since == at(3000));
  CHECK(st[1].status.stream == StreamHealth::live);
  CHECK(st[1].status.stream_since == at(5000));
  CHECK(std::holds_alternative<ValueChanged>(h.last()[1]));  // between the two statuses
}

TEST_CASE("backfill is warm while the newest snapshot would be fresh", "[mirror]") {
  Harness h(small());
  h.feed(Started{at(0)});
  CHECK(h.status().backfill == Backfill::none);
  h.feed(PollCompleted{at(1000), at(900)});
  CHECK(h.status().backfill == Backfill::warm);
  CHECK(h.deadline() == at(1400));
  h.feed(Tick{at(1400)});
  CHECK(h.one<ReportStatus>()->status.backfill == Backfill::cold);
  h.feed(PollCompleted{at(1500), at(1000)});  // too old a snapshot to warm anything
  CHECK(h.status().backfill == Backfill::cold);
  h.feed(PollCompleted{at(1600), at(1600)});
  CHECK(h.status().backfill == Backfill::warm);
}

// --- lifecycle, time and limits -------------------------------------------------------

TEST_CASE("events before Started are ignored, stop is terminal and quiet", "[mirror]") {
  Harness h(small());
  h.feed(ValuePushed{at(0), "k", "v"});
  CHECK(h.last().empty());
  CHECK(h.fresh("k", 0) == Freshness::never);
  CHECK_FALSE(h.deadline());
  h.feed(Started{at(1)});
  h.feed(ValuePushed{at(2), "k", "v"});
  h.feed(StopRequested{at(3)});
  CHECK(h.one<ReportStatus>()->status.stream == StreamHealth::stopped);
  CHECK_FALSE(h.deadline());
  for (const Event& e :
       std::vector<Event>{ValuePushed{at(4), "k", "w"}, RemovalPolled{at(5), at(5), "k"},
                          Tick{at(99999)}, Started{at(6)}, StopRequested{at(7)}}) {
    h.feed(e);
    CHECK(h.last().empty());
  }
  CHECK(h.value("k") == "v");  // queries still answer
  CHECK(h.fresh("k", 501) == Freshness::fresh);
}

TEST_CASE("time never runs backwards inside the mirror", "[mirror]") {
  Harness h(small());
  h.feed(Started{at(1000)});
  h.feed(ValuePushed{at(2000), "k", "v"});
  h.feed(ValuePushed{at(1500), "j", "v"});  // a driver's clock went backwards
  CHECK(find(h.state(), "j")->written_at == at(2000));
  CHECK(h.status().stream_since == at(2000));
}

TEST_CASE("writes beyond a limit are refused", "[mirror]") {
  MirrorConfig c = small();
  c.keys_max = 2;
  c.key_bytes_max = 4;
  c.value_bytes_max = 3;
  Harness h(c);
  h.feed(Started{at(0)});
  h.feed(ValuePushed{at(1), "toolong", "v"});
  CHECK(h.one<WriteIgnored>()->cause == IgnoreCause::key_too_large);
  h.feed(ValuePushed{at(1), "k", "vvvv"});
  CHECK(h.one<WriteIgnored>()->cause == IgnoreCause::value_too_large);
  h.feed(ValuePushed{at(1), "a", "v"});
  h.feed(RemovalPushed{at(1), "b"});  // tombstones count
  h.feed(ValuePushed{at(1), "c", "v"});
  CHECK(h.one<WriteIgnored>()->cause == IgnoreCause::full);
  h.feed(ValuePushed{at(1), "a", "w"});  // existing keys still update
  CHECK(h.one<ValueChanged>());
  CHECK(h.status().stream == StreamHealth::live);  // refused writes still prove the stream
}

// --- the documentation ------------------------------------------------------------

TEST_CASE("the worked example of docs/freshness-mirror.md", "[mirror][docs]") {
  Harness h(presets::aviso_mirror());
  h.feed(Started{at(0)});
  CHECK(h.status() == MirrorStatus{StreamHealth::starting, Backfill::none, at(0)});
  h.feed(ValuePushed{at(1000), "price", "10"});
  CHECK(h.one<ValueChanged>()->change == Change::added);
  CHECK(h.one<ValueChanged>()->source == Source::push);
  CHECK(h.status() == MirrorStatus{StreamHealth::live, Backfill::none, at(1000)});
  h.feed(ValuePolled{at(5200), at(5000), "price", "10"});
  CHECK(h.one<ValueChanged>()->change == Change::refreshed);
  CHECK(find(h.state(), "price")->written_at == at(5000));
  CHECK(h.status().backfill == Backfill::warm);
  for (std::int64_t t = 10000; t <= 125000; t += 5000) {
    if (t == 20000) h.feed(HeartbeatReceived{at(20000)});  // the last push before the stall
    if (t == 110000) {
      CHECK(h.deadline() == at(110000));
      h.feed(Tick{at(110000)});
      CHECK(h.status() == MirrorStatus{StreamHealth::degraded, Backfill::warm, at(110000)});
    }
    h.feed(ValuePolled{at(t + 200), at(t), "price", "10"});
    CHECK(h.fresh("price", t + 200) == Freshness::fresh);
    CHECK(h.status().stream == (t + 200 < 110000 ? StreamHealth::live : StreamHealth::degraded));
  }
  h.feed(ValuePushed{at(130000), "price", "11"});
  CHECK(h.one<ValueChanged>()->change == Change::modified);
  CHECK(h.status() == MirrorStatus{StreamHealth::live, Backfill::warm, at(130000)});
  h.feed(ValuePolled{at(130400), at(129900), "price", "10"});
  CHECK(h.one<WriteIgnored>()->cause == IgnoreCause::older_than_entry);
  CHECK(h.value("price") == "11");
  CHECK(h.fresh("price", 159999) == Freshness::fresh);
  CHECK(h.fresh("price", 160000) == Freshness::stale);
  CHECK(h.fresh("other", 160000) == Freshness::never);
}

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

MirrorConfig draw_config(Choices& ch) {
  MirrorConfig c;
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
std::string run_script(const MirrorConfig& config, Choices& ch, std::size_t steps_max) {
  MirrorState state = *make_mirror(config);
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
               const MirrorConfig config = draw_config(ch);
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
  MirrorConfig c = small();
  MirrorState s = *make_mirror(c);
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
  const MirrorConfig c = small();
  MirrorState s = *make_mirror(c);
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
