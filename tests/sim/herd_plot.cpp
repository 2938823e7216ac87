// The herd plot's measurement (sim/include/tether/sim/herd_plot.hpp): the
// buckets, the 99 %-streaming time, the fleet's scenario, the plot of a run
// built by hand, and real fleets that do and do not herd.
#include <catch2/catch.hpp>
#include <optional>
#include <tether/model/presets.hpp>
#include <tether/sim/herd_plot.hpp>
#include <tether/sim/herd_report.hpp>
#include <vector>

using namespace tether::sim;
namespace model = tether::model;

namespace {

HerdFleet fleet_of(model::SessionConfig config, std::string label, std::uint32_t clients) {
  HerdFleet f;
  f.label = std::move(label);
  f.config = config;
  f.clients = clients;
  f.outage_ms = 3000;
  return f;
}

model::Status status(model::StatusKind kind) { return model::Status{kind, {}, 0, {}, 0}; }

}  // namespace

TEST_CASE("herd plot: attempts are counted per bucket from the recovery", "[herd-plot]") {
  const std::vector<Ms> at = {999, 1000, 1099, 1100, 1350, 1399, 5000, 1700};
  // Before 1000 and from 1700 on are outside; trailing empty buckets are dropped.
  CHECK(bucket_attempts(at, 1000, 1700, 100) == std::vector<std::uint32_t>{2, 1, 0, 2});
  CHECK(bucket_attempts(at, 1000, 1701, 100) == std::vector<std::uint32_t>{2, 1, 0, 2, 0, 0, 0, 1});
  CHECK(bucket_attempts(at, 1000, 10000, 1000) == std::vector<std::uint32_t>{6, 0, 0, 0, 1});
  CHECK(bucket_attempts(std::vector<Ms>{}, 0, 100, 10).empty());
  CHECK(bucket_attempts(at, 6000, 7000, 100).empty());
}

TEST_CASE("herd plot: 99 % of a fleet, and the time until that many stream", "[herd-plot]") {
  CHECK(clients_99(1) == 1);
  CHECK(clients_99(10) == 10);  // 9.9, rounded up
  CHECK(clients_99(100) == 99);
  CHECK(clients_99(101) == 100);  // 99.99, rounded up
  CHECK(clients_99(1000) == 990);
  CHECK(clients_99(100000) == 99000);
  const std::vector<std::optional<Ms>> ready = {1500, std::nullopt, 1100, 3000, 1200};
  CHECK(time_until(ready, 1, 1000) == Ms{100});
  CHECK(time_until(ready, 3, 1000) == Ms{500});
  CHECK(time_until(ready, 4, 1000) == Ms{2000});
  CHECK_FALSE(time_until(ready, 5, 1000).has_value());  // one never streamed again
  CHECK(time_until(ready, 0, 1000) == Ms{0});
}

TEST_CASE("herd plot: the fleet's scenario is one outage after a healthy stream", "[herd-plot]") {
  HerdFleet f = fleet_of(model::presets::aviso(), "aviso", 50);
  f.outage_ms = 0;
  Scenario s = herd_scenario(f);
  REQUIRE(s.faults.size() == 1);
  CHECK(s.faults[0].kind == FaultKind::server_restart);
  CHECK(s.faults[0].at_ms == 10000);  // aviso's short sessions end at 5 s
  CHECK(s.faults[0].duration_ms == 0);
  CHECK(s.safety_ms > s.faults[0].at_ms);  // an instant restart still happens
  CHECK(s.clients == 50);
  CHECK_FALSE(s.fixed_seed.has_value());
  CHECK(s.world.latency_ms_min == herd_latency_ms);
  CHECK(s.world.latency_ms_max == herd_latency_ms);
  // The server beats within the 90 s heartbeat budget: silence never ends a stream.
  CHECK(s.world.heartbeat_every_ms > 0);
  CHECK(s.world.heartbeat_every_ms <= 45000);
  f.config.backoff.short_session_ms = 20000;
  f.config.heartbeat.reset();
  f.config.connect.confirm_timeout_ms = 3000;  // the server must say something within 3 s
  f.shared_seed = 7;
  s = herd_scenario(f);
  CHECK(s.faults[0].at_ms == 25000);
  CHECK(s.world.heartbeat_every_ms == 1500);
  CHECK(s.fixed_seed == std::optional<std::uint64_t>(7));
}

TEST_CASE("herd plot: a run's figures, from its clients' reports", "[herd-plot]") {
  using model::StatusKind;
  HerdFleet f = fleet_of(model::presets::aviso(), "aviso", 3);
  const Scenario s = herd_scenario(f);  // outage 10000..13000
  RunResult r;
  r.liveness_check_ms = 20000;
  r.clients.resize(3);
  // c0: back at 13050; c1: back at 13400 after a second try; c2 gives up.
  r.clients[0].connect_at_ms = {20, 10500, 13030};
  r.clients[0].statuses = {{60, status(StatusKind::streaming)},
                           {10020, status(StatusKind::backing_off)},
                           {13050, status(StatusKind::streaming)}};
  r.clients[1].connect_at_ms = {20, 13010, 13380};
  r.clients[1].statuses = {{60, status(StatusKind::streaming)},
                           {10020, status(StatusKind::backing_off)},
                           {13400, status(StatusKind::streaming)}};
  r.clients[2].connect_at_ms = {20, 13090, 20000};  // the last one is past the horizon
  r.clients[2].statuses = {{60, status(StatusKind::connecting)},
                           {13100, status(StatusKind::gave_up)}};
  const HerdPlot p = herd_plot_of(f, s, r);
  CHECK(p.outage_at_ms == 10000);
  CHECK(p.recovery_at_ms == 13000);
  CHECK(p.horizon_ms == 7000);
  CHECK(p.attempts == std::vector<std::uint32_t>{3, 0, 0, 1});
  CHECK(p.attempts_total == 4);
  CHECK(p.peak.index == 0);
  CHECK(p.peak.attempts == 3);
  CHECK(p.verdict.peak.attempts == 3);
  CHECK(p.verdict.peak.window_start_ms == 10);  // from the recovery
  CHECK(p.streaming_at_outage == 2);
  CHECK(p.streaming_again == 2);
  CHECK(p.ended == 1);
  CHECK_FALSE(p.streaming_99_ms.has_value());  // 3 of 3 needed, 2 came
  CHECK_FALSE(p.recovered());
  CHECK(p.violations.empty());
  r.clients[2].statuses.back() = {13500, status(StatusKind::streaming)};
  CHECK(herd_plot_of(f, s, r).streaming_99_ms == Ms{500});
}

TEST_CASE("herd plot: the widest draw is the jitter at the cap", "[herd-plot]") {
  CHECK(widest_draw_ms(model::presets::aviso().backoff) == 30000);      // full: [0, 30 s)
  CHECK(widest_draw_ms(model::presets::koprs().backoff) == 1);          // none: the ceiling
  CHECK(widest_draw_ms(model::presets::kanade().backoff) == 150001);    // 300 s +-25 %
  CHECK(widest_draw_ms(model::presets::client_go().backoff) == 30001);  // [30 s, 60 s]
}

TEST_CASE("herd plot: a fleet is flagged above the bound, or when its jitter cannot spread it",
          "[herd-plot]") {
  HerdPlot p;
  p.fleet.config = model::presets::aviso();
  p.fleet.clients = 1000;
  p.verdict = HerdVerdict{{480, 0}, 1, 400.0, 480};
  CHECK(p.spreads());
  CHECK_FALSE(p.flagged());
  p.verdict.peak.attempts = 481;
  CHECK(p.flagged());
  // No jitter: the bound (1127) is above the fleet, which it cannot spread.
  p.fleet.config = model::presets::koprs();
  p.verdict = HerdVerdict{{1000, 40}, 1, 1000.0, 1127};
  CHECK_FALSE(p.spreads());
  CHECK(p.flagged());
  p.fleet.clients = 1;  // one client is no herd
  p.verdict = HerdVerdict{{1, 40}, 1, 1.0, 5};
  CHECK_FALSE(p.flagged());
  // A jitter narrower than the window at first but wide at the cap (kanade
  // after a long outage, 1 s windows): the bound is above the fleet, and only
  // its measured busiest window can flag it.
  p.fleet.config = model::presets::kanade();
  p.fleet.clients = 1000;
  p.fleet.bucket_ms = 1000;
  p.verdict = HerdVerdict{{13, 188778}, 1, 1000.0, 1127};
  CHECK(p.spreads());
  CHECK_FALSE(p.flagged());
  p.fleet.bucket_ms = 150001;  // a window as wide as every draw
  CHECK_FALSE(p.spreads());
  CHECK(p.flagged());
}

TEST_CASE("herd plot: full jitter spreads a fleet, no jitter and one shared seed do not",
          "[herd-plot]") {
  const std::uint32_t clients = 300;
  const HerdPlot spread = run_herd(fleet_of(model::presets::aviso(), "aviso", clients));
  INFO(herd_summary(spread) << spread.violations);
  CHECK(spread.violations.empty());
  CHECK(spread.streaming_at_outage == clients);
  CHECK(spread.attempts_total >= clients);
  CHECK_FALSE(spread.flagged());
  CHECK(spread.verdict.peak.attempts < clients / 2);
  REQUIRE(spread.recovered());
  CHECK(*spread.streaming_99_ms < 30000);  // aviso's longest delay

  const HerdPlot none = run_herd(fleet_of(model::presets::koprs(), "koprs", clients));
  INFO(herd_summary(none) << none.violations);
  CHECK(none.violations.empty());
  CHECK(none.flagged());
  CHECK_FALSE(none.spreads());
  CHECK(none.peak.attempts == clients);  // identical links: the same millisecond

  HerdFleet shared = fleet_of(model::presets::aviso(), "aviso", clients);
  shared.shared_seed = 42;
  const HerdPlot lockstep = run_herd(shared);
  INFO(herd_summary(lockstep) << lockstep.violations);
  CHECK(lockstep.flagged());
  CHECK(lockstep.verdict.peak.attempts > lockstep.verdict.bound);
  CHECK(lockstep.peak.attempts == clients);
}

TEST_CASE("herd plot: the same fleet gives the same figures, another seed others", "[herd-plot]") {
  HerdFleet f = fleet_of(model::presets::zero_ws(), "zero_ws", 200);
  const HerdPlot a = run_herd(f);
  const HerdPlot b = run_herd(f);
  const std::vector<HerdPlot> one{a};
  const std::vector<HerdPlot> two{b};
  CHECK(herd_json(one) == herd_json(two));
  f.seed = 2;
  const std::vector<HerdPlot> other{run_herd(f)};
  CHECK(herd_json(other) != herd_json(one));
}
