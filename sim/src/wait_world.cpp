#include <tether/sim/resource_world.hpp>

#include <algorithm>
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
  answer,      // the world answers Acquire{id}
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
  bool lost = false;     // answer: never delivered
};

// The world is the loop's clock (the agenda's time), its host (the timer is an
// agenda item) and its executor (an Acquire is answered through the agenda, a
// Release closes the watch); the loop's hooks hash and judge every step.
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
  bool losing(Ms t) const { return t < s_.safety_ms && inside(s_.answers_lost, t); }
  bool healthy(Ms t) const { return link_up(t) && present(t) && !flapping(t) && !losing(t); }
  Ms latency() { return p_.uniform(s_.latency_ms_min, s_.latency_ms_max); }
  Ms now_ms() const { return clock_ms_; }

  void feed(w::Event e) {
    if (loop_.feed(std::move(e)) != io::Fed::fed)
      finding("loop", "an input waited in the loop's inbox: the world fed the loop from an effect");
  }
  void on_edge();

  // --- the oracle
  void finding(RuleOf<wait_rules> rule, std::string message) {
    r_.violations.push_back(Violation{rule.rule.guarantee, rule.rule.name, std::move(message), now_ms(), 0});
  }
  void judge(const w::Event& e, const w::Effects& fx, std::optional<Instant> deadline);
  std::vector<std::uint64_t> expected_releases(const w::Event& e);
  void judge_attempt(const w::Acquire& a);
  void judge_status(const w::WaitStatus& st);
  void failed() {
    outstanding_.reset();
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

  // oracle
  w::Link told_ = w::Link::unknown;
  bool started_ = false;
  bool terminal_ = false;
  struct Outstanding {
    std::uint64_t id;
    Ms sent;
  };
  std::optional<Outstanding> outstanding_;
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
    const bool lost = losing(now_ms());
    if (lost) count(r_.counters, "answers lost");
    agenda_.push(now_ms() + latency(), WaitItem{WaitItemKind::answer, a->id, lost});
  } else if (const auto* rel = std::get_if<w::Release>(&x)) {
    released_.insert(rel->id);
    if (open_watch_ == rel->id) open_watch_.reset();
  }
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
      if (started_ && !outstanding_ && !held_) {
        Ms by = now_ms() + cfg.backoff.restored_delay_ms_max;
        if (hold_end_) by = std::max(by, *hold_end_ + cfg.reopen_pause_ms);
        wake_pending_ = true;
        agenda_.push(by + 1, WaitItem{WaitItemKind::check_wake, ++wake_gen_});
      }
    }
  } else if (std::holds_alternative<w::Disconnected>(e)) {
    told_ = w::Link::down;
    wake_pending_ = false;
    if (outstanding_) out.push_back(outstanding_->id);
    outstanding_.reset();
    if (held_) {
      out.push_back(*held_);
      hold_ended();
    }
  } else if (const auto* ok = std::get_if<w::AcquireSucceeded>(&e)) {
    if (outstanding_ && outstanding_->id == ok->id) {
      outstanding_.reset();
      held_ = ok->id;
      failures_ = 0;
      prev_delay_ms_ = 0;
      failed_at_.reset();
      if (healthy_now_ && !held_in_window_) {
        held_in_window_ = true;
        if (now_ms() >= s_.safety_ms && !r_.held_after_heal_ms)
          r_.held_after_heal_ms = now_ms() - s_.safety_ms;
      }
    }
  } else if (const auto* no = std::get_if<w::AcquireFailed>(&e)) {
    if (outstanding_ && outstanding_->id == no->id) failed();
  } else if (const auto* end = std::get_if<w::WatchEnded>(&e)) {
    if (held_ && *held_ == end->id) hold_ended();
  } else if (std::holds_alternative<w::Tick>(e)) {
    if (outstanding_ && cfg.acquire_timeout_ms > 0 &&
        now_ms() - outstanding_->sent >= cfg.acquire_timeout_ms) {
      out.push_back(outstanding_->id);
      failed();
      count(r_.counters, "acquire timeouts");
    }
  } else if (std::holds_alternative<w::StopRequested>(e)) {
    if (outstanding_) out.push_back(outstanding_->id);
    if (held_) out.push_back(*held_);
  }
  return out;
}

void WaitWorld::judge(const w::Event& e, const w::Effects& fx, std::optional<Instant> deadline) {
  if (terminal_) return;  // quietness is checked in feed()
  const std::vector<std::uint64_t> expected = expected_releases(e);
  std::vector<std::uint64_t> released;
  for (const w::Effect& x : fx)
    if (const auto* rel = std::get_if<w::Release>(&x)) released.push_back(rel->id);
  if (released != expected)
    finding("release", "released other than the attempt or hold that ended");
  for (const w::Effect& x : fx) {
    if (const auto* a = std::get_if<w::Acquire>(&x)) judge_attempt(*a);
    if (const auto* st = std::get_if<w::ReportStatus>(&x)) judge_status(st->status);
  }
  if (std::holds_alternative<w::StopRequested>(e) && !terminal_)
    finding("stop", "StopRequested did not stop");
  if (terminal_) {
    outstanding_.reset();
    held_.reset();
    if (deadline) finding("not-quiet", "a terminal state has a deadline");
  }
}

void WaitWorld::judge_attempt(const w::Acquire& a) {
  const auto& cfg = s_.config;
  if (told_ == w::Link::down)
    finding("attempt-while-down", "Acquire " + std::to_string(a.id) + " while told Disconnected");
  if (outstanding_ || held_)
    finding("one-at-a-time", "Acquire while an attempt is in flight or held");
  if (a.id <= last_id_) finding("ids", "attempt ids must increase");
  // Give-up at the limit, not after it: no attempt once attempts_max failures
  // in a row or outage_ms_max of waiting are behind.
  if (cfg.give_up.attempts_max > 0 && failures_ >= cfg.give_up.attempts_max)
    finding("give-up", "attempt after failure " + std::to_string(failures_) + ", the limit attempts_max " +
                           std::to_string(cfg.give_up.attempts_max));
  if (cfg.give_up.outage_ms_max > 0 && now_ms() - waiting_since_ >= cfg.give_up.outage_ms_max)
    finding("give-up", "attempt after waiting " + ms_text(now_ms() - waiting_since_) + " ms, the limit outage_ms_max " +
                           ms_text(cfg.give_up.outage_ms_max));
  if (a.attempt != failures_ + 1)
    finding("attempt-number", "attempt " + std::to_string(a.attempt) + " after " +
                                  std::to_string(failures_) + " failures");
  if (failed_at_ && !connected_since_failure_) {
    const auto [lo, hi] = delay_range(cfg.backoff, failures_);
    if (now_ms() - *failed_at_ < lo)
      finding("wait-too-short", "waited " + ms_text(now_ms() - *failed_at_) + " ms after failure " +
                                    std::to_string(failures_) + ", policy lower bound " +
                                    ms_text(lo));
  }
  if (hold_end_ && now_ms() < *hold_end_ + cfg.reopen_pause_ms)
    finding("reopen-too-soon", "reopened " + ms_text(now_ms() - *hold_end_) +
                                   " ms after a hold ended, pause " + ms_text(cfg.reopen_pause_ms));
  if (hold_end_) count(r_.counters, "reopens after a pause");
  if (wake_pending_) count(r_.counters, "attempts woken by Connected");
  outstanding_ = Outstanding{a.id, now_ms()};
  last_id_ = a.id;
  failed_at_.reset();
  hold_end_.reset();
  wake_pending_ = false;
  connected_since_failure_ = false;
}

void WaitWorld::judge_status(const w::WaitStatus& st) {
  const auto& cfg = s_.config;
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
  for (const auto* xs : {&s_.resource_absent, &s_.link_down, &s_.broker_flapping, &s_.answers_lost})
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
      case WaitItemKind::answer: {
        if (it.lost) break;
        const bool ok = link_up(now_ms()) && present(now_ms());
        if (ok && released_.count(it.id) == 0) {
          open_watch_ = it.id;
          if (flapping(now_ms())) {
            count(r_.counters, "watches flapped");
            agenda_.push(now_ms() + p_.uniform(0, s_.flap_ms_max),
                         WaitItem{WaitItemKind::watch_end, it.id});
          }
        }
        feed(ok ? w::Event{w::AcquireSucceeded{{}, it.id}} : w::Event{w::AcquireFailed{{}, it.id}});
        break;
      }
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
  if (s.config.acquire_timeout_ms > 0 && chance(p, 30))
    s.answers_lost = draw_intervals(p, s.safety_ms, 4, 100, 60000);
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
  const Ms first =
      std::max(s.latency_ms_max, s.answers_lost.empty() ? Ms{0} : c.acquire_timeout_ms);
  const Ms flap = s.broker_flapping.empty() ? Ms{0} : s.flap_ms_max;
  return flap + first + longest_wait + s.latency_ms_max;
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
