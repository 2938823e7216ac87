#pragma once
// The polling reducer's reference oracle (model::poll; docs/polling.md, "The
// rules"): the one place those rules are written. The model's property tests
// (tests/model/poll/properties.cpp) and the poll world (sim/src/poll_world.cpp)
// both feed it every step; the world adds only what needs its own truth (what
// the server held and answered, when the host was awake, catching up).
//
// It knows the rules, not the reducer's code: from the events and effects
// alone it keeps the polls in flight, the application's mirror of each
// endpoint (built only from Added / Modified / Removed), the last snapshot
// each endpoint returned successfully, the session's failure count by the
// "once per wave" rule, each endpoint's due time and its last status. Of the
// state after a step it reads only next_deadline() and is_terminal(), the
// reducer's contract. Times are the events' (a result's stamp, a Tick's
// reading): the only times the reducer has.
//
// Rules (poll_rules in violation.hpp; the subject is the endpoint, 0 for the
// session):
//   mirror      every change fits the mirror (no Added of a present key, no
//               Modified of a missing or unchanged one, no Removed of a missing
//               one or with another value), and after a success the mirror
//               equals the endpoint's last snapshot (a 304 keeps it);
//   no-removed  no change at all, Removed included, outside a successful poll
//               of its own endpoint (so none in a failed poll's step);
//   cadence     scheduled polls only at Started or a Tick, of an endpoint that
//               exists and has no poll in flight, never before it is due (a
//               cadence after its last poll was issued after a success or a
//               quiet error; the backoff's next_attempt_at after a failure), and
//               a Tick or Started leaves no endpoint due;
//   deadline    next_deadline() is the earliest due time of an endpoint with
//               no poll in flight (none while every endpoint is in flight);
//   retry       a first 503 is retried at once, in that step, with exactly
//               Poll{endpoint, retry_in_tick}; no other retry;
//   ignored     a result with no poll in flight (stale, duplicated, out of
//               range), a second Started and anything before Started have no
//               effects and leave the deadline;
//   escalation  a failure reports the session's failure count (raised once per
//               wave: only if nothing raised it since the poll was sent; back to
//               0 once no endpoint is failing) and a delay from the failure's
//               stamp within the jitter envelope of that count;
//   quiet       a status is never reported twice in a row for an endpoint;
//   status      one ReportStatus at most per step, only for the endpoint that
//               answered, and its status is the outcome's: ok after a success,
//               not_served / unauthorised with the status after 404 / 401,
//               backing_off with the status (304 for a 304 with no earlier
//               snapshot) after a failure;
//   stop        StopRequested or ReceiverGone (in any phase, before Started
//               too) reports exactly one ReportStopped with its reason and
//               leaves a terminal state with no deadline; ReportStopped from
//               nothing else; after it, no effect ever and the state stays
//               terminal.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tether/model/poll/reducer.hpp>
#include <tether/sim/violation.hpp>
#include <vector>

namespace tether::sim {

class PollReference {
 public:
  // What a step's event was, by the reference's account.
  enum class Outcome : std::uint8_t {
    none,     // no result (Started, Tick, a stop, or the session had stopped)
    stray,    // a result with no poll in flight: ignored
    success,  // a snapshot, or a 304 with an earlier snapshot
    quiet,    // 404 or 401
    retry,    // a first 503: retried in the step
    failure,  // backs off
  };

  explicit PollReference(const model::poll::Config& config);

  // One step: the event fed, its effects in order, and the state after. A
  // violation is stamped `at_ms` (the world's time), by default the event's.
  void step(const model::poll::Event& event, const model::poll::Effects& effects,
            const model::poll::State& after);
  void step(const model::poll::Event& event, const model::poll::Effects& effects,
            const model::poll::State& after, Ms at_ms);

  // The last step's outcome.
  Outcome outcome() const { return outcome_; }
  // A stop was fed (the session must be over).
  bool stopped() const { return stopped_; }
  // When the endpoint is due for its next poll (the reducer must poll it at
  // the first Tick at or after it); nullopt while it has a poll in flight,
  // before Started and after a stop.
  std::optional<model::Instant> due_at(std::size_t endpoint) const;

  // The first 20 violations since the last take_violations() (later ones are dropped).
  const std::vector<Violation>& violations() const { return violations_; }
  // Hands them over; the reference keeps judging (and counting to 20 afresh).
  std::vector<Violation> take_violations() {
    std::vector<Violation> out;
    out.swap(violations_);
    return out;
  }
  bool ok() const { return violations_.empty(); }

 private:
  using Map = std::map<std::string, std::string>;
  struct Endpoint {
    bool in_flight = false;
    bool retry_out = false;                       // the 503 retry of the poll in flight is out
    model::Instant issued_at{};                   // of the scheduled poll in flight
    std::uint64_t escalations_seen = 0;           // the session's escalations when it was sent
    model::Instant due{};                         // not in flight: it may and must be polled then
    bool failing = false;                         // its last outcome was a failure
    Map mirror;                                   // from Added / Modified / Removed only
    std::optional<model::poll::Snapshot> polled;  // the last snapshot it returned
    std::optional<model::poll::Status> reported;
  };

  void flag(RuleOf<poll_rules> rule, std::string message, std::size_t endpoint);
  void on_stop(const model::poll::Event& event, const model::poll::Effects& effects,
               const model::poll::State& after);
  void on_result(const model::poll::Event& event);
  void settle_outcome();
  void on_retry(const model::poll::Effects& effects);
  void effect(const model::poll::Effect& x, const model::poll::Event& event);
  void on_poll(const model::poll::Poll& p, const model::poll::Event& event);
  void on_change(std::size_t endpoint, model::poll::ChangeKind kind, const std::string& key,
                 const std::string& value, const model::poll::Event& event);
  void on_status(const model::poll::ReportStatus& r);
  void judge_status();
  void judge_backoff(std::size_t endpoint, const model::poll::Status& st);
  void judge_mirror(std::size_t endpoint);
  void judge_deadline(const model::poll::State& after, bool scheduling);

  model::poll::Config config_;
  std::vector<Endpoint> endpoints_;
  bool started_ = false;
  bool stopped_ = false;
  std::uint32_t failures_ = 0;     // the session's failure count
  std::uint64_t escalations_ = 0;  // times it was raised
  // The step being judged.
  model::Instant now_{};
  Ms at_ms_ = 0;
  Outcome outcome_ = Outcome::none;
  std::size_t answered_ = 0;       // the endpoint whose result it is; endpoints_.size(): none
  std::uint16_t http_status_ = 0;  // a quiet error's or a failure's status
  std::uint32_t statuses_ = 0;     // ReportStatus effects in the step
  std::vector<Violation> violations_;
};

}  // namespace tether::sim
