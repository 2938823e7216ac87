#include <algorithm>
#include <cstdint>
#include <tether/model/backoff.hpp>
#include <tether/sim/reference/wait.hpp>
#include <utility>
#include <variant>

namespace tether::sim {

namespace wait = model::wait;

namespace {
std::string num(std::int64_t v) { return std::to_string(v); }
std::string num(std::uint64_t v) { return std::to_string(v); }
std::string num(std::uint32_t v) { return std::to_string(v); }

std::string what(std::uint64_t id, bool behind) {
  return behind ? "an attempt behind acquisition " + num(id) : "Acquire " + num(id);
}
}  // namespace

WaitReference::WaitReference(const wait::Config& config, std::vector<Violation>& sink)
    : config_(config), sink_(&sink) {}

void WaitReference::flag(RuleOf<wait_rules> rule, std::string message, Ms at_ms) {
  sink_->push_back(Violation{rule.rule.guarantee, rule.rule.name, std::move(message), at_ms, 0});
}

void WaitReference::step(const wait::Event& e, const wait::Effects& fx,
                         std::optional<model::Instant> deadline) {
  now_ms_ = wait::time_of(e).ms;
  if (terminal_) {
    if (!fx.empty()) flag("not-quiet", "effects after a terminal state");
    return;
  }
  if (std::holds_alternative<wait::Started>(e) && started_ && !fx.empty())
    flag("repeated-start", "a repeated Started did something");
  expected_releases_.clear();
  std::visit([this](const auto& x) { on(x); }, e);
  judge_effects(fx);
  judge_after(e, deadline);
}

// A Connected wake is honoured: with nothing fed through at_ms, an attempt due
// by then has been made.
void WaitReference::idle_until(Ms at_ms) {
  if (terminal_ || !wake_by_ || attempt_ || held_ || at_ms < *wake_by_) return;
  flag("connected-did-not-wake",
       "no attempt by " + num(*wake_by_) + " ms, the wake bound after Connected", at_ms);
  wake_by_.reset();
}

// --- the event ----------------------------------------------------------------

void WaitReference::on(const wait::Started& e) {
  if (started_) return;
  started_ = true;
  if (e.link != wait::Link::unknown) told_ = e.link;
  waiting_since_ = now_ms_;
}

void WaitReference::on(const wait::StopRequested&) {
  release_out();
  if (held_) expected_releases_.push_back(*held_);
}

void WaitReference::on(const wait::Tick&) {
  // A timeout ends the waiting, not the call: nothing is released.
  if (attempt_ && config_.acquire_timeout_ms > 0 &&
      now_ms_ - attempt_->since >= config_.acquire_timeout_ms) {
    failed();
    ++tally_.acquire_timeouts;
  }
}

void WaitReference::on(const wait::Connected&) {
  const bool news = told_ != wait::Link::up;
  told_ = wait::Link::up;
  if (!news) return;  // a repeat wakes nothing
  woken_ = true;
  if (!started_ || attempt_ || held_) return;
  Ms by = now_ms_ + config_.backoff.restored_delay_ms_max;
  if (hold_end_) by = std::max(by, *hold_end_ + config_.reopen_pause_ms);  // the pause still holds
  wake_by_ = by;
}

void WaitReference::on(const wait::Disconnected&) {
  told_ = wait::Link::down;
  wake_by_.reset();
  attempt_.reset();
  release_out();  // it cannot succeed over a dead link
  if (held_) {
    expected_releases_.push_back(*held_);  // a watch cannot outlive its connection
    hold_ended();
  }
}

void WaitReference::on(const wait::WatchEnded& e) {
  if (held_ && *held_ == e.id) hold_ended();
}

// The answer of acquisition `id`: the one out, or stale.
void WaitReference::answered(std::uint64_t id, bool succeeded) {
  if (!out_ || out_->id != id) return;
  const Out was = *std::exchange(out_, std::nullopt);
  if (was.released) {
    released_answer_ = true;
    must_attempt_ = attempt_ && attempt_->id == 0;
    return;
  }
  if (!succeeded) {
    if (attempt_ && attempt_->id == id) failed();  // else counted at its timeout
    return;
  }
  // Unreleased, it serves the attempt under way or the backoff its timeout
  // entered: the session is still waiting, so the resource is held.
  if (!(attempt_ && attempt_->id == id)) ++tally_.late_successes_held;
  must_hold_ = true;
  attempt_.reset();
  held_ = id;
  failures_ = 0;
  prev_delay_ms_ = 0;
  failed_at_.reset();
  wake_by_.reset();
}

void WaitReference::release_out() {
  if (out_ && !out_->released) {
    expected_releases_.push_back(out_->id);
    out_->released = true;
  }
}

void WaitReference::failed() {
  attempt_.reset();
  failures_ = failures_ == UINT32_MAX ? failures_ : failures_ + 1;
  failed_at_ = now_ms_;
  woken_ = false;
}

void WaitReference::hold_ended() {
  held_.reset();
  hold_end_ = now_ms_;
  waiting_since_ = now_ms_;
}

// --- the effects ----------------------------------------------------------------

void WaitReference::judge_effects(const wait::Effects& fx) {
  releases_.clear();
  bool held_now = false, failed_now = false;
  for (const wait::Effect& x : fx) {
    if (const auto* rel = std::get_if<wait::Release>(&x)) {
      releases_.push_back(rel->id);
    } else if (const auto* a = std::get_if<wait::Acquire>(&x)) {
      on_acquire(*a);
    } else if (const auto* st = std::get_if<wait::ReportStatus>(&x)) {
      on_status(st->status);
      held_now = held_now || st->status.kind == wait::StatusKind::held;
      failed_now = failed_now || (st->status.kind == wait::StatusKind::backing_off &&
                                  st->status.cause == wait::Cause::acquire_failed);
    }
  }
  if (releases_ != expected_releases_)
    flag("release", "released other than the attempt or hold that ended");
  if (std::exchange(released_answer_, false) && (held_now || failed_now))
    flag("stale-answer", "the answer of a released acquisition changed the phase");
}

void WaitReference::on_acquire(const wait::Acquire& a) {
  if (out_)
    flag("one-out", what(a.id, false) + " while acquisition " + num(out_->id) +
                        " is still out: it would queue behind it on the one worker");
  if (a.id <= last_id_) flag("ids", "attempt ids must increase");
  if (a.attempt != failures_ + 1)
    flag("attempt-number", "attempt " + num(a.attempt) + " after " + num(failures_) + " failures");
  // An attempt behind a released acquisition was judged when it fell due.
  if (!(attempt_ && attempt_->id == 0)) due(Due{a.id, false});
  out_ = Out{a.id, false};
  attempt_ = Attempt{a.id, now_ms_};
  last_id_ = a.id;
  attempted_now_ = true;
}

void WaitReference::on_status(const wait::Status& st) {
  status_kind_ = st.kind;
  if (st.kind == wait::StatusKind::acquiring && st.cause == wait::Cause::acquire_still_out) {
    // An attempt fell due with an acquisition out: it waits for that one.
    ++tally_.attempts_behind_out;
    if (!out_) flag("one-out", "acquiring behind an acquisition that is not out");
    due(Due{out_ ? out_->id : 0, true});
    attempt_ = Attempt{out_ && !out_->released ? out_->id : 0, now_ms_};
  }
  if (st.kind == wait::StatusKind::gave_up || st.kind == wait::StatusKind::stopped) {
    release_out();
    terminal_ = true;
  }
  if (st.kind == wait::StatusKind::gave_up) judge_gave_up(st);
  if (st.kind == wait::StatusKind::backing_off && failed_at_ && *failed_at_ == now_ms_ &&
      (st.cause == wait::Cause::acquire_failed || st.cause == wait::Cause::acquire_timeout))
    judge_delay(st);
  if ((st.kind == wait::StatusKind::backing_off || st.kind == wait::StatusKind::offline) &&
      st.failures != failures_)
    flag("failure-count",
         "status reports " + num(st.failures) + " failures, " + num(failures_) + " in a row");
}

// An attempt falls due (its own Acquire, or waiting behind the acquisition out):
// the checks of the wait before it.
void WaitReference::due(Due d) {
  if (told_ == wait::Link::down)
    flag("attempt-while-down", what(d.id, d.behind) + " while told Disconnected");
  if (held_) flag("one-at-a-time", what(d.id, d.behind) + " while held");
  judge_give_up_not_after(d);
  if (failed_at_ && !woken_) {
    const std::int64_t lo = model::jitter_envelope(config_.backoff, failures_).delay_ms_min;
    if (now_ms_ - *failed_at_ < lo)
      flag("wait-too-short", "waited " + num(now_ms_ - *failed_at_) + " ms after failure " +
                                 num(failures_) + ", policy lower bound " + num(lo));
  }
  if (hold_end_ && now_ms_ < *hold_end_ + config_.reopen_pause_ms)
    flag("reopen-too-soon", "reopened " + num(now_ms_ - *hold_end_) +
                                " ms after a hold ended, pause " + num(config_.reopen_pause_ms));
  if (hold_end_) ++tally_.reopens_after_pause;
  if (wake_by_) ++tally_.attempts_woken;
  failed_at_.reset();
  hold_end_.reset();
  wake_by_.reset();
  woken_ = false;
}

// Give-up at the limit, not after it: no attempt once attempts_max failures in
// a row or outage_ms_max of waiting are behind.
void WaitReference::judge_give_up_not_after(Due d) {
  const auto& limit = config_.give_up;
  if (limit.attempts_max > 0 && failures_ >= limit.attempts_max)
    flag("give-up", what(d.id, d.behind) + " after failure " + num(failures_) +
                        ", the limit attempts_max " + num(limit.attempts_max));
  if (limit.outage_ms_max > 0 && now_ms_ - waiting_since_ >= limit.outage_ms_max)
    flag("give-up", what(d.id, d.behind) + " after waiting " + num(now_ms_ - waiting_since_) +
                        " ms, the limit outage_ms_max " + num(limit.outage_ms_max));
}

// Give-up at the limit, not before it.
void WaitReference::judge_gave_up(const wait::Status& st) {
  const auto& limit = config_.give_up;
  if (st.cause == wait::Cause::attempts_exhausted &&
      !(limit.attempts_max > 0 && failures_ >= limit.attempts_max))
    flag("give-up", "gave up on attempts before the policy said so");
  if (st.cause == wait::Cause::outage_too_long &&
      !(limit.outage_ms_max > 0 && now_ms_ - waiting_since_ >= limit.outage_ms_max))
    flag("give-up", "gave up on the outage before the policy said so");
}

// The exact range the jitter rule gives this draw: decorrelated jitter grows
// from the previous delay of this run of failures (none after a hold), which
// the reference follows from the delays it saw.
void WaitReference::judge_delay(const wait::Status& st) {
  ++tally_.backoffs;
  const model::DelayBounds b = model::jitter_bounds(config_.backoff, failures_, prev_delay_ms_);
  const std::int64_t d = st.next_attempt_at.ms - now_ms_;
  if (d < b.delay_ms_min || d > b.delay_ms_max)
    flag("delay-out-of-bounds", "delay " + num(d) + " after failure " + num(failures_) +
                                    " outside [" + num(b.delay_ms_min) + ", " +
                                    num(b.delay_ms_max) + "]");
  prev_delay_ms_ = d;
}

void WaitReference::judge_after(const wait::Event& e, std::optional<model::Instant> deadline) {
  if (std::exchange(must_hold_, false) && !terminal_ && status_kind_ != wait::StatusKind::held)
    flag("late-success",
         "the acquisition out answered success while the session waited, and it is not held");
  if (std::exchange(must_attempt_, false) && !terminal_ && !attempted_now_)
    flag("wedged", "the attempt behind a released acquisition did not go when that one answered");
  attempted_now_ = false;
  if (std::holds_alternative<wait::StopRequested>(e) && !terminal_)
    flag("stop", "StopRequested did not stop");
  if (terminal_) {
    attempt_.reset();
    out_.reset();
    held_.reset();
    wake_by_.reset();
    if (deadline) flag("not-quiet", "a terminal state has a deadline");
    return;
  }
  if (std::holds_alternative<wait::Tick>(e) && deadline && deadline->ms <= now_ms_)
    flag("deadline-not-ahead",
         "a Tick at " + num(now_ms_) + " ms left a deadline at " + num(deadline->ms));
  judge_wedged(deadline);
}

// Never wedged: a session waiting for the resource (the link not known down)
// has a deadline unless an attempt is under way; and with an outage limit it
// has one by the limit, however long an acquisition hangs.
void WaitReference::judge_wedged(std::optional<model::Instant> deadline) {
  if (!started_ || held_) return;
  if (!attempt_ && told_ != wait::Link::down && !deadline)
    flag("wedged", "waiting for the resource with no deadline");
  const Ms outage_ms_max = config_.give_up.outage_ms_max;
  if (outage_ms_max > 0 && (!deadline || deadline->ms > waiting_since_ + outage_ms_max))
    flag("wedged", "no deadline by the outage limit outage_ms_max (" + num(outage_ms_max) + " ms)");
}

}  // namespace tether::sim
