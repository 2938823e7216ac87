// The polled world: a swarm campaign, targeted scenarios, determinism, and a
// mutation check proving the oracle has teeth. A failing seed prints the line
// that reproduces it; TETHER_SIM_POLL_SEED=<n> with the "[.poll-replay]" test
// prints its whole trace.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <tether/model/poll/reducer.hpp>
#include <tether/model/presets.hpp>
#include <tether/sim/poll_world.hpp>
#include <variant>

using namespace tether::sim;
namespace poll = tether::model::poll;
namespace presets = tether::model::presets;

namespace {

PollScenario quiet_world(poll::Config config, Ms safety_ms) {
  PollScenario s;
  s.seed = 1;
  s.origin = "targeted";
  s.config = std::move(config);
  s.safety_ms = safety_ms;
  s.change_every_ms = 700;
  s.keys_max = 6;
  s.latency_ms_min = 5;
  s.latency_ms_max = 20;
  return s;
}

PollFault fault(PollFaultKind kind, std::uint32_t endpoint, Ms at_ms, Ms duration_ms,
                std::int64_t param = 0) {
  return PollFault{kind, endpoint, at_ms, duration_ms, param};
}

std::size_t polls_within(const EndpointReport& r, Ms from_ms, Ms to_ms) {
  std::size_t n = 0;
  for (const Ms t : r.polls_at_ms) n += t >= from_ms && t < to_ms ? 1U : 0U;
  return n;
}

}  // namespace

TEST_CASE("poll swarm scenarios are data drawn from the seed", "[poll-world]") {
  const PollScenario a = poll_swarm_scenario(42), b = poll_swarm_scenario(42);
  CHECK(a.origin == b.origin);
  CHECK(a.faults.size() == b.faults.size());
  CHECK(a.safety_ms == b.safety_ms);
  for (const PollFault& f : a.faults) CHECK(f.at_ms < a.safety_ms);
  for (std::uint64_t seed = 1; seed <= 200; ++seed)
    REQUIRE(poll::validate(poll_swarm_scenario(seed).config));
}

TEST_CASE("5000 poll swarm seeds hold every rule", "[poll-world][swarm]") {
  const auto t0 = std::chrono::steady_clock::now();
  const PollSwarmSummary sum = run_poll_swarm(1, 5000);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  for (const std::string& f : sum.failures) UNSCOPED_INFO(f);
  CHECK(sum.failing == 0);
  CHECK(sum.changes > 0);
  CHECK(sum.failed_polls > 0);
  std::printf(
      "poll swarm: %llu seeds, %llu reducer events, %llu polls (%llu failed), %llu changes, %lld "
      "ms\n",
      static_cast<unsigned long long>(sum.scenarios), static_cast<unsigned long long>(sum.events),
      static_cast<unsigned long long>(sum.polls), static_cast<unsigned long long>(sum.failed_polls),
      static_cast<unsigned long long>(sum.changes), static_cast<long long>(ms));
}

TEST_CASE("the same poll seed gives the same trace hash", "[poll-world][determinism]") {
  for (std::uint64_t seed = 500; seed < 520; ++seed)
    CHECK(run_poll(poll_swarm_scenario(seed)).trace_hash ==
          run_poll(poll_swarm_scenario(seed)).trace_hash);
  CHECK(run_poll(poll_swarm_scenario(7)).trace_hash != run_poll(poll_swarm_scenario(8)).trace_hash);
}

TEST_CASE("zero_poll against a healthy server: both cadences, a live mirror", "[poll-world]") {
  const PollRunResult r = run_poll(quiet_world(presets::zero_poll(), 60000));
  INFO(describe(r));
  REQUIRE(r.ok());
  REQUIRE(r.endpoints.size() == 2);
  CHECK(polls_within(r.endpoints[0], 0, 60000) == 12);  // 0, 5, ..., 55 s
  CHECK(polls_within(r.endpoints[1], 0, 60000) == 2);   // 0, 30 s
  CHECK(r.changes > 0);
  CHECK(r.failed_polls == 0);
}

TEST_CASE("a failing backfill backs off 5 s and never delays state", "[poll-world]") {
  PollScenario s = quiet_world(presets::zero_poll(), 60000);
  s.faults = {fault(PollFaultKind::server_error, 1, 0, 40000, 500)};
  const PollRunResult r = run_poll(s);
  INFO(describe(r));
  REQUIRE(r.ok());
  CHECK(polls_within(r.endpoints[0], 0, 60000) == 12);
  // Backfill: a failure every ~5 s (plus a round trip) while the fault lasts.
  const std::size_t backfill = polls_within(r.endpoints[1], 0, 40000);
  CHECK(backfill >= 7);
  CHECK(backfill <= 9);
}

TEST_CASE("503 bursts: a flaky endpoint is saved by the in-tick retry", "[poll-world]") {
  PollScenario s = quiet_world(presets::koprs_poll(1000), 30000);
  s.faults = {fault(PollFaultKind::flaky, 0, 0, 20000)};
  const PollRunResult r = run_poll(s);
  INFO(describe(r));
  REQUIRE(r.ok());
  CHECK(r.endpoints[0].retries_at_ms.size() >= 10);
  for (const auto& [at, st] : r.endpoints[0].statuses)
    CHECK(st.health != poll::Health::backing_off);
  SECTION("a full 503 outage backs off, doubling") {
    s.faults = {fault(PollFaultKind::unavailable, 0, 0, 20000)};
    const PollRunResult u = run_poll(s);
    INFO(describe(u));
    REQUIRE(u.ok());
    std::uint32_t failures_max = 0;
    for (const auto& [at, st] : u.endpoints[0].statuses)
      failures_max = std::max(failures_max, st.failures);
    CHECK(failures_max >= 4);  // 1 + 2 + 4 + 8 s fit in 20 s
    CHECK(polls_within(u.endpoints[0], 0, 20000) <= 6);
  }
}

TEST_CASE("404 and 401 windows are quiet: one status per change, the cadence holds",
          "[poll-world]") {
  PollScenario s = quiet_world(presets::koprs_poll(1000), 30000);
  s.faults = {fault(PollFaultKind::not_served, 0, 5000, 5000),
              fault(PollFaultKind::unauthorised, 0, 15000, 5000)};
  const PollRunResult r = run_poll(s);
  INFO(describe(r));
  REQUIRE(r.ok());
  // ok, not_served, ok, unauthorised, ok
  CHECK(r.endpoints[0].statuses.size() == 5);
  CHECK(polls_within(r.endpoints[0], 5000, 10000) == 5);
}

TEST_CASE("a late tick after a suspend polls once", "[poll-world]") {
  PollScenario s = quiet_world(presets::koprs_poll(1000), 60000);
  s.faults = {fault(PollFaultKind::suspend, all_endpoints, 10000, 30000)};
  const PollRunResult r = run_poll(s);
  INFO(describe(r));
  REQUIRE(r.ok());
  CHECK(polls_within(r.endpoints[0], 10100, 40000) == 0);
  CHECK(polls_within(r.endpoints[0], 40000, 40001) == 1);  // 30 missed ticks skipped, not bursted
  CHECK(polls_within(r.endpoints[0], 40001, 41000) == 0);
}

TEST_CASE("a malformed body and transport errors never touch the mirror", "[poll-world]") {
  PollScenario s = quiet_world(presets::koprs_poll(500), 30000);
  s.faults = {fault(PollFaultKind::malformed, 0, 3000, 5000),
              fault(PollFaultKind::transport, 0, 12000, 5000)};
  const PollRunResult r = run_poll(s);
  INFO(describe(r));
  REQUIRE(r.ok());
  CHECK(r.failed_polls >= 4);
  bool saw_200 = false;
  for (const auto& [at, st] : r.endpoints[0].statuses)
    saw_200 = saw_200 || (st.health == poll::Health::backing_off && st.http_status == 200);
  CHECK(saw_200);
}

TEST_CASE("stop and a receiver going away end the session", "[poll-world]") {
  for (const PollFaultKind kind : {PollFaultKind::stop, PollFaultKind::receiver_gone}) {
    PollScenario s = quiet_world(presets::zero_poll(), 30000);
    s.faults = {fault(kind, all_endpoints, 12000, 0)};
    const PollRunResult r = run_poll(s);
    INFO(describe(r));
    REQUIRE(r.ok());
    CHECK(r.stopped_by_scenario);
    CHECK(polls_within(r.endpoints[0], 12000, 1000000) == 0);
  }
}

// --- mutation check: every mutant is caught by some seed in 1..2000 ------------

namespace {

constexpr std::uint64_t mutant_seeds_max = 2000;

// (a) a failed poll "clears" the endpoint: Removed for its first key.
poll::Effects removed_after_failed_poll(poll::State& s, const poll::Event& e) noexcept {
  poll::Effects fx = poll::transition_in_place(s, e);
  const auto* f = std::get_if<poll::PollFailed>(&e);
  auto* p = std::get_if<poll::Polling>(&s.phase);
  if (f == nullptr || p == nullptr || f->endpoint >= p->endpoints.size()) return fx;
  auto& snapshot = p->endpoints[f->endpoint].snapshot;
  if (!snapshot || snapshot->empty()) return fx;
  const poll::Entry first = snapshot->entries()[0];
  fx.push_back(poll::Removed{f->endpoint, first.key, first.value});
  return fx;
}

// (b) a late Tick makes up for the slots it missed with an extra poll.
poll::Effects burst_missed_ticks(poll::State& s, const poll::Event& e) noexcept {
  std::vector<std::optional<tether::model::Instant>> due;
  if (const auto* p = std::get_if<poll::Polling>(&s.phase))
    for (const auto& ep : p->endpoints) {
      const auto* w = std::get_if<poll::Waiting>(&ep.activity);
      due.push_back(w != nullptr ? std::optional(w->due_at) : std::nullopt);
    }
  poll::Effects fx = poll::transition_in_place(s, e);
  const auto* t = std::get_if<poll::Tick>(&e);
  if (t == nullptr) return fx;
  const std::size_t n = fx.size();
  for (std::size_t i = 0; i < n; ++i) {
    const auto* x = std::get_if<poll::Poll>(&fx[i]);
    if (x == nullptr || x->retry_in_tick || !due[x->endpoint]) continue;
    if (t->now.ms - due[x->endpoint]->ms >= s.config->endpoints[x->endpoint].cadence_ms)
      fx.push_back(poll::Poll{x->endpoint, false});
  }
  return fx;
}

// (c) no backoff: a failed endpoint is polled again 1 ms later.
poll::Effects no_backoff(poll::State& s, const poll::Event& e) noexcept {
  poll::Effects fx = poll::transition_in_place(s, e);
  const auto* f = std::get_if<poll::PollFailed>(&e);
  auto* p = std::get_if<poll::Polling>(&s.phase);
  if (f == nullptr || p == nullptr || f->endpoint >= p->endpoints.size()) return fx;
  auto& ep = p->endpoints[f->endpoint];
  if (auto* w = std::get_if<poll::Waiting>(&ep.activity);
      w != nullptr && ep.status.health == poll::Health::backing_off)
    w->due_at = tether::model::after(f->now, 1);
  return fx;
}

// (d) stuck: after a failure the endpoint is never polled again.
poll::Effects stuck_after_failure(poll::State& s, const poll::Event& e) noexcept {
  poll::Effects fx = poll::transition_in_place(s, e);
  const auto* f = std::get_if<poll::PollFailed>(&e);
  auto* p = std::get_if<poll::Polling>(&s.phase);
  if (f == nullptr || p == nullptr || f->endpoint >= p->endpoints.size()) return fx;
  auto& ep = p->endpoints[f->endpoint];
  if (auto* w = std::get_if<poll::Waiting>(&ep.activity);
      w != nullptr && ep.status.health == poll::Health::backing_off)
    w->due_at = tether::model::Instant{tether::model::duration_ms_max};
  return fx;
}

// (e) chatty: every quiet error reports its status again.
poll::Effects quiet_spam(poll::State& s, const poll::Event& e) noexcept {
  poll::Effects fx = poll::transition_in_place(s, e);
  const auto* f = std::get_if<poll::PollFailed>(&e);
  const auto* p = std::get_if<poll::Polling>(&s.phase);
  if (f == nullptr || p == nullptr || f->endpoint >= p->endpoints.size()) return fx;
  if (f->http_status != 404 && f->http_status != 401) return fx;
  bool reported = false;
  for (const auto& x : fx) reported = reported || std::holds_alternative<poll::ReportStatus>(x);
  if (!reported) fx.push_back(poll::ReportStatus{f->endpoint, p->endpoints[f->endpoint].status});
  return fx;
}

// (f) one more poll as the session stops.
poll::Effects poll_after_stop(poll::State& s, const poll::Event& e) noexcept {
  const bool was_terminal = poll::is_terminal(s);
  poll::Effects fx = poll::transition_in_place(s, e);
  if (!was_terminal && poll::is_terminal(s)) fx.push_back(poll::Poll{0, false});
  return fx;
}

void check_caught(const char* name, PollReducer reducer) {
  PollRunOptions o;
  o.reducer = reducer;
  o.events_max = 200'000;
  std::optional<std::uint64_t> seed;
  PollRunResult caught;
  for (std::uint64_t s = 1; s <= mutant_seeds_max && !seed; ++s) {
    caught = run_poll(poll_swarm_scenario(s), o);
    if (!caught.ok()) seed = s;
  }
  INFO("mutant " << name);
  REQUIRE(seed.has_value());
  const Violation& v = caught.violations.front();
  std::printf("poll mutant %-26s caught by seed %4llu: %.*s %s\n", name,
              static_cast<unsigned long long>(*seed), static_cast<int>(v.rule.size()),
              v.rule.data(), v.message.c_str());
  INFO("seed " << *seed << " also fails with the real reducer:\n"
               << describe(run_poll(poll_swarm_scenario(*seed))));
  CHECK(run_poll(poll_swarm_scenario(*seed)).ok());
}

}  // namespace

TEST_CASE("poll mutant: Removed after a failed poll is caught", "[poll-world][mutation]") {
  check_caught("removed_after_failed_poll", &removed_after_failed_poll);
}
TEST_CASE("poll mutant: bursting missed ticks is caught", "[poll-world][mutation]") {
  check_caught("burst_missed_ticks", &burst_missed_ticks);
}
TEST_CASE("poll mutant: no backoff is caught", "[poll-world][mutation]") {
  check_caught("no_backoff", &no_backoff);
}
TEST_CASE("poll mutant: stuck after a failure is caught", "[poll-world][mutation]") {
  check_caught("stuck_after_failure", &stuck_after_failure);
}
TEST_CASE("poll mutant: quiet errors that spam is caught", "[poll-world][mutation]") {
  check_caught("quiet_spam", &quiet_spam);
}
TEST_CASE("poll mutant: a poll after stop is caught", "[poll-world][mutation]") {
  check_caught("poll_after_stop", &poll_after_stop);
}

TEST_CASE("replay one poll seed with its trace", "[.poll-replay]") {
  const char* env = std::getenv("TETHER_SIM_POLL_SEED");
  REQUIRE(env != nullptr);
  const std::uint64_t seed = std::strtoull(env, nullptr, 10);
  PollRunOptions o;
  o.keep_trace_text = true;
  const PollScenario s = poll_swarm_scenario(seed);
  const PollRunResult r = run_poll(s, o);
  std::printf("poll seed %llu (%s), %zu faults, heal at %lld ms\n%s%s",
              static_cast<unsigned long long>(seed), s.origin.c_str(), s.faults.size(),
              static_cast<long long>(r.heal_ms), r.trace.c_str(), describe(r).c_str());
  CHECK(r.ok());
}
