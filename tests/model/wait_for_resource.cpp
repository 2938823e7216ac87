// Wait-for-resource: an example for every rule, then properties over random
// driver scripts judged after every step by the reference oracle,
// sim::WaitReference (<tether/sim/reference/wait.hpp>, tether::sim_reference),
// the one the simulator's wait world uses too. It never calls the reducer's
// arithmetic: it keeps its own link, attempt, hold and failure bookkeeping from
// the events and effects, and asks model/ only where a jittered delay may fall
// (the one jitter rule, pinned by tests/model/backoff.cpp).
#include <rapidcheck/catch.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tether/model/backoff.hpp>
#include <tether/model/presets.hpp>
#include <tether/model/wait_for_resource.hpp>
#include <tether/sim/reference/wait.hpp>
#include <utility>
#include <vector>

#include "../support/reducer_harness.hpp"

using namespace tether::model;
using namespace tether::model::wait;

namespace {

using tether::test::at;

class Harness : public tether::test::ReducerHarness<WaitState, Effects> {
 public:
  explicit Harness(const WaitConfig& config) : ReducerHarness(*make_wait(config)) {}
  // The id of the Acquire in flight (precondition: acquiring).
  std::uint64_t id() const { return phase<Acquiring>().id; }
};

// No randomness: delays are exactly the ceilings, a Connected wake is immediate.
WaitConfig exact() {
  WaitConfig c;
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
std::vector<std::int64_t> refuse(Harness& h, int n, std::int64_t& t) {
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

}  // namespace

// --- presets and configuration ---------------------------------------------

TEST_CASE("kanade_wait: 1 s doubling to 300 s, +-25 %, forever, 1 s reopen pause",
          "[wait][presets]") {
  const WaitConfig c = presets::kanade_wait();
  CHECK(c.backoff.delay_ms_initial == 1000);
  CHECK(c.backoff.multiplier == 2.0);
  CHECK(c.backoff.delay_ms_max == 300000);
  CHECK(c.backoff.jitter == JitterKind::proportional);
  CHECK(c.backoff.jitter_fraction == 0.25);
  CHECK(c.give_up.attempts_max == 0);
  CHECK(c.give_up.outage_ms_max == 0);
  CHECK(c.reopen_pause_ms == 1000);
  CHECK(c.backoff.restored_delay_ms_max == presets::kanade().backoff.restored_delay_ms_max);
  // The delays the reducer draws: ceiling 1000 * 2^(n-1) capped at 300000, +-25 %.
  Harness h(c);
  h.feed(Started{at(0)});
  std::int64_t t = 0;
  const auto delays = refuse(h, 12, t);
  REQUIRE(delays.size() == 12);
  for (std::size_t i = 0; i < delays.size(); ++i) {
    const std::int64_t ceiling = std::min<std::int64_t>(300000, std::int64_t{1000} << i);
    CHECK(delays[i] >= ceiling - ceiling / 4);
    CHECK(delays[i] <= ceiling + ceiling / 4);
  }
}

TEST_CASE("a wait configuration that cannot work names its field", "[wait][config]") {
  WaitConfig c = presets::kanade_wait();
  REQUIRE(validate(c));
  SECTION("backoff fields are checked as for a session") {
    c.backoff.multiplier = 0.5;
    REQUIRE_FALSE(validate(c));
    CHECK(validate(c).error().field == "backoff.multiplier");
  }
  SECTION("give-up") {
    c.give_up.outage_ms_max = -1;
    CHECK(validate(c).error().field == "give_up.outage_ms_max");
  }
  SECTION("reopen pause") {
    c.reopen_pause_ms = -1;
    CHECK(validate(c).error().field == "reopen_pause_ms");
  }
  SECTION("acquire timeout") {
    c.acquire_timeout_ms = duration_ms_max + 1;
    CHECK(validate(c).error().field == "acquire_timeout_ms");
  }
  SECTION("make_wait refuses it too") {
    c.backoff.delay_ms_initial = 0;
    CHECK_FALSE(make_wait(c).has_value());
  }
}

// --- attempts and backoff ----------------------------------------------------

TEST_CASE("start attempts at once unless the link is known down", "[wait]") {
  Harness h(exact());
  SECTION("unknown link: attempt") {
    h.feed(Started{at(0)});
    REQUIRE(h.one<Acquire>());
    CHECK(h.one<Acquire>()->id == 1);
    CHECK(h.one<Acquire>()->attempt == 1);
    CHECK(h.state().status.kind == StatusKind::acquiring);
  }
  SECTION("down: no attempt, no deadline") {
    h.feed(Started{at(0), Link::down});
    CHECK_FALSE(h.one<Acquire>());
    CHECK(h.in<Offline>());
    CHECK(h.state().status.kind == StatusKind::offline);
    CHECK_FALSE(h.deadline());
  }
  SECTION("a Disconnected before Started counts") {
    h.feed(Disconnected{at(0)});
    CHECK(h.last().empty());
    h.feed(Started{at(1)});
    CHECK(h.in<Offline>());
  }
}

TEST_CASE("failed acquisitions back off exponentially up to the cap", "[wait]") {
  Harness h(exact());
  h.feed(Started{at(0)});
  std::int64_t t = 0;
  CHECK(refuse(h, 6, t) == std::vector<std::int64_t>{1000, 2000, 4000, 8000, 8000, 8000});
  CHECK(h.one<Acquire>()->attempt == 7);
  SECTION("a success forgets the failures") {
    h.feed(AcquireSucceeded{at(t + 5), h.id()});
    CHECK(h.in<Held>());
    CHECK(h.state().status.kind == StatusKind::held);
    h.feed(WatchEnded{at(t + 10), h.phase<Held>().id});
    h.feed(Tick{at(t + 510)});
    CHECK(h.one<Acquire>()->attempt == 1);
    h.feed(AcquireFailed{at(t + 520), h.id()});
    CHECK(h.phase<BackingOff>().until == at(t + 1520));
  }
}

TEST_CASE("a backoff reports when the next attempt is and why", "[wait]") {
  Harness h(exact());
  h.feed(Started{at(0)});
  h.feed(AcquireFailed{at(10), 1});
  const auto st = h.one<ReportStatus>();
  REQUIRE(st);
  CHECK(st->status.kind == StatusKind::backing_off);
  CHECK(st->status.cause == Cause::acquire_failed);
  CHECK(st->status.failures == 1);
  CHECK(st->status.next_attempt_at == at(1010));
  CHECK(h.deadline() == at(1010));
  h.feed(Tick{at(1009)});  // early: harmless
  CHECK(h.last().empty());
  h.feed(Tick{at(1010)});
  CHECK(h.one<Acquire>());
  h.feed(Tick{at(1010)});  // repeated: harmless
  CHECK(h.last().empty());
}

TEST_CASE("an unanswered acquisition times out and counts as failed; the call stays out",
          "[wait]") {
  WaitConfig c = exact();
  c.acquire_timeout_ms = 300;
  Harness h(c);
  h.feed(Started{at(0)});
  CHECK(h.deadline() == at(300));
  h.feed(Tick{at(300)});
  CHECK(h.all<Release>().empty());  // a timeout gives up waiting, not the call
  CHECK(h.phase<BackingOff>().cause == Cause::acquire_timeout);
  CHECK(h.phase<BackingOff>().until == at(1300));
  CHECK(h.state().acquire_out == 1);
}

// --- a hung acquisition (one out at a time) ---------------------------------------

namespace {
// exact(), a 300 ms timeout, and acquisition 1 timed out at 300 (backing off to 1300).
Harness timed_out(WaitConfig c = exact()) {
  c.acquire_timeout_ms = 300;
  Harness h(c);
  h.feed(Started{at(0)});
  h.feed(Tick{at(300)});
  return h;
}
}  // namespace

TEST_CASE(
    "hung: no second Acquire while the timed-out one is out; its late answer serves the attempt",
    "[wait][hung]") {
  Harness h = timed_out();
  h.feed(Tick{at(1300)});  // the attempt is due: it waits for acquisition 1
  CHECK(h.all<Acquire>().empty());
  CHECK(h.phase<Acquiring>().id == 1);
  CHECK(h.phase<Acquiring>().behind);
  REQUIRE(h.one<ReportStatus>());
  CHECK(h.one<ReportStatus>()->status ==
        WaitStatus{StatusKind::acquiring, Cause::acquire_still_out, 1, {}});
  CHECK(h.deadline() == at(1600));
  SECTION("a success") {
    h.feed(AcquireSucceeded{at(1400), 1});
    CHECK(h.phase<Held>().id == 1);
    CHECK(h.state().acquire_out == 0);
  }
  SECTION("a failure counts for this attempt; the next one emits its own Acquire") {
    h.feed(AcquireFailed{at(1400), 1});
    CHECK(h.phase<BackingOff>().failures == 2);
    h.feed(Tick{at(h.phase<BackingOff>().until.ms)});
    REQUIRE(h.one<Acquire>());
    CHECK(h.one<Acquire>()->id == 2);
    CHECK(h.one<Acquire>()->attempt == 3);
  }
  SECTION("it times out again: a second failure, still no second Acquire") {
    h.feed(Tick{at(1600)});
    CHECK(h.phase<BackingOff>().failures == 2);
    CHECK(h.all<Release>().empty());
    h.feed(Tick{at(h.phase<BackingOff>().until.ms)});
    CHECK(h.all<Acquire>().empty());
    CHECK(h.phase<Acquiring>().id == 1);
  }
}

TEST_CASE("hung: a success after its timeout ends the backoff the timeout entered",
          "[wait][hung]") {
  Harness h = timed_out();
  h.feed(AcquireSucceeded{at(700), 1});
  CHECK(h.phase<Held>().id == 1);
  REQUIRE(h.one<ReportStatus>());
  CHECK(h.one<ReportStatus>()->status.kind == StatusKind::held);
  CHECK_FALSE(h.deadline());
  h.feed(WatchEnded{at(900), 1});
  CHECK(h.in<Pausing>());
}

TEST_CASE("hung: a failure after its timeout is not counted twice", "[wait][hung]") {
  Harness h = timed_out();
  h.feed(AcquireFailed{at(700), 1});
  CHECK(h.last().empty());
  CHECK(h.phase<BackingOff>().failures == 1);
  h.feed(Tick{at(1300)});
  REQUIRE(h.one<Acquire>());
  CHECK(h.one<Acquire>()->id == 2);
  CHECK(h.one<Acquire>()->attempt == 2);
}

TEST_CASE("hung: a stale answer never changes the phase", "[wait][hung]") {
  Harness h = timed_out();
  h.feed(AcquireFailed{at(700), 1});  // acquisition 1 answered: nothing is out
  h.feed(Tick{at(1300)});             // Acquire 2
  for (const Event& e :
       std::vector<Event>{AcquireSucceeded{at(1301), 1}, AcquireFailed{at(1302), 1},
                          AcquireSucceeded{at(1303), 0}, AcquireSucceeded{at(1304), 3}}) {
    h.feed(e);
    CHECK(h.last().empty());
    CHECK(h.phase<Acquiring>().id == 2);
  }
}

TEST_CASE("hung: an attempt behind a released acquisition makes its own when that one answers",
          "[wait][hung]") {
  Harness h(exact());
  h.feed(Started{at(0)});
  h.feed(Disconnected{at(10)});
  REQUIRE(h.one<Release>());
  CHECK(h.one<Release>()->id == 1);
  h.feed(Connected{at(20)});  // the wake is due, acquisition 1 is still out
  CHECK(h.all<Acquire>().empty());
  CHECK(h.phase<Acquiring>().id == 0);
  CHECK(h.state().status.cause == Cause::acquire_still_out);
  h.feed(AcquireSucceeded{at(30), 1});  // released: its success serves nothing
  CHECK_FALSE(h.in<Held>());
  REQUIRE(h.one<Acquire>());
  CHECK(h.one<Acquire>()->id == 2);
  CHECK(h.one<Acquire>()->attempt == 1);
  CHECK(h.state().status == WaitStatus{StatusKind::acquiring, Cause::none, 0, {}});
}

TEST_CASE("hung: an acquisition that never answers still ends by the give-up limits",
          "[wait][hung]") {
  WaitConfig c = exact();
  SECTION("attempts_max: one Acquire, three timeouts, then GaveUp releases it") {
    c.give_up.attempts_max = 3;
    Harness h = timed_out(c);
    std::size_t acquires = 1;
    for (int i = 0; i < 20 && !h.in<GaveUp>(); ++i) {
      h.feed(Tick{*h.deadline()});
      acquires += h.all<Acquire>().size();
    }
    CHECK(acquires == 1);
    CHECK(h.phase<GaveUp>().cause == Cause::attempts_exhausted);
    REQUIRE(h.one<Release>());
    CHECK(h.one<Release>()->id == 1);
  }
  SECTION("outage_ms_max, without an acquire timeout") {
    c.give_up.outage_ms_max = 60000;
    Harness h(c);
    h.feed(Started{at(0)});
    CHECK(h.deadline() == at(60000));
    h.feed(Tick{at(60000)});
    CHECK(h.phase<GaveUp>().cause == Cause::outage_too_long);
    REQUIRE(h.one<Release>());
    CHECK(h.one<Release>()->id == 1);
  }
}

TEST_CASE("hung: stop and a dropped link release the timed-out acquisition", "[wait][hung]") {
  Harness h = timed_out();
  SECTION("stop") {
    h.feed(StopRequested{at(400)});
    REQUIRE(h.one<Release>());
    CHECK(h.one<Release>()->id == 1);
  }
  SECTION("link down, then up: the attempt waits behind it") {
    h.feed(Disconnected{at(400)});
    REQUIRE(h.one<Release>());
    CHECK(h.one<Release>()->id == 1);
    h.feed(Connected{at(500)});
    CHECK(h.all<Acquire>().empty());
    h.feed(AcquireFailed{at(600), 1});
    REQUIRE(h.one<Acquire>());
    CHECK(h.one<Acquire>()->id == 2);
  }
}

TEST_CASE("outcomes of another attempt are stale and ignored", "[wait]") {
  Harness h(exact());
  h.feed(Started{at(0)});
  h.feed(AcquireFailed{at(1), 7});
  CHECK(h.last().empty());
  h.feed(AcquireSucceeded{at(2), 2});
  CHECK(h.last().empty());
  h.feed(WatchEnded{at(3), 1});  // not held
  CHECK(h.last().empty());
  CHECK(h.in<Acquiring>());
}

// --- the connection ------------------------------------------------------------

TEST_CASE("no attempt while the link is known down", "[wait]") {
  Harness h(exact());
  h.feed(Started{at(0)});
  SECTION("an attempt in flight is released; its failure count stays") {
    h.feed(AcquireFailed{at(0), 1});
    h.feed(Tick{at(1000)});
    h.feed(Disconnected{at(1100)});
    CHECK(h.one<Release>()->id == 2);
    CHECK(h.phase<Offline>().failures == 1);
    CHECK(h.state().status.kind == StatusKind::offline);
    h.feed(AcquireFailed{at(1200), 2});  // the released attempt: stale
    CHECK(h.last().empty());
  }
  SECTION("a backoff that runs out while down attempts nothing") {
    h.feed(AcquireFailed{at(0), 1});
    h.feed(Disconnected{at(10)});
    CHECK(h.in<Offline>());
    CHECK_FALSE(h.deadline());
    for (std::int64_t t = 1000; t <= 100000; t += 1000) {
      h.feed(Tick{at(t)});
      CHECK(h.last().empty());
    }
  }
}

TEST_CASE("Connected wakes a waiting backoff at once, Disconnected does not", "[wait]") {
  WaitConfig c = exact();
  c.backoff.delay_ms_max = 300000;
  Harness h(c);
  h.feed(Started{at(0), Link::up});
  std::int64_t t = 0;
  refuse(h, 5, t);
  h.feed(AcquireFailed{at(t), h.id()});  // backing off for 32 s
  REQUIRE(h.phase<BackingOff>().until == at(t + 32000));
  SECTION("Disconnected: no attempt; Connected: attempt in the same step") {
    h.feed(Disconnected{at(t + 100)});
    CHECK(h.all<Acquire>().empty());
    h.feed(Connected{at(t + 200)});
    REQUIRE(h.one<Acquire>());
    CHECK(h.one<Acquire>()->attempt == 7);  // the failure count is kept
  }
  SECTION("a repeated Connected while up is not news and wakes nothing") {
    h.feed(Connected{at(t + 100)});
    CHECK(h.last().empty());
    CHECK(h.in<BackingOff>());
  }
  SECTION("the first Connected of an unknown link wakes it") {
    Harness u(c);
    u.feed(Started{at(0)});  // unknown
    u.feed(AcquireFailed{at(0), 1});
    u.feed(Connected{at(10)});
    CHECK(u.one<Acquire>());
  }
}

TEST_CASE("with kanade the Connected wake is spread over at most 100 ms", "[wait]") {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    WaitConfig c = presets::kanade_wait();
    c.seed = seed;
    Harness h(c);
    h.feed(Started{at(0)});
    h.feed(AcquireFailed{at(0), 1});
    h.feed(Disconnected{at(50)});
    h.feed(Connected{at(600)});
    if (h.one<Acquire>()) continue;  // drew 0 ms
    REQUIRE(h.in<BackingOff>());
    CHECK(h.phase<BackingOff>().cause == Cause::reconnected);
    REQUIRE(h.deadline());
    CHECK(*h.deadline() <= at(700));
    h.feed(Tick{at(700)});
    CHECK(h.one<Acquire>());
  }
}

// --- holds and the reopen pause ---------------------------------------------------

TEST_CASE("a watch that ended is reopened after the fixed pause", "[wait]") {
  Harness h(exact());
  h.feed(Started{at(0)});
  h.feed(AcquireSucceeded{at(5), 1});
  h.feed(WatchEnded{at(1000), 1});
  CHECK(h.in<Pausing>());
  CHECK(h.state().status.kind == StatusKind::pausing);
  CHECK(h.state().status.next_attempt_at == at(1500));
  CHECK(h.deadline() == at(1500));
  h.feed(Connected{at(1200)});  // the pause is not a backoff: not cut short
  CHECK(h.all<Acquire>().empty());
  h.feed(Tick{at(1499)});
  CHECK(h.last().empty());
  h.feed(Tick{at(1500)});
  CHECK(h.one<Acquire>()->attempt == 1);
}

TEST_CASE("a flapping broker cannot spin the watch", "[wait]") {
  Harness h(exact());
  h.feed(Started{at(0)});
  std::int64_t t = 0;
  std::vector<std::int64_t> attempts{0};
  for (int i = 0; i < 20; ++i) {
    const std::uint64_t id = h.id();
    h.feed(AcquireSucceeded{at(t), id});
    h.feed(WatchEnded{at(t), id});  // accepted and ended in the same millisecond
    t = h.deadline()->ms;
    h.feed(Tick{at(t)});
    REQUIRE(h.one<Acquire>());
    attempts.push_back(t);
  }
  for (std::size_t i = 1; i < attempts.size(); ++i) CHECK(attempts[i] - attempts[i - 1] >= 500);
}

TEST_CASE("losing the link ends a hold, the reopen pause still holds after it", "[wait]") {
  Harness h(exact());
  h.feed(Started{at(0)});
  h.feed(AcquireSucceeded{at(5), 1});
  h.feed(Disconnected{at(1000)});
  CHECK(h.one<Release>()->id == 1);
  CHECK(h.in<Offline>());
  SECTION("back before the pause is over: wait for the pause") {
    h.feed(Connected{at(1100)});
    CHECK(h.in<Pausing>());
    CHECK(h.deadline() == at(1500));
    h.feed(Tick{at(1500)});
    CHECK(h.one<Acquire>());
  }
  SECTION("back after it: attempt at once") {
    h.feed(Connected{at(1600)});
    CHECK(h.one<Acquire>());
  }
  SECTION("the late WatchEnded of the released watch is stale") {
    h.feed(WatchEnded{at(1001), 1});
    CHECK(h.last().empty());
  }
}

// --- give-up and stop -------------------------------------------------------------

TEST_CASE("give-up: attempts exhausted or outage too long", "[wait]") {
  WaitConfig c = exact();
  SECTION("after attempts_max failures in a row") {
    c.give_up.attempts_max = 3;
    Harness h(c);
    h.feed(Started{at(0)});
    std::int64_t t = 0;
    refuse(h, 3, t);
    CHECK(h.in<GaveUp>());
    CHECK(h.phase<GaveUp>().cause == Cause::attempts_exhausted);
    CHECK(h.state().status.kind == StatusKind::gave_up);
  }
  SECTION("after outage_ms_max without the resource, even while offline") {
    c.give_up.outage_ms_max = 60000;
    Harness h(c);
    h.feed(Started{at(0), Link::down});
    CHECK(h.deadline() == at(60000));
    h.feed(Tick{at(59999)});
    CHECK(h.in<Offline>());
    h.feed(Tick{at(60000)});
    CHECK(h.in<GaveUp>());
    CHECK(h.phase<GaveUp>().cause == Cause::outage_too_long);
  }
  SECTION("the outage clock restarts when a hold ends") {
    c.give_up.outage_ms_max = 60000;
    Harness h(c);
    h.feed(Started{at(0)});
    h.feed(AcquireSucceeded{at(1), 1});
    h.feed(WatchEnded{at(100000), 1});
    CHECK(h.deadline() == at(100500));
    h.feed(Tick{at(100500)});
    CHECK(h.one<Acquire>());
  }
  SECTION("forever: never gives up") {
    Harness h(c);
    h.feed(Started{at(0)});
    std::int64_t t = 0;
    CHECK(refuse(h, 200, t).size() == 200);
    CHECK(h.in<Acquiring>());
  }
}

TEST_CASE("stop is accepted everywhere, terminal and quiet", "[wait]") {
  Harness h(exact());
  SECTION("idle") {
    h.feed(StopRequested{at(0)});
    CHECK(h.in<Stopped>());
  }
  SECTION("acquiring: the attempt is released") {
    h.feed(Started{at(0)});
    h.feed(StopRequested{at(1)});
    CHECK(h.one<Release>()->id == 1);
  }
  SECTION("held: the watch is released") {
    h.feed(Started{at(0)});
    h.feed(AcquireSucceeded{at(1), 1});
    h.feed(StopRequested{at(2)});
    CHECK(h.one<Release>()->id == 1);
  }
  SECTION("backing off") {
    h.feed(Started{at(0)});
    h.feed(AcquireFailed{at(1), 1});
    h.feed(StopRequested{at(2)});
    CHECK(h.all<Release>().empty());
  }
  CHECK(h.in<Stopped>());
  CHECK(h.one<ReportStatus>()->status.kind == StatusKind::stopped);
  CHECK_FALSE(h.deadline());
  for (const Event& e :
       std::vector<Event>{Started{at(10)}, Connected{at(11)}, Disconnected{at(12)},
                          AcquireSucceeded{at(13), 1}, AcquireFailed{at(14), 2},
                          WatchEnded{at(15), 1}, Tick{at(100000)}, StopRequested{at(16)}}) {
    h.feed(e);
    CHECK(h.last().empty());
  }
}

// --- the documentation ------------------------------------------------------------

TEST_CASE("the worked example of docs/wait-for-resource.md", "[wait][docs]") {
  Harness h(presets::kanade_wait());
  h.feed(Started{at(0), Link::up});
  CHECK(h.one<Acquire>()->id == 1);
  CHECK(h.one<Acquire>()->attempt == 1);
  CHECK(h.state().status.kind == StatusKind::acquiring);

  h.feed(AcquireFailed{at(40), 1});
  REQUIRE(h.one<ReportStatus>());
  CHECK(h.state().status.kind == StatusKind::backing_off);
  CHECK(h.state().status.failures == 1);
  std::int64_t t = h.state().status.next_attempt_at.ms;
  CHECK(t >= 790);
  CHECK(t <= 1290);
  h.feed(Tick{at(t)});
  CHECK(h.one<Acquire>()->id == 2);
  CHECK(h.one<Acquire>()->attempt == 2);

  h.feed(AcquireFailed{at(t + 40), 2});
  const std::int64_t next = h.state().status.next_attempt_at.ms - (t + 40);
  CHECK(next >= 1500);
  CHECK(next <= 2500);
  h.feed(Disconnected{at(t + 100)});
  CHECK(h.state().status.kind == StatusKind::offline);
  CHECK_FALSE(h.deadline());
  for (std::int64_t tick = t + 1000; tick < 60000; tick += 1000) {
    h.feed(Tick{at(tick)});
    CHECK(h.last().empty());
  }

  h.feed(Connected{at(60000)});
  if (!h.one<Acquire>()) {
    REQUIRE(h.deadline());
    CHECK(*h.deadline() <= at(60100));
    h.feed(Tick{*h.deadline()});
  }
  CHECK(h.one<Acquire>()->id == 3);
  CHECK(h.one<Acquire>()->attempt == 3);

  h.feed(AcquireSucceeded{at(60140), 3});
  CHECK(h.state().status.kind == StatusKind::held);
  h.feed(WatchEnded{at(90000), 3});
  CHECK(h.state().status.kind == StatusKind::pausing);
  CHECK(h.state().status.next_attempt_at == at(91000));
  h.feed(Connected{at(90500)});
  CHECK(h.last().empty());
  h.feed(Tick{at(91000)});
  CHECK(h.one<Acquire>()->id == 4);
  CHECK(h.one<Acquire>()->attempt == 1);
}

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

WaitConfig draw_config(Choices& ch) {
  WaitConfig c = presets::kanade_wait();
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
Run run_script(const WaitConfig& config, Choices& ch, std::size_t steps_max) {
  Run run;
  WaitState state = *make_wait(config);
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
               const WaitConfig config = draw_config(ch);
               const Run run = run_script(config, ch, 400);
               if (!run.violation.empty()) RC_FAIL(run.violation);
             }
           });
}

TEST_CASE("wait: kanade as published keeps the rules over long scripts", "[wait][property]") {
  rc::prop("kanade_wait, up to 2000 steps", [] {
    const auto values = *choices(5000);
    Choices ch{values};
    WaitConfig config = presets::kanade_wait();
    config.seed = *rc::gen::arbitrary<std::uint64_t>();
    const Run run = run_script(config, ch, 2000);
    if (!run.violation.empty()) RC_FAIL(run.violation);
  });
}

TEST_CASE("wait: the same seed and events give the same effects", "[wait][property]") {
  rc::prop("two runs of one script are identical, and replaying its events too", [] {
    const auto values = *choices(1500);
    Choices a{values}, b{values};
    const WaitConfig ca = draw_config(a), cb = draw_config(b);
    const Run first = run_script(ca, a, 300);
    const Run second = run_script(cb, b, 300);
    RC_ASSERT(first.trace == second.trace);
    WaitState s = *make_wait(ca);
    for (std::size_t i = 0; i < first.events.size(); ++i) {
      Step step = transition(std::move(s), first.events[i]);
      s = std::move(step.state);
      RC_ASSERT(render(step.effects) == first.trace[i]);
    }
  });
}

TEST_CASE("wait: the oracle catches an attempt while down", "[wait][property]") {
  // The reference has teeth: a reducer that ignores Disconnected is caught.
  WaitConfig c = exact();
  std::vector<tether::sim::Violation> found;
  tether::sim::WaitReference reference(c, found);
  WaitState s = *make_wait(c);
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
  WaitConfig policy = exact();
  policy.give_up.attempts_max = 2;
  WaitConfig late = policy;
  late.give_up.attempts_max = 3;
  std::vector<tether::sim::Violation> found;
  tether::sim::WaitReference reference(policy, found);
  WaitState s = *make_wait(late);
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
  const WaitConfig c = exact();
  std::vector<tether::sim::Violation> found;
  tether::sim::WaitReference reference(c, found);
  WaitState s = *make_wait(c);
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
