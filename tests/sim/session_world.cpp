// Hand-built scenarios for the classic failures, each asserting its outcome.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <tether/model/session.hpp>
#include <tether/sim/session_world.hpp>
#include <vector>

#include "status_history.hpp"

using namespace tether::sim;
namespace model = tether::model;
using tether::sim::test::backoffs;

namespace {

Scenario base() { return tether::sim::test::aviso_base(120000); }

// TETHER_SIM_TRACE=1 prints each scenario's trace.
RunResult run_ok(const Scenario& s) {
  RunOptions o;
  o.keep_trace_text = std::getenv("TETHER_SIM_TRACE") != nullptr;
  const RunResult r = run_session(s, o);
  if (o.keep_trace_text) std::fputs(r.trace.c_str(), stdout);
  INFO(describe(r));
  REQUIRE(r.ok());
  return r;
}

}  // namespace

TEST_CASE("a healthy world: every client streams every event once", "[run]") {
  Scenario s = base();
  s.clients = 3;
  const RunResult r = run_ok(s);
  for (const ClientReport& c : r.clients) {
    CHECK(c.final_phase == "Stopped");
    CHECK(c.connect_at_ms.size() == 1);
    CHECK(c.deliveries == c.last_sequence);
    CHECK(c.durable_sequence == c.last_sequence);
    CHECK(c.last_sequence + 2 >= r.server_head);
  }
}

TEST_CASE("connect-then-drop flapping server: the attempt rate stays within policy", "[run]") {
  Scenario s = base();  // aviso: short sessions (< 5 s) wait at least 5 s
  s.world.connection_ms_max = 300;
  const RunResult r = run_ok(s);
  const auto& connects = r.clients[0].connect_at_ms;
  const auto in_safety =
      std::count_if(connects.begin(), connects.end(), [&](Ms t) { return t < s.safety_ms; });
  CHECK(in_safety >= 10);
  CHECK(in_safety <= s.safety_ms / 5000 + 1);
  for (std::size_t k = 1; k < connects.size() && connects[k] < s.safety_ms; ++k)
    CHECK(connects[k] - connects[k - 1] >= 5000);
}

TEST_CASE("a half-open link is detected within the heartbeat budget", "[run]") {
  Scenario s = base();  // aviso heartbeat: 30 s interval, budget 90 s
  s.faults.push_back(Fault{FaultKind::half_open, 0, 20000, 5000});
  const RunResult r = run_ok(s);
  const auto hb = backoffs(r, model::Reason::heartbeat_timeout);
  REQUIRE(hb.size() == 1);
  CHECK(hb[0].first <= 20000 + 90000);
  CHECK(hb[0].first >= 20000 + 90000 - 10000 - 100);  // the last heartbeat came < 10 s before
}

TEST_CASE("a cursor too old: an explicit gap, then the configured policy", "[run]") {
  Scenario s = base();
  s.world.retention_ms = 10000;
  s.faults.push_back(Fault{FaultKind::partition, 0, 20000, 40000});
  s.faults.push_back(Fault{FaultKind::reset, 0, 20000, 0});  // reconnects find the cursor expired
  SECTION("resync from the oldest retained event") {
    s.config.resume.too_old = model::TooOldPolicy::resync_from_oldest;
    const RunResult r = run_ok(s);
    REQUIRE_FALSE(r.clients[0].gaps.empty());
    const model::ReportGap g = r.clients[0].gaps[0].second;
    CHECK(g.cause == model::GapCause::cursor_too_old);
    REQUIRE(g.from_sequence);
    CHECK(*g.from_sequence <= 41);
    CHECK(r.clients[0].final_phase == "Stopped");
  }
  SECTION("fail") {
    s.config.resume.too_old = model::TooOldPolicy::fail;
    const RunResult r = run_ok(s);  // failing is the policy: liveness does not apply
    CHECK(r.clients[0].gaps.size() == 1);
    CHECK(r.clients[0].final_phase == "Failed");
  }
}

TEST_CASE("401 mid-stream: one refresh, then streaming again", "[run]") {
  Scenario s = base();
  s.config.auth.has_provider = true;
  s.world.auth = true;
  s.world.app_knows_expiry = false;
  s.faults.push_back(Fault{FaultKind::token_expiry, 0, 30000, 0});
  s.faults.push_back(Fault{FaultKind::reset, 0, 31000, 0});
  const RunResult r = run_ok(s);
  CHECK(r.clients[0].refresh_rejected == 1);
  CHECK(r.clients[0].final_phase == "Stopped");
  CHECK(r.clients[0].last_sequence + 2 >= r.server_head);
}

TEST_CASE("a second 401 after a refresh is terminal", "[run]") {
  Scenario s = base();
  s.config.auth.has_provider = true;
  s.world.auth = true;
  s.faults.push_back(Fault{FaultKind::auth_revoked, all_clients, 30000, 30000});
  s.faults.push_back(Fault{FaultKind::reset, 0, 31000, 0});
  const RunResult r = run_ok(s);
  CHECK(r.clients[0].refresh_rejected == 1);
  CHECK(r.clients[0].final_phase == "Failed");
  CHECK(r.clients[0].statuses.back().second.reason == model::Reason::rejected_after_refresh);
}

TEST_CASE("a Retry-After longer than the hint ceiling is clamped", "[run]") {
  Scenario s = base();  // aviso: hints capped at 300 s
  s.faults.push_back(Fault{FaultKind::rate_limit, all_clients, 10000, 10000, 3600000});
  s.faults.push_back(Fault{FaultKind::reset, 0, 10000, 0});
  const RunResult r = run_ok(s);
  const auto rl = backoffs(r, model::Reason::rate_limited);
  REQUIRE(rl.size() == 1);
  // The 300 s ceiling is a floor the first draw of aviso's full jitter
  // ([0, 250) ms) lands above: clamped, and still spread.
  CHECK(rl[0].second >= 300000);
  CHECK(rl[0].second < 300250);
}

TEST_CASE("a crash between delivery and checkpoint: re-delivery bounded by the batch", "[run]") {
  Scenario s = base();
  s.config.resume.checkpoint_every_events = 10;
  s.world.store_write_ms = 20;
  s.faults.push_back(Fault{FaultKind::crash, 0, 34100, 2000});  // 8 acked since the save at 60
  const RunResult r = run_ok(s);
  CHECK(r.clients[0].redeliveries > 0);
  CHECK(r.clients[0].redeliveries <= 10);
  CHECK(r.clients[0].final_phase == "Stopped");
}

TEST_CASE("a power loss in the middle of a checkpoint save restarts from the old or the new one",
          "[run][torn]") {
  // The production store over the simulated disk: the process dies at a random
  // step of the save (read, write the temporary file, fsync, rename, sync the
  // directory), and the disk keeps only what was durable, tearing unsynced
  // bytes. The next process loads the checkpoint before the save (about
  // sequence 20: about 10 more come again) or the one it wrote (about 30),
  // never a torn file and never an error; nothing is lost (run_ok).
  int old_kept = 0, new_kept = 0;
  for (std::uint64_t seed = 1; seed <= 24; ++seed) {
    Scenario s = base();
    s.seed = seed;
    s.config.resume.checkpoint_every_events = 10;
    s.world.store_write_ms = 5000;  // a save is under way for 5 s after each batch
    s.faults.push_back(Fault{FaultKind::torn_write, 0, 32000, 2000, 0});
    const RunResult r = run_ok(s);
    const ClientReport& c = r.clients[0];
    INFO("seed " << seed);
    CHECK(c.writes_torn == 1);
    CHECK(c.redeliveries <= 20);
    CHECK(c.final_phase == "Stopped");
    (c.redeliveries > 10 ? old_kept : new_kept) += 1;
  }
  CHECK(old_kept > 0);
  CHECK(new_kept > 0);
}

TEST_CASE("stop during backoff: the checkpoint is flushed and nothing more is tried", "[run]") {
  Scenario s = base();
  s.config.resume.checkpoint_every_events = 50;
  s.faults.push_back(Fault{FaultKind::partition, 0, 10000, 100000});
  s.faults.push_back(Fault{FaultKind::reset, 0, 10000, 0});
  s.faults.push_back(Fault{FaultKind::stop, 0, 40000, 0});
  const RunResult r = run_ok(s);
  const ClientReport& c = r.clients[0];
  CHECK(c.final_phase == "Stopped");
  CHECK(std::none_of(c.connect_at_ms.begin(), c.connect_at_ms.end(),
                     [](Ms t) { return t >= 40000; }));
  CHECK(c.durable_sequence == c.last_sequence);
  CHECK(c.last_sequence > 0);
}

TEST_CASE("clock suspend across a token expiry: refreshed on wake", "[run]") {
  Scenario s = base();
  s.config.auth.has_provider = true;
  s.world.auth = true;
  s.world.token_lifetime_ms = 90000;  // proactive refresh from 30 s on
  s.faults.push_back(Fault{FaultKind::suspend, 0, 20000, 80000});
  const RunResult r = run_ok(s);
  // Nothing ran while suspended: the refresh due at 30 s happens at wake.
  REQUIRE(r.clients[0].refresh_expiring >= 1);
  CHECK(r.clients[0].refresh_at_ms[0] == 100000);
  CHECK(r.clients[0].connect_at_ms.size() == 1);  // the socket buffered; the stream lives
}

TEST_CASE("a server restart that loses history reports the gap", "[run]") {
  Scenario s = base();
  s.faults.push_back(Fault{FaultKind::partition, 0, 10000, 20000});
  s.faults.push_back(Fault{FaultKind::reset, 0, 10000, 0});  // client 0 is away during the restart
  s.faults.push_back(Fault{FaultKind::server_restart, all_clients, 20000, 1000, 1});
  const RunResult r = run_ok(s);
  REQUIRE_FALSE(r.clients[0].gaps.empty());
  CHECK(r.clients[0].gaps[0].second.cause == model::GapCause::cursor_too_old);
}

// Regression (found by the swarm as a hot loop): a CheckpointSaveFailed of a
// write already superseded by a newer request rewound and re-requested, so with
// a failing store every outstanding write spawned a new one.
TEST_CASE("a failed superseded checkpoint write does not spawn another", "[run]") {
  auto cfg = make_config("aviso", {}).value();
  auto made = model::make(cfg);
  REQUIRE(made);
  model::State st = std::move(*made);
  const auto at = [](Ms t) { return model::Instant{t}; };
  (void)model::transition_in_place(st, model::Started{at(0), std::nullopt, std::nullopt});
  (void)model::transition_in_place(st, model::ConnectionOpened{at(1)});
  for (std::uint64_t k = 1; k <= 3; ++k) {
    (void)model::transition_in_place(st,
                                     model::FrameReceived{at(2), k, std::nullopt, std::nullopt, k});
    (void)model::transition_in_place(st,
                                     model::DeliveryAcked{at(2), k, model::Cursor::at_sequence(k)});
  }
  // Saves 1, 2, 3 are in flight; the store fails all three. Only the newest
  // failure counts, and its retry waits for the save backoff
  // (checkpoint_retry_ms_min): nothing at once, then one save of the newest commit.
  const auto saves_of = [](const model::Effects& fx) {
    std::vector<std::uint64_t> ids;
    for (const model::Effect& e : fx)
      if (const auto* k = std::get_if<model::SaveCheckpoint>(&e)) ids.push_back(k->delivery_id);
    return ids;
  };
  std::vector<std::uint64_t> at_once;
  for (std::uint64_t k = 1; k <= 3; ++k)
    for (const std::uint64_t id :
         saves_of(model::transition_in_place(st, model::CheckpointSaveFailed{at(3), k})))
      at_once.push_back(id);
  CHECK(at_once.empty());
  const Ms retry_ms = cfg.resume.checkpoint_retry_ms_min;
  CHECK(saves_of(model::transition_in_place(st, model::Tick{at(3 + retry_ms - 1)})).empty());
  CHECK(saves_of(model::transition_in_place(st, model::Tick{at(3 + retry_ms)})) ==
        std::vector<std::uint64_t>{3});
}

TEST_CASE("opaque ids: acks and resumes go by token, across resets and a crash", "[run][ids]") {
  Scenario s = base();
  s.world.opaque_ids = true;
  s.config.resume.checkpoint_every_events = 5;
  s.faults.push_back(Fault{FaultKind::reset, 0, 20000, 0});
  s.faults.push_back(Fault{FaultKind::crash, 0, 50000, 3000});
  s.faults.push_back(Fault{FaultKind::server_restart, all_clients, 80000, 2000, 0});
  const RunResult r = run_ok(s);
  const ClientReport& c = r.clients[0];
  CHECK(c.connect_at_ms.size() >= 4);
  CHECK(c.last_sequence + 5 >= r.server_head);
  CHECK(c.gaps.empty());
}

TEST_CASE("opaque ids across a restart that lost the history (new epoch)", "[run][ids]") {
  Scenario s = base();
  s.world.opaque_ids = true;
  s.config.resume.too_old = model::TooOldPolicy::resume_from_live;
  s.faults.push_back(Fault{FaultKind::server_restart, all_clients, 30000, 2000, 1});
  const RunResult r = run_ok(s);  // a caught-up client's old-epoch id still resumes
  CHECK(r.clients[0].redeliveries == 0);
  CHECK(r.clients[0].final_phase == "Stopped");
}

// Ids at the limit (issue 11): every id exactly as long as the client accepts
// (io::DriverOptions::id_bytes_max = Token::capacity), through the production
// SSE parser and the driver's id guard, in acks, checkpoints and resumes.
TEST_CASE("opaque ids as long as the client's limit: acks and resumes by 1024-byte tokens",
          "[run][ids]") {
  Scenario s = base();
  s.world.opaque_ids = true;
  s.world.id_bytes = model::Token::capacity;
  s.config.resume.checkpoint_every_events = 5;
  s.faults.push_back(Fault{FaultKind::reset, 0, 20000, 0});
  s.faults.push_back(Fault{FaultKind::crash, 0, 50000, 3000});
  const RunResult r = run_ok(s);
  const ClientReport& c = r.clients[0];
  CHECK(c.connect_at_ms.size() >= 3);
  CHECK(c.last_sequence + 5 >= r.server_head);
  CHECK(c.redeliveries <= 5);  // resumed by the durable 1024-byte token, not from the start
  CHECK(c.final_phase == "Stopped");
}

TEST_CASE("a filtered stream skips sequences without a gap under relaxed detection",
          "[run][filter]") {
  Scenario s = base();
  s.world.filter_skip_every = 3;
  s.config.resume.gaps = model::GapDetection::relaxed;
  s.faults.push_back(Fault{FaultKind::reset, 0, 20000, 0});
  const RunResult r = run_ok(s);
  const ClientReport& c = r.clients[0];
  CHECK(c.gaps.empty());
  CHECK(c.last_sequence % 3 != 0);
  CHECK(c.deliveries < r.server_head);  // a third never came
}

// Under strict detection the skipped sequences are events the server lost
// (issue 11: a lossy server), and each one is reported, exactly: the oracle
// fails a silent one and a spurious one.
TEST_CASE("a lossy server: under strict detection every event it skips is reported as a gap",
          "[run][filter]") {
  Scenario s = base();
  s.world.filter_skip_every = 3;
  s.config.resume.gaps = model::GapDetection::strict;
  s.faults.push_back(Fault{FaultKind::reset, 0, 20000, 0});
  const RunResult r = run_ok(s);
  const ClientReport& c = r.clients[0];
  REQUIRE(c.gaps.size() >= 10);
  for (const auto& [at_ms, gap] : c.gaps) {
    CHECK(gap.cause == model::GapCause::missing);
    REQUIRE(gap.from_sequence.has_value());
    CHECK(*gap.from_sequence % 3 == 0);
    CHECK(gap.to_sequence == gap.from_sequence);
  }
}

// Regression (issue 10): a policy no preset has could be simulated only by
// swapping a config in through RunOptions::reducer, and the oracle, built from
// the preset, judged the custom backoff against the preset's bounds (a false
// backoff_bounds: "backoff 1113 ms after failure 1 ... outside [0, 500]").
// The scenario now carries the full configuration, which both the clients and
// the oracle use.
TEST_CASE("a custom backoff runs exactly as configured, judged against itself", "[run][config]") {
  Scenario s = base();
  s.label = "custom";
  s.config.backoff.delay_ms_initial = 1113;  // no preset's value
  s.config.backoff.delay_ms_max = 20000;
  s.config.backoff.jitter = model::JitterKind::none;
  s.faults.push_back(Fault{FaultKind::partition, 0, 20000, 40000});
  s.faults.push_back(Fault{FaultKind::reset, 0, 20000, 0});
  const RunResult r = run_ok(s);
  const auto reset = backoffs(r, model::Reason::transport_error);
  REQUIRE(reset.size() == 1);
  CHECK(reset[0].second == 1113);  // failure 1: delay_ms_initial, no jitter
  const auto timeouts = backoffs(r, model::Reason::connect_timeout);
  REQUIRE(timeouts.size() >= 2);
  CHECK(timeouts[0].second == 2226);  // failure 2: 1113 * 2
  CHECK(timeouts[1].second == 4452);
  CHECK(r.clients[0].final_phase == "Stopped");
}

TEST_CASE("an invalid configuration is an error naming the field, not a run", "[run][config]") {
  Scenario s = base();
  s.config.backoff.delay_ms_max = s.config.backoff.delay_ms_initial - 1;
  const RunResult r = run_session(s);
  CHECK(r.events == 0);
  CHECK(r.error.find("backoff.delay_ms_max") != std::string::npos);
}

// The simulator runs a configuration exactly as written, so it must refuse
// every one the model's rules refuse (one per rule, at its edge) and run every
// one they allow at the edge (issue 11: a validation rule off by one passed
// the whole campaign, which only draws valid configurations).
TEST_CASE(
    "every configuration rule: just outside it is refused naming its field, at its edge the run "
    "goes",
    "[run][config]") {
  using Edit = void (*)(model::SessionConfig&);
  struct Rule {
    const char* field;
    Edit outside;
    Edit edge;
  };
  const Rule rules[] = {
      {"backoff.delay_ms_initial", [](model::SessionConfig& c) { c.backoff.delay_ms_initial = 0; },
       [](model::SessionConfig& c) { c.backoff.delay_ms_initial = 1; }},
      {"backoff.multiplier", [](model::SessionConfig& c) { c.backoff.multiplier = 0.999; },
       [](model::SessionConfig& c) { c.backoff.multiplier = 1.0; }},
      {"backoff.delay_ms_max",
       [](model::SessionConfig& c) { c.backoff.delay_ms_max = c.backoff.delay_ms_initial - 1; },
       [](model::SessionConfig& c) { c.backoff.delay_ms_max = c.backoff.delay_ms_initial; }},
      {"backoff.jitter_fraction",
       [](model::SessionConfig& c) { c.backoff.jitter_fraction = 1.001; },
       [](model::SessionConfig& c) { c.backoff.jitter_fraction = 1.0; }},
      {"backoff.stable_ms",
       [](model::SessionConfig& c) {
         c.backoff.reset_on = model::ResetOn::stable_period;
         c.backoff.stable_ms = 0;
       },
       [](model::SessionConfig& c) {
         c.backoff.reset_on = model::ResetOn::stable_period;
         c.backoff.stable_ms = 1;
       }},
      {"backoff.short_session_ms", [](model::SessionConfig& c) { c.backoff.short_session_ms = -1; },
       [](model::SessionConfig& c) { c.backoff.short_session_ms = 0; }},
      {"backoff.clean_close_delay_ms",
       [](model::SessionConfig& c) { c.backoff.clean_close_delay_ms = -1; },
       [](model::SessionConfig& c) { c.backoff.clean_close_delay_ms = 0; }},
      {"give_up.outage_ms_max", [](model::SessionConfig& c) { c.give_up.outage_ms_max = -1; },
       [](model::SessionConfig& c) { c.give_up.outage_ms_max = 0; }},
      {"budget.tokens_max", [](model::SessionConfig& c) { c.budget.tokens_max = 1000001; },
       [](model::SessionConfig& c) { c.budget.tokens_max = 1000000; }},
      {"budget.refill_ms_per_token",
       [](model::SessionConfig& c) { c.budget.refill_ms_per_token = 0; },
       [](model::SessionConfig& c) { c.budget.refill_ms_per_token = 1; }},
      {"connect.timeout_ms", [](model::SessionConfig& c) { c.connect.timeout_ms = 0; },
       [](model::SessionConfig& c) { c.connect.timeout_ms = 1000; }},
      {"connect.confirm_timeout_ms",
       [](model::SessionConfig& c) { c.connect.confirm_timeout_ms = -1; },
       [](model::SessionConfig& c) { c.connect.confirm_timeout_ms = 0; }},
      {"heartbeat.interval_multiple",
       [](model::SessionConfig& c) { c.heartbeat->interval_multiple = 65; },
       [](model::SessionConfig& c) { c.heartbeat->interval_multiple = 64; }},
      {"heartbeat.slack_ms", [](model::SessionConfig& c) { c.heartbeat->slack_ms = -1; },
       [](model::SessionConfig& c) { c.heartbeat->slack_ms = 0; }},
      {"auth.refresh_timeout_ms", [](model::SessionConfig& c) { c.auth.refresh_timeout_ms = 0; },
       [](model::SessionConfig& c) { c.auth.refresh_timeout_ms = 1000; }},
      {"resume.checkpoint_every_events",
       [](model::SessionConfig& c) { c.resume.checkpoint_every_events = 0; },
       [](model::SessionConfig& c) { c.resume.checkpoint_every_events = 1; }},
      {"resume.checkpoint_every_ms",
       [](model::SessionConfig& c) { c.resume.checkpoint_every_ms = -1; },
       [](model::SessionConfig& c) { c.resume.checkpoint_every_ms = 0; }},
      {"resume.checkpoint_retry_ms_min",
       [](model::SessionConfig& c) { c.resume.checkpoint_retry_ms_min = 0; },
       [](model::SessionConfig& c) { c.resume.checkpoint_retry_ms_min = 1; }},
      {"resume.checkpoint_retry_ms_max",
       [](model::SessionConfig& c) {
         c.resume.checkpoint_retry_ms_max = c.resume.checkpoint_retry_ms_min - 1;
       },
       [](model::SessionConfig& c) {
         c.resume.checkpoint_retry_ms_max = c.resume.checkpoint_retry_ms_min;
       }},
  };
  for (const Rule& rule : rules) {
    INFO("rule " << rule.field);
    Scenario s = base();
    s.safety_ms = 20000;
    rule.outside(s.config);
    const RunResult refused = run_session(s);
    CHECK(refused.events == 0);
    CHECK(refused.error.find(std::string("config: ") + rule.field + ":") == 0);
    s = base();
    s.safety_ms = 20000;
    rule.edge(s.config);
    const RunResult edge = run_session(s);
    INFO(edge.error << describe(edge));
    CHECK(edge.error.empty());
    CHECK(edge.events > 0);
  }
}

TEST_CASE("a replay that ends: every event up to its end, then Stopped (replay complete)",
          "[run][replay]") {
  Scenario s = base();
  s.config.resume.mode = model::StreamMode::replay_only;
  s.world.replay_end_sequence = 100;  // appended at 50 s
  s.faults.push_back(Fault{FaultKind::reset, 0, 20000, 0});
  s.faults.push_back(
      Fault{FaultKind::crash, 0, 70000, 2000});  // after the end: the restart finishes at once
  const RunResult r = run_ok(s);
  const ClientReport& c = r.clients[0];
  CHECK(c.final_phase == "Stopped");
  CHECK(c.statuses.back().second.reason == model::Reason::replay_complete);
  CHECK(c.last_sequence == 100);
  CHECK(c.durable_sequence == 100);
  CHECK(c.connect_at_ms.size() == 3);
  // A watching policy never meets a replay that ends.
  s.config.resume.mode = model::StreamMode::watch;
  CHECK(run_session(s).error.find("world.replay_end_sequence") != std::string::npos);
}

// Regression (found by the policy swarm's property, as a silent gap under
// relaxed gap detection): a frame due exactly when a suspended host wakes, but
// queued before the wake, ran ahead of the frames that had arrived during the
// suspension — a TCP stream reordered.
TEST_CASE("frames due at the wake time never overtake those held during a suspend", "[run]") {
  Scenario s = base();
  s.safety_ms = 30000;
  s.world.append_every_ms = 1000;
  s.world.latency_ms_min = 0;
  s.world.latency_ms_max = 0;
  s.faults.push_back(Fault{FaultKind::suspend, 0, 14500, 5500});  // asleep 14.5 s .. 20 s
  s.faults.push_back(Fault{FaultKind::partition_to_client, 0, 5000, 10000});  // held until 15 s
  s.faults.push_back(
      Fault{FaultKind::partition_to_client, 0, 8000, 12000});  // later ones until 20 s
  for (const model::GapDetection gaps :
       {model::GapDetection::strict, model::GapDetection::relaxed}) {
    s.config.resume.gaps = gaps;
    const RunResult r = run_ok(s);
    const ClientReport& c = r.clients[0];
    CHECK(c.gaps.empty());
    CHECK(c.connect_at_ms.size() == 1);
    CHECK(c.deliveries == c.last_sequence);
  }
}

namespace {
// A reducer that never acts on its timer: its deadline stays in the past, so
// the driver re-arms it for now, again and again, and no virtual time passes.
model::Effects deaf_to_ticks(model::State& s, const model::Event& e) noexcept {
  if (std::holds_alternative<model::Tick>(e)) return {};
  return model::transition_in_place(s, e);
}
}  // namespace

TEST_CASE("a hot loop ends the run at once as a guarantee-10 verdict, not at the event limit",
          "[run]") {
  Scenario s = base();
  s.faults.push_back(
      Fault{FaultKind::reset, 0, 5000, 0});  // a backoff: the deadline the reducer ignores
  RunOptions o;
  o.reducer = &deaf_to_ticks;
  const RunResult r = run_session(s, o);
  INFO(describe(r));
  REQUIRE_FALSE(r.violations.empty());
  CHECK(r.violations.back().guarantee == Guarantee::rate);
  CHECK(r.violations.back().message.starts_with("hot loop: 1001 steps in virtual millisecond "));
  CHECK(r.violations.back().message.ends_with(", the last Tick"));
  CHECK(r.events < 20'000);  // stopped at once, far below the event limit
}
