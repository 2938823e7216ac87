// Polling sessions: an example for every rule of poll_session.hpp, the presets,
// and RapidCheck properties that run random driver scripts with the reducer's
// reference oracle (sim::PollReference, <tether/sim/reference/poll.hpp>, the
// one the poll world judges by too) judging every step.
//
// Each rc::prop runs RapidCheck's default 100 cases (seed fixed under ctest);
// for a longer hunt:
//   RC_PARAMS="max_success=5000" build/dev/tests/tether_model_tests "[poll][property]"
#include <rapidcheck/catch.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <initializer_list>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <tether/model/backoff.hpp>
#include <tether/model/poll_session.hpp>
#include <tether/model/presets.hpp>
#include <tether/sim/reference/poll.hpp>
#include <utility>
#include <vector>

#include "support/event_script.hpp"

namespace p = tether::model::poll;
namespace m = tether::model;
namespace presets = tether::model::presets;

namespace {

m::Instant at(std::int64_t ms) { return m::Instant{ms}; }

p::Snapshot snap(std::vector<p::Entry> entries) {
  return p::Snapshot::from_entries(std::move(entries)).value();
}

p::PollConfig single(std::int64_t cadence_ms, p::PollBackoff backoff) {
  p::PollConfig c;
  c.endpoints.push_back(p::EndpointConfig{"only", cadence_ms, backoff});
  return c;
}

// Feeds events, keeps the last step's effects, answers questions about them.
class PollHarness {
 public:
  explicit PollHarness(const p::PollConfig& config, std::uint64_t seed = 1)
      : state_(p::make_poll_session(config, seed).value()) {}

  const p::PollEffects& feed(const p::PollEvent& event) {
    p::PollStep step = p::transition(std::move(state_), event);
    state_ = std::move(step.state);
    last_ = std::move(step.effects);
    return last_;
  }
  const p::PollEffects& ok(std::int64_t t, std::size_t endpoint,
                           std::vector<p::Entry> entries = {}) {
    return feed(p::PollSucceeded{at(t), endpoint, snap(std::move(entries))});
  }
  const p::PollEffects& not_modified(std::int64_t t, std::size_t endpoint) {
    return feed(p::PollSucceeded{at(t), endpoint, std::nullopt});
  }
  const p::PollEffects& failed(std::int64_t t, std::size_t endpoint, std::uint16_t http_status) {
    return feed(p::PollFailed{at(t), endpoint, http_status});
  }
  const p::PollEffects& tick(std::int64_t t) { return feed(p::Tick{at(t)}); }

  template <class E>
  std::vector<E> all() const {
    std::vector<E> found;
    for (const p::PollEffect& e : last_)
      if (const auto* x = std::get_if<E>(&e)) found.push_back(*x);
    return found;
  }
  // The endpoints the last step polled on schedule (not 503 retries).
  std::vector<std::size_t> polled() const {
    std::vector<std::size_t> out;
    for (const p::Poll& x : all<p::Poll>())
      if (!x.retry_in_tick) out.push_back(x.endpoint);
    return out;
  }
  std::optional<p::EndpointStatus> status(std::size_t endpoint) const {
    for (const p::ReportStatus& r : all<p::ReportStatus>())
      if (r.endpoint == endpoint) return r.status;
    return std::nullopt;
  }
  const p::Polling& polling() const { return std::get<p::Polling>(state_.phase); }
  std::optional<m::Instant> deadline() const { return p::next_deadline(state_); }
  const p::PollState& state() const { return state_; }
  const p::PollEffects& last() const { return last_; }

 private:
  p::PollState state_;
  p::PollEffects last_;
};

}  // namespace

// --- configuration -----------------------------------------------------------

TEST_CASE("poll configurations are validated field by field", "[poll][config]") {
  const auto field_of = [](const p::PollConfig& c) {
    const auto r = p::validate(c);
    return r ? std::string("ok") : std::string(r.error().field);
  };
  CHECK(field_of(presets::zero_poll()) == "ok");
  CHECK(field_of(presets::koprs_poll(250)) == "ok");
  CHECK(field_of(p::PollConfig{}) == "endpoints");
  p::PollConfig c = single(1000, p::PollBackoff::fixed(1000));
  SECTION("names") {
    c.endpoints[0].name.clear();
    CHECK(field_of(c) == "endpoints[].name");
    c.endpoints[0].name = "a";
    c.endpoints.push_back(c.endpoints[0]);
    CHECK(field_of(c) == "endpoints[].name");
  }
  SECTION("cadence") {
    c.endpoints[0].cadence_ms = 0;
    CHECK(field_of(c) == "endpoints[].cadence_ms");
    c.endpoints[0].cadence_ms = p::poll_ms_max + 1;
    CHECK(field_of(c) == "endpoints[].cadence_ms");
  }
  SECTION("backoff") {
    c.endpoints[0].backoff.delay_ms_initial = 0;
    CHECK(field_of(c) == "endpoints[].backoff.delay_ms_initial");
    c.endpoints[0].backoff = p::PollBackoff::exponential(1000, 0.5, 2000);
    CHECK(field_of(c) == "endpoints[].backoff.multiplier");
    c.endpoints[0].backoff = p::PollBackoff::exponential(1000, 2.0, 999);
    CHECK(field_of(c) == "endpoints[].backoff.delay_ms_max");
    c.endpoints[0].backoff = p::PollBackoff::exponential(1000, 2.0, p::poll_ms_max + 1);
    CHECK(field_of(c) == "endpoints[].backoff.delay_ms_max");
    c.endpoints[0].backoff = p::PollBackoff::fixed(1000);
    c.endpoints[0].backoff.jitter_fraction = 1.5;
    CHECK(field_of(c) == "endpoints[].backoff.jitter_fraction");
  }
  SECTION("a limit on endpoints") {
    c.endpoints.clear();
    for (std::size_t i = 0; i <= p::endpoints_max; ++i)
      c.endpoints.push_back(
          p::EndpointConfig{"e" + std::to_string(i), 1000, p::PollBackoff::fixed(1000)});
    CHECK(field_of(c) == "endpoints");
    c.endpoints.pop_back();
    CHECK(field_of(c) == "ok");
  }
  CHECK_FALSE(p::make_poll_session(p::PollConfig{}, 1).has_value());
  CHECK_FALSE(p::validate(presets::koprs_poll(0)).has_value());
  CHECK_FALSE(p::validate(presets::koprs_poll(INT64_MAX)).has_value());
}

TEST_CASE("error classes", "[poll]") {
  CHECK(p::classify(404) == p::ErrorClass::not_served);
  CHECK(p::classify(401) == p::ErrorClass::unauthorised);
  CHECK(p::classify(503) == p::ErrorClass::transient);
  for (const std::uint16_t s :
       std::initializer_list<std::uint16_t>{0, 200, 304, 400, 403, 410, 429, 500, 502, 504})
    CHECK(p::classify(s) == p::ErrorClass::failure);
}

// --- presets -------------------------------------------------------------------

TEST_CASE("zero_poll: state every 5 s, backfill every 30 s, 5 s fixed backoff", "[poll][presets]") {
  const p::PollConfig c = presets::zero_poll();
  REQUIRE(c.endpoints.size() == 2);
  CHECK(c.endpoints[0].name == "state");
  CHECK(c.endpoints[0].cadence_ms == 5000);
  CHECK(c.endpoints[1].name == "backfill");
  CHECK(c.endpoints[1].cadence_ms == 30000);
  PollHarness h(c);
  h.feed(p::Started{at(0)});
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
  h.feed(p::Started{at(0)});
  std::int64_t t = 0;
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 8; ++i) {
    h.failed(t, 0, 0);
    const m::Instant next = h.status(0)->next_attempt_at;
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
  h.feed(p::Started{at(0)});
  CHECK(h.polled() == std::vector<std::size_t>{0, 1});
  CHECK_FALSE(h.deadline().has_value());  // both in flight
  h.ok(100, 0);
  CHECK(h.status(0)->health == p::Health::ok);
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
  PollHarness h(single(5000, p::PollBackoff::fixed(5000)));
  h.feed(p::Started{at(0)});
  h.ok(10, 0);
  h.tick(27000);  // five cadences were missed
  CHECK(h.polled() == std::vector<std::size_t>{0});
  CHECK(h.last().size() == 1);
  h.ok(27010, 0);
  CHECK(h.deadline() == at(32000));  // a full cadence after the poll actually sent
  CHECK(h.tick(31999).empty());
}

TEST_CASE("a slow answer never doubles up a poll", "[poll][cadence]") {
  PollHarness h(single(5000, p::PollBackoff::fixed(5000)));
  h.feed(p::Started{at(0)});
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
  p::PollConfig c;
  c.endpoints.push_back(p::EndpointConfig{"fast", 1000, p::PollBackoff::fixed(1000)});
  c.endpoints.push_back(
      p::EndpointConfig{"slow", 10000, p::PollBackoff::exponential(2000, 2.0, 16000)});
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
  h.feed(p::Started{at(0)});
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
  p::PollConfig c;
  c.endpoints.push_back(
      p::EndpointConfig{"a", 10000, p::PollBackoff::exponential(1000, 2.0, 60000)});
  c.endpoints.push_back(
      p::EndpointConfig{"b", 10000, p::PollBackoff::exponential(1000, 2.0, 60000)});
  PollHarness h(c);
  h.feed(p::Started{at(0)});
  h.failed(10, 0, 500);
  CHECK(*h.status(0) == p::EndpointStatus{p::Health::backing_off, 500, 1, at(1010)});
  h.failed(20, 1, 0);  // the same outage, seen by the other endpoint
  CHECK(*h.status(1) == p::EndpointStatus{p::Health::backing_off, 0, 1, at(1020)});
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
  PollHarness h(single(5000, p::PollBackoff::fixed(3000)));
  h.feed(p::Started{at(0)});
  h.failed(10, 0, 503);
  REQUIRE(h.last().size() == 1);
  CHECK(h.all<p::Poll>().at(0).retry_in_tick);
  CHECK_FALSE(h.deadline().has_value());  // the retry is in flight
  SECTION("the retry succeeds: no backoff, the cadence holds") {
    h.ok(20, 0, {{"a", "1"}});
    CHECK(h.all<p::Added>().size() == 1);
    CHECK(h.status(0)->health == p::Health::ok);
    CHECK(h.deadline() == at(5000));
  }
  SECTION("503 again: backs off") {
    h.failed(20, 0, 503);
    CHECK(h.all<p::Poll>().empty());
    CHECK(*h.status(0) == p::EndpointStatus{p::Health::backing_off, 503, 1, at(3020)});
  }
  SECTION("the retry gets 404: quiet") {
    h.failed(20, 0, 404);
    CHECK(h.status(0)->health == p::Health::not_served);
    CHECK(h.deadline() == at(5000));
  }
  SECTION("another failure: backs off") {
    h.failed(20, 0, 0);
    CHECK(h.status(0)->health == p::Health::backing_off);
  }
}

TEST_CASE("404 and 401 are quiet: no backoff, no spam, no Removed", "[poll][errors]") {
  PollHarness h(single(5000, p::PollBackoff::exponential(5000, 2.0, 60000)));
  h.feed(p::Started{at(0)});
  h.ok(1, 0, {{"a", "1"}, {"b", "2"}});
  std::int64_t t = 5000;
  int reports = 0;
  for (const std::uint16_t s :
       std::initializer_list<std::uint16_t>{404, 404, 404, 404, 401, 401, 401, 404}) {
    REQUIRE(h.deadline() == at(t));  // the cadence, never a backoff
    h.tick(t);
    h.failed(t + 1, 0, s);
    CHECK(h.all<p::Removed>().empty());
    CHECK(h.all<p::Poll>().empty());
    reports += static_cast<int>(h.all<p::ReportStatus>().size());
    t += 5000;
  }
  CHECK(reports == 3);  // not_served, unauthorised, not_served: each change once
  CHECK(h.polling().failures == 0);
  h.tick(t);
  h.ok(t + 1, 0, {{"a", "1"}, {"b", "2"}});
  CHECK(h.last().size() == 1);  // back to ok; the mirror never lost a key, so no change
  CHECK(h.status(0)->health == p::Health::ok);
}

// --- snapshot diff ---------------------------------------------------------------

TEST_CASE("each success is diffed against the previous snapshot", "[poll][diff]") {
  PollHarness h(single(1000, p::PollBackoff::fixed(1000)));
  h.feed(p::Started{at(0)});
  h.ok(1, 0, {{"a", "1"}, {"b", "2"}});
  CHECK(h.all<p::Added>().size() == 2);
  h.tick(1000);
  h.ok(1001, 0, {{"b", "3"}, {"c", "4"}});
  REQUIRE(h.last().size() == 3);
  CHECK(std::get<p::Removed>(h.last()[0]).key == "a");
  CHECK(std::get<p::Removed>(h.last()[0]).value == "1");
  CHECK(std::get<p::Modified>(h.last()[1]).value == "3");
  CHECK(std::get<p::Added>(h.last()[2]).key == "c");
  h.tick(2000);
  CHECK(h.not_modified(2001, 0).empty());  // 304: the previous snapshot holds
  CHECK(h.deadline() == at(3000));
  h.tick(3000);
  h.failed(3001, 0, 500);  // a failed poll changes nothing
  CHECK(h.all<p::Removed>().empty());
  CHECK(h.all<p::Added>().empty());
  h.tick(4001);
  h.ok(4002, 0);
  CHECK(h.all<p::Removed>().size() == 2);  // an empty answer that succeeded does remove
}

TEST_CASE("a 304 before any snapshot and a malformed 2xx back off", "[poll][diff]") {
  PollHarness h(single(1000, p::PollBackoff::fixed(2000)));
  h.feed(p::Started{at(0)});
  h.not_modified(5, 0);
  CHECK(*h.status(0) == p::EndpointStatus{p::Health::backing_off, 304, 1, at(2005)});
  h.tick(2005);
  h.failed(2006, 0, 200);  // e.g. Snapshot::from_entries refused a duplicate key
  CHECK(*h.status(0) == p::EndpointStatus{p::Health::backing_off, 200, 2, at(4006)});
}

// --- stop and stray events ---------------------------------------------------------

TEST_CASE("stop from any phase is terminal and quiet", "[poll][stop]") {
  const auto stopped_with = [](const p::PollEffects& fx) {
    REQUIRE(fx.size() == 1);
    return std::get<p::ReportStopped>(fx[0]).reason;
  };
  SECTION("Idle") {
    PollHarness h(presets::zero_poll());
    CHECK(stopped_with(h.feed(p::StopRequested{at(0)})) == p::StopReason::stop_requested);
    CHECK(h.feed(p::Started{at(1)}).empty());
    CHECK(p::is_terminal(h.state()));
  }
  SECTION("polls in flight") {
    PollHarness h(presets::zero_poll());
    h.feed(p::Started{at(0)});
    CHECK(stopped_with(h.feed(p::StopRequested{at(1)})) == p::StopReason::stop_requested);
    CHECK(h.ok(2, 0, {{"a", "1"}}).empty());
    CHECK(h.tick(100000).empty());
    CHECK(h.feed(p::StopRequested{at(3)}).empty());
    CHECK_FALSE(h.deadline().has_value());
  }
  SECTION("backing off") {
    PollHarness h(presets::koprs_poll());
    h.feed(p::Started{at(0)});
    h.failed(1, 0, 500);
    CHECK(stopped_with(h.feed(p::ReceiverGone{at(2)})) == p::StopReason::receiver_gone);
    CHECK(h.feed(p::ReceiverGone{at(3)}).empty());
    CHECK_FALSE(h.deadline().has_value());
  }
}

TEST_CASE("results with no poll in flight are ignored", "[poll]") {
  PollHarness h(presets::zero_poll());
  CHECK(h.ok(0, 0, {{"a", "1"}}).empty());  // before Started
  CHECK(h.tick(0).empty());
  h.feed(p::Started{at(0)});
  CHECK(h.feed(p::Started{at(1)}).empty());
  h.ok(1, 0, {{"a", "1"}});
  CHECK(h.ok(2, 0, {{"b", "1"}}).empty());  // answered already
  CHECK(h.failed(2, 0, 500).empty());
  CHECK(h.ok(2, 7, {{"b", "1"}}).empty());  // no such endpoint
  CHECK(h.failed(2, 99, 503).empty());
}

TEST_CASE("jitter comes from the seed", "[poll][backoff]") {
  p::PollBackoff b = p::PollBackoff::exponential(1000, 2.0, 30000);
  b.jitter = m::JitterKind::full;
  const auto delays = [&](std::uint64_t seed) {
    PollHarness h(single(1000, b), seed);
    h.feed(p::Started{at(0)});
    std::vector<std::int64_t> out;
    std::int64_t t = 0;
    for (int i = 0; i < 12; ++i) {
      h.failed(t, 0, 500);
      const auto* w = std::get_if<p::Waiting>(&h.polling().endpoints[0].activity);
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

// --- properties ------------------------------------------------------------------

namespace {

using Map = std::map<std::string, std::string>;

// "<rule> e<endpoint> @<ms>: <message>", as the poll world prints it.
std::string describe(const tether::sim::Violation& v) {
  return std::string(v.rule) + " e" + std::to_string(v.subject) + " @" + std::to_string(v.at_ms) +
         ": " + v.message;
}

std::string describe(const p::PollEvent& ev) {
  std::ostringstream o;
  o << "@" << p::time_of(ev).ms << " ";
  std::visit(
      [&](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, p::Started>)
          o << "Started";
        else if constexpr (std::is_same_v<E, p::StopRequested>)
          o << "StopRequested";
        else if constexpr (std::is_same_v<E, p::Tick>)
          o << "Tick";
        else if constexpr (std::is_same_v<E, p::ReceiverGone>)
          o << "ReceiverGone";
        else if constexpr (std::is_same_v<E, p::PollFailed>)
          o << "PollFailed e" << e.endpoint << " " << e.http_status;
        else {
          o << "PollSucceeded e" << e.endpoint;
          if (!e.snapshot)
            o << " 304";
          else
            for (const p::Entry& x : e.snapshot->entries()) o << " " << x.key << "=" << x.value;
        }
      },
      ev);
  return o.str();
}

std::string describe(const p::PollEffects& fx) {
  std::ostringstream o;
  for (const p::PollEffect& x : fx) {
    std::visit(
        [&](const auto& e) {
          using E = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<E, p::Poll>)
            o << " Poll(e" << e.endpoint << (e.retry_in_tick ? ",retry)" : ")");
          else if constexpr (std::is_same_v<E, p::Added>)
            o << " Added(e" << e.endpoint << "," << e.key << "=" << e.value << ")";
          else if constexpr (std::is_same_v<E, p::Modified>)
            o << " Modified(e" << e.endpoint << "," << e.key << "=" << e.value << ")";
          else if constexpr (std::is_same_v<E, p::Removed>)
            o << " Removed(e" << e.endpoint << "," << e.key << ")";
          else if constexpr (std::is_same_v<E, p::ReportStatus>)
            o << " Status(e" << e.endpoint << ",h" << static_cast<int>(e.status.health) << ","
              << e.status.http_status << ",n" << e.status.failures << ",@"
              << e.status.next_attempt_at.ms << ")";
          else
            o << " Stopped(" << static_cast<int>(e.reason) << ")";
        },
        x);
  }
  return o.str();
}

// A configuration drawn from the choices: a preset, or 1-4 random endpoints.
p::PollConfig draw_poll_config(tether::test::ChoiceSource& ch) {
  switch (ch.below(4)) {
    case 0:
      return presets::zero_poll();
    case 1:
      return presets::koprs_poll(ch.between(1, 60) * 250);
    default:
      break;
  }
  p::PollConfig c;
  const auto n = static_cast<std::size_t>(ch.between(1, 4));
  for (std::size_t i = 0; i < n; ++i) {
    p::PollBackoff b;
    constexpr double multipliers[] = {1.0, 1.5, 2.0, 3.0};
    b.delay_ms_initial = ch.between(1, 40) * 250;
    b.multiplier = multipliers[ch.below(4)];
    b.delay_ms_max = b.delay_ms_initial * ch.between(1, 64);
    b.jitter = static_cast<m::JitterKind>(ch.below(6));
    b.jitter_fraction = static_cast<double>(ch.below(101)) / 100.0;
    c.endpoints.push_back(p::EndpointConfig{"e" + std::to_string(i), ch.between(1, 60) * 250, b});
  }
  return c;
}

struct Run {
  std::uint64_t seed = 0;  // the session's PRNG seed
  std::vector<p::PollEvent> events;
  std::string trace;
  std::string violation;  // the reference's first finding, described
  std::string_view rule;  // and its rule
};

// The reducer a run steps: the real one, or a deliberately broken wrapper.
using Transition = p::PollEffects (*)(p::PollState&, const p::PollEvent&) noexcept;

// A plausible driver: answers the polls the reducer asked for (successes from a
// keyed state that changes, 304s, every error class), ticks on time, late or
// early, and sometimes sends stray results, stops, or a second Started.
// Each run weighs the kinds differently (swarm testing).
Run run_random(tether::test::ChoiceSource& ch, const p::PollConfig& config, std::size_t events_max,
               Transition transition = &p::transition_in_place) {
  Run run;
  tether::sim::PollReference reference(config);
  run.seed = ch.below(1000);
  p::PollState state = p::make_poll_session(config, run.seed).value();
  std::uint32_t weights[8];
  for (auto& w : weights) w = static_cast<std::uint32_t>(ch.below(10));
  weights[0] += 1;                       // on-time ticks
  weights[5] = ch.chance(1, 3) ? 1 : 0;  // stop
  weights[6] = ch.chance(1, 3) ? 1 : 0;  // receiver gone
  weights[7] = ch.chance(1, 4) ? 1 : 0;  // stray results and Started
  std::uint32_t outcome_weights[6];
  for (auto& w : outcome_weights) w = static_cast<std::uint32_t>(ch.below(6));
  outcome_weights[0] += 2;
  std::int64_t cadence_max = 0;
  for (const auto& e : config.endpoints) cadence_max = std::max(cadence_max, e.cadence_ms);
  std::vector<Map> server(config.endpoints.size());
  std::vector<std::size_t> outstanding;  // endpoints with a Poll not yet answered
  m::Instant now{ch.between(0, 1000)};
  std::uint64_t version = 0;

  const auto step_with = [&](const p::PollEvent& ev) {
    const p::PollEffects effects = transition(state, ev);
    run.events.push_back(ev);
    run.trace += describe(ev) + " ->" + describe(effects) + "\n";
    if (run.violation.empty()) {
      reference.step(ev, effects, state);
      if (!reference.ok()) {
        run.violation = describe(reference.violations().front());
        run.rule = reference.violations().front().rule;
      }
    }
    for (const p::PollEffect& x : effects)
      if (const auto* poll = std::get_if<p::Poll>(&x)) outstanding.push_back(poll->endpoint);
  };

  step_with(p::Started{now});
  while (run.events.size() < events_max && !ch.exhausted() && run.violation.empty()) {
    const std::size_t kind = ch.weighted(weights);
    const auto deadline = p::next_deadline(state);
    switch (kind) {
      case 0:  // on time
        now = deadline ? m::latest(now, *deadline) : m::after(now, ch.between(1, 5000));
        step_with(p::Tick{now});
        break;
      case 1:  // late by up to five cadences
        now = m::after(deadline ? m::latest(now, *deadline) : now, ch.between(1, 5 * cadence_max));
        step_with(p::Tick{now});
        break;
      case 2:  // whenever
        now = m::after(now, ch.between(0, 2000));
        step_with(p::Tick{now});
        break;
      case 3:
      case 4: {  // answer a poll
        if (outstanding.empty()) break;
        const std::size_t pick = static_cast<std::size_t>(ch.below(outstanding.size()));
        const std::size_t e = outstanding[pick];
        outstanding.erase(outstanding.begin() + static_cast<std::ptrdiff_t>(pick));
        now = m::after(now, ch.chance(1, 3) ? 0 : ch.between(1, 3000));
        switch (ch.weighted(outcome_weights)) {
          case 0: {  // the keyed state changes a little, then is returned
            Map& s = server[e];
            for (std::int64_t k = ch.between(0, 3); k > 0; --k) {
              const std::string key = "k" + std::to_string(ch.below(8));
              if (ch.chance(1, 3))
                s.erase(key);
              else
                s[key] = "v" + std::to_string(++version);
            }
            std::vector<p::Entry> entries;
            for (const auto& [k, v] : s) entries.push_back({k, v});
            step_with(
                p::PollSucceeded{now, e, p::Snapshot::from_entries(std::move(entries)).value()});
            break;
          }
          case 1:
            step_with(p::PollSucceeded{now, e, std::nullopt});
            break;
          case 2:
            step_with(
                p::PollFailed{now, e, ch.chance(1, 2) ? std::uint16_t{404} : std::uint16_t{401}});
            break;
          case 3:
            step_with(p::PollFailed{now, e, 503});
            break;
          default: {
            constexpr std::uint16_t others[] = {0, 200, 400, 403, 429, 500, 502, 504};
            step_with(p::PollFailed{now, e, others[ch.below(8)]});
            break;
          }
        }
        break;
      }
      case 5:
        step_with(p::StopRequested{now});
        break;
      case 6:
        step_with(p::ReceiverGone{now});
        break;
      default:  // strays
        if (ch.chance(1, 3))
          step_with(p::Started{now});
        else if (ch.chance(1, 2))
          step_with(p::PollFailed{now, static_cast<std::size_t>(ch.below(6)), 503});
        else
          step_with(p::PollSucceeded{now, static_cast<std::size_t>(ch.below(6)), p::Snapshot{}});
        break;
    }
  }
  return run;
}

rc::Gen<std::vector<std::uint32_t>> stream(std::size_t length_max) {
  return rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, length_max + 1), [](std::size_t length) {
    return rc::gen::container<std::vector<std::uint32_t>>(length,
                                                          rc::gen::arbitrary<std::uint32_t>());
  });
}

}  // namespace

TEST_CASE("random polling sessions keep every rule after every step", "[poll][property]") {
  rc::prop("presets and random endpoints, swarm-weighted scripts", [] {
    const auto values = *stream(3000);
    tether::test::VectorChoices ch(values);
    const p::PollConfig config = draw_poll_config(ch);
    const Run run = run_random(ch, config, 400);
    if (!run.violation.empty()) {
      const std::size_t from = run.trace.size() > 4000 ? run.trace.size() - 4000 : 0;
      RC_FAIL(run.violation + "\n..." + run.trace.substr(from));
    }
  });
}

TEST_CASE("polling sessions are deterministic, in place or by value", "[poll][property]") {
  rc::prop("replaying the events gives the same effects, both ways", [] {
    const auto values = *stream(1200);
    tether::test::VectorChoices ch(values);
    const p::PollConfig config = draw_poll_config(ch);
    const Run run = run_random(ch, config, 300);
    p::PollState a = p::make_poll_session(config, run.seed).value();
    p::PollState b = p::make_poll_session(config, run.seed).value();
    std::string trace;
    for (const p::PollEvent& ev : run.events) {
      p::PollStep step = p::transition(std::move(a), ev);
      const p::PollEffects in_place = p::transition_in_place(b, ev);
      const std::string effects = describe(step.effects);
      RC_ASSERT(effects == describe(in_place));
      RC_ASSERT(p::next_deadline(step.state) == p::next_deadline(b));
      trace += describe(ev) + " ->" + effects + "\n";
      a = std::move(step.state);
    }
    RC_ASSERT(trace == run.trace);
  });
}

// --- the reference has teeth: broken reducers it must catch ---------------------

namespace {

// A failed poll "clears" the endpoint: Removed for its first key.
p::PollEffects removed_after_failed_poll(p::PollState& s, const p::PollEvent& e) noexcept {
  p::PollEffects fx = p::transition_in_place(s, e);
  const auto* f = std::get_if<p::PollFailed>(&e);
  const auto* polling = std::get_if<p::Polling>(&s.phase);
  if (f == nullptr || polling == nullptr || f->endpoint >= polling->endpoints.size()) return fx;
  const auto& snapshot = polling->endpoints[f->endpoint].snapshot;
  if (!snapshot || snapshot->empty()) return fx;
  const p::Entry first = snapshot->entries()[0];
  fx.push_back(p::Removed{f->endpoint, first.key, first.value});
  return fx;
}

// No backoff: a failed endpoint is due again 1 ms after the failure (its
// status still names the policy's delay).
p::PollEffects no_backoff(p::PollState& s, const p::PollEvent& e) noexcept {
  p::PollEffects fx = p::transition_in_place(s, e);
  const auto* f = std::get_if<p::PollFailed>(&e);
  auto* polling = std::get_if<p::Polling>(&s.phase);
  if (f == nullptr || polling == nullptr || f->endpoint >= polling->endpoints.size()) return fx;
  p::EndpointState& ep = polling->endpoints[f->endpoint];
  if (auto* w = std::get_if<p::Waiting>(&ep.activity);
      w != nullptr && ep.status.health == p::Health::backing_off)
    w->due_at = m::after(f->now, 1);
  return fx;
}

// Statuses are never reported.
p::PollEffects no_status(p::PollState& s, const p::PollEvent& e) noexcept {
  p::PollEffects fx = p::transition_in_place(s, e);
  std::erase_if(fx,
                [](const p::PollEffect& x) { return std::holds_alternative<p::ReportStatus>(x); });
  return fx;
}

// A 304 before any snapshot taken for an empty 200 (polling.md: it backs off).
p::PollEffects early_304_is_empty(p::PollState& s, const p::PollEvent& e) noexcept {
  const auto* ok = std::get_if<p::PollSucceeded>(&e);
  const auto* polling = std::get_if<p::Polling>(&s.phase);
  if (ok != nullptr && !ok->snapshot && polling != nullptr &&
      ok->endpoint < polling->endpoints.size() && !polling->endpoints[ok->endpoint].snapshot)
    return p::transition_in_place(s, p::PollSucceeded{ok->now, ok->endpoint, p::Snapshot{}});
  return p::transition_in_place(s, e);
}

// A result nobody awaits polls endpoint 0.
p::PollEffects stray_polls(p::PollState& s, const p::PollEvent& e) noexcept {
  const auto* ok = std::get_if<p::PollSucceeded>(&e);
  const auto* polling = std::get_if<p::Polling>(&s.phase);
  const bool stray =
      ok != nullptr && polling != nullptr &&
      (ok->endpoint >= polling->endpoints.size() ||
       !std::holds_alternative<p::InFlight>(polling->endpoints[ok->endpoint].activity));
  p::PollEffects fx = p::transition_in_place(s, e);
  if (stray) fx.push_back(p::Poll{0, false});
  return fx;
}

// One more poll as the session stops.
p::PollEffects poll_after_stop(p::PollState& s, const p::PollEvent& e) noexcept {
  const bool was_terminal = p::is_terminal(s);
  p::PollEffects fx = p::transition_in_place(s, e);
  if (!was_terminal && p::is_terminal(s)) fx.push_back(p::Poll{0, false});
  return fx;
}

// The run_random of seed `seed`'s choices.
Run run_seeded(std::uint64_t seed, Transition transition) {
  m::Prng prng(seed);
  std::vector<std::uint32_t> values(3000);
  for (std::uint32_t& v : values) v = static_cast<std::uint32_t>(prng.next());
  tether::test::VectorChoices ch(std::move(values));
  const p::PollConfig config = draw_poll_config(ch);
  return run_random(ch, config, 400, transition);
}

}  // namespace

TEST_CASE("the reference catches broken polling reducers in random sessions", "[poll][mutation]") {
  struct Mutant {
    const char* name;
    Transition transition;
    std::string_view rule;  // the reference's rule that must catch it first
  };
  const Mutant mutants[] = {
      {"removed_after_failed_poll", &removed_after_failed_poll, "no-removed"},
      {"no_backoff", &no_backoff, "deadline"},
      {"no_status", &no_status, "status"},
      {"early_304_is_empty", &early_304_is_empty, "status"},
      {"stray_polls", &stray_polls, "ignored"},
      {"poll_after_stop", &poll_after_stop, "stop"},
  };
  for (const Mutant& mutant : mutants) {
    std::optional<std::uint64_t> caught;
    Run run;
    for (std::uint64_t seed = 1; seed <= 300 && !caught; ++seed) {
      run = run_seeded(seed, mutant.transition);
      if (!run.violation.empty()) caught = seed;
    }
    INFO("mutant " << mutant.name);
    REQUIRE(caught.has_value());
    INFO("seed " << *caught << ": " << run.violation);
    CHECK(run.rule == mutant.rule);
    CHECK(run_seeded(*caught, &p::transition_in_place).violation.empty());
  }
}
