#pragma once
// The herd check: when a server restarts, do its clients come back spread out
// or all at once? Jitter exists to spread them; a fleet whose members draw the
// same "random" delays (one shared seed) reconnects in lockstep, every client
// inside one round trip. tests/sim/herd.cpp runs it on 1,000 clients;
// docs/simulation.md ("Herd check") gives the figures. tether-sim herd
// (herd_plot.hpp) runs it on any policy's fleet and plots it.

#include <cstddef>
#include <cstdint>
#include <span>
#include <tether/model/config.hpp>
#include <tether/sim/agenda.hpp>
#include <tether/sim/scenario.hpp>
#include <tether/sim/session_world.hpp>

namespace tether::sim {

struct HerdPeak {
  std::size_t attempts = 0;  // the most connection attempts in any one window
  Ms window_start_ms = 0;    // the first such window is [window_start_ms, + window_ms)
};

// The busiest window of `window_ms` (> 0) over attempt times given in any
// order. Windows may start anywhere, so no grid splits a burst.
HerdPeak busiest_window(std::span<const Ms> attempt_at_ms, Ms window_ms);
// The same over every client's connection attempts (ClientReport::connect_at_ms)
// at or after `from_ms`.
HerdPeak busiest_window(const RunResult& result, Ms from_ms, Ms window_ms);

// An upper bound on the expected number of attempts in any one window of
// `window_ms`, for `clients` clients that each make attempts 1..attempts_max
// after one common instant (a server restart), attempt k after its k-th
// consecutive failure. Attempt k waits a fresh draw, uniform over the whole
// milliseconds of model::jitter_bounds(policy, k, previous), the one jitter
// rule; whatever happened before the draw, it lands in a given window with
// probability at most window_ms / width_k (width_k: the number of values it
// can take). Summed over attempts and clients:
//
//   E[attempts in a window] <= clients * sum_{k=1..attempts_max} min(1, window_ms / width_k)
//
// width_k is taken with no previous delay, its narrowest (only decorrelated
// jitter depends on it, and widens with it), and never shrinks as failures
// grow, so a client whose failure count starts above 1 is covered too.
// Full jitter over [0, c): clients * window_ms / c for one attempt each.
// The rule assumes nothing but the draw sets the delay: no floor (the
// short-session minimum, a Retry-After hint, an empty retry budget) pins many
// clients to one instant — where one does, the check rightly fails.
double herd_expected_max(const model::BackoffPolicy& policy, std::uint32_t clients,
                         std::uint32_t attempts_max, Ms window_ms);

// herd_expected_max plus a margin of four standard deviations: the count in a
// window is a sum over independent clients of (almost always) 0 or 1, so its
// variance is at most its mean E, and E + 4 * sqrt(E) bounds the busiest
// window of a correctly seeded fleet with room to spare (E itself is an upper
// bound on the mean). A fleet in lockstep puts all its clients in one window,
// above this bound whenever the jitter spreads (bound < clients).
std::size_t herd_bound(const model::BackoffPolicy& policy, std::uint32_t clients,
                       std::uint32_t attempts_max, Ms window_ms);

struct HerdVerdict {
  HerdPeak peak;
  std::uint32_t attempts_max = 0;  // the most attempts any one client made from `from_ms`
  double expected_max = 0;         // herd_expected_max for those attempts
  std::size_t bound = 0;           // herd_bound
  bool ok() const { return peak.attempts <= bound; }
};

// The herd check of a run of `scenario`: the busiest window of the attempts at
// or after `from_ms` against herd_bound(scenario.config.backoff,
// scenario.clients, the most attempts any client made, window_ms).
HerdVerdict check_herd(const Scenario& scenario, const RunResult& result, Ms from_ms,
                       Ms window_ms = 100);

}  // namespace tether::sim
