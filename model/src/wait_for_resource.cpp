#include <algorithm>
#include <tether/model/backoff.hpp>
#include <tether/model/overload.hpp>
#include <tether/model/presets.hpp>
#include <tether/model/saturating.hpp>
#include <tether/model/wait_for_resource.hpp>
#include <utility>

namespace tether::model::wait {

namespace {

// One transition's working set: handlers branch, the helpers below them are the
// shared mechanisms (attempts, failures, wakes, phases).
class Reducer {
 public:
  Reducer(WaitState& s, Effects& out, Instant now) : s_(s), out_(out), cfg_(*s.config), now_(now) {}

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
    s_.phase = phase;
    const WaitStatus st = status_of(phase);
    if (st != s_.status) {
      s_.status = st;
      out_.push_back(ReportStatus{st});
    }
  }

  // The outage clock has run out (checked before any attempt and on ticks).
  bool outage_over(Instant waiting_since) const {
    return cfg_.give_up.outage_ms_max > 0 &&
           elapsed_ms(waiting_since, now_) >= cfg_.give_up.outage_ms_max;
  }

  void attempt(std::uint32_t failures, Instant waiting_since) {
    std::optional<Instant> deadline;
    if (cfg_.acquire_timeout_ms > 0) deadline = after(now_, cfg_.acquire_timeout_ms);
    if (s_.acquire_out != 0) {
      // The driver's call is still out (a timeout does not take it back): a
      // second one would only queue behind it. Its answer serves this attempt,
      // unless it was released; then this attempt's Acquire goes after it.
      const std::uint64_t id = s_.acquire_out_released ? 0 : s_.acquire_out;
      return enter(Acquiring{id, failures, deadline, waiting_since, true});
    }
    const std::uint64_t id = ++s_.attempts_made;
    out_.push_back(Acquire{id, saturating_inc(failures)});
    s_.acquire_out = id;
    s_.acquire_out_released = false;
    enter(Acquiring{id, failures, deadline, waiting_since, false});
  }

  // Drop what the acquisition out will bring (it cannot be called back).
  void release_out() {
    if (s_.acquire_out == 0 || s_.acquire_out_released) return;
    out_.push_back(Release{s_.acquire_out});
    s_.acquire_out_released = true;
  }

  void give_up(Cause cause, std::uint32_t failures) {
    release_out();
    enter(GaveUp{cause, failures});
  }

  // The acquisition out answered `id`: true if it was, and it is no longer out.
  bool answer_out(std::uint64_t id) {
    if (id == 0 || id != s_.acquire_out) return false;  // stale: answered already, or never asked
    s_.acquire_out = 0;
    return true;
  }

  // Attempt now unless the outage limit says give up first.
  void attempt_unless_given_up(std::uint32_t failures, Instant waiting_since) {
    if (outage_over(waiting_since)) return give_up(Cause::outage_too_long, failures);
    attempt(failures, waiting_since);
  }

  // Acquisition number `failures` (>= 1) in a row failed: give up, or back off.
  void fail(std::uint32_t failures, Cause cause, Instant waiting_since) {
    if (cfg_.give_up.attempts_max > 0 && failures >= cfg_.give_up.attempts_max)
      return give_up(Cause::attempts_exhausted, failures);
    if (outage_over(waiting_since)) return give_up(Cause::outage_too_long, failures);
    const std::int64_t delay_ms =
        sample_delay_ms(cfg_.backoff, failures, s_.previous_delay_ms, s_.prng);
    s_.previous_delay_ms = delay_ms;
    const Instant until = after(now_, delay_ms);
    if (until <= now_) return attempt(failures, waiting_since);  // e.g. full jitter drew 0
    enter(BackingOff{failures, until, waiting_since, cause});
  }

  // The link came back: the spread of the wake, so that a fleet reconnecting to
  // one broker does not attempt in the same millisecond.
  Instant wake_at() { return after(now_, s_.prng.uniform(0, cfg_.backoff.restored_delay_ms_max)); }

  // A hold ended at now_: the reopen pause starts.
  void pause_after_hold() {
    if (cfg_.reopen_pause_ms == 0) return attempt(0, now_);
    enter(Pausing{after(now_, cfg_.reopen_pause_ms), now_});
  }

  WaitState& s_;
  Effects& out_;
  const WaitConfig& cfg_;
  Instant now_;
};

void Reducer::on(const Started& e) {
  if (!std::holds_alternative<Idle>(s_.phase)) return;
  if (e.link != Link::unknown) s_.link = e.link;
  if (s_.link == Link::down) return enter(Offline{0, now_, now_});
  attempt(0, now_);
}

void Reducer::on(const StopRequested&) {
  release_out();
  if (const auto* h = std::get_if<Held>(&s_.phase)) out_.push_back(Release{h->id});
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
             s_.phase);
}

void Reducer::on(const Connected&) {
  const bool news = s_.link != Link::up;
  s_.link = Link::up;
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
             s_.phase);
}

void Reducer::on(const Disconnected&) {
  s_.link = Link::down;
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
                   enter(Offline{0, after(now_, cfg_.reopen_pause_ms), now_});
                 },
                 [&](const Pausing& p) {
                   enter(Offline{0, p.until, p.waiting_since});
                 },
                 [](const auto&) {},
             },
             s_.phase);
}

// An answer of a released acquisition serves nothing; an attempt queued behind
// it makes its own now.
void Reducer::after_released_answer() {
  if (const auto* a = std::get_if<Acquiring>(&s_.phase); a != nullptr && a->id == 0)
    attempt_unless_given_up(a->failures, a->waiting_since);
}

void Reducer::on(const AcquireSucceeded& e) {
  const bool released = s_.acquire_out_released;
  if (!answer_out(e.id)) return;
  if (released) return after_released_answer();
  // Still waiting for the resource (the attempt this answers, or the backoff
  // its timeout entered): a late success is as good as a timely one.
  const auto* a = std::get_if<Acquiring>(&s_.phase);
  if ((a != nullptr && a->id == e.id) || std::holds_alternative<BackingOff>(s_.phase)) {
    s_.previous_delay_ms = 0;
    return enter(Held{e.id, now_});
  }
  out_.push_back(Release{e.id});  // not wanted any more (not reached: kept for safety)
}

void Reducer::on(const AcquireFailed& e) {
  const bool released = s_.acquire_out_released;
  if (!answer_out(e.id)) return;
  if (released) return after_released_answer();
  // After its timeout the failure is already counted; the backoff runs on.
  const auto* a = std::get_if<Acquiring>(&s_.phase);
  if (a != nullptr && a->id == e.id)
    fail(saturating_inc(a->failures), Cause::acquire_failed, a->waiting_since);
}

void Reducer::on(const WatchEnded& e) {
  const auto* h = std::get_if<Held>(&s_.phase);
  if (h == nullptr || h->id != e.id) return;
  pause_after_hold();
}

void run(WaitState& state, const Event& event, Effects& out) {
  if (is_terminal(state)) return;  // sticky and quiet
  std::visit([&](const auto& e) { Reducer(state, out, e.now).on(e); }, event);
}

}  // namespace

std::expected<void, ConfigError> validate(const WaitConfig& config) {
  // The backoff and give-up fields mean what they mean for a session: validate
  // them as one, so the field names and limits are the same.
  SessionConfig as_session;
  as_session.backoff = config.backoff;
  as_session.give_up = config.give_up;
  if (auto r = model::validate(as_session); !r) return r;
  if (config.reopen_pause_ms < 0 || config.reopen_pause_ms > duration_ms_max)
    return std::unexpected(ConfigError{"reopen_pause_ms", "must be in [0, 2^61 - 1]"});
  if (config.acquire_timeout_ms < 0 || config.acquire_timeout_ms > duration_ms_max)
    return std::unexpected(ConfigError{"acquire_timeout_ms", "must be in [0, 2^61 - 1]"});
  return {};
}

std::expected<WaitState, ConfigError> make_wait(const WaitConfig& config) {
  if (auto r = validate(config); !r) return std::unexpected(r.error());
  WaitState s;
  s.config = std::make_shared<const WaitConfig>(config);
  s.phase = Idle{};
  s.prng = Prng(config.seed);
  return s;
}

bool is_terminal(const WaitState& state) {
  return std::holds_alternative<Stopped>(state.phase) ||
         std::holds_alternative<GaveUp>(state.phase);
}

Step transition(WaitState state, const Event& event) noexcept {
  Step step{std::move(state), {}};
  run(step.state, event, step.effects);
  return step;
}

std::optional<Instant> next_deadline(const WaitState& s) noexcept {
  const WaitConfig& cfg = *s.config;
  std::optional<Instant> d;
  const auto consider = [&](Instant t) { d = d ? earliest(*d, t) : t; };
  // outage: the give-up clock runs out in a waiting phase
  const auto outage = [&](Instant waiting_since) {
    if (cfg.give_up.outage_ms_max > 0) consider(after(waiting_since, cfg.give_up.outage_ms_max));
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
             s.phase);
  return d;
}

WaitStatus status_of(const Phase& phase) {
  return std::visit(
      Overload{
          [](const Idle&) { return WaitStatus{}; },
          [](const Acquiring& a) {
            return WaitStatus{StatusKind::acquiring,
                              a.behind ? Cause::acquire_still_out : Cause::none,
                              a.failures,
                              {}};
          },
          [](const BackingOff& b) {
            return WaitStatus{StatusKind::backing_off, b.cause, b.failures, b.until};
          },
          [](const Offline& o) {
            return WaitStatus{StatusKind::offline, Cause::disconnected, o.failures, {}};
          },
          [](const Held&) {
            return WaitStatus{StatusKind::held, Cause::none, 0, {}};
          },
          [](const Pausing& p) {
            return WaitStatus{StatusKind::pausing, Cause::watch_ended, 0, p.until};
          },
          [](const Stopped&) {
            return WaitStatus{StatusKind::stopped, Cause::stop_requested, 0, {}};
          },
          [](const GaveUp& g) {
            return WaitStatus{StatusKind::gave_up, g.cause, g.failures, {}};
          },
      },
      phase);
}

}  // namespace tether::model::wait
