// Freshness mirror: an example for every rule (reducer.hpp's "Rules"), and the
// worked example of docs/freshness-mirror.md.
#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <tether/model/mirror/reducer.hpp>
#include <tether/model/presets.hpp>
#include <variant>
#include <vector>

#include "harness.hpp"

using namespace tether::model;
using namespace tether::model::mirror;

using tether::test::at;
using tether::test::mirror_tests::Harness;
using tether::test::mirror_tests::small;

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
  Config c = small();
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
  CHECK(h.status() == Status{StreamHealth::starting, Backfill::none, at(0)});
  h.feed(ValuePushed{at(1000), "price", "10"});
  CHECK(h.one<ValueChanged>()->change == Change::added);
  CHECK(h.one<ValueChanged>()->source == Source::push);
  CHECK(h.status() == Status{StreamHealth::live, Backfill::none, at(1000)});
  h.feed(ValuePolled{at(5200), at(5000), "price", "10"});
  CHECK(h.one<ValueChanged>()->change == Change::refreshed);
  CHECK(find(h.state(), "price")->written_at == at(5000));
  CHECK(h.status().backfill == Backfill::warm);
  for (std::int64_t t = 10000; t <= 125000; t += 5000) {
    if (t == 20000) h.feed(HeartbeatReceived{at(20000)});  // the last push before the stall
    if (t == 110000) {
      CHECK(h.deadline() == at(110000));
      h.feed(Tick{at(110000)});
      CHECK(h.status() == Status{StreamHealth::degraded, Backfill::warm, at(110000)});
    }
    h.feed(ValuePolled{at(t + 200), at(t), "price", "10"});
    CHECK(h.fresh("price", t + 200) == Freshness::fresh);
    CHECK(h.status().stream == (t + 200 < 110000 ? StreamHealth::live : StreamHealth::degraded));
  }
  h.feed(ValuePushed{at(130000), "price", "11"});
  CHECK(h.one<ValueChanged>()->change == Change::modified);
  CHECK(h.status() == Status{StreamHealth::live, Backfill::warm, at(130000)});
  h.feed(ValuePolled{at(130400), at(129900), "price", "10"});
  CHECK(h.one<WriteIgnored>()->cause == IgnoreCause::older_than_entry);
  CHECK(h.value("price") == "11");
  CHECK(h.fresh("price", 159999) == Freshness::fresh);
  CHECK(h.fresh("price", 160000) == Freshness::stale);
  CHECK(h.fresh("other", 160000) == Freshness::never);
}
