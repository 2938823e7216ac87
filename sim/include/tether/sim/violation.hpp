#pragma once
// One violation type for every simulated world (the session world, session_world.hpp;
// the poll world, poll_world.hpp; the wait world, wait_world.hpp; the mirror
// world, mirror_world.hpp): the guarantee broken, named by an enum, and, where a
// world checks one guarantee by several rules, the rule's name.
//
// Guarantee names what the docs promise. The streaming session's are
// docs/guarantees.md's, numbered as there (1..11). Three of them (backoff
// bounds, stop, liveness) are promised by the other behaviours' docs too, for
// their own reducers, and the other worlds' rules that check those map to
// them. What polling, wait-for-resource and the freshness mirror promise
// beyond those has an enumerator of its own, defined by the doc named beside
// it; its number is 0.
//
// Each world's rules and the guarantee each checks are listed below
// (poll_rules, wait_rules, mirror_rules). A world reports a rule by name
// through RuleOf<table>, whose constructor looks the name up at compile time:
// a rule missing from its table does not compile.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tether/sim/agenda.hpp>

namespace tether::sim {

enum class Guarantee : std::uint8_t {
  // docs/guarantees.md, the table's numbers.
  no_silent_gap = 1,      // 1 No silent gap
  no_duplicate = 2,       // 2 No duplicate; across a crash only after the durable checkpoint
  checkpoint = 3,         // 3 Checkpoints never backwards, never ahead of the commit policy
  backoff_bounds = 4,     // 4 Every backoff delay within its policy's bounds (also polling.md
                          //   "Backoff", wait-for-resource.md rule 1)
  auth_refresh = 5,       // 5 At most one auth refresh per rejected attempt
  stop = 6,               // 6 After stop, nothing (also polling.md "Stop",
                          //   wait-for-resource.md rule 6, freshness-mirror.md rule 8)
  liveness = 7,           // 7 Once healthy long enough, working again (also the poll world's
                          //   catch-up bound, the wait world's liveness_bound_ms); and a run
                          //   that hits its event limit
  half_open = 8,          // 8 A half-open connection detected within the heartbeat budget
  determinism = 9,        // 9 Same seed and scenario, same trace
  rate = 10,              // 10 No operation retried faster than its policy; a session hot loop
                          //   (also the wait and mirror reducers': a Tick leaving a deadline
                          //   at or before it)
  client_invariant = 11,  // 11 The client's own invariant (sim::ClientCode::check)

  // docs/io.md, the driver loop: an input arriving while no step runs is fed
  // at once (only an effect's own feedback waits in the inbox).
  driver_loop,

  // docs/polling.md, "The rules".
  poll_mirror,       // Snapshot diff: the application's mirror equals the last snapshot
                     // polled; a failed poll changes nothing
  poll_cadence,      // Cadence: one request in flight, polls no closer than the cadence (or
                     // the backoff after a failure), none left due
  status_on_change,  // ReportStatus only when the status changes (polling.md's effects table,
                     // freshness-mirror.md "Effects")

  // docs/wait-for-resource.md, "Driver loop" and "Rules".
  wait_attempts,      // the effects table: one Acquire at a time, ids increasing, numbered
                      // failures + 1; Release of exactly the attempt or hold that ended
  wait_offline,       // rule 2: no attempt while the link is known down
  wait_wake,          // rule 3: Connected wakes a wait within restored_delay_ms_max
  wait_reopen_pause,  // rule 4: no reopen before reopen_pause_ms after a hold ended
  wait_give_up,       // rule 5: give-up at the policy's limit, not before nor after
  wait_one_out,       // rule 7: one acquisition out at a time; a late success holds if the
                      // session still waits for it; a released or stale answer changes nothing

  // docs/freshness-mirror.md, "Rules".
  mirror_provenance,     // rule 1: every entry's source, written_at and value as the source held it
  mirror_freshness,      // rule 2: never / fresh / stale exactly at the threshold
  mirror_ordering,       // rule 3 (and 8's limits): a write applies iff not older than the entry
  mirror_stream_health,  // rule 4: stream health from push traffic alone
  mirror_backfill,       // rule 5: backfill warm / cold from the polls
  mirror_deadlines,      // rule 6: a status falls due at its deadline, not later
};

// The number in docs/guarantees.md (1..11; "g7" in the session world's
// output), 0 for a guarantee another doc defines.
constexpr int number(Guarantee g) {
  const auto n = static_cast<int>(g);
  return n <= static_cast<int>(Guarantee::client_invariant) ? n : 0;
}

// A short stable name: "no-silent-gap", ..., "poll-cadence", "wait-wake".
std::string_view name(Guarantee g);

// One broken guarantee: which (and by which rule), what, when, and of whom.
struct Violation {
  Guarantee guarantee;
  std::string_view rule;  // the world's rule for the guarantee (empty for sim::Oracle's own checks)
  std::string message;
  Ms at_ms;
  // The session world: the client (all_clients: the whole fleet); the poll
  // world: the endpoint; the wait and mirror worlds: 0.
  std::uint32_t subject;
};

// A world's rule: a sub-name of the guarantee it checks.
struct Rule {
  std::string_view name;
  Guarantee guarantee;
};

// The polling reducer's rules (reference/poll.hpp describes each; the model's
// property tests and the poll world both judge by it), then the poll world's
// own (poll_world.hpp).
inline constexpr Rule poll_rules[] = {
    {"mirror", Guarantee::poll_mirror},
    {"no-removed", Guarantee::poll_mirror},
    {"cadence", Guarantee::poll_cadence},
    {"deadline",
     Guarantee::poll_cadence},             // next_deadline: the earliest due endpoint not in flight
    {"retry", Guarantee::poll_cadence},    // a first 503 retried at once, once, with nothing else
    {"ignored", Guarantee::poll_cadence},  // a stray result, a second Started: no effects
    {"escalation",
     Guarantee::backoff_bounds},  // polling.md "Backoff": one failure count, the policy's delay
    {"quiet", Guarantee::status_on_change},
    {"status",
     Guarantee::status_on_change},  // the outcome's status, for the endpoint that answered
    {"stop", Guarantee::stop},
    // The world's: what the server sent, when the host was awake, catching up.
    {"snapshot",
     Guarantee::poll_mirror},           // the snapshot fed is the server's state its body came from
    {"late", Guarantee::poll_cadence},  // a due endpoint polled by when the host is awake
    {"catch-up", Guarantee::liveness},
    // and "limit", reported directly: the event limit (liveness), or an input
    // that waited in the loop's inbox (driver_loop).
};

// The wait rules: sim::WaitReference's (reference/wait.hpp describes each
// check), and the wait world's own (wait_world.hpp): loop, event-limit, not-acquired-in-time.
inline constexpr Rule wait_rules[] = {
    {"loop", Guarantee::driver_loop},
    {"event-limit", Guarantee::liveness},
    {"not-quiet", Guarantee::stop},
    {"stop", Guarantee::stop},
    {"release", Guarantee::wait_attempts},
    {"one-at-a-time", Guarantee::wait_attempts},
    {"ids", Guarantee::wait_attempts},
    {"attempt-number", Guarantee::wait_attempts},
    {"failure-count", Guarantee::wait_attempts},   // a status's failures: the failures in a row
    {"repeated-start", Guarantee::wait_attempts},  // a second Started changes nothing
    {"deadline-not-ahead", Guarantee::rate},       // a Tick leaves no deadline at or before it
    {"attempt-while-down", Guarantee::wait_offline},
    {"give-up", Guarantee::wait_give_up},
    {"one-out", Guarantee::wait_one_out},
    {"stale-answer", Guarantee::wait_one_out},
    {"late-success", Guarantee::wait_one_out},
    {"wedged", Guarantee::liveness},  // waiting with no deadline, or none by the outage limit
    {"wait-too-short", Guarantee::backoff_bounds},       // rule 1
    {"delay-out-of-bounds", Guarantee::backoff_bounds},  // rule 1
    {"reopen-too-soon", Guarantee::wait_reopen_pause},
    {"connected-did-not-wake", Guarantee::wait_wake},
    {"not-acquired-in-time", Guarantee::liveness},
};

// The mirror rules: sim::MirrorReference's (reference/mirror.hpp describes
// each check), and the mirror world's own (mirror_world.hpp): loop, event-limit,
// value-not-truth.
inline constexpr Rule mirror_rules[] = {
    {"loop", Guarantee::driver_loop},
    {"event-limit", Guarantee::liveness},
    {"not-quiet", Guarantee::stop},  // rule 8: quiet after stop, and before Started
    {"stop", Guarantee::stop},
    {"status-unchanged", Guarantee::status_on_change},
    {"write-outcome", Guarantee::mirror_ordering},
    {"health-not-truth", Guarantee::mirror_stream_health},
    {"backfill-not-truth", Guarantee::mirror_backfill},
    {"status-late", Guarantee::mirror_deadlines},
    {"entries", Guarantee::mirror_provenance},
    {"value-not-truth", Guarantee::mirror_provenance},
    {"fresh-past-threshold", Guarantee::mirror_freshness},
    {"freshness", Guarantee::mirror_freshness},
    {"never", Guarantee::mirror_freshness},   // a key never written is Never
    {"deadline-not-ahead", Guarantee::rate},  // a Tick leaves no deadline at or before it
};

// The session world's rules, judged by the streaming-session reference
// (sim::SessionReference, reference/session.hpp describes each check) at
// every reducer step; what needs the world's truth is sim::Oracle's
// (oracle.hpp), reported with no rule name.
inline constexpr Rule session_rules[] = {
    {"gap", Guarantee::no_silent_gap},
    {"frame-release", Guarantee::no_silent_gap},
    {"resume", Guarantee::no_silent_gap},
    {"effects-capacity", Guarantee::no_silent_gap},
    {"duplicate", Guarantee::no_duplicate},
    {"checkpoint", Guarantee::checkpoint},
    {"save-in-flight", Guarantee::checkpoint},
    {"batching", Guarantee::checkpoint},
    {"failure-count", Guarantee::backoff_bounds},
    {"backoff-delay", Guarantee::backoff_bounds},
    {"backoff-entered", Guarantee::backoff_bounds},
    {"attempt-early", Guarantee::backoff_bounds},
    {"network-restored", Guarantee::backoff_bounds},
    {"reconnect", Guarantee::backoff_bounds},  // within restored_delay_ms_max, not a failure
    {"auth-refresh", Guarantee::auth_refresh},
    {"after-end", Guarantee::stop},
    {"flush", Guarantee::stop},
    {"paused", Guarantee::stop},  // while paused: no connection, every commit saved
    {"give-up", Guarantee::liveness},
    {"end-cause", Guarantee::liveness},
    {"connect-due", Guarantee::liveness},
    {"phase", Guarantee::liveness},   // the phase agrees with what the session did
    {"status", Guarantee::liveness},  // the reported status describes the phase
    {"heartbeat", Guarantee::half_open},
    {"connect-without-reason", Guarantee::rate},
    {"connect-overlap", Guarantee::rate},
    {"retry-budget", Guarantee::rate},
    {"save-retry", Guarantee::rate},
    {"refresh-pacing", Guarantee::rate},
    {"tick", Guarantee::rate},  // the Tick contract: an early or repeated Tick does nothing
};

namespace violation_detail {
// Not constexpr: reaching it in a constant evaluation is the compile error
// that names a rule missing from its world's table.
const Rule& rule_missing_from_its_table();
}  // namespace violation_detail

template <std::size_t N>
constexpr Rule rule_named(const Rule (&table)[N], std::string_view name) {
  for (const Rule& r : table)
    if (r.name == name) return r;
  return violation_detail::rule_missing_from_its_table();
}

// A rule named by a string literal, looked up in `Table` at compile time:
// `void flag(RuleOf<poll_rules> rule, ...)` takes `flag("cadence", ...)`.
template <const auto& Table>
struct RuleOf {
  Rule rule;
  consteval RuleOf(const char* rule_name)
      : rule(rule_named(Table, rule_name)) {}  // NOLINT: implicit on purpose
};

}  // namespace tether::sim
