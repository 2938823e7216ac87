// The polling reducer (model/src/poll/reducer.cpp): an example for every rule
// of poll/reducer.hpp, and the presets it runs (zero_poll, koprs_poll).
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <tether/model/poll/reducer.hpp>
#include <tether/model/presets.hpp>
#include <utility>
#include <variant>
#include <vector>

#include "harness.hpp"

namespace presets = tether::model::presets;
using namespace poll_test;

TEST_CASE("error classes", "[poll]") {
  CHECK(poll::classify(404) == poll::ErrorClass::not_served);
  CHECK(poll::classify(401) == poll::ErrorClass::unauthorised);
  CHECK(poll::classify(503) == poll::ErrorClass::transient);
  for (const std::uint16_t s :
       std::initializer_list<std::uint16_t>{0, 200, 304, 400, 403, 410, 429, 500, 502, 504})
    CHECK(poll::classify(s) == poll::ErrorClass::failure);
}

// --- presets -------------------------------------------------------------------

TEST_CASE("zero_poll: state every 5 s, backfill every 30 s, 5 s fixed backoff", "[poll][presets]") {
  const poll::Config c = presets::zero_poll();
  REQUIRE(c.endpoints.size() == 2);
  CHECK(c.endpoints[0].name == "state");
  CHECK(c.endpoints[0].cadence_ms == 5000);
  CHECK(c.endpoints[1].name == "backfill");
  CHECK(c.endpoints[1].cadence_ms == 30000);
  PollHarness h(c);
  h.feed(poll::Started{at(0)});
  CHECK(h.polled() == std::vector<std::size_t>{0, 1});
  // Both fail in the same tick: one backoff, 5 s for each, whatever the count.
  h.failed(10, 0, 500);
  h.failed(20, 1, 0);
  CHECK(h.status(1)->failures == 1);
  CHECK(h.status(1)->next_attempt_at == at(5020));
  h.tick(5010);
  CHECK(h.polled() == std::vector<std::size_t>{0});
  h.ok(5011, 0, {{"k", "v"}});
  h.tick(5020);
  CHECK(h.polled() == std::vector<std::size_t>{1});  // backfill after 5 s, not its 30 s cadence
  h.ok(5021, 1);
  CHECK(h.polling().failures == 0);
  CHECK(h.deadline() == at(10010));  // state: a cadence after its last poll
  h.tick(10010);
  h.ok(10011, 0, {{"k", "v"}});
  // Failures again: still 5 s apart, never growing (until backfill is due at 35020).
  std::int64_t t = 15010;
  for (int i = 0; i < 4; ++i) {
    REQUIRE(h.deadline() == at(t));
    h.tick(t);
    h.failed(t, 0, 502);
    CHECK(h.status(0)->next_attempt_at == at(t + 5000));
    t += 5000;
  }
  CHECK(h.status(0)->failures == 4);
}

TEST_CASE("koprs_poll: the interval doubles up to x32 and resets on success", "[poll][presets]") {
  PollHarness h(presets::koprs_poll(1000));
  h.feed(poll::Started{at(0)});
  std::int64_t t = 0;
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 8; ++i) {
    h.failed(t, 0, 0);
    const model::Instant next = h.status(0)->next_attempt_at;
    delays.push_back(next.ms - t);
    t = next.ms;
    REQUIRE(h.deadline() == next);
    h.tick(t);
    REQUIRE(h.polled() == std::vector<std::size_t>{0});
  }
  CHECK(delays == std::vector<std::int64_t>{1000, 2000, 4000, 8000, 16000, 32000, 32000, 32000});
  h.ok(t + 5, 0);
  CHECK(h.polling().failures == 0);
  CHECK(h.deadline() == at(t + 1000));
  h.tick(t + 1000);
  h.failed(t + 1000, 0, 500);
  CHECK(h.status(0)->next_attempt_at == at(t + 2000));  // from the interval again
}

// --- cadence -------------------------------------------------------------------

TEST_CASE("Started polls every endpoint, on-time ticks keep the cadence", "[poll][cadence]") {
  PollHarness h(presets::zero_poll());
  CHECK_FALSE(h.deadline().has_value());  // Idle
  h.feed(poll::Started{at(0)});
  CHECK(h.polled() == std::vector<std::size_t>{0, 1});
  CHECK_FALSE(h.deadline().has_value());  // both in flight
  h.ok(100, 0);
  CHECK(h.status(0)->health == poll::Health::ok);
  h.ok(100, 1);
  CHECK(h.deadline() == at(5000));
  CHECK(h.tick(4999).empty());  // early: harmless
  h.tick(5000);
  CHECK(h.polled() == std::vector<std::size_t>{0});
  CHECK(h.tick(5000).empty());  // repeated: harmless
  h.ok(5100, 0);
  CHECK(h.deadline() == at(10000));
}

TEST_CASE("a late tick polls once: missed ticks are skipped, never bursted", "[poll][cadence]") {
  PollHarness h(single(5000, poll::Backoff::fixed(5000)));
  h.feed(poll::Started{at(0)});
  h.ok(10, 0);
  h.tick(27000);  // five cadences were missed
  CHECK(h.polled() == std::vector<std::size_t>{0});
  CHECK(h.last().size() == 1);
  h.ok(27010, 0);
  CHECK(h.deadline() == at(32000));  // a full cadence after the poll actually sent
  CHECK(h.tick(31999).empty());
}

TEST_CASE("a slow answer never doubles up a poll", "[poll][cadence]") {
  PollHarness h(single(5000, poll::Backoff::fixed(5000)));
  h.feed(poll::Started{at(0)});
  CHECK(h.tick(5000).empty());  // still in flight
  CHECK(h.tick(9000).empty());
  h.ok(12000, 0);
  REQUIRE(h.deadline() == at(5000));  // already due: tick with max(deadline, now)
  h.tick(12000);
  CHECK(h.polled() == std::vector<std::size_t>{0});
  h.ok(12001, 0);
  CHECK(h.deadline() == at(17000));
}

// --- failure isolation and backoff ----------------------------------------------

TEST_CASE("a failing endpoint does not starve the others", "[poll][backoff]") {
  poll::Config c;
  c.endpoints.push_back(poll::EndpointConfig{"fast", 1000, poll::Backoff::fixed(1000)});
  c.endpoints.push_back(
      poll::EndpointConfig{"slow", 10000, poll::Backoff::exponential(2000, 2.0, 16000)});
  PollHarness h(c);
  std::vector<std::int64_t> fast, slow;
  // Answer every poll at once: the fast endpoint succeeds, the slow one fails.
  const auto answer = [&](std::int64_t now) {
    for (const std::size_t e : h.polled()) {
      if (e == 0) {
        fast.push_back(now);
        h.ok(now, 0, {{"t", std::to_string(now)}});
      } else {
        slow.push_back(now);
        h.failed(now, 1, 500);
      }
    }
  };
  h.feed(poll::Started{at(0)});
  answer(0);
  for (std::int64_t now = h.deadline()->ms; now <= 40000; now = h.deadline()->ms) {
    h.tick(now);
    answer(now);
  }
  REQUIRE(fast.size() == 41);
  for (std::size_t i = 0; i < fast.size(); ++i)
    CHECK(fast[i] == static_cast<std::int64_t>(i) * 1000);
  CHECK(slow == std::vector<std::int64_t>{0, 2000, 6000, 14000, 30000});
  CHECK(h.polling().failures == 5);  // the fast endpoint's successes do not reset it
}

TEST_CASE("the session backs off once when several endpoints fail", "[poll][backoff]") {
  poll::Config c;
  c.endpoints.push_back(
      poll::EndpointConfig{"a", 10000, poll::Backoff::exponential(1000, 2.0, 60000)});
  c.endpoints.push_back(
      poll::EndpointConfig{"b", 10000, poll::Backoff::exponential(1000, 2.0, 60000)});
  PollHarness h(c);
  h.feed(poll::Started{at(0)});
  h.failed(10, 0, 500);
  CHECK(*h.status(0) == poll::Status{poll::Health::backing_off, 500, 1, at(1010)});
  h.failed(20, 1, 0);  // the same outage, seen by the other endpoint
  CHECK(*h.status(1) == poll::Status{poll::Health::backing_off, 0, 1, at(1020)});
  h.tick(1010);
  h.tick(1020);
  h.failed(1030, 0, 500);
  h.failed(1040, 1, 500);
  CHECK(h.polling().failures == 2);  // not 4
  CHECK(h.status(1)->next_attempt_at == at(3040));
  SECTION("the count resets once nothing is failing") {
    h.tick(3030);
    h.ok(3031, 0);
    CHECK(h.polling().failures == 2);  // b is still failing
    h.tick(3040);
    h.ok(3041, 1);
    CHECK(h.polling().failures == 0);
    h.tick(13030);
    h.failed(13031, 0, 500);
    CHECK(h.status(0)->next_attempt_at == at(14031));
  }
  SECTION("a new failure after the session knew of the outage raises it") {
    h.tick(3030);
    h.failed(3031, 0, 500);
    CHECK(h.polling().failures == 3);
    CHECK(h.status(0)->next_attempt_at == at(3031 + 4000));
  }
}

TEST_CASE("503 is retried once within the same tick", "[poll][errors]") {
  PollHarness h(single(5000, poll::Backoff::fixed(3000)));
  h.feed(poll::Started{at(0)});
  h.failed(10, 0, 503);
  REQUIRE(h.last().size() == 1);
  CHECK(h.all<poll::Poll>().at(0).retry_in_tick);
  CHECK_FALSE(h.deadline().has_value());  // the retry is in flight
  SECTION("the retry succeeds: no backoff, the cadence holds") {
    h.ok(20, 0, {{"a", "1"}});
    CHECK(h.all<poll::Added>().size() == 1);
    CHECK(h.status(0)->health == poll::Health::ok);
    CHECK(h.deadline() == at(5000));
  }
  SECTION("503 again: backs off") {
    h.failed(20, 0, 503);
    CHECK(h.all<poll::Poll>().empty());
    CHECK(*h.status(0) == poll::Status{poll::Health::backing_off, 503, 1, at(3020)});
  }
  SECTION("the retry gets 404: quiet") {
    h.failed(20, 0, 404);
    CHECK(h.status(0)->health == poll::Health::not_served);
    CHECK(h.deadline() == at(5000));
  }
  SECTION("another failure: backs off") {
    h.failed(20, 0, 0);
    CHECK(h.status(0)->health == poll::Health::backing_off);
  }
}

TEST_CASE("404 and 401 are quiet: no backoff, no spam, no Removed", "[poll][errors]") {
  PollHarness h(single(5000, poll::Backoff::exponential(5000, 2.0, 60000)));
  h.feed(poll::Started{at(0)});
  h.ok(1, 0, {{"a", "1"}, {"b", "2"}});
  std::int64_t t = 5000;
  int reports = 0;
  for (const std::uint16_t s :
       std::initializer_list<std::uint16_t>{404, 404, 404, 404, 401, 401, 401, 404}) {
    REQUIRE(h.deadline() == at(t));  // the cadence, never a backoff
    h.tick(t);
    h.failed(t + 1, 0, s);
    CHECK(h.all<poll::Removed>().empty());
    CHECK(h.all<poll::Poll>().empty());
    reports += static_cast<int>(h.all<poll::ReportStatus>().size());
    t += 5000;
  }
  CHECK(reports == 3);  // not_served, unauthorised, not_served: each change once
  CHECK(h.polling().failures == 0);
  h.tick(t);
  h.ok(t + 1, 0, {{"a", "1"}, {"b", "2"}});
  CHECK(h.last().size() == 1);  // back to ok; the mirror never lost a key, so no change
  CHECK(h.status(0)->health == poll::Health::ok);
}

// --- snapshot diff ---------------------------------------------------------------

TEST_CASE("each success is diffed against the previous snapshot", "[poll][diff]") {
  PollHarness h(single(1000, poll::Backoff::fixed(1000)));
  h.feed(poll::Started{at(0)});
  h.ok(1, 0, {{"a", "1"}, {"b", "2"}});
  CHECK(h.all<poll::Added>().size() == 2);
  h.tick(1000);
  h.ok(1001, 0, {{"b", "3"}, {"c", "4"}});
  REQUIRE(h.last().size() == 3);
  CHECK(std::get<poll::Removed>(h.last()[0]).key == "a");
  CHECK(std::get<poll::Removed>(h.last()[0]).value == "1");
  CHECK(std::get<poll::Modified>(h.last()[1]).value == "3");
  CHECK(std::get<poll::Added>(h.last()[2]).key == "c");
  h.tick(2000);
  CHECK(h.not_modified(2001, 0).empty());  // 304: the previous snapshot holds
  CHECK(h.deadline() == at(3000));
  h.tick(3000);
  h.failed(3001, 0, 500);  // a failed poll changes nothing
  CHECK(h.all<poll::Removed>().empty());
  CHECK(h.all<poll::Added>().empty());
  h.tick(4001);
  h.ok(4002, 0);
  CHECK(h.all<poll::Removed>().size() == 2);  // an empty answer that succeeded does remove
}

TEST_CASE("a 304 before any snapshot and a malformed 2xx back off", "[poll][diff]") {
  PollHarness h(single(1000, poll::Backoff::fixed(2000)));
  h.feed(poll::Started{at(0)});
  h.not_modified(5, 0);
  CHECK(*h.status(0) == poll::Status{poll::Health::backing_off, 304, 1, at(2005)});
  h.tick(2005);
  h.failed(2006, 0, 200);  // e.g. Snapshot::from_entries refused a duplicate key
  CHECK(*h.status(0) == poll::Status{poll::Health::backing_off, 200, 2, at(4006)});
}

// --- stop and stray events ---------------------------------------------------------

TEST_CASE("stop from any phase is terminal and quiet", "[poll][stop]") {
  const auto stopped_with = [](const poll::Effects& fx) {
    REQUIRE(fx.size() == 1);
    return std::get<poll::ReportStopped>(fx[0]).reason;
  };
  SECTION("Idle") {
    PollHarness h(presets::zero_poll());
    CHECK(stopped_with(h.feed(poll::StopRequested{at(0)})) == poll::StopReason::stop_requested);
    CHECK(h.feed(poll::Started{at(1)}).empty());
    CHECK(poll::is_terminal(h.state()));
  }
  SECTION("polls in flight") {
    PollHarness h(presets::zero_poll());
    h.feed(poll::Started{at(0)});
    CHECK(stopped_with(h.feed(poll::StopRequested{at(1)})) == poll::StopReason::stop_requested);
    CHECK(h.ok(2, 0, {{"a", "1"}}).empty());
    CHECK(h.tick(100000).empty());
    CHECK(h.feed(poll::StopRequested{at(3)}).empty());
    CHECK_FALSE(h.deadline().has_value());
  }
  SECTION("backing off") {
    PollHarness h(presets::koprs_poll());
    h.feed(poll::Started{at(0)});
    h.failed(1, 0, 500);
    CHECK(stopped_with(h.feed(poll::ReceiverGone{at(2)})) == poll::StopReason::receiver_gone);
    CHECK(h.feed(poll::ReceiverGone{at(3)}).empty());
    CHECK_FALSE(h.deadline().has_value());
  }
}

TEST_CASE("results with no poll in flight are ignored", "[poll]") {
  PollHarness h(presets::zero_poll());
  CHECK(h.ok(0, 0, {{"a", "1"}}).empty());  // before Started
  CHECK(h.tick(0).empty());
  h.feed(poll::Started{at(0)});
  CHECK(h.feed(poll::Started{at(1)}).empty());
  h.ok(1, 0, {{"a", "1"}});
  CHECK(h.ok(2, 0, {{"b", "1"}}).empty());  // answered already
  CHECK(h.failed(2, 0, 500).empty());
  CHECK(h.ok(2, 7, {{"b", "1"}}).empty());  // no such endpoint
  CHECK(h.failed(2, 99, 503).empty());
}

TEST_CASE("jitter comes from the seed", "[poll][backoff]") {
  poll::Backoff b = poll::Backoff::exponential(1000, 2.0, 30000);
  b.jitter = model::JitterKind::full;
  const auto delays = [&](std::uint64_t seed) {
    PollHarness h(single(1000, b), seed);
    h.feed(poll::Started{at(0)});
    std::vector<std::int64_t> out;
    std::int64_t t = 0;
    for (int i = 0; i < 12; ++i) {
      h.failed(t, 0, 500);
      const auto* w = std::get_if<poll::Waiting>(&h.polling().endpoints[0].activity);
      REQUIRE(w != nullptr);
      const std::int64_t next = w->due_at.ms;
      out.push_back(next - t);
      t = next;
      h.tick(t);
    }
    return out;
  };
  CHECK(delays(7) == delays(7));
  CHECK(delays(7) != delays(8));
  for (const std::int64_t d : delays(9)) {
    CHECK(d >= 0);
    CHECK(d < 30000);
  }
}
