#pragma once
// The polled world: one polling session (model/poll/reducer.hpp) against a
// simulated HTTP server whose endpoints each serve a keyed state that changes
// over time, and fail independently, in virtual time.
//
// The driver is the production one, io::PollDriver (<tether/io/poll_driver.hpp>,
// as PollRunner runs it, with its loop io::ReducerLoop<io::PollReducer>): the
// world takes the next item off its agenda (a change of the server's state, a
// request reaching the server, a response reaching the client, a fault edge,
// the application stopping, the driver's timer), jumps virtual time there and
// calls the driver, which reads the world's clock, steps the session and hands
// each effect to the world, its ports (Poll -> the poller: a request that
// reaches the server after a one-way latency and is answered from the server's
// state *at that moment*, or with the error of a fault active then, and whose
// answer the driver turns into an event with io::PollExchange; Added /
// Modified / Removed -> the application's mirror (the reference keeps it);
// ReportStatus -> recorded); every step is judged (below); the loop re-arms its
// one timer (an agenda item) by its own policy: only for an earlier deadline,
// so a Tick may come early, which the session ignores.
//
// Every step is judged by the polling reducer's reference oracle,
// sim::PollReference (<tether/sim/reference/poll.hpp>: mirror, no-removed,
// cadence, deadline, retry, ignored, escalation, quiet, status, stop; the
// model's property tests judge by the same one), from the events and effects,
// in the events' times (a result's stamp may be skewed,
// PollScenario::result_clock_skew_ms; a failure's backoff is measured from it,
// as the reducer can know no other time for it). The world adds what only it
// knows:
//   snapshot  a success's snapshot is the server's state its body was written
//             from (io::PollExchange parses it), so with the reference's mirror
//             rule the application's mirror is the server's state as of the last
//             successful poll;
//   late      an endpoint the reference says is due at D is polled by the
//             first instant the host is awake at or after max(D, when D became
//             known), in the world's time: the loop's timer never leaves a poll
//             late (a suspended host polls when it wakes);
//   catch-up  once every fault is over (the heal time H), each endpoint completes
//             a successful poll served at or after H within
//             H + 3 * latency_ms_max + slow_ms_max + max(cadence_ms, the policy's
//             largest delay + the results' clock skew if ahead) + 1 ms: a request in flight at H
//             may still come back slow and failed (one round trip plus the slow fault's extra),
//             then the endpoint waits at most a cadence or its largest backoff delay (plus the
//             results' clock skew, if ahead: a backoff runs from the failure's stamp), and the next
//             request goes there and back.
// Then the application stops the session and the run ends.
//
// Swarm testing: poll_swarm_scenario(seed) draws a configuration (zero_poll,
// koprs_poll, or random endpoints and policies), the world and a fault timeline
// in which some fault kinds are disabled and the rest weighted differently; in
// 30 % of seeds (from a PRNG stream of its own, so the other draws stay), the
// results' clock is skewed by up to 5 s either way.

#include <cstdint>
#include <string>
#include <string_view>
#include <tether/io/reducer_loop.hpp>
#include <tether/io/reducers.hpp>
#include <tether/model/poll/reducer.hpp>
#include <tether/sim/agenda.hpp>
#include <tether/sim/violation.hpp>
#include <utility>
#include <vector>

namespace tether::sim {

enum class PollFaultKind : std::uint8_t {
  not_served,     // 404 to every request
  unauthorised,   // 401 to every request
  unavailable,    // 503 to every request: the in-tick retry fails too
  flaky,          // 503 to every other request: the in-tick retry gets through
  server_error,   // HTTP status `param` (500, 502, 504, 400, 403, 429)
  transport,      // no answer: the driver reports a transport error (status 0)
  malformed,      // a 200 whose body lists a key twice: the driver reports it as PollFailed{200}
  slow,           // answers take `param` ms longer (often more than the cadence)
  suspend,        // the client host sleeps: no Tick, no result until the end (late ticks)
  stop,           // the application stops the session (duration unused)
  receiver_gone,  // the application's receiver goes away (duration unused)
};
inline constexpr std::size_t poll_fault_kind_count = 11;
std::string_view name_of(PollFaultKind kind);

inline constexpr std::uint32_t all_endpoints = UINT32_MAX;

struct PollFault {
  PollFaultKind kind;
  std::uint32_t endpoint = all_endpoints;  // an endpoint index, or all of them
  Ms at_ms = 0;
  Ms duration_ms = 0;
  std::int64_t param = 0;
};

struct PollScenario {
  std::uint64_t seed = 0;
  std::string origin;  // how the configuration was drawn, e.g. "zero_poll"
  model::poll::Config config;
  Ms safety_ms = 60000;        // faults start in [0, safety_ms)
  Ms change_every_ms = 1000;   // each endpoint's state changes about this often
  std::uint32_t keys_max = 8;  // distinct keys an endpoint may hold
  Ms latency_ms_min = 5;       // one way
  Ms latency_ms_max = 50;
  bool etags = false;  // answer 304 when nothing changed since the client's last 200
  // The driver stamps each result (PollSucceeded, PollFailed) with a clock this
  // far ahead of the one its Ticks read (negative: behind; a result may then
  // seem older than its poll). The reducer must measure the cadence from the
  // poll it issued, never from a result's stamp.
  Ms result_clock_skew_ms = 0;
  std::vector<PollFault> faults;  // sorted by at_ms
};

PollScenario poll_swarm_scenario(std::uint64_t seed);

// The time after which every fault is over, and the catch-up bound after it.
Ms heal_ms(const PollScenario& scenario);
Ms catch_up_bound_ms(const PollScenario& scenario, std::size_t endpoint);

// The reducer the run's loop drives (io::ReducerLoop's Transition):
// model::poll::transition_in_place, except in the mutation tests, which wrap
// it in deliberately broken variants.
using PollReducer = model::poll::Effects (*)(model::poll::State&,
                                             const model::poll::Event&) noexcept;

struct PollRunOptions {
  PollReducer reducer = &model::poll::transition_in_place;
  bool keep_trace_text = false;
  // The mutation check of the loop itself: a deliberate defect of the
  // production loop the world runs (io::LoopDefect), never set elsewhere.
  io::LoopDefect loop_defect = io::LoopDefect::none;
  std::uint64_t events_max = 1'000'000;  // a limit on everything: beyond it the run fails
};

// What one endpoint saw, for tests that assert outcomes.
struct EndpointReport {
  std::vector<Ms> polls_at_ms;    // scheduled polls
  std::vector<Ms> retries_at_ms;  // 503 retries within the tick
  std::vector<std::pair<Ms, model::poll::Status>> statuses;
  std::uint64_t successes = 0;  // PollSucceeded fed, 304s included
  std::uint64_t removed = 0;    // Removed effects
};

struct PollRunResult {
  std::uint64_t events = 0;  // reducer steps
  std::uint64_t polls = 0;   // requests sent
  std::uint64_t failed_polls = 0;
  std::uint64_t changes = 0;  // Added + Modified + Removed
  std::uint64_t trace_hash = 0;
  std::vector<Violation> violations;  // rule: poll_rules (violation.hpp); subject: the endpoint
  std::string trace;                  // keep_trace_text only: one line per step
  std::vector<EndpointReport> endpoints;
  Ms heal_ms = 0;
  Ms end_ms = 0;
  bool stopped_by_scenario = false;  // a stop / receiver_gone fault ended it (no catch-up check)
  std::string error;                 // the scenario could not run (invalid configuration)

  bool ok() const { return error.empty() && violations.empty(); }
};

PollRunResult run_poll(const PollScenario& scenario, const PollRunOptions& options = {});

// "<rule> e<endpoint> @<ms>: <message>", one per line.
std::string describe(const PollRunResult& result);

struct PollSwarmSummary {
  std::uint64_t scenarios = 0;
  std::uint64_t events = 0;
  std::uint64_t polls = 0;
  std::uint64_t failed_polls = 0;
  std::uint64_t changes = 0;
  std::uint64_t failing = 0;  // scenarios with a violation
  // The first 20 failing seeds, each as the line that reproduces it:
  // "poll seed <n> (<origin>): <first violation>".
  std::vector<std::string> failures;

  bool ok() const { return failing == 0; }
};

// Runs poll_swarm_scenario(seed) for every seed in [seed_first, seed_last].
PollSwarmSummary run_poll_swarm(std::uint64_t seed_first, std::uint64_t seed_last,
                                const PollRunOptions& options = {});

}  // namespace tether::sim
