#pragma once
// The reference oracle of model::wait (docs/wait-for-resource.md, "Rules"):
// every rule the reducer promises, written once, judged after every step from
// the events, the effects and the deadline alone. It keeps its own link,
// acquisition, hold and failure bookkeeping and never calls the reducer's
// arithmetic; the one thing it asks model/ is where a jittered delay may fall
// (model::jitter_bounds / jitter_envelope, the one jitter rule).
//
// Used by the model's property tests (tests/model/wait/rules.cpp, over random
// driver scripts) and by the simulator's wait world
// (sim/src/wait_world.cpp, over the production loop), which adds only what
// needs the world's truth: a healthy world leads to a hold in time.
//
// Its rules (wait_rules in violation.hpp), after every step:
//   not-quiet, stop       StopRequested stops; a terminal state (stopped,
//                         gave up) has no effects and no deadline
//   release               Release of exactly the attempt or hold that ended
//                         (a dead link, a stop, a give-up), never at a timeout
//   one-at-a-time         no attempt while held
//   ids, attempt-number   Acquire ids increase; attempt = failures in a row + 1
//   failure-count         a backing_off / offline status reports those failures
//   repeated-start        a second Started changes nothing
//   attempt-while-down    no attempt while last told Disconnected (rule 2)
//   wait-too-short        a wait after failure n at least the policy's lower
//                         bound for n, unless a Connected came meanwhile (rule 1)
//   delay-out-of-bounds   each drawn delay in the exact range the jitter rule
//                         gives it (decorrelated: from the previous delay of
//                         this run of failures, none after a hold) (rule 1)
//   reopen-too-soon       no attempt before reopen_pause_ms after a hold ended (rule 4)
//   give-up               give-up at the policy's limit, not before, and no
//                         attempt after it (rule 5)
//   one-out               one acquisition out at a time, from its Acquire to
//                         its answer (rule 7)
//   late-success          the unreleased acquisition's success, the session
//                         waiting, is the hold (rule 7)
//   stale-answer          a released acquisition's answer neither holds nor
//                         counts a failure (rule 7)
//   wedged                an attempt waiting behind a released acquisition goes
//                         when it answers; a session waiting for the resource
//                         has a deadline (unless an attempt is under way), by
//                         the outage limit if there is one
//   deadline-not-ahead    a Tick leaves no deadline at or before it
// and, when the driver says nothing was fed for a while (idle_until):
//   connected-did-not-wake  a Connected that found the session waiting led to
//                         an attempt within restored_delay_ms_max, or by the
//                         reopen pause's end (rule 3)

#include <cstdint>
#include <optional>
#include <string>
#include <tether/model/time.hpp>
#include <tether/model/wait/config.hpp>
#include <tether/model/wait/effect.hpp>
#include <tether/model/wait/event.hpp>
#include <tether/model/wait/state.hpp>
#include <tether/sim/violation.hpp>
#include <vector>

namespace tether::sim {

// What the reference saw, for a world's behaviour counters.
struct WaitTally {
  std::uint64_t backoffs = 0;             // delays drawn after a failure or a timeout
  std::uint64_t acquire_timeouts = 0;     // attempts failed by acquire_timeout_ms
  std::uint64_t attempts_behind_out = 0;  // attempts due with an acquisition still out
  std::uint64_t late_successes_held = 0;  // successes after their timeout, held
  std::uint64_t reopens_after_pause = 0;  // attempts after a hold ended
  std::uint64_t attempts_woken = 0;       // attempts with a Connected wake pending
};

class WaitReference {
 public:
  // Findings are appended to `sink` (which must outlive the reference), each
  // stamped with the time of the step (or idle instant) that showed it.
  WaitReference(const model::wait::Config& config, std::vector<Violation>& sink);

  // One step: the event as fed (its `now` set), its effects, and
  // next_deadline of the state after it.
  void step(const model::wait::Event& event, const model::wait::Effects& effects,
            std::optional<model::Instant> deadline);

  // Nothing was fed after the last step up to and including `at_ms`. A driver
  // owes the reducer a Tick at its deadline, so `at_ms` is at most the last
  // deadline - 1; what had to happen by then must have.
  void idle_until(Ms at_ms);

  bool holding() const { return held_.has_value(); }  // the session holds the resource
  bool terminal() const { return terminal_; }         // stopped or gave up
  const WaitTally& tally() const { return tally_; }

 private:
  struct Out {  // the acquisition out: from its Acquire to its answer
    std::uint64_t id;
    bool released;
  };
  // The attempt under way (the reducer's Acquiring): it takes acquisition
  // id's answer (0: it makes its own when the released one out answers).
  struct Attempt {
    std::uint64_t id;
    Ms since;
  };
  // An attempt falling due: its own Acquire, or one waiting behind acquisition `id`.
  struct Due {
    std::uint64_t id;
    bool behind;
  };

  void flag(RuleOf<wait_rules> rule, std::string message, Ms at_ms);
  void flag(RuleOf<wait_rules> rule, std::string message) {
    flag(rule, std::move(message), now_ms_);
  }

  // The event: what a correct reducer must have done (and must release).
  void on(const model::wait::Started& e);
  void on(const model::wait::StopRequested& e);
  void on(const model::wait::Tick& e);
  void on(const model::wait::Connected& e);
  void on(const model::wait::Disconnected& e);
  void on(const model::wait::AcquireSucceeded& e) { answered(e.id, true); }
  void on(const model::wait::AcquireFailed& e) { answered(e.id, false); }
  void on(const model::wait::WatchEnded& e);
  void answered(std::uint64_t id, bool succeeded);
  void release_out();
  void failed();
  void hold_ended();

  // The effects.
  void judge_effects(const model::wait::Effects& effects);
  void on_acquire(const model::wait::Acquire& a);
  void on_status(const model::wait::Status& st);
  void due(Due d);
  void judge_give_up_not_after(Due d);
  void judge_gave_up(const model::wait::Status& st);
  void judge_delay(const model::wait::Status& st);
  void judge_after(const model::wait::Event& e, std::optional<model::Instant> deadline);
  void judge_wedged(std::optional<model::Instant> deadline);

  model::wait::Config config_;
  std::vector<Violation>* sink_;
  WaitTally tally_;
  Ms now_ms_ = 0;

  bool started_ = false;
  bool terminal_ = false;
  model::wait::Link told_ = model::wait::Link::unknown;
  std::optional<Out> out_;
  std::optional<Attempt> attempt_;
  std::optional<std::uint64_t> held_;
  model::wait::StatusKind status_kind_ = model::wait::StatusKind::idle;  // last reported
  std::uint64_t last_id_ = 0;
  std::uint32_t failures_ = 0;      // in a row, since the last hold
  std::int64_t prev_delay_ms_ = 0;  // the last delay drawn since the last hold
  std::optional<Ms> failed_at_;     // the last failure, if no attempt since
  bool woken_ = false;              // a Connected edge since the last failure
  std::optional<Ms> hold_end_;      // the last hold's end, if no attempt since
  std::optional<Ms> wake_by_;       // a Connected wake: an attempt is due by then
  Ms waiting_since_ = 0;            // the outage clock: since Started or the last hold

  // This step.
  bool must_hold_ = false;        // it answered the acquisition out: it holds
  bool must_attempt_ = false;     // ... a released one, with an attempt behind it: it goes
  bool released_answer_ = false;  // ... a released one: nothing may hold or fail on it
  bool attempted_now_ = false;
  std::vector<std::uint64_t> expected_releases_;
  std::vector<std::uint64_t> releases_;
};

}  // namespace tether::sim
