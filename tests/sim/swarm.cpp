// Swarm runs: random scenarios, zero violations, and the determinism sample;
// the swarm on a user's policy (swarm_scenario(seed, policy)): the policy is
// never varied and the world respects what it implies.
#include <rapidcheck/catch.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/config.hpp>
#include <tether/model/names.hpp>
#include <tether/model/presets.hpp>
#include <tether/model/prng.hpp>
#include <tether/sim/scenario_json.hpp>
#include <tether/sim/session_world.hpp>
#include <tether/sim/swarm.hpp>
#include <tether/sim/trace.hpp>
#include <utility>
#include <vector>

using namespace tether::sim;

namespace {
// The one line that reproduces a failing seed (until the tether-sim CLI exists).
std::string reproduce(std::uint64_t seed, const RunResult& r) {
  return "swarm seed " + std::to_string(seed) + " (preset " + swarm_scenario(seed).label + "):\n" +
         describe(r);
}
}  // namespace

TEST_CASE("swarm scenarios are data drawn from the seed", "[swarm]") {
  const Scenario a = swarm_scenario(42), b = swarm_scenario(42), c = swarm_scenario(43);
  CHECK(a.label == b.label);
  CHECK(a.faults.size() == b.faults.size());
  CHECK(a.safety_ms == b.safety_ms);
  CHECK((a.safety_ms != c.safety_ms || a.label != c.label || a.faults.size() != c.faults.size()));
  for (const Fault& f : a.faults) CHECK(f.at_ms < a.safety_ms);
}

// The default swarm still draws what it drew before scenarios carried a full
// configuration (issue 10): the first hash of each seed was printed by
// `tether-sim replay --seed S` before that change.
//
// Issue 11 gave the liveness bound its jitter term from model::jitter_envelope
// (full jitter tops at delay_ms_max - 1; proportional and upward lost a 1 ms
// slack), so the liveness phase ends 2 ms earlier when that term dominates the
// bound (seeds 0, 1, 7, 250). The first hash is checked with those 2 ms added
// back (Scenario::liveness_ms): nothing but the end of the run moved. The
// second is today's run.
// Three pins per seed: the base scenario (swarm_scenario_base: the draws
// without issue 11's situations, as JSON, so a change of the world alone
// leaves it alone; none of these seeds runs tether-watch's output), the scenario with its
// situations, and the trace its run gives. The traces changed once on purpose (issue 11): the world
// runs the production driver, and the server's bytes reach it in random chunk splits. The
// situations (issue 11, each from a PRNG stream of its own) left every base
// draw as it was: seeds 0 and 300 draw none, and their scenarios and traces
// are what they were; seeds 1, 7, 42, 100 and 250 draw some (1, 42: a slow
// credential source ending in a cursor too old, with a confirm timeout; 7: an
// outage limit, equal jitter and link flaps; 100: a slow credential source
// with the terminal refresh policy and rare events; 250: a quiet stream, a
// server that answers after opening, ids at the client's limit, and id resets),
// so their second and third pins moved. Every trace pin moved again when the
// trace became the event-log encoder's lines under a word-wise hash (issue
// 11, "one event printer"): the runs did not change. Issue 13's lifecycle
// situation (pauses, network changes, restarts; a stream of its own) drew
// inputs for seeds 0, 1 and 100, whose second and third pins moved; every
// base pin, and the other seeds' pins, stayed.
TEST_CASE("the default swarm's draws are unchanged", "[swarm]") {
  struct Pin {
    std::uint64_t seed;
    std::uint64_t base_hash;      // FNV-1a of to_json(swarm_scenario_base(seed))
    std::uint64_t scenario_hash;  // FNV-1a of to_json(swarm_scenario(seed))
    std::uint64_t trace_hash;
  };
  const std::vector<Pin> pinned = {
      {0, 0x6f256319331db9e4, 0xd7098d2c22b80f4b, 0x36bc0b914c1cca39},
      {1, 0x5c367bb65e0aad33, 0x17e5a526eb18ea5d, 0x4d648cdbe5cb625a},
      {7, 0x978f766ba7d58259, 0x3d35d405c623564e, 0xa601b4926b7d07fc},
      {42, 0xa65d70ec80ae0527, 0x4858a1444d953ca2, 0xf6557f6c7877fd53},
      {100, 0x557b3cd8ef6f2ea9, 0xa6c3a8220b101055, 0x201757ec47b0c5e2},
      {250, 0x9c10dfa122a996b6, 0x0f01c41d65e500bf, 0x47fa353aada0412e},
      {300, 0x7eea9d6049ce7fea, 0x7eea9d6049ce7fea, 0xa80ab02f37d3935e},
  };
  for (const Pin& pin : pinned) {
    INFO("seed " << pin.seed);
    const Scenario s = swarm_scenario(pin.seed);
    const std::uint64_t base_hash = tether::model::fnv1a64(tether::model::fnv1a64_offset,
                                                           to_json(swarm_scenario_base(pin.seed)));
    const std::uint64_t scenario_hash =
        tether::model::fnv1a64(tether::model::fnv1a64_offset, to_json(s));
    const std::uint64_t trace_hash = run_session(s).trace_hash;
    if (std::getenv("TETHER_PRINT_PINS") != nullptr)
      std::printf("{%llu, 0x%016llx, 0x%016llx, 0x%016llx},\n",
                  static_cast<unsigned long long>(pin.seed),
                  static_cast<unsigned long long>(base_hash),
                  static_cast<unsigned long long>(scenario_hash),
                  static_cast<unsigned long long>(trace_hash));
    CHECK(base_hash == pin.base_hash);
    CHECK(scenario_hash == pin.scenario_hash);
    CHECK(trace_hash == pin.trace_hash);
  }
}

TEST_CASE("1000 swarm seeds hold every guarantee", "[swarm]") {
  Coverage coverage;
  std::uint64_t events = 0;
  int failing = 0;
  for (std::uint64_t seed = 1; seed <= 1000; ++seed) {
    const RunResult r = run_session(swarm_scenario(seed));
    events += r.events;
    coverage.merge(r.coverage);
    if (!r.ok()) {
      ++failing;
      if (failing <= 5) UNSCOPED_INFO(reproduce(seed, r));
    }
  }
  CHECK(failing == 0);
  std::printf("swarm: 1000 seeds, %llu reducer events, %zu of %zu (phase, event) pairs reached\n",
              static_cast<unsigned long long>(events), coverage.pairs_reached(),
              phase_count * event_count);
}

TEST_CASE("the same seed gives the same trace hash", "[swarm][determinism]") {
  for (std::uint64_t seed = 1000; seed < 1020; ++seed) {
    RunOptions o;
    o.check_determinism = true;
    const RunResult r = run_session(swarm_scenario(seed), o);
    for (const Violation& v : r.violations) CHECK(v.guarantee != Guarantee::determinism);
  }
  CHECK(run_session(swarm_scenario(7)).trace_hash == run_session(swarm_scenario(7)).trace_hash);
  CHECK(run_session(swarm_scenario(7)).trace_hash != run_session(swarm_scenario(8)).trace_hash);
}

TEST_CASE("throughput of a batch of swarm scenarios", "[swarm][throughput]") {
  // A figure, not an assertion: wall time is never asserted on.
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t events = 0;
  for (std::uint64_t seed = 5000; seed < 5100; ++seed)
    events += run_session(swarm_scenario(seed)).events;
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("throughput: 100 swarm scenarios, %llu reducer events in %.3f s = %.0f events/s\n",
              static_cast<unsigned long long>(events), s, static_cast<double>(events) / s);
  CHECK(events > 0);
}

// Not run by default: TETHER_SIM_SEED=<n> tether_sim_tests "[.replay]" prints
// that seed's scenario verdicts and trace (until tether-sim replay exists).
TEST_CASE("replay one swarm seed", "[.replay]") {
  const char* env = std::getenv("TETHER_SIM_SEED");
  const std::uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 10) : 1;
  RunOptions o;
  o.keep_trace_text = true;
  o.events_max = 20000;
  const Scenario s = swarm_scenario(seed);
  std::printf("%s policy, %u clients, safety %lld ms\n", s.label.c_str(), s.clients,
              static_cast<long long>(s.safety_ms));
  for (const Fault& f : s.faults)
    std::printf(
        "  fault %s client %d at %lld for %lld param %lld\n", std::string(name_of(f.kind)).c_str(),
        f.client == all_clients ? -1 : static_cast<int>(f.client), static_cast<long long>(f.at_ms),
        static_cast<long long>(f.duration_ms), static_cast<long long>(f.param));
  const RunResult r = run_session(s, o);
  std::fputs(r.trace.c_str(), stdout);
  std::fputs(describe(r).c_str(), stdout);
}

// Not run by default: outcome mix and coverage of a swarm batch, to tune the generator.
TEST_CASE("swarm outcome mix", "[.stats]") {
  Coverage coverage;
  std::map<std::string, int> finals;
  std::map<int, int> by_guarantee;
  int gaps = 0, refreshes = 0, redeliveries = 0;
  for (std::uint64_t seed = 1; seed <= 2000; ++seed) {
    const RunResult r = run_session(swarm_scenario(seed));
    coverage.merge(r.coverage);
    for (const Violation& v : r.violations) {
      if (by_guarantee[number(v.guarantee)]++ == 0)
        std::printf("first g%d: seed %llu: %s\n", number(v.guarantee),
                    static_cast<unsigned long long>(seed), v.message.c_str());
    }
    for (const ClientReport& c : r.clients) {
      finals[std::string(c.final_phase) +
             (c.statuses.empty()
                  ? ""
                  : "/" + std::string(tether::model::name_of(c.statuses.back().second.reason)))]++;
      gaps += c.gaps.empty() ? 0 : 1;
      refreshes += c.refresh_rejected > 0 ? 1 : 0;
      redeliveries += c.redeliveries > 0 ? 1 : 0;
    }
  }
  for (const auto& [k, n] : finals) std::printf("final %s: %d\n", k.c_str(), n);
  for (const auto& [g, n] : by_guarantee) std::printf("g%d: %d\n", g, n);
  std::printf("clients with gaps %d, with 401 refreshes %d, with re-deliveries %d\n", gaps,
              refreshes, redeliveries);
  for (const std::string& p : coverage.never_reached()) std::printf("never: %s\n", p.c_str());
}

// --- swarm_scenario(seed, policy): the user's policy, never varied -------------------

namespace {

namespace model = tether::model;

// Every field, as the configuration format writes it: two configurations are
// the same policy iff these agree.
std::string config_text(const model::SessionConfig& c) {
  tether::io::Config config;
  config.session = c;
  return tether::io::to_json(config, true);
}

// A policy no preset has: aviso's base with a 1113 ms first delay, a retry
// budget, a confirm timeout and the default strict gaps.
model::SessionConfig custom_policy() {
  model::SessionConfig c = model::presets::aviso();
  c.backoff.delay_ms_initial = 1113;
  c.backoff.delay_ms_max = 40000;
  c.backoff.jitter = model::JitterKind::equal;
  c.budget.tokens_max = 4;
  c.budget.refill_ms_per_token = 3000;
  c.connect.confirm_timeout_ms = 3000;
  c.resume.start = model::Cursor::at_sequence(0);
  return c;
}

bool has_fault(const Scenario& s, FaultKind kind) {
  return std::any_of(s.faults.begin(), s.faults.end(),
                     [kind](const Fault& f) { return f.kind == kind; });
}

// What a policy implies about the world, as one check per rule; the first
// broken rule, or "" when the scenario respects the policy.
std::string broken_rule(const Scenario& s, const model::SessionConfig& policy) {
  const WorldParams& w = s.world;
  if (config_text(s.config) != config_text(policy)) return "the policy was varied";
  if (w.filter_skip_every >= 2 && policy.resume.gaps != model::GapDetection::relaxed)
    return "a filtered stream for a policy with strict gaps";
  if (w.auth && !policy.auth.has_provider) return "an auth world for a policy without a provider";
  if (!w.auth && (has_fault(s, FaultKind::auth_revoked) || has_fault(s, FaultKind::token_expiry)))
    return "auth faults without an auth world";
  if (!policy.heartbeat && has_fault(s, FaultKind::half_open))
    return "half-open links without a heartbeat policy";
  if (w.replay_end_sequence > 0 && policy.resume.mode != model::StreamMode::replay_only)
    return "a replay that ends for a policy that watches";
  if (4 * w.latency_ms_max > policy.connect.timeout_ms)
    return "a round trip that does not fit the connect timeout";
  if (w.refresh_ms >= policy.auth.refresh_timeout_ms) return "refreshes slower than their timeout";
  const auto beats_within = [&](Ms budget) {
    return w.heartbeat_every_ms > 0 && w.heartbeat_every_ms <= std::max<Ms>(1, budget / 2) &&
           w.latency_ms_max - w.latency_ms_min <= budget / 4;
  };
  if (policy.heartbeat && !beats_within(policy.heartbeat->budget_ms()))
    return "server heartbeats or latency spread outside the heartbeat budget";
  if (policy.connect.confirm_timeout_ms > 0 && !beats_within(policy.connect.confirm_timeout_ms))
    return "server heartbeats or latency spread outside the confirm timeout";
  for (const Fault& f : s.faults)
    if (f.at_ms < 0 || f.at_ms >= s.safety_ms) return "a fault outside the safety phase";
  return "";
}

}  // namespace

TEST_CASE("policy swarm: the policy runs exactly, for every seed", "[swarm][policy]") {
  const model::SessionConfig policy = custom_policy();
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    const Scenario s = swarm_scenario(seed, policy);
    INFO("seed " << seed);
    CHECK(s.label == "custom");
    CHECK(broken_rule(s, policy).empty());
  }
  // The world still varies from seed to seed.
  CHECK(swarm_scenario(1, policy).world.append_every_ms !=
        swarm_scenario(2, policy).world.append_every_ms);
}

TEST_CASE("policy swarm: strict gaps never meet a filtered stream, relaxed gaps do",
          "[swarm][policy]") {
  model::SessionConfig policy = custom_policy();
  int filtered = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed)
    filtered += swarm_scenario(seed, policy).world.filter_skip_every >= 2 ? 1 : 0;
  CHECK(filtered == 0);
  policy.resume.gaps = model::GapDetection::relaxed;
  for (std::uint64_t seed = 1; seed <= 300; ++seed)
    filtered += swarm_scenario(seed, policy).world.filter_skip_every >= 2 ? 1 : 0;
  CHECK(filtered > 30);  // about 20% of seeds
}

TEST_CASE("policy swarm: no auth provider never meets an auth world or token faults",
          "[swarm][policy]") {
  model::SessionConfig policy = custom_policy();
  policy.auth.has_provider = false;
  int auth_worlds = 0, token_faults = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    const Scenario s = swarm_scenario(seed, policy);
    auth_worlds += s.world.auth ? 1 : 0;
    token_faults +=
        has_fault(s, FaultKind::token_expiry) || has_fault(s, FaultKind::auth_revoked) ? 1 : 0;
  }
  CHECK(auth_worlds == 0);
  CHECK(token_faults == 0);
  policy.auth.has_provider = true;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    const Scenario s = swarm_scenario(seed, policy);
    auth_worlds += s.world.auth ? 1 : 0;
    token_faults +=
        has_fault(s, FaultKind::token_expiry) || has_fault(s, FaultKind::auth_revoked) ? 1 : 0;
  }
  CHECK(auth_worlds > 100);  // about half
  CHECK(token_faults > 10);
}

TEST_CASE("policy swarm: half-open links only with a heartbeat policy", "[swarm][policy]") {
  model::SessionConfig policy = custom_policy();
  policy.heartbeat.reset();
  policy.connect.confirm_timeout_ms = 0;
  int half_open = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed)
    half_open += has_fault(swarm_scenario(seed, policy), FaultKind::half_open);
  CHECK(half_open == 0);
  policy.heartbeat = model::HeartbeatPolicy{};
  for (std::uint64_t seed = 1; seed <= 300; ++seed)
    half_open += has_fault(swarm_scenario(seed, policy), FaultKind::half_open);
  CHECK(half_open > 10);
}

TEST_CASE("policy swarm: the world fits tight timeouts instead of failing on them",
          "[swarm][policy]") {
  model::SessionConfig policy = custom_policy();
  policy.connect.timeout_ms = 200;  // a round trip of at most 50 ms each way
  policy.auth.has_provider = true;
  policy.auth.refresh_timeout_ms = 300;  // refreshes answer in under 150 ms
  policy.heartbeat =
      model::HeartbeatPolicy{.interval_ms = 400, .interval_multiple = 1, .slack_ms = 0};
  policy.connect.confirm_timeout_ms = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const Scenario s = swarm_scenario(seed, policy);
    INFO("seed " << seed << "\n" << to_json(s));
    REQUIRE(broken_rule(s, policy).empty());
    const RunResult r = run_session(s);
    INFO(describe(r));
    CHECK(r.ok());
  }
}

namespace {

// Whether some client of some seed ended in `phase` for `reason`.
struct Ended {
  std::string_view phase;
  model::Reason reason;
  bool operator()(const ClientReport& c) const {
    return c.final_phase == phase && !c.statuses.empty() &&
           c.statuses.back().second.reason == reason;
  }
};

struct PrescribedCase {
  const char* name;
  void (*set)(model::SessionConfig&);
  std::optional<Ended> outcome;  // must happen in some seed (nullopt: 0 violations is the point)
};

}  // namespace

TEST_CASE("policy swarm: outcomes the policy prescribes are no violations", "[swarm][policy]") {
  const std::vector<PrescribedCase> cases = {
      {"give up after 2 attempts", [](model::SessionConfig& c) { c.give_up.attempts_max = 2; },
       Ended{"GaveUp", model::Reason::attempts_exhausted}},
      {"give up after a 20 s outage",
       [](model::SessionConfig& c) { c.give_up.outage_ms_max = 20000; },
       Ended{"GaveUp", model::Reason::outage_too_long}},
      {"too old = fail",
       [](model::SessionConfig& c) { c.resume.too_old = model::TooOldPolicy::fail; },
       Ended{"Failed", model::Reason::cursor_too_old}},
      {"a failed refresh is terminal",
       [](model::SessionConfig& c) {
         c.auth.has_provider = true;
         c.auth.on_refresh_failure = model::RefreshFailure::terminal;
       },
       Ended{"Failed", model::Reason::auth_refresh_failed}},
      {"replay only, from sequence 0",
       [](model::SessionConfig& c) {
         c.resume.mode = model::StreamMode::replay_only;
         c.resume.start = model::Cursor::at_sequence(0);
       },
       Ended{"Stopped", model::Reason::replay_complete}},
      {"a retry budget of one token per 30 s",
       [](model::SessionConfig& c) {
         c.budget.tokens_max = 1;
         c.budget.refill_ms_per_token = 30000;
       },
       std::nullopt},
      {"commit on the next delivery, checkpoints every 20",
       [](model::SessionConfig& c) {
         c.resume.commit = model::CommitPolicy::on_next_delivery;
         c.resume.checkpoint_every_events = 20;
       },
       std::nullopt},
      {"start where the server decides (live)",
       [](model::SessionConfig& c) { c.resume.start = model::Cursor{}; }, std::nullopt},
      {"no jitter, stable-period reset, clean-close delay",
       [](model::SessionConfig& c) {
         c.backoff.jitter = model::JitterKind::none;
         c.backoff.reset_on = model::ResetOn::stable_period;
         c.backoff.stable_ms = 20000;
         c.backoff.clean_close_delay_ms = 1500;
       },
       std::nullopt},
      {"no heartbeat, no provider",
       [](model::SessionConfig& c) {
         c.heartbeat.reset();
         c.connect.confirm_timeout_ms = 0;
         c.auth.has_provider = false;
       },
       std::nullopt},
  };
  for (const PrescribedCase& k : cases) {
    model::SessionConfig policy = custom_policy();
    k.set(policy);
    REQUIRE(model::validate(policy));
    bool seen = false;
    int failing = 0;
    for (std::uint64_t seed = 1; seed <= 150; ++seed) {
      const RunResult r = run_session(swarm_scenario(seed, policy));
      if (!r.ok() && ++failing <= 3)
        UNSCOPED_INFO(k.name << ": seed " << seed << "\n" << describe(r));
      if (k.outcome) seen = seen || std::any_of(r.clients.begin(), r.clients.end(), *k.outcome);
    }
    INFO(k.name);
    CHECK(failing == 0);
    if (k.outcome) CHECK(seen);
  }
}

namespace {

// A random valid policy: every field of SessionConfig drawn over a wide but
// simulable range (delays up to minutes, not years), on a random preset base.
model::SessionConfig random_policy(model::Prng& p) {
  const auto all = model::presets::all();
  model::SessionConfig c =
      all[static_cast<std::size_t>(p.uniform(0, static_cast<std::int64_t>(all.size()) - 1))].make();
  const auto pick = [&p](std::int64_t percent) { return p.uniform(0, 99) < percent; };
  model::BackoffPolicy& b = c.backoff;
  b.delay_ms_initial = p.uniform(1, 5000);
  b.multiplier = 1.0 + static_cast<double>(p.uniform(0, 200)) / 100.0;
  b.delay_ms_max = b.delay_ms_initial + p.uniform(0, 120000);
  b.jitter = static_cast<model::JitterKind>(p.uniform(0, 5));
  b.jitter_fraction = static_cast<double>(p.uniform(0, 100)) / 100.0;
  b.reset_on = pick(30) ? model::ResetOn::stable_period : model::ResetOn::first_frame;
  b.stable_ms = p.uniform(1, 180000);
  b.short_session_ms = p.uniform(0, 10000);
  b.short_session_delay_ms_min = p.uniform(0, 10000);
  b.clean_close_delay_ms = pick(30) ? p.uniform(0, 5000) : 0;
  b.hint_ms_max = p.uniform(0, 600000);
  b.honour_retry_after = pick(80);
  b.honour_sse_retry = pick(80);
  b.restored_delay_ms_max = p.uniform(0, 5000);
  c.give_up.attempts_max = pick(15) ? static_cast<std::uint32_t>(p.uniform(1, 30)) : 0;
  c.give_up.outage_ms_max = pick(15) ? p.uniform(1000, 300000) : 0;
  c.budget.tokens_max = pick(30) ? static_cast<std::uint32_t>(p.uniform(1, 10)) : 0;
  c.budget.refill_ms_per_token = p.uniform(1, 20000);
  c.connect.timeout_ms = p.uniform(50, 30000);
  c.connect.timeout_tracks_backoff = pick(30);
  c.connect.confirm_timeout_ms = pick(30) ? p.uniform(100, 10000) : 0;
  if (pick(25))
    c.heartbeat.reset();
  else
    c.heartbeat =
        model::HeartbeatPolicy{p.uniform(100, 60000), p.uniform(1, 5), p.uniform(0, 60000)};
  c.auth.has_provider = pick(70);
  c.auth.refresh_ahead_ms = p.uniform(0, 120000);
  c.auth.refresh_timeout_ms = p.uniform(1, 60000);
  c.auth.on_refresh_failure =
      pick(20) ? model::RefreshFailure::terminal : model::RefreshFailure::backoff;
  model::ResumePolicy& r = c.resume;
  const std::int64_t start = p.uniform(0, 9);
  r.start = start < 6   ? model::Cursor::at_sequence(0)
            : start < 8 ? model::Cursor{}
                        : model::Cursor::at_sequence(static_cast<std::uint64_t>(p.uniform(1, 50)));
  r.mode = pick(10) && r.start.kind != model::CursorKind::none ? model::StreamMode::replay_only
                                                               : model::StreamMode::watch;
  r.commit = pick(30) ? model::CommitPolicy::on_next_delivery : model::CommitPolicy::on_ack;
  r.checkpoint_every_events = static_cast<std::uint32_t>(p.uniform(1, 50));
  r.checkpoint_every_ms = pick(40) ? p.uniform(1, 10000) : 0;
  r.checkpoint_retry_ms_min = p.uniform(1, 5000);
  r.checkpoint_retry_ms_max = r.checkpoint_retry_ms_min + p.uniform(0, 120000);
  r.gaps = pick(30) ? model::GapDetection::relaxed : model::GapDetection::strict;
  r.too_old = static_cast<model::TooOldPolicy>(p.uniform(0, 2));
  return c;
}

}  // namespace

TEST_CASE("policy swarm: any valid policy, any seed: the world respects it and nothing is violated",
          "[swarm][policy][property]") {
  // ~100 cases (RapidCheck's default max_success).
  rc::prop("respected and held", [](std::uint64_t policy_seed, std::uint64_t seed) {
    model::Prng p = model::Prng::derive(policy_seed, 0x9011C7);
    const model::SessionConfig policy = random_policy(p);
    RC_ASSERT(model::validate(policy).has_value());
    const Scenario s = swarm_scenario(seed, policy);
    RC_LOG() << to_json(s);
    RC_ASSERT(broken_rule(s, policy) == "");
    const RunResult r = run_session(s);
    RC_LOG() << describe(r);
    RC_ASSERT(r.ok());
  });
}
