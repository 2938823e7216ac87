#pragma once
// The herd plot (tether-sim herd): what a fleet does to its server after an
// outage. N clients of one session policy stream until they are healthy, the
// server goes down for T ms (connections drop, connects are refused), then it
// recovers; the plot counts the connection attempts after the recovery in
// buckets of time, finds the busiest window and the herd bound (herd.hpp), and
// measures how long until 99 % of the fleet streams again. The run is the
// session world's (run_session: the production driver, judged by the oracle),
// seeded as production seeds a fleet. herd_report.hpp writes it as JSON and SVG.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <tether/model/config.hpp>
#include <tether/sim/agenda.hpp>
#include <tether/sim/herd.hpp>
#include <tether/sim/scenario.hpp>
#include <tether/sim/session_world.hpp>
#include <vector>

namespace tether::sim {

// The bounds of a fleet the CLI accepts. The simulator's cost grows with the
// square of the clients (the oracle passes over the fleet at each step).
inline constexpr std::uint32_t herd_clients_max = 100'000;
inline constexpr Ms herd_outage_ms_max = 3'600'000;  // one hour
inline constexpr Ms herd_bucket_ms_max = 60'000;
// Every client's link has this one-way latency, the same for all: only the
// policy spreads the fleet (the worst case for a policy without jitter).
inline constexpr Ms herd_latency_ms = 20;

struct HerdFleet {
  std::string label;  // the policy's name, for display: "aviso", "custom.json"
  model::SessionConfig config;
  std::uint32_t clients = 1000;
  Ms outage_ms = 3000;
  std::uint64_t seed = 1;  // the world's master seed: each client's own jitter seed derives from it
  // Every client's jitter seed, the same for all (a configuration file's
  // "seed", or --shared-seed); nullopt: each process draws its own, as
  // production does (io::choose_seed).
  std::optional<std::uint64_t> shared_seed;
  Ms bucket_ms = 100;  // the plot's bucket and the herd check's window
};

// When the outage begins: once every client has streamed longer than the
// policy's short-session limit (so no short-session floor applies), and at
// least 10 s.
Ms herd_outage_at_ms(const model::SessionConfig& config);

// How many whole milliseconds the policy's widest draw may take: its jitter
// at the cap (model::jitter_envelope at the most failures), 1 without jitter.
Ms widest_draw_ms(const model::BackoffPolicy& policy);

// The scenario of a fleet: no other fault, identical links, one event every
// minute and server heartbeats within the policy's heartbeat budget and
// confirm timeout (so nothing but the outage makes a client reconnect). The
// safety phase ends at the recovery; the simulated horizon after it is the
// liveness bound (liveness_bound_ms), by which every client must stream again.
Scenario herd_scenario(const HerdFleet& fleet);

// The number of attempts in each bucket [from_ms + k * bucket_ms, + bucket_ms)
// before until_ms, times in any order; trailing empty buckets are left out.
std::vector<std::uint32_t> bucket_attempts(std::span<const Ms> attempt_at_ms, Ms from_ms,
                                           Ms until_ms, Ms bucket_ms);

// The time, from from_ms, by which `needed` of the given instants have come
// (each client's first streaming at or after from_ms; nullopt for a client
// that never streamed again); nullopt if fewer than `needed` came.
std::optional<Ms> time_until(std::span<const std::optional<Ms>> ready_at_ms, std::size_t needed,
                             Ms from_ms);

// 99 % of a fleet, rounded up: the clients that must stream again.
constexpr std::size_t clients_99(std::uint32_t clients) {
  return (std::size_t{clients} * 99 + 99) / 100;
}

struct HerdBucket {
  std::size_t index = 0;  // [index * bucket_ms, + bucket_ms) after the recovery
  std::uint32_t attempts = 0;
};

struct HerdPlot {
  HerdFleet fleet;
  Ms outage_at_ms = 0;
  Ms recovery_at_ms = 0;
  Ms horizon_ms = 0;                    // simulated time after the recovery
  std::vector<std::uint32_t> attempts;  // per bucket after the recovery (bucket_attempts)
  std::uint64_t attempts_total = 0;     // after the recovery
  HerdBucket peak;                      // the first bucket with the most attempts
  // check_herd from the recovery, window bucket_ms; its peak's window_start_ms
  // counts from the recovery too.
  HerdVerdict verdict;
  std::uint32_t streaming_at_outage = 0;  // clients streaming when the outage began
  std::uint32_t streaming_again = 0;      // clients streaming again by the horizon
  std::uint32_t ended = 0;                // clients that gave up or failed after the outage
  std::optional<Ms> streaming_99_ms;      // after the recovery; nullopt: not within the horizon
  // What the oracle found (describe(): a line per broken guarantee), or why
  // the scenario could not run; empty when the run was clean.
  std::string violations;
  std::size_t violations_count = 0;

  // The policy's jitter can spread the fleet: its widest draw (at the cap,
  // widest_draw_ms) is wider than the window. Without jitter it is 1 ms: the
  // herd bound is then at or above the fleet, and no lockstep breaks it.
  bool spreads() const;
  // A herd: more attempts in one window than the jitter explains, or a policy
  // that cannot spread its fleet with more than one client in one window.
  bool flagged() const { return !verdict.ok() || (!spreads() && verdict.peak.attempts > 1); }
  bool recovered() const { return streaming_99_ms.has_value(); }
};

// The plot of a run of herd_scenario(fleet).
HerdPlot herd_plot_of(const HerdFleet& fleet, const Scenario& scenario, const RunResult& result);
// Runs herd_scenario(fleet) and plots it.
HerdPlot run_herd(const HerdFleet& fleet);

}  // namespace tether::sim
