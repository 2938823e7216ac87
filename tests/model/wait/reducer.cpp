// Wait-for-resource: an example for every rule of docs/wait-for-resource.md
// (the configuration checks are in config.cpp, the properties over random
// driver scripts in rules.cpp).
#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <tether/model/presets.hpp>
#include <tether/model/wait/reducer.hpp>
#include <vector>

#include "harness.hpp"

using namespace tether::model;
using namespace tether::model::wait;
using namespace tether::test::wait_harness;

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

TEST_CASE("an unanswered acquisition times out and counts as failed, the call stays out",
          "[wait]") {
  Config c = exact();
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
Harness timed_out(Config c = exact()) {
  c.acquire_timeout_ms = 300;
  Harness h(c);
  h.feed(Started{at(0)});
  h.feed(Tick{at(300)});
  return h;
}
}  // namespace

TEST_CASE(
    "hung: no second Acquire while the timed-out one is out, its late answer serves the attempt",
    "[wait][hung]") {
  Harness h = timed_out();
  h.feed(Tick{at(1300)});  // the attempt is due: it waits for acquisition 1
  CHECK(h.all<Acquire>().empty());
  CHECK(h.phase<Acquiring>().id == 1);
  CHECK(h.phase<Acquiring>().behind);
  REQUIRE(h.one<ReportStatus>());
  CHECK(h.one<ReportStatus>()->status ==
        Status{StatusKind::acquiring, Cause::acquire_still_out, 1, {}});
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
  CHECK(h.state().status == Status{StatusKind::acquiring, Cause::none, 0, {}});
}

TEST_CASE("hung: an acquisition that never answers still ends by the give-up limits",
          "[wait][hung]") {
  Config c = exact();
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
  Config c = exact();
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
    Config c = presets::kanade_wait();
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
  Config c = exact();
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
