#include <exception>
#include <tether/sim/violation.hpp>

namespace tether::sim {

std::string_view name(Guarantee g) {
  switch (g) {
    case Guarantee::no_silent_gap:
      return "no-silent-gap";
    case Guarantee::no_duplicate:
      return "no-duplicate";
    case Guarantee::checkpoint:
      return "checkpoint";
    case Guarantee::backoff_bounds:
      return "backoff-bounds";
    case Guarantee::auth_refresh:
      return "auth-refresh";
    case Guarantee::stop:
      return "stop";
    case Guarantee::liveness:
      return "liveness";
    case Guarantee::half_open:
      return "half-open";
    case Guarantee::determinism:
      return "determinism";
    case Guarantee::rate:
      return "rate";
    case Guarantee::client_invariant:
      return "client-invariant";
    case Guarantee::driver_loop:
      return "driver-loop";
    case Guarantee::poll_mirror:
      return "poll-mirror";
    case Guarantee::poll_cadence:
      return "poll-cadence";
    case Guarantee::status_on_change:
      return "status-on-change";
    case Guarantee::wait_attempts:
      return "wait-attempts";
    case Guarantee::wait_offline:
      return "wait-offline";
    case Guarantee::wait_wake:
      return "wait-wake";
    case Guarantee::wait_reopen_pause:
      return "wait-reopen-pause";
    case Guarantee::wait_give_up:
      return "wait-give-up";
    case Guarantee::wait_one_out:
      return "wait-one-out";
    case Guarantee::mirror_provenance:
      return "mirror-provenance";
    case Guarantee::mirror_freshness:
      return "mirror-freshness";
    case Guarantee::mirror_ordering:
      return "mirror-ordering";
    case Guarantee::mirror_stream_health:
      return "mirror-stream-health";
    case Guarantee::mirror_backfill:
      return "mirror-backfill";
    case Guarantee::mirror_deadlines:
      return "mirror-deadlines";
  }
  return "unknown";
}

namespace violation_detail {
// Only ever reached in a constant evaluation (RuleOf's consteval constructor),
// where it is the compile error; never at run time.
const Rule& rule_missing_from_its_table() { std::terminate(); }
}  // namespace violation_detail

}  // namespace tether::sim
