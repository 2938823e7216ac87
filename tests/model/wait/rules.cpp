// Wait-for-resource: properties over random driver scripts, judged after
// every step by the reference oracle, sim::WaitReference
// (<tether/sim/reference/wait.hpp>, tether::sim_reference), the one the
// simulator's wait world uses too. It never calls the reducer's arithmetic: it
// keeps its own link, attempt, hold and failure bookkeeping from the events and
// effects, and asks model/ only where a jittered delay may fall (the one jitter
// rule, pinned by tests/model/backoff.cpp). The examples of each rule are in
// reducer.cpp.
#include <rapidcheck/catch.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tether/model/backoff.hpp>
#include <tether/model/presets.hpp>
#include <tether/model/wait/reducer.hpp>
#include <tether/sim/reference/wait.hpp>
#include <utility>
#include <vector>

#include "harness.hpp"

using namespace tether::model;
using namespace tether::model::wait;
using namespace tether::test::wait_harness;

// --- properties --------------------------------------------------------------------

namespace {

// Choices read from a RapidCheck-drawn vector; 0 (the shrink target) once it runs out.
struct Choices {
  const std::vector<std::uint32_t>& values;
  std::size_t next = 0;
  std::uint32_t pick(std::uint32_t bound) {
    return next < values.size() ? values[next++] % bound : 0;
  }
  template <class T, std::size_t N>
  T among(const T (&options)[N]) {
    return options[pick(static_cast<std::uint32_t>(N))];
  }
};

Config draw_config(Choices& ch) {
  Config c = presets::kanade_wait();
  c.seed = ch.pick(1U << 31U);
  if (ch.pick(4) == 0) return c;  // kanade as published
  const JitterKind kinds[] = {JitterKind::none,   JitterKind::full,
                              JitterKind::equal,  JitterKind::proportional,
                              JitterKind::upward, JitterKind::decorrelated};
  const std::int64_t initials[] = {1, 10, 100, 1000};
  const double mults[] = {1.0, 2.0, 3.0};
  const std::int64_t caps[] = {1, 4, 300};
  const double fractions[] = {0.0, 0.125, 0.25, 0.5};
  const std::int64_t restored[] = {0, 1, 100, 5000};
  const std::int64_t pauses[] = {0, 1, 500, 1000};
  const std::int64_t timeouts[] = {0, 50, 30000};
  const std::uint32_t attempts[] = {0, 0, 0, 0, 0, 0, 3, 20};
  const std::int64_t outages[] = {0, 0, 0, 0, 0, 60000, 3600000};
  c.backoff.jitter = ch.among(kinds);
  c.backoff.delay_ms_initial = ch.among(initials);
  c.backoff.multiplier = ch.among(mults);
  c.backoff.delay_ms_max = c.backoff.delay_ms_initial * ch.among(caps);
  c.backoff.jitter_fraction = ch.among(fractions);
  c.backoff.restored_delay_ms_max = ch.among(restored);
  c.reopen_pause_ms = ch.among(pauses);
  c.acquire_timeout_ms = ch.among(timeouts);
  c.give_up.attempts_max = ch.among(attempts);
  c.give_up.outage_ms_max = ch.among(outages);
  return c;
}

struct Run {
  std::vector<Event> events;
  std::vector<std::string> trace;  // rendered effects per step
  std::string violation;
};

// The reference's first finding, for RapidCheck's report.
std::string describe(const tether::sim::Violation& v, std::size_t step) {
  return std::string(v.rule) + " @" + std::to_string(v.at_ms) + ": " + v.message + " (step " +
         std::to_string(step) + ")";
}

std::string render(const Effects& fx) {
  std::string out;
  for (const Effect& e : fx) {
    if (const auto* a = std::get_if<Acquire>(&e))
      out += "A" + std::to_string(a->id) + "/" + std::to_string(a->attempt);
    if (const auto* r = std::get_if<Release>(&e)) out += "R" + std::to_string(r->id);
    if (const auto* s = std::get_if<ReportStatus>(&e))
      out += "S" + std::to_string(static_cast<int>(s->status.kind)) + "," +
             std::to_string(static_cast<int>(s->status.cause)) + "," +
             std::to_string(s->status.failures) + "," +
             std::to_string(s->status.next_attempt_at.ms);
    out += ";";
  }
  return out;
}

// A plausible driver: ticks at deadlines mostly, the link flapping, outcomes for
// the attempt in flight (and sometimes stale ones), watches ending, rare stops.
Run run_script(const Config& config, Choices& ch, std::size_t steps_max) {
  Run run;
  State state = *make(config);
  std::vector<tether::sim::Violation> found;
  tether::sim::WaitReference reference(config, found);
  std::int64_t t = ch.pick(1000);
  std::optional<std::uint64_t> in_flight, held;
  std::uint64_t ids = 0;
  // Nothing is fed before `until` (and the driver owes a Tick at the deadline).
  const auto idle_before = [&](std::int64_t until) {
    const auto d = next_deadline(state);
    reference.idle_until(std::min(until, d ? d->ms : until) - 1);
  };
  const auto feed = [&](const Event& e) {
    idle_before(time_of(e).ms);
    Step step = transition(std::move(state), e);
    state = std::move(step.state);
    run.events.push_back(e);
    run.trace.push_back(render(step.effects));
    for (const Effect& x : step.effects) {
      if (const auto* a = std::get_if<Acquire>(&x)) {
        in_flight = a->id;
        ids = a->id;
      }
      // A Release does not take back the call: it still answers (the real worker).
      if (const auto* r = std::get_if<Release>(&x)) {
        if (held == r->id) held.reset();
      }
    }
    reference.step(e, step.effects, next_deadline(state));
    if (run.violation.empty() && !found.empty())
      run.violation = describe(found.front(), run.events.size());
  };
  const Link links[] = {Link::unknown, Link::up, Link::down};
  feed(Started{at(t), ch.among(links)});
  for (std::size_t i = 0; i < steps_max && run.violation.empty(); ++i) {
    const std::uint32_t kind = ch.pick(24);
    const std::int64_t dt = ch.pick(4) == 0 ? ch.pick(400000) : ch.pick(3000);
    if (kind <= 6) {
      const auto d = next_deadline(state);
      t = d ? std::max(t, d->ms + (ch.pick(4) == 0 ? ch.pick(500) : 0)) : t + dt;
      feed(Tick{at(t)});
    } else if (kind <= 8) {
      feed(Tick{at(t += dt)});
    } else if (kind <= 10) {
      feed(Connected{at(t += dt / 4)});
    } else if (kind <= 12) {
      feed(Disconnected{at(t += dt / 4)});
    } else if (kind <= 14 && in_flight) {
      const std::uint64_t id = *in_flight;
      in_flight.reset();
      held = id;
      feed(AcquireSucceeded{at(t += dt / 8), id});
    } else if (kind <= 16 && in_flight) {
      const std::uint64_t id = *in_flight;
      in_flight.reset();
      feed(AcquireFailed{at(t += dt / 8), id});
    } else if (kind >= 17 && kind <= 19 && held) {
      const std::uint64_t id = *held;
      held.reset();
      feed(WatchEnded{at(t += dt), id});
    } else if (kind == 20 && ids > 0) {
      // An outcome of an attempt or watch that is no longer current.
      const std::uint64_t id =
          ids - ch.pick(static_cast<std::uint32_t>(std::min<std::uint64_t>(ids, 1000)));
      const std::uint32_t which = ch.pick(3);
      if (id == in_flight || id == held)
        feed(Tick{at(t)});
      else if (which == 0)
        feed(AcquireSucceeded{at(t), id});
      else if (which == 1)
        feed(AcquireFailed{at(t), id});
      else
        feed(WatchEnded{at(t), id});
    } else if (kind == 22 && ch.pick(4) == 0) {
      feed(Started{at(t), ch.among(links)});  // a confused driver starts it again: ignored
    } else if (kind == 21 && ch.pick(50) == 0) {
      feed(StopRequested{at(t += dt)});
    } else {
      feed(Tick{at(t += dt / 2)});
    }
  }
  // The script ends, and the driver waits for the deadline, if any.
  idle_before(t + 1'000'000'000);
  if (run.violation.empty() && !found.empty())
    run.violation = describe(found.front(), run.events.size());
  return run;
}

rc::Gen<std::vector<std::uint32_t>> choices(std::size_t length_max) {
  return rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, length_max + 1), [](std::size_t n) {
    return rc::gen::container<std::vector<std::uint32_t>>(n, rc::gen::arbitrary<std::uint32_t>());
  });
}

}  // namespace

TEST_CASE("wait: every step of random scripts keeps the rules", "[wait][property]") {
  // Each case checks a batch of up to 8 scripts, so 100 cases cover hundreds of
  // configurations; RapidCheck shrinks the passing ones away on a failure.
  rc::prop("no attempt while down; waits within the policy; Connected ends a wait; stop is quiet",
           [] {
             const auto n = *rc::gen::inRange<std::size_t>(1, 9);
             const auto batch =
                 *rc::gen::container<std::vector<std::vector<std::uint32_t>>>(n, choices(1500));
             for (const auto& values : batch) {
               Choices ch{values};
               const Config config = draw_config(ch);
               const Run run = run_script(config, ch, 400);
               if (!run.violation.empty()) RC_FAIL(run.violation);
             }
           });
}

TEST_CASE("wait: kanade as published keeps the rules over long scripts", "[wait][property]") {
  rc::prop("kanade_wait, up to 2000 steps", [] {
    const auto values = *choices(5000);
    Choices ch{values};
    Config config = presets::kanade_wait();
    config.seed = *rc::gen::arbitrary<std::uint64_t>();
    const Run run = run_script(config, ch, 2000);
    if (!run.violation.empty()) RC_FAIL(run.violation);
  });
}

TEST_CASE("wait: the same seed and events give the same effects", "[wait][property]") {
  rc::prop("two runs of one script are identical, and replaying its events too", [] {
    const auto values = *choices(1500);
    Choices a{values}, b{values};
    const Config ca = draw_config(a), cb = draw_config(b);
    const Run first = run_script(ca, a, 300);
    const Run second = run_script(cb, b, 300);
    RC_ASSERT(first.trace == second.trace);
    State s = *make(ca);
    for (std::size_t i = 0; i < first.events.size(); ++i) {
      Step step = transition(std::move(s), first.events[i]);
      s = std::move(step.state);
      RC_ASSERT(render(step.effects) == first.trace[i]);
    }
  });
}

TEST_CASE("wait: the oracle catches an attempt while down", "[wait][property]") {
  // The reference has teeth: a reducer that ignores Disconnected is caught.
  Config c = exact();
  std::vector<tether::sim::Violation> found;
  tether::sim::WaitReference reference(c, found);
  State s = *make(c);
  Step step = transition(std::move(s), Started{at(0)});
  reference.step(Started{at(0)}, step.effects, next_deadline(step.state));
  step = transition(std::move(step.state), AcquireFailed{at(0), 1});
  reference.step(AcquireFailed{at(0), 1}, step.effects, next_deadline(step.state));
  CHECK(found.empty());
  // Feed the reducer a Tick instead of the Disconnected the reference sees.
  step = transition(std::move(step.state), Tick{at(1000)});
  reference.step(Disconnected{at(1000)}, step.effects, next_deadline(step.state));
  REQUIRE(found.size() == 1);
  CHECK(found[0].rule == "attempt-while-down");
  CHECK(found[0].guarantee == tether::sim::Guarantee::wait_offline);
  CHECK(found[0].at_ms == 1000);
}

namespace {
bool has_rule(const std::vector<tether::sim::Violation>& found, std::string_view rule) {
  return std::any_of(found.begin(), found.end(),
                     [&](const tether::sim::Violation& v) { return v.rule == rule; });
}
}  // namespace

TEST_CASE("wait: the oracle catches an attempt past the give-up limit", "[wait][property]") {
  // The reducer gives up after 3 failures; the reference is told the limit is
  // 2: the reducer's third attempt is one a give-up at the limit never makes.
  Config policy = exact();
  policy.give_up.attempts_max = 2;
  Config late = policy;
  late.give_up.attempts_max = 3;
  std::vector<tether::sim::Violation> found;
  tether::sim::WaitReference reference(policy, found);
  State s = *make(late);
  const auto feed = [&](const Event& e) {
    Step step = transition(std::move(s), e);
    s = std::move(step.state);
    reference.step(e, step.effects, next_deadline(s));
  };
  feed(Started{at(0)});
  feed(AcquireFailed{at(10), 1});
  feed(Tick{at(1010)});
  CHECK(found.empty());
  feed(AcquireFailed{at(1020), 2});  // the limit: no attempt after this
  CHECK(found.empty());              // (a backoff to an attempt never made is still no attempt)
  feed(Tick{at(3020)});
  REQUIRE(has_rule(found, "give-up"));
  CHECK(found.front().guarantee == tether::sim::Guarantee::wait_give_up);
  CHECK(found.front().at_ms == 3020);
}

TEST_CASE("wait: the oracle catches a Connected that wakes nothing, once the wake bound passes",
          "[wait][property]") {
  // Offline, then the link comes back: the reducer is fed a Tick instead, so
  // nothing wakes. The reference sees the Connected; the wake is due by 5000
  // (restored_delay_ms_max 0), and is missed once the driver has fed nothing
  // through 5000.
  const Config c = exact();
  std::vector<tether::sim::Violation> found;
  tether::sim::WaitReference reference(c, found);
  State s = *make(c);
  Step step = transition(std::move(s), Started{at(0), Link::down});
  reference.step(Started{at(0), Link::down}, step.effects, next_deadline(step.state));
  step = transition(std::move(step.state), Tick{at(5000)});
  reference.step(Connected{at(5000)}, step.effects, next_deadline(step.state));
  reference.idle_until(4999);
  CHECK_FALSE(has_rule(found, "connected-did-not-wake"));
  reference.idle_until(5000);
  REQUIRE(has_rule(found, "connected-did-not-wake"));
  CHECK(found.back().guarantee == tether::sim::Guarantee::wait_wake);
  CHECK(found.back().at_ms == 5000);
}
