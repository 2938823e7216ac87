#include <tether/model/backoff.hpp>
#include <tether/model/give_up.hpp>
#include <tether/model/overload.hpp>
#include <tether/model/saturating.hpp>
#include <tether/model/step_in_place.hpp>
#include <tether/model/wait/reducer.hpp>
#include <utility>

namespace tether::model::wait {

namespace {

// One transition's working set: handlers branch, the helpers below them are the
// shared mechanisms (attempts, failures, wakes, phases).
class Reducer {
 public:
  Reducer(State& state, Effects& out, Instant now)
      : state_(state), out_(out), config_(*state.config), now_(now) {}

  void on(const Started& e);
  void on(const StopRequested&);
  void on(const Tick&);
  void on(const Connected&);
  void on(const Disconnected&);
  void on(const AcquireSucceeded& e);
  void on(const AcquireFailed& e);
  void on(const WatchEnded& e);

 private:
  void after_released_answer();

  void enter(const Phase& phase) {
    state_.phase = phase;
    const Status status = status_of(phase);
    if (status != state_.status) {
      state_.status = status;
      out_.push_back(ReportStatus{status});
    }
  }

  // The outage clock has run out (checked before any attempt and on ticks).
  bool outage_over(Instant waiting_since) const {
    return outage_exceeded(config_.give_up, waiting_since, now_);
  }

  void attempt(std::uint32_t failures, Instant waiting_since) {
    std::optional<Instant> deadline;
    if (config_.acquire_timeout_ms > 0) deadline = after(now_, config_.acquire_timeout_ms);
    if (state_.acquire_out != 0) {
      // The driver's call is still out (a timeout does not take it back): a
      // second one would only queue behind it. Its answer serves this attempt,
      // unless it was released; then this attempt's Acquire goes after it.
      const std::uint64_t id = state_.acquire_out_released ? 0 : state_.acquire_out;
      return enter(Acquiring{id, failures, deadline, waiting_since, true});
    }
    const std::uint64_t id = ++state_.attempts_made;
    out_.push_back(Acquire{id, saturating_inc(failures)});
    state_.acquire_out = id;
    state_.acquire_out_released = false;
    enter(Acquiring{id, failures, deadline, waiting_since, false});
  }

  // Drop what the acquisition out will bring (it cannot be called back).
  void release_out() {
    if (state_.acquire_out == 0 || state_.acquire_out_released) return;
    out_.push_back(Release{state_.acquire_out});
    state_.acquire_out_released = true;
  }

  void give_up(Cause cause, std::uint32_t failures) {
    release_out();
    enter(GaveUp{cause, failures});
  }

  // The acquisition out answered `id`: true if it was, and it is no longer out.
  bool answer_out(std::uint64_t id) {
    if (id == 0 || id != state_.acquire_out)
      return false;  // stale: answered already, or never asked
    state_.acquire_out = 0;
    return true;
  }

  // Attempt now unless the outage limit says give up first.
  void attempt_unless_given_up(std::uint32_t failures, Instant waiting_since) {
    if (outage_over(waiting_since)) return give_up(Cause::outage_too_long, failures);
    attempt(failures, waiting_since);
  }

  // Acquisition number `failures` (>= 1) in a row failed: give up, or back off.
  void fail(std::uint32_t failures, Cause cause, Instant waiting_since) {
    if (const auto limit = give_up_limit(config_.give_up, failures, waiting_since, now_))
      return give_up(
          *limit == GiveUpLimit::attempts ? Cause::attempts_exhausted : Cause::outage_too_long,
          failures);
    const std::int64_t delay_ms =
        draw_delay(config_.backoff, failures, state_.previous_delay_ms, state_.prng).delay_ms;
    const Instant until = after(now_, delay_ms);
    if (until <= now_) return attempt(failures, waiting_since);  // e.g. full jitter drew 0
    enter(BackingOff{failures, until, waiting_since, cause});
  }

  // The link came back: the spread of the wake, so that a fleet reconnecting to
  // one broker does not attempt in the same millisecond.
  Instant wake_at() {
    return after(now_, state_.prng.uniform(0, config_.backoff.restored_delay_ms_max));
  }

  // A hold ended at now_: the reopen pause starts.
  void pause_after_hold() {
    if (config_.reopen_pause_ms == 0) return attempt(0, now_);
    enter(Pausing{after(now_, config_.reopen_pause_ms), now_});
  }

  State& state_;
  Effects& out_;
  const Config& config_;
  Instant now_;
};

void Reducer::on(const Started& e) {
  if (!std::holds_alternative<Idle>(state_.phase)) return;
  if (e.link != Link::unknown) state_.link = e.link;
  if (state_.link == Link::down) return enter(Offline{0, now_, now_});
  attempt(0, now_);
}

void Reducer::on(const StopRequested&) {
  release_out();
  if (const auto* h = std::get_if<Held>(&state_.phase)) out_.push_back(Release{h->id});
  enter(Stopped{});
}

void Reducer::on(const Tick&) {
  std::visit(Overload{
                 [&](const Acquiring& a) {
                   // A timeout ends the waiting, not the call: nothing is
                   // released, and the acquisition stays out until it answers.
                   if (a.deadline && now_ >= *a.deadline)
                     return fail(saturating_inc(a.failures), Cause::acquire_timeout,
                                 a.waiting_since);
                   if (outage_over(a.waiting_since)) give_up(Cause::outage_too_long, a.failures);
                 },
                 [&](const BackingOff& b) {
                   if (outage_over(b.waiting_since))
                     return give_up(Cause::outage_too_long, b.failures);
                   if (now_ >= b.until) attempt(b.failures, b.waiting_since);
                 },
                 [&](const Offline& o) {
                   if (outage_over(o.waiting_since)) give_up(Cause::outage_too_long, o.failures);
                 },
                 [&](const Pausing& p) {
                   if (outage_over(p.waiting_since)) return give_up(Cause::outage_too_long, 0);
                   if (now_ >= p.until) attempt(0, p.waiting_since);
                 },
                 [](const auto&) {},
             },
             state_.phase);
}

void Reducer::on(const Connected&) {
  const bool news = state_.link != Link::up;
  state_.link = Link::up;
  if (!news) return;  // a repeat is not news: waking on it would let a chatty notifier spin us
  std::visit(Overload{
                 [&](const BackingOff& b) {
                   const Instant until = earliest(b.until, wake_at());
                   if (until <= now_) return attempt_unless_given_up(b.failures, b.waiting_since);
                   if (until < b.until)
                     enter(BackingOff{b.failures, until, b.waiting_since, Cause::reconnected});
                 },
                 [&](const Offline& o) {
                   const Instant wake = wake_at();
                   // A reopen pause that was running when the link dropped still holds.
                   if (o.not_before > now_)
                     return enter(Pausing{latest(o.not_before, wake), o.waiting_since});
                   if (wake <= now_) return attempt_unless_given_up(o.failures, o.waiting_since);
                   enter(BackingOff{o.failures, wake, o.waiting_since, Cause::reconnected});
                 },
                 [](const auto&) {},
             },
             state_.phase);
}

void Reducer::on(const Disconnected&) {
  state_.link = Link::down;
  std::visit(Overload{
                 [&](const Acquiring& a) {
                   // The attempt cannot succeed over a dead link; it was not the
                   // resource's fault, so the failure count stays.
                   release_out();
                   enter(Offline{a.failures, now_, a.waiting_since});
                 },
                 [&](const BackingOff& b) {
                   release_out();  // a timed-out acquisition still out
                   enter(Offline{b.failures, now_, b.waiting_since});
                 },
                 [&](const Held& h) {
                   // A watch cannot outlive its connection: the hold ended now.
                   out_.push_back(Release{h.id});
                   enter(Offline{0, after(now_, config_.reopen_pause_ms), now_});
                 },
                 [&](const Pausing& p) {
                   enter(Offline{0, p.until, p.waiting_since});
                 },
                 [](const auto&) {},
             },
             state_.phase);
}

// An answer of a released acquisition serves nothing; an attempt queued behind
// it makes its own now.
void Reducer::after_released_answer() {
  if (const auto* a = std::get_if<Acquiring>(&state_.phase); a != nullptr && a->id == 0)
    attempt_unless_given_up(a->failures, a->waiting_since);
}

void Reducer::on(const AcquireSucceeded& e) {
  const bool released = state_.acquire_out_released;
  if (!answer_out(e.id)) return;
  if (released) return after_released_answer();
  // Still waiting for the resource (the attempt this answers, or the backoff
  // its timeout entered): a late success is as good as a timely one.
  const auto* a = std::get_if<Acquiring>(&state_.phase);
  if ((a != nullptr && a->id == e.id) || std::holds_alternative<BackingOff>(state_.phase)) {
    state_.previous_delay_ms = 0;
    return enter(Held{e.id, now_});
  }
  out_.push_back(Release{e.id});  // not wanted any more (not reached: kept for safety)
}

void Reducer::on(const AcquireFailed& e) {
  const bool released = state_.acquire_out_released;
  if (!answer_out(e.id)) return;
  if (released) return after_released_answer();
  // After its timeout the failure is already counted; the backoff runs on.
  const auto* a = std::get_if<Acquiring>(&state_.phase);
  if (a != nullptr && a->id == e.id)
    fail(saturating_inc(a->failures), Cause::acquire_failed, a->waiting_since);
}

void Reducer::on(const WatchEnded& e) {
  const auto* h = std::get_if<Held>(&state_.phase);
  if (h == nullptr || h->id != e.id) return;
  pause_after_hold();
}

void run(State& state, const Event& event, Effects& out) {
  if (is_terminal(state)) return;  // sticky and quiet
  std::visit([&](const auto& e) { Reducer(state, out, e.now).on(e); }, event);
}

}  // namespace

std::expected<State, ConfigError> make(const Config& config) {
  if (auto r = validate(config); !r) return std::unexpected(r.error());
  State state;
  state.config = std::make_shared<const Config>(config);
  state.phase = Idle{};
  state.prng = Prng(config.seed);
  return state;
}

bool is_terminal(const State& state) {
  return std::holds_alternative<Stopped>(state.phase) ||
         std::holds_alternative<GaveUp>(state.phase);
}

Effects transition_in_place(State& state, const Event& event) noexcept {
  Effects out;
  run(state, event, out);
  return out;
}

Step transition(State state, const Event& event) noexcept {
  return step_in_place<Step>(std::move(state), event, &transition_in_place);
}

std::optional<Instant> next_deadline(const State& state) noexcept {
  const Config& config = *state.config;
  std::optional<Instant> deadline;
  const auto consider = [&](Instant t) { deadline = deadline ? earliest(*deadline, t) : t; };
  // outage: the give-up clock runs out in a waiting phase
  const auto outage = [&](Instant waiting_since) {
    if (config.give_up.outage_ms_max > 0)
      consider(after(waiting_since, config.give_up.outage_ms_max));
  };
  std::visit(Overload{
                 // acquire timeout: the attempt counts as failed
                 [&](const Acquiring& a) {
                   if (a.deadline) consider(*a.deadline);
                   outage(a.waiting_since);
                 },
                 // backoff over: attempt
                 [&](const BackingOff& b) {
                   consider(b.until);
                   outage(b.waiting_since);
                 },
                 [&](const Offline& o) { outage(o.waiting_since); },
                 // reopen pause over: attempt
                 [&](const Pausing& p) {
                   consider(p.until);
                   outage(p.waiting_since);
                 },
                 [](const auto&) {},
             },
             state.phase);
  return deadline;
}

Status status_of(const Phase& phase) {
  return std::visit(Overload{
                        [](const Idle&) { return Status{}; },
                        [](const Acquiring& a) {
                          return Status{StatusKind::acquiring,
                                        a.behind ? Cause::acquire_still_out : Cause::none,
                                        a.failures,
                                        {}};
                        },
                        [](const BackingOff& b) {
                          return Status{StatusKind::backing_off, b.cause, b.failures, b.until};
                        },
                        [](const Offline& o) {
                          return Status{StatusKind::offline, Cause::disconnected, o.failures, {}};
                        },
                        [](const Held&) {
                          return Status{StatusKind::held, Cause::none, 0, {}};
                        },
                        [](const Pausing& p) {
                          return Status{StatusKind::pausing, Cause::watch_ended, 0, p.until};
                        },
                        [](const Stopped&) {
                          return Status{StatusKind::stopped, Cause::stop_requested, 0, {}};
                        },
                        [](const GaveUp& g) {
                          return Status{StatusKind::gave_up, g.cause, g.failures, {}};
                        },
                    },
                    phase);
}

}  // namespace tether::model::wait
