#include <algorithm>
#include <limits>
#include <tether/model/backoff.hpp>
#include <tether/model/status.hpp>
#include <tether/sim/herd_plot.hpp>
#include <utility>

namespace tether::sim {

namespace {

using model::StatusKind;

constexpr Ms streaming_ms_min = 10000;
constexpr Ms short_session_margin_ms = 5000;
constexpr Ms append_every_ms = 60000;  // rare events: the run measures connections

// The server sends something at least every budget / 2 (the swarm's rule).
void beat_within(WorldParams& w, Ms budget_ms) {
  const Ms every = std::max<Ms>(1, budget_ms / 2);
  w.heartbeat_every_ms = w.heartbeat_every_ms > 0 ? std::min(w.heartbeat_every_ms, every) : every;
}

bool terminal(StatusKind kind) { return kind == StatusKind::gave_up || kind == StatusKind::failed; }

// What one client's statuses say about the outage and its end.
struct ClientOutcome {
  bool streaming_at_outage = false;
  std::optional<Ms> streaming_again_at_ms;
  bool ended = false;
};

ClientOutcome outcome_of(const ClientReport& c, Ms outage_at_ms, Ms recovery_at_ms, Ms until_ms) {
  ClientOutcome o;
  for (const auto& [at_ms, status] : c.statuses) {
    if (at_ms < outage_at_ms) o.streaming_at_outage = status.kind == StatusKind::streaming;
    if (at_ms >= until_ms) break;
    if (at_ms >= recovery_at_ms && status.kind == StatusKind::streaming && !o.streaming_again_at_ms)
      o.streaming_again_at_ms = at_ms;
    if (at_ms >= outage_at_ms && terminal(status.kind)) o.ended = true;
  }
  return o;
}

}  // namespace

Ms herd_outage_at_ms(const model::SessionConfig& config) {
  return std::max(streaming_ms_min, config.backoff.short_session_ms + short_session_margin_ms);
}

Ms widest_draw_ms(const model::BackoffPolicy& policy) {
  const model::DelayBounds b =
      model::jitter_envelope(policy, std::numeric_limits<std::uint32_t>::max());
  return b.delay_ms_max - b.delay_ms_min + 1;
}

bool HerdPlot::spreads() const { return widest_draw_ms(fleet.config.backoff) > fleet.bucket_ms; }

Scenario herd_scenario(const HerdFleet& fleet) {
  Scenario s;
  s.label = fleet.label;
  s.config = fleet.config;
  s.seed = fleet.seed;
  s.fixed_seed = fleet.shared_seed;
  s.clients = fleet.clients;
  const Ms outage_at_ms = herd_outage_at_ms(fleet.config);
  // The fault must begin inside the safety phase, even when it lasts 0 ms.
  s.safety_ms = outage_at_ms + fleet.outage_ms + 1;
  s.liveness_ms = 0;  // the liveness bound
  WorldParams& w = s.world;
  w.append_every_ms = append_every_ms;
  w.latency_ms_min = w.latency_ms_max = herd_latency_ms;
  if (fleet.config.heartbeat) beat_within(w, fleet.config.heartbeat->budget_ms());
  if (fleet.config.connect.confirm_timeout_ms > 0)
    beat_within(w, fleet.config.connect.confirm_timeout_ms);
  s.faults.push_back(
      Fault{FaultKind::server_restart, all_clients, outage_at_ms, fleet.outage_ms, 0});
  return s;
}

std::vector<std::uint32_t> bucket_attempts(std::span<const Ms> attempt_at_ms, Ms from_ms,
                                           Ms until_ms, Ms bucket_ms) {
  std::vector<std::uint32_t> buckets;
  for (const Ms at : attempt_at_ms) {
    if (at < from_ms || at >= until_ms) continue;
    const auto k = static_cast<std::size_t>((at - from_ms) / bucket_ms);
    if (k >= buckets.size()) buckets.resize(k + 1, 0);
    buckets[k] += 1;
  }
  return buckets;
}

std::optional<Ms> time_until(std::span<const std::optional<Ms>> ready_at_ms, std::size_t needed,
                             Ms from_ms) {
  std::vector<Ms> at;
  for (const auto& t : ready_at_ms)
    if (t) at.push_back(std::max<Ms>(*t - from_ms, 0));
  if (needed == 0) return Ms{0};
  if (at.size() < needed) return std::nullopt;
  std::nth_element(at.begin(), at.begin() + static_cast<std::ptrdiff_t>(needed - 1), at.end());
  return at[needed - 1];
}

HerdPlot herd_plot_of(const HerdFleet& fleet, const Scenario& scenario, const RunResult& result) {
  HerdPlot p;
  p.fleet = fleet;
  p.outage_at_ms = scenario.faults.at(0).at_ms;
  p.recovery_at_ms = p.outage_at_ms + scenario.faults.at(0).duration_ms;
  p.horizon_ms = std::max<Ms>(result.liveness_check_ms - p.recovery_at_ms, 0);
  p.violations = describe(result);
  p.violations_count = result.violations.size() + (result.error.empty() ? 0 : 1);
  const Ms until_ms = p.recovery_at_ms + p.horizon_ms;
  std::vector<Ms> attempts;
  std::vector<std::optional<Ms>> again;
  for (const ClientReport& c : result.clients) {
    attempts.insert(attempts.end(), c.connect_at_ms.begin(), c.connect_at_ms.end());
    const ClientOutcome o = outcome_of(c, p.outage_at_ms, p.recovery_at_ms, until_ms);
    p.streaming_at_outage += o.streaming_at_outage ? 1u : 0u;
    p.streaming_again += o.streaming_again_at_ms ? 1u : 0u;
    p.ended += o.ended ? 1u : 0u;
    again.push_back(o.streaming_again_at_ms);
  }
  p.attempts = bucket_attempts(attempts, p.recovery_at_ms, until_ms, fleet.bucket_ms);
  for (std::size_t k = 0; k < p.attempts.size(); ++k) {
    p.attempts_total += p.attempts[k];
    if (p.attempts[k] > p.peak.attempts) p.peak = HerdBucket{k, p.attempts[k]};
  }
  p.verdict = check_herd(scenario, result, p.recovery_at_ms, fleet.bucket_ms);
  if (p.verdict.peak.attempts > 0) p.verdict.peak.window_start_ms -= p.recovery_at_ms;
  p.streaming_99_ms = time_until(again, clients_99(fleet.clients), p.recovery_at_ms);
  return p;
}

HerdPlot run_herd(const HerdFleet& fleet) {
  const Scenario s = herd_scenario(fleet);
  return herd_plot_of(fleet, s, run_session(s));
}

}  // namespace tether::sim
