#include <tether/sim/resource_world.hpp>

#include <algorithm>
#include <deque>
#include <set>
#include <string_view>
#include <utility>
#include <variant>

#include <tether/io/clock.hpp>
#include <tether/io/host.hpp>
#include <tether/io/reducer_loop.hpp>
#include <tether/io/reducers.hpp>
#include <tether/model/backoff.hpp>
#include <tether/model/presets.hpp>
#include <tether/model/prng.hpp>

#include "resource_common.hpp"

namespace tether::sim {

namespace {

using model::Instant;
using model::Prng;
using namespace world_detail;
namespace w = model::wait;

// =============================================================================
// Wait world
// =============================================================================

enum class WaitItemKind : std::uint8_t {
  edge,        // a fault interval starts or ends (or everything heals)
  answer,      // the worker's acquisition {id} returns
  watch_end,   // the world ends watch {id}
  tick,        // the timer the loop armed (id: its generation)
  stop,        // the application stops
  check_wake,  // a Connected wake must have led to an attempt by now
  check_live,  // a healthy world must have led to a hold by now
  link_repeat,  // the link monitor repeats Connected (no news)
};

struct WaitItem {
  WaitItemKind kind;
  std::uint64_t id = 0;  // attempt / watch id, or a check's generation
};

// The world is the loop's clock (the agenda's time), its host (the timer is an
// agenda item) and its executor (an Acquire goes to the one worker, whose
// answers come through the agenda; a Release closes the watch); the loop's
// hooks hash and judge every step.
class WaitWorld final : public io::Clock, public io::Host {
 public:
  WaitWorld(const WaitScenario& s, const WaitRunOptions& o, w::WaitState initial)
      : s_(s),
        o_(o),
        bound_ms_(liveness_bound_ms(s)),
        p_(Prng::derive(s.seed, 0x3A17'0001)),
        loop_(std::move(initial), *this, *this, *this, o.reducer) {
    loop_.inject_defect(o.loop_defect);
  }

  WaitRunResult run();

  // io::Clock
  model::Instant now() override { return Instant{clock_ms_}; }
  std::int64_t unix_now_ms() override { return clock_ms_; }
  // io::Host: a newer arm_timer replaces the armed one (older generations are
  // ignored when they come up).
  void arm_timer(std::optional<model::Instant> deadline) override {
    timer_generation_ += 1;
    if (deadline) agenda_.push(deadline->ms, WaitItem{WaitItemKind::tick, timer_generation_});
  }
  // An Acquire is answered by the world (an agenda item), never offloaded.
  void offload(Work work, io::Blocking) override { work()(); }

  // The loop's executor and its hooks.
  void stepping(const w::WaitState& before, const w::Event&) { was_terminal_ = w::is_terminal(before); }
  void stepped(const w::Event& e, const w::Effects& fx);
  void execute(const w::Effect& x);
  void executed(const w::Event& e, const w::WaitState& after, const w::Effects& fx) {
    judge(e, fx, w::next_deadline(after));
  }

 private:
  // --- the world
  bool link_up(Ms t) const { return t >= s_.safety_ms || !inside(s_.link_down, t); }
  bool present(Ms t) const { return t >= s_.safety_ms || !inside(s_.resource_absent, t); }
  bool flapping(Ms t) const { return t < s_.safety_ms && inside(s_.broker_flapping, t); }
  bool hanging(Ms t) const { return t < s_.safety_ms && inside(s_.acquisitions_hung, t); }
  bool healthy(Ms t) const { return link_up(t) && present(t) && !flapping(t) && !hanging(t); }
  Ms latency() { return p_.uniform(s_.latency_ms_min, s_.latency_ms_max); }
  Ms now_ms() const { return clock_ms_; }

  void feed(w::Event e) {
    if (loop_.feed(std::move(e)) != io::Fed::fed)
      finding("loop", "an input waited in the loop's inbox: the world fed the loop from an effect");
  }
  void on_edge();
  void start_next_acquisition();
  void on_answer(std::uint64_t id);

  // --- the oracle
  void finding(RuleOf<wait_rules> rule, std::string message) {
    r_.violations.push_back(Violation{rule.rule.guarantee, rule.rule.name, std::move(message), now_ms(), 0});
  }
  void judge(const w::Event& e, const w::Effects& fx, std::optional<Instant> deadline);
  std::vector<std::uint64_t> expected_releases(const w::Event& e);
  void on_answer_judged(std::uint64_t id, bool succeeded);
  void release_out(std::vector<std::uint64_t>& expected) {
    if (out_ && !out_->released) {
      expected.push_back(out_->id);
      out_->released = true;
    }
  }
  void judge_due(const std::string& what);
  void judge_attempt(const w::Acquire& a);
  void judge_status(const w::WaitStatus& st, std::vector<std::uint64_t>& expected);
  void judge_wedged(std::optional<Instant> deadline);
  void failed() {
    attempt_.reset();
    failures_ = failures_ == UINT32_MAX ? failures_ : failures_ + 1;
    failed_at_ = now_ms();
    connected_since_failure_ = false;
  }
  void hold_ended() {
    held_.reset();
    hold_end_ = now_ms();
    waiting_since_ = now_ms();
  }

  const WaitScenario& s_;
  const WaitRunOptions& o_;
  const Ms bound_ms_;
  Prng p_;
  Agenda<WaitItem> agenda_;
  Ms clock_ms_ = 0;  // the agenda's time; past its end, the time of the inputs that follow the run
  io::ReducerLoop<io::WaitReducer, WaitWorld> loop_;
  std::uint64_t timer_generation_ = 0;
  bool was_terminal_ = false;
  WaitRunResult r_;
  std::uint64_t hash_ = hash_seed;

  // world
  bool world_link_up_ = true;
  bool world_present_ = true;
  std::optional<std::uint64_t> open_watch_;
  std::set<std::uint64_t> released_;
  // The one worker: the acquisition running on it, and those queued behind.
  std::optional<std::uint64_t> running_;
  std::deque<std::uint64_t> queued_;
  std::map<std::uint64_t, Ms> started_at_;

  // oracle
  w::Link told_ = w::Link::unknown;
  bool started_ = false;
  bool terminal_ = false;
  // The acquisition out: from its Acquire to its answer, whatever came between.
  struct Out {
    std::uint64_t id;
    bool released;
  };
  std::optional<Out> out_;
  // The attempt under way (the reducer's Acquiring): it takes acquisition
  // id's answer (0: it makes its own when the released one out answers).
  struct Attempt {
    std::uint64_t id;
    Ms since;
  };
  std::optional<Attempt> attempt_;
  w::StatusKind status_kind_ = w::StatusKind::idle;
  bool must_hold_ = false;        // this step answered the acquisition out: it holds
  bool must_attempt_ = false;     // ... a released one, with an attempt behind it: it goes
  bool released_answer_ = false;  // ... a released one: nothing may hold or fail on it
  bool attempted_now_ = false;
  std::optional<std::uint64_t> held_;
  std::uint64_t last_id_ = 0;
  std::uint32_t failures_ = 0;
  std::int64_t prev_delay_ms_ = 0;  // the last backoff drawn since the last hold
  std::optional<Ms> failed_at_;
  bool connected_since_failure_ = false;
  std::optional<Ms> hold_end_;
  Ms waiting_since_ = 0;
  std::uint64_t wake_gen_ = 0;
  bool wake_pending_ = false;
  bool healthy_now_ = false;
  std::uint64_t healthy_gen_ = 0;
  bool held_in_window_ = false;
};

void WaitWorld::stepped(const w::Event& e, const w::Effects& fx) {
  ++r_.events;
  hash_ = mix(mix(hash_, now_ms()), static_cast<std::int64_t>(e.index()));
  for (const w::Effect& x : fx) {
    hash_ = mix(hash_, static_cast<std::int64_t>(x.index()));
    if (const auto* a = std::get_if<w::Acquire>(&x))
      hash_ = mix(hash_, static_cast<std::int64_t>(a->id));
    if (const auto* st = std::get_if<w::ReportStatus>(&x))
      hash_ = mix(hash_, st->status.next_attempt_at.ms);
  }
  if (was_terminal_ && !fx.empty()) finding("not-quiet", "effects after a terminal state");
}

void WaitWorld::execute(const w::Effect& x) {
  if (const auto* a = std::get_if<w::Acquire>(&x)) {
    r_.attempt_at_ms.push_back(now_ms());
    count(r_.counters, "attempts");
    if (running_) count(r_.counters, "acquisitions queued behind another");
    queued_.push_back(a->id);
    start_next_acquisition();
  } else if (const auto* rel = std::get_if<w::Release>(&x)) {
    released_.insert(rel->id);
    if (open_watch_ == rel->id) open_watch_.reset();
  }
}

// The worker takes the next acquisition in order, if it is free: it answers
// after a latency, or, started in a hang period, only after that period.
void WaitWorld::start_next_acquisition() {
  if (running_ || queued_.empty()) return;
  running_ = queued_.front();
  queued_.pop_front();
  started_at_[*running_] = now_ms();
  Ms done = now_ms() + latency();
  if (hanging(now_ms())) {
    count(r_.counters, "acquisitions hung");
    for (const Interval& x : s_.acquisitions_hung)
      if (x.from_ms <= now_ms() && now_ms() < x.to_ms) done = std::max(done, x.to_ms + latency());
  }
  agenda_.push(done, WaitItem{WaitItemKind::answer, *running_});
}

void WaitWorld::on_answer(std::uint64_t id) {
  running_.reset();
  start_next_acquisition();  // the worker goes on with the next before the answer is handled
  if (s_.config.acquire_timeout_ms > 0 && now_ms() - started_at_[id] >= s_.config.acquire_timeout_ms)
    count(r_.counters, "acquisitions answered past the timeout");
  started_at_.erase(id);
  const bool ok = link_up(now_ms()) && present(now_ms());
  if (ok && released_.count(id) == 0) {
    open_watch_ = id;
    if (flapping(now_ms())) {
      count(r_.counters, "watches flapped");
      agenda_.push(now_ms() + p_.uniform(0, s_.flap_ms_max), WaitItem{WaitItemKind::watch_end, id});
    }
  }
  feed(ok ? w::Event{w::AcquireSucceeded{{}, id}} : w::Event{w::AcquireFailed{{}, id}});
}

void WaitWorld::on_edge() {
  const bool up = link_up(now_ms());
  if (up != world_link_up_) {
    world_link_up_ = up;
    if (!up && open_watch_)
      agenda_.push(now_ms() + latency(), WaitItem{WaitItemKind::watch_end, *open_watch_});
    if (s_.link_monitor) {
      count(r_.counters, up ? "link up" : "link down");
      feed(up ? w::Event{w::Connected{}} : w::Event{w::Disconnected{}});
    }
  }
  const bool here = present(now_ms());
  if (here != world_present_) {
    world_present_ = here;
    count(r_.counters, here ? "resource appeared" : "resource disappeared");
    if (!here && open_watch_)
      agenda_.push(now_ms() + latency(), WaitItem{WaitItemKind::watch_end, *open_watch_});
  }
  const bool h = healthy(now_ms());
  if (h && !healthy_now_) {
    healthy_gen_ += 1;
    held_in_window_ = held_.has_value();
    agenda_.push(now_ms() + bound_ms_ + 1, WaitItem{WaitItemKind::check_live, healthy_gen_});
  }
  if (!h) healthy_gen_ += 1;  // cancels the pending check
  healthy_now_ = h;
}

std::vector<std::uint64_t> WaitWorld::expected_releases(const w::Event& e) {
  std::vector<std::uint64_t> out;
  const auto& cfg = s_.config;
  if (const auto* st = std::get_if<w::Started>(&e); st != nullptr && !started_) {
    started_ = true;
    if (st->link != w::Link::unknown) told_ = st->link;
    waiting_since_ = now_ms();
  } else if (std::holds_alternative<w::Connected>(e)) {
    const bool news = told_ != w::Link::up;
    told_ = w::Link::up;
    if (news) {
      connected_since_failure_ = true;
      if (started_ && !attempt_ && !held_) {
        Ms by = now_ms() + cfg.backoff.restored_delay_ms_max;
        if (hold_end_) by = std::max(by, *hold_end_ + cfg.reopen_pause_ms);
        wake_pending_ = true;
        agenda_.push(by + 1, WaitItem{WaitItemKind::check_wake, ++wake_gen_});
      }
    }
  } else if (std::holds_alternative<w::Disconnected>(e)) {
    told_ = w::Link::down;
    wake_pending_ = false;
    attempt_.reset();
    release_out(out);  // it cannot succeed over a dead link
    if (held_) {
      out.push_back(*held_);
      hold_ended();
    }
  } else if (const auto* ok = std::get_if<w::AcquireSucceeded>(&e)) {
    on_answer_judged(ok->id, true);
  } else if (const auto* no = std::get_if<w::AcquireFailed>(&e)) {
    on_answer_judged(no->id, false);
  } else if (const auto* end = std::get_if<w::WatchEnded>(&e)) {
    if (held_ && *held_ == end->id) hold_ended();
  } else if (std::holds_alternative<w::Tick>(e)) {
    // A timeout ends the waiting, not the call: nothing is released.
    if (attempt_ && cfg.acquire_timeout_ms > 0 && now_ms() - attempt_->since >= cfg.acquire_timeout_ms) {
      failed();
      count(r_.counters, "acquire timeouts");
    }
  } else if (std::holds_alternative<w::StopRequested>(e)) {
    release_out(out);
    if (held_) out.push_back(*held_);
  }
  return out;
}

// The answer of acquisition `id`: the one out, or stale (the world answers each
// acquisition once, so stale answers are only the reducer's view).
void WaitWorld::on_answer_judged(std::uint64_t id, bool succeeded) {
  if (!out_ || out_->id != id) return;
  const Out was = *out_;
  out_.reset();
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
  if (!(attempt_ && attempt_->id == id)) count(r_.counters, "late successes held");
  must_hold_ = true;
  attempt_.reset();
  held_ = id;
  failures_ = 0;
  prev_delay_ms_ = 0;
  failed_at_.reset();
  wake_pending_ = false;
  if (healthy_now_ && !held_in_window_) {
    held_in_window_ = true;
    if (now_ms() >= s_.safety_ms && !r_.held_after_heal_ms) r_.held_after_heal_ms = now_ms() - s_.safety_ms;
  }
}

void WaitWorld::judge(const w::Event& e, const w::Effects& fx, std::optional<Instant> deadline) {
  if (terminal_) return;  // quietness is checked in feed()
  std::vector<std::uint64_t> expected = expected_releases(e);
  std::vector<std::uint64_t> released;
  bool held_now = false, failed_now = false;
  for (const w::Effect& x : fx) {
    if (const auto* rel = std::get_if<w::Release>(&x)) released.push_back(rel->id);
    if (const auto* a = std::get_if<w::Acquire>(&x)) judge_attempt(*a);
    if (const auto* st = std::get_if<w::ReportStatus>(&x)) {
      judge_status(st->status, expected);
      held_now = held_now || st->status.kind == w::StatusKind::held;
      failed_now = failed_now || (st->status.kind == w::StatusKind::backing_off &&
                                  st->status.cause == w::Cause::acquire_failed);
    }
  }
  if (released != expected)
    finding("release", "released other than the attempt or hold that ended");
  if (std::exchange(released_answer_, false) && (held_now || failed_now))
    finding("stale-answer", "the answer of a released acquisition changed the phase");
  if (std::exchange(must_hold_, false) && !terminal_ && status_kind_ != w::StatusKind::held)
    finding("late-success", "the acquisition out answered success while the session waited, and it is not held");
  if (std::exchange(must_attempt_, false) && !terminal_ && !attempted_now_)
    finding("wedged", "the attempt behind a released acquisition did not go when that one answered");
  attempted_now_ = false;
  if (std::holds_alternative<w::StopRequested>(e) && !terminal_)
    finding("stop", "StopRequested did not stop");
  if (terminal_) {
    attempt_.reset();
    out_.reset();
    held_.reset();
    if (deadline) finding("not-quiet", "a terminal state has a deadline");
    return;
  }
  judge_wedged(deadline);
}

// Never wedged: a session waiting for the resource (the link not known down)
// has a deadline unless an attempt is under way; and with an outage limit it
// has one by the limit, however long an acquisition hangs.
void WaitWorld::judge_wedged(std::optional<Instant> deadline) {
  if (!started_ || held_) return;
  if (!attempt_ && told_ != w::Link::down && !deadline)
    finding("wedged", "waiting for the resource with no deadline");
  const Ms outage_ms_max = s_.config.give_up.outage_ms_max;
  if (outage_ms_max > 0 && (!deadline || deadline->ms > waiting_since_ + outage_ms_max))
    finding("wedged", "no deadline by the outage limit outage_ms_max (" + ms_text(outage_ms_max) + " ms)");
}

// An attempt falls due (its own Acquire, or waiting behind the acquisition out).
void WaitWorld::judge_due(const std::string& what) {
  const auto& cfg = s_.config;
  if (told_ == w::Link::down) finding("attempt-while-down", what + " while told Disconnected");
  if (held_) finding("one-at-a-time", what + " while held");
  // Give-up at the limit, not after it: no attempt once attempts_max failures
  // in a row or outage_ms_max of waiting are behind.
  if (cfg.give_up.attempts_max > 0 && failures_ >= cfg.give_up.attempts_max)
    finding("give-up", what + " after failure " + std::to_string(failures_) + ", the limit attempts_max " +
                           std::to_string(cfg.give_up.attempts_max));
  if (cfg.give_up.outage_ms_max > 0 && now_ms() - waiting_since_ >= cfg.give_up.outage_ms_max)
    finding("give-up", what + " after waiting " + ms_text(now_ms() - waiting_since_) +
                           " ms, the limit outage_ms_max " + ms_text(cfg.give_up.outage_ms_max));
  if (failed_at_ && !connected_since_failure_) {
    const auto [lo, hi] = delay_range(cfg.backoff, failures_);
    if (now_ms() - *failed_at_ < lo)
      finding("wait-too-short", "waited " + ms_text(now_ms() - *failed_at_) + " ms after failure " +
                                    std::to_string(failures_) + ", policy lower bound " + ms_text(lo));
  }
  if (hold_end_ && now_ms() < *hold_end_ + cfg.reopen_pause_ms)
    finding("reopen-too-soon", "reopened " + ms_text(now_ms() - *hold_end_) +
                                   " ms after a hold ended, pause " + ms_text(cfg.reopen_pause_ms));
  if (hold_end_) count(r_.counters, "reopens after a pause");
  if (wake_pending_) count(r_.counters, "attempts woken by Connected");
  failed_at_.reset();
  hold_end_.reset();
  wake_pending_ = false;
  connected_since_failure_ = false;
}

void WaitWorld::judge_attempt(const w::Acquire& a) {
  const std::string what = "Acquire " + std::to_string(a.id);
  if (out_)
    finding("one-out", what + " while acquisition " + std::to_string(out_->id) +
                           " is still out: it would queue behind it on the one worker");
  if (a.id <= last_id_) finding("ids", "attempt ids must increase");
  if (a.attempt != failures_ + 1)
    finding("attempt-number", "attempt " + std::to_string(a.attempt) + " after " +
                                  std::to_string(failures_) + " failures");
  // An attempt behind a released acquisition was judged when it fell due.
  if (!(attempt_ && attempt_->id == 0)) judge_due(what);
  out_ = Out{a.id, false};
  attempt_ = Attempt{a.id, now_ms()};
  last_id_ = a.id;
  attempted_now_ = true;
}

void WaitWorld::judge_status(const w::WaitStatus& st, std::vector<std::uint64_t>& expected) {
  const auto& cfg = s_.config;
  status_kind_ = st.kind;
  if (st.kind == w::StatusKind::acquiring && st.cause == w::Cause::acquire_still_out) {
    // An attempt fell due with an acquisition out: it waits for that one.
    count(r_.counters, "attempts behind an acquisition still out");
    if (!out_) finding("one-out", "acquiring behind an acquisition that is not out");
    judge_due("an attempt behind acquisition " + std::to_string(out_ ? out_->id : 0));
    attempt_ = Attempt{out_ && !out_->released ? out_->id : 0, now_ms()};
  }
  if (st.kind == w::StatusKind::gave_up || st.kind == w::StatusKind::stopped) release_out(expected);
  if (st.kind == w::StatusKind::stopped) {
    terminal_ = true;
    count(r_.counters, "stopped");
  }
  if (st.kind == w::StatusKind::gave_up) {
    terminal_ = true;
    count(r_.counters, "gave up");
    if (st.cause == w::Cause::attempts_exhausted &&
        !(cfg.give_up.attempts_max > 0 && failures_ >= cfg.give_up.attempts_max))
      finding("give-up", "gave up on attempts before the policy said so");
    if (st.cause == w::Cause::outage_too_long &&
        !(cfg.give_up.outage_ms_max > 0 && now_ms() - waiting_since_ >= cfg.give_up.outage_ms_max))
      finding("give-up", "gave up on the outage before the policy said so");
  }
  if (st.kind == w::StatusKind::offline) count(r_.counters, "offline waits");
  if (st.kind == w::StatusKind::pausing) count(r_.counters, "reopen pauses");
  if (st.kind == w::StatusKind::held) count(r_.counters, "holds");
  if (st.kind == w::StatusKind::backing_off && failed_at_ && *failed_at_ == now_ms() &&
      (st.cause == w::Cause::acquire_failed || st.cause == w::Cause::acquire_timeout)) {
    count(r_.counters, "backoffs");
    // The exact range the jitter rule gives this draw: decorrelated jitter
    // grows from the previous delay of this run of failures (none after a
    // hold), which the oracle follows from the delays it saw.
    const model::DelayBounds b = model::jitter_bounds(cfg.backoff, failures_, prev_delay_ms_);
    const Ms d = st.next_attempt_at.ms - now_ms();
    if (d < b.delay_ms_min || d > b.delay_ms_max)
      finding("delay-out-of-bounds", "delay " + ms_text(d) + " after failure " +
                                         std::to_string(failures_) + " outside [" + ms_text(b.delay_ms_min) +
                                         ", " + ms_text(b.delay_ms_max) + "]");
    prev_delay_ms_ = d;
  }
}

WaitRunResult WaitWorld::run() {
  // Every edge of every fault interval, and the heal.
  for (const auto* xs : {&s_.resource_absent, &s_.link_down, &s_.broker_flapping, &s_.acquisitions_hung})
    for (const Interval& x : *xs) {
      agenda_.push(x.from_ms, WaitItem{WaitItemKind::edge});
      agenda_.push(x.to_ms, WaitItem{WaitItemKind::edge});
    }
  agenda_.push(s_.safety_ms, WaitItem{WaitItemKind::edge});
  if (s_.stop_at_ms) agenda_.push(*s_.stop_at_ms, WaitItem{WaitItemKind::stop});
  if (s_.link_monitor && s_.link_up_repeat_ms > 0) agenda_.push(s_.link_up_repeat_ms, WaitItem{WaitItemKind::link_repeat});
  const Ms end_ms = s_.safety_ms + bound_ms_ + 1000;

  world_link_up_ = link_up(0);
  world_present_ = present(0);
  const w::Link told = !s_.link_monitor ? w::Link::unknown
                       : world_link_up_ ? w::Link::up
                                        : w::Link::down;
  feed(w::Started{{}, told});
  on_edge();

  while (!agenda_.empty() && agenda_.next_ms() <= end_ms) {
    if (r_.events >= o_.events_max) {
      finding("event-limit", "more than " + std::to_string(o_.events_max) + " steps: a hot loop?");
      break;
    }
    const WaitItem it = agenda_.pop();
    clock_ms_ = agenda_.now_ms();
    switch (it.kind) {
      case WaitItemKind::edge:
        on_edge();
        break;
      case WaitItemKind::answer:
        on_answer(it.id);
        break;
      case WaitItemKind::watch_end:
        if (open_watch_ == it.id) open_watch_.reset();
        feed(w::WatchEnded{{}, it.id});
        break;
      case WaitItemKind::tick:
        if (it.id == timer_generation_) loop_.on_timer();  // else replaced by a later arm_timer
        break;
      case WaitItemKind::stop:
        feed(w::StopRequested{});
        break;
      case WaitItemKind::link_repeat:
        if (world_link_up_) {
          count(r_.counters, "link up repeated");
          feed(w::Connected{});
        }
        agenda_.push(now_ms() + s_.link_up_repeat_ms, WaitItem{WaitItemKind::link_repeat});
        break;
      case WaitItemKind::check_wake:
        if (it.id == wake_gen_ && wake_pending_ && !terminal_ && told_ != w::Link::down)
          finding("connected-did-not-wake", "no attempt within the wake bound after Connected");
        break;
      case WaitItemKind::check_live:
        if (it.id == healthy_gen_ && !held_in_window_ && !terminal_)
          finding("not-acquired-in-time",
                  "healthy for " + ms_text(bound_ms_) + " ms (the policy's bound) and not held");
        break;
    }
  }
  // The end: stop (if nothing did), then the world keeps talking; all of it must be ignored.
  const Ms end_at = clock_ms_;
  if (!terminal_) feed(w::StopRequested{});
  clock_ms_ = end_at + 1;
  feed(w::Connected{});
  clock_ms_ = end_at + 2;
  feed(w::Disconnected{});
  clock_ms_ = end_at + 1'000'000;
  feed(w::Tick{});
  if (r_.held_after_heal_ms) count(r_.counters, "held after heal");
  r_.trace_hash = hash_;
  return r_;
}

}  // namespace

// =============================================================================

WaitScenario wait_scenario(std::uint64_t seed) {
  Prng p = Prng::derive(seed, 0x3A17);
  WaitScenario s;
  s.seed = seed;
  s.config = model::presets::kanade_wait();
  s.config.seed = p.next();
  if (chance(p, 50)) {  // a variation of the policy
    auto& b = s.config.backoff;
    constexpr std::int64_t initials[] = {100, 250, 1000};
    constexpr double multipliers[] = {1.0, 1.5, 2.0, 3.0};
    constexpr model::JitterKind kinds[] = {
        model::JitterKind::none,   model::JitterKind::full,
        model::JitterKind::equal,  model::JitterKind::proportional,
        model::JitterKind::upward, model::JitterKind::decorrelated};
    constexpr std::int64_t restored[] = {0, 100, 1000};
    constexpr std::int64_t pauses[] = {1, 200, 1000, 5000};
    constexpr std::int64_t timeouts[] = {0, 2000, 30000};
    b.delay_ms_initial = initials[p.uniform(0, 2)];
    b.multiplier = multipliers[p.uniform(0, 3)];
    b.delay_ms_max = std::min<std::int64_t>(300000, b.delay_ms_initial * p.uniform(1, 300));
    b.jitter = kinds[p.uniform(0, 5)];
    b.jitter_fraction = static_cast<double>(p.uniform(0, 50)) / 100.0;
    b.restored_delay_ms_max = restored[p.uniform(0, 2)];
    s.config.reopen_pause_ms = pauses[p.uniform(0, 3)];
    s.config.acquire_timeout_ms = timeouts[p.uniform(0, 2)];
    if (chance(p, 10)) s.config.give_up.attempts_max = static_cast<std::uint32_t>(p.uniform(3, 20));
    if (chance(p, 10)) s.config.give_up.outage_ms_max = p.uniform(30, 600) * 1000;
  }
  s.safety_ms = p.uniform(30, 600) * 1000;
  s.latency_ms_min = p.uniform(1, 50);
  s.latency_ms_max = s.latency_ms_min + p.uniform(0, 500);
  s.link_monitor = !chance(p, 20);
  // Swarm: each kind of fault is on for some seeds only, at its own count.
  if (chance(p, 75)) {
    s.resource_absent = draw_intervals(p, s.safety_ms, 8, 100, 120000);
    if (chance(p, 50))
      s.resource_absent.insert(s.resource_absent.begin(), Interval{0, p.uniform(1, s.safety_ms)});
  }
  if (chance(p, 60)) s.link_down = draw_intervals(p, s.safety_ms, 8, 100, 120000);
  if (chance(p, 30)) {
    s.broker_flapping = draw_intervals(p, s.safety_ms, 3, 1000, 30000);
    s.flap_ms_max = p.uniform(0, 50);
  }
  // Hung acquisitions, often past the timeout (2 s or 30 s), in any policy.
  if (chance(p, 30)) s.acquisitions_hung = draw_intervals(p, s.safety_ms, 4, 100, 120000);
  if (chance(p, 10)) s.stop_at_ms = p.uniform(0, s.safety_ms - 1);
  // A chatty link monitor, from a stream of its own (the draws above stay).
  Prng q = Prng::derive(seed, 0x3A17'1EE7);
  if (s.link_monitor && chance(q, 30)) s.link_up_repeat_ms = q.uniform(1, 20) * 1000;
  return s;
}

Ms liveness_bound_ms(const WaitScenario& s) {
  const auto& c = s.config;
  const Ms longest_wait = std::max({delay_range(c.backoff, UINT32_MAX).second, c.reopen_pause_ms,
                                    c.backoff.restored_delay_ms_max});
  // Hangs end before the world is healthy: the acquisition out answers within
  // a latency (one at a time: nothing queued behind it), then at most the
  // longest wait, then a fresh acquisition's answer.
  const Ms flap = s.broker_flapping.empty() ? Ms{0} : s.flap_ms_max;
  return flap + s.latency_ms_max + longest_wait + s.latency_ms_max;
}

WaitRunResult run_wait(const WaitScenario& scenario, const WaitRunOptions& options) {
  auto made = w::make_wait(scenario.config);
  if (!made) {
    WaitRunResult r;
    r.error = std::string(made.error().field) + ": " + std::string(made.error().reason);
    return r;
  }
  return WaitWorld(scenario, options, std::move(*made)).run();
}

SwarmSummary run_wait_swarm(std::uint64_t seed_first, std::uint64_t seed_last,
                            const WaitRunOptions& options) {
  SwarmSummary sum;
  for (std::uint64_t seed = seed_first; seed <= seed_last; ++seed) {
    const WaitRunResult r = run_wait(wait_scenario(seed), options);
    summarise(sum, seed, r);
    if (r.held_after_heal_ms) sum.worst_ms = std::max(sum.worst_ms, *r.held_after_heal_ms);
    if (seed == UINT64_MAX) break;
  }
  return sum;
}

}  // namespace tether::sim
