#include <tether/sim/resource_world.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <string_view>
#include <utility>
#include <variant>

#include <tether/model/backoff.hpp>
#include <tether/model/presets.hpp>
#include <tether/model/prng.hpp>

namespace tether::sim {

namespace {

using model::Instant;
using model::Prng;
namespace w = model::wait;
namespace mr = model::mirror;

bool chance(Prng& p, std::int64_t percent) { return p.uniform(0, 99) < percent; }

bool inside(const std::vector<Interval>& xs, Ms t) {
  return std::any_of(xs.begin(), xs.end(),
                     [t](const Interval& x) { return x.from_ms <= t && t < x.to_ms; });
}

// Up to `count_max` intervals inside [0, span_ms), each `len_min..len_max` long.
std::vector<Interval> draw_intervals(Prng& p, Ms span_ms, std::int64_t count_max, Ms len_min,
                                     Ms len_max) {
  std::vector<Interval> out;
  const std::int64_t n = p.uniform(1, count_max);
  for (std::int64_t i = 0; i < n; ++i) {
    const Ms from = p.uniform(0, span_ms - 1);
    out.push_back(Interval{from, std::min(span_ms, from + p.uniform(len_min, len_max))});
  }
  std::sort(out.begin(), out.end(),
            [](const Interval& a, const Interval& b) { return a.from_ms < b.from_ms; });
  return out;
}

// FNV-1a 64 over the 8 bytes of each value: the trace hash.
std::uint64_t mix(std::uint64_t h, std::int64_t v) {
  for (unsigned i = 0; i < 8; ++i) {
    h ^= (static_cast<std::uint64_t>(v) >> (8U * i)) & 0xFFU;
    h *= 0x100000001B3ULL;
  }
  return h;
}
constexpr std::uint64_t hash_seed = 0xCBF29CE484222325ULL;

std::string ms_text(Ms v) { return std::to_string(v); }

// --- policy bounds, from the one jitter rule (model::jitter_envelope) ---------

std::pair<std::int64_t, std::int64_t> delay_range(const model::BackoffPolicy& b, std::uint32_t n) {
  const model::DelayBounds j = model::jitter_envelope(b, n);
  return {j.delay_ms_min, j.delay_ms_max};
}

void count(std::map<std::string, std::uint64_t>& counters, const std::string& name,
           std::uint64_t n = 1) {
  counters[name] += n;
}

// =============================================================================
// Wait world
// =============================================================================

enum class WaitItemKind : std::uint8_t {
  edge,        // a fault interval starts or ends (or everything heals)
  answer,      // the world answers Acquire{id}
  watch_end,   // the world ends watch {id}
  tick,        // a deadline of the reducer
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

class WaitWorld {
 public:
  WaitWorld(const WaitScenario& s, const WaitRunOptions& o)
      : s_(s), o_(o), bound_ms_(liveness_bound_ms(s)) {}

  WaitRunResult run();

 private:
  // --- the world
  bool link_up(Ms t) const { return t >= s_.safety_ms || !inside(s_.link_down, t); }
  bool present(Ms t) const { return t >= s_.safety_ms || !inside(s_.resource_absent, t); }
  bool flapping(Ms t) const { return t < s_.safety_ms && inside(s_.broker_flapping, t); }
  bool losing(Ms t) const { return t < s_.safety_ms && inside(s_.answers_lost, t); }
  bool healthy(Ms t) const { return link_up(t) && present(t) && !flapping(t) && !losing(t); }
  Ms latency() { return p_.uniform(s_.latency_ms_min, s_.latency_ms_max); }
  Ms now() const { return agenda_.now_ms(); }

  void feed(const w::Event& e);
  void on_edge();
  void execute(const w::Effects& fx);
  void schedule_tick();

  // --- the oracle
  void finding(std::string rule, std::string message) {
    r_.violations.push_back(Finding{std::move(rule), std::move(message), now()});
  }
  void judge(const w::Event& e, const w::Effects& fx, std::optional<Instant> deadline);
  std::vector<std::uint64_t> expected_releases(const w::Event& e);
  void judge_attempt(const w::Acquire& a);
  void judge_status(const w::WaitStatus& st);
  void failed() {
    outstanding_.reset();
    failures_ = failures_ == UINT32_MAX ? failures_ : failures_ + 1;
    failed_at_ = now();
    connected_since_failure_ = false;
  }
  void hold_ended() {
    held_.reset();
    hold_end_ = now();
    waiting_since_ = now();
  }

  const WaitScenario& s_;
  const WaitRunOptions& o_;
  const Ms bound_ms_;
  Prng p_{0};
  Agenda<WaitItem> agenda_;
  w::WaitState state_;
  WaitRunResult r_;
  std::uint64_t hash_ = hash_seed;
  std::optional<Instant> tick_at_;

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

void WaitWorld::schedule_tick() {
  const auto d = w::next_deadline(state_);
  if (!d || (tick_at_ && *tick_at_ == *d)) return;
  tick_at_ = d;
  agenda_.push(d->ms, WaitItem{WaitItemKind::tick});
}

void WaitWorld::feed(const w::Event& e) {
  const bool was_terminal = w::is_terminal(state_);
  w::Step step = o_.reducer(std::move(state_), e);
  state_ = std::move(step.state);
  ++r_.events;
  hash_ = mix(mix(hash_, now()), static_cast<std::int64_t>(e.index()));
  for (const w::Effect& x : step.effects) {
    hash_ = mix(hash_, static_cast<std::int64_t>(x.index()));
    if (const auto* a = std::get_if<w::Acquire>(&x))
      hash_ = mix(hash_, static_cast<std::int64_t>(a->id));
    if (const auto* st = std::get_if<w::ReportStatus>(&x))
      hash_ = mix(hash_, st->status.next_attempt_at.ms);
  }
  if (was_terminal && !step.effects.empty()) finding("not-quiet", "effects after a terminal state");
  judge(e, step.effects, w::next_deadline(state_));
  execute(step.effects);
  schedule_tick();
}

void WaitWorld::execute(const w::Effects& fx) {
  for (const w::Effect& x : fx) {
    if (const auto* a = std::get_if<w::Acquire>(&x)) {
      r_.attempt_at_ms.push_back(now());
      count(r_.counters, "attempts");
      const bool lost = losing(now());
      if (lost) count(r_.counters, "answers lost");
      agenda_.push(now() + latency(), WaitItem{WaitItemKind::answer, a->id, lost});
    } else if (const auto* rel = std::get_if<w::Release>(&x)) {
      released_.insert(rel->id);
      if (open_watch_ == rel->id) open_watch_.reset();
    }
  }
}

void WaitWorld::on_edge() {
  const bool up = link_up(now());
  if (up != world_link_up_) {
    world_link_up_ = up;
    if (!up && open_watch_)
      agenda_.push(now() + latency(), WaitItem{WaitItemKind::watch_end, *open_watch_});
    if (s_.link_monitor) {
      count(r_.counters, up ? "link up" : "link down");
      feed(up ? w::Event{w::Connected{Instant{now()}}} : w::Event{w::Disconnected{Instant{now()}}});
    }
  }
  const bool here = present(now());
  if (here != world_present_) {
    world_present_ = here;
    count(r_.counters, here ? "resource appeared" : "resource disappeared");
    if (!here && open_watch_)
      agenda_.push(now() + latency(), WaitItem{WaitItemKind::watch_end, *open_watch_});
  }
  const bool h = healthy(now());
  if (h && !healthy_now_) {
    healthy_gen_ += 1;
    held_in_window_ = held_.has_value();
    agenda_.push(now() + bound_ms_ + 1, WaitItem{WaitItemKind::check_live, healthy_gen_});
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
    waiting_since_ = now();
  } else if (std::holds_alternative<w::Connected>(e)) {
    const bool news = told_ != w::Link::up;
    told_ = w::Link::up;
    if (news) {
      connected_since_failure_ = true;
      if (started_ && !outstanding_ && !held_) {
        Ms by = now() + cfg.backoff.restored_delay_ms_max;
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
        if (now() >= s_.safety_ms && !r_.held_after_heal_ms)
          r_.held_after_heal_ms = now() - s_.safety_ms;
      }
    }
  } else if (const auto* no = std::get_if<w::AcquireFailed>(&e)) {
    if (outstanding_ && outstanding_->id == no->id) failed();
  } else if (const auto* end = std::get_if<w::WatchEnded>(&e)) {
    if (held_ && *held_ == end->id) hold_ended();
  } else if (std::holds_alternative<w::Tick>(e)) {
    if (outstanding_ && cfg.acquire_timeout_ms > 0 &&
        now() - outstanding_->sent >= cfg.acquire_timeout_ms) {
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
  if (cfg.give_up.outage_ms_max > 0 && now() - waiting_since_ >= cfg.give_up.outage_ms_max)
    finding("give-up", "attempt after waiting " + ms_text(now() - waiting_since_) + " ms, the limit outage_ms_max " +
                           ms_text(cfg.give_up.outage_ms_max));
  if (a.attempt != failures_ + 1)
    finding("attempt-number", "attempt " + std::to_string(a.attempt) + " after " +
                                  std::to_string(failures_) + " failures");
  if (failed_at_ && !connected_since_failure_) {
    const auto [lo, hi] = delay_range(cfg.backoff, failures_);
    if (now() - *failed_at_ < lo)
      finding("wait-too-short", "waited " + ms_text(now() - *failed_at_) + " ms after failure " +
                                    std::to_string(failures_) + ", policy lower bound " +
                                    ms_text(lo));
  }
  if (hold_end_ && now() < *hold_end_ + cfg.reopen_pause_ms)
    finding("reopen-too-soon", "reopened " + ms_text(now() - *hold_end_) +
                                   " ms after a hold ended, pause " + ms_text(cfg.reopen_pause_ms));
  if (hold_end_) count(r_.counters, "reopens after a pause");
  if (wake_pending_) count(r_.counters, "attempts woken by Connected");
  outstanding_ = Outstanding{a.id, now()};
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
        !(cfg.give_up.outage_ms_max > 0 && now() - waiting_since_ >= cfg.give_up.outage_ms_max))
      finding("give-up", "gave up on the outage before the policy said so");
  }
  if (st.kind == w::StatusKind::offline) count(r_.counters, "offline waits");
  if (st.kind == w::StatusKind::pausing) count(r_.counters, "reopen pauses");
  if (st.kind == w::StatusKind::held) count(r_.counters, "holds");
  if (st.kind == w::StatusKind::backing_off && failed_at_ && *failed_at_ == now() &&
      (st.cause == w::Cause::acquire_failed || st.cause == w::Cause::acquire_timeout)) {
    count(r_.counters, "backoffs");
    // The exact range the jitter rule gives this draw: decorrelated jitter
    // grows from the previous delay of this run of failures (none after a
    // hold), which the oracle follows from the delays it saw.
    const model::DelayBounds b = model::jitter_bounds(cfg.backoff, failures_, prev_delay_ms_);
    const Ms d = st.next_attempt_at.ms - now();
    if (d < b.delay_ms_min || d > b.delay_ms_max)
      finding("delay-out-of-bounds", "delay " + ms_text(d) + " after failure " +
                                         std::to_string(failures_) + " outside [" + ms_text(b.delay_ms_min) +
                                         ", " + ms_text(b.delay_ms_max) + "]");
    prev_delay_ms_ = d;
  }
}

WaitRunResult WaitWorld::run() {
  auto made = w::make_wait(s_.config);
  if (!made) {
    r_.error = std::string(made.error().field) + ": " + std::string(made.error().reason);
    return r_;
  }
  state_ = std::move(*made);
  p_ = Prng::derive(s_.seed, 0x3A17'0001);
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
  feed(w::Started{Instant{0}, told});
  on_edge();

  while (!agenda_.empty() && agenda_.next_ms() <= end_ms) {
    if (r_.events >= o_.events_max) {
      finding("event-limit", "more than " + std::to_string(o_.events_max) + " steps: a hot loop?");
      break;
    }
    const WaitItem it = agenda_.pop();
    switch (it.kind) {
      case WaitItemKind::edge:
        on_edge();
        break;
      case WaitItemKind::answer: {
        if (it.lost) break;
        const bool ok = link_up(now()) && present(now());
        if (ok && released_.count(it.id) == 0) {
          open_watch_ = it.id;
          if (flapping(now())) {
            count(r_.counters, "watches flapped");
            agenda_.push(now() + p_.uniform(0, s_.flap_ms_max),
                         WaitItem{WaitItemKind::watch_end, it.id});
          }
        }
        feed(ok ? w::Event{w::AcquireSucceeded{Instant{now()}, it.id}}
                : w::Event{w::AcquireFailed{Instant{now()}, it.id}});
        break;
      }
      case WaitItemKind::watch_end:
        if (open_watch_ == it.id) open_watch_.reset();
        feed(w::WatchEnded{Instant{now()}, it.id});
        break;
      case WaitItemKind::tick: {
        const auto d = w::next_deadline(state_);
        if (d && d->ms <= now())
          feed(w::Tick{Instant{now()}});  // a driver arms one timer: skip stale ones
        break;
      }
      case WaitItemKind::stop:
        feed(w::StopRequested{Instant{now()}});
        break;
      case WaitItemKind::link_repeat:
        if (world_link_up_) {
          count(r_.counters, "link up repeated");
          feed(w::Connected{Instant{now()}});
        }
        agenda_.push(now() + s_.link_up_repeat_ms, WaitItem{WaitItemKind::link_repeat});
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
  if (!terminal_) feed(w::StopRequested{Instant{now()}});
  feed(w::Connected{Instant{now() + 1}});
  feed(w::Disconnected{Instant{now() + 2}});
  feed(w::Tick{Instant{now() + 1'000'000}});
  if (r_.held_after_heal_ms) count(r_.counters, "held after heal");
  r_.trace_hash = hash_;
  return r_;
}

// =============================================================================
// Mirror world
// =============================================================================

enum class MirrorItemKind : std::uint8_t {
  change,
  push,
  heartbeat,
  poll_send,
  snapshot,
  poll_response,
  tick,
  stop
};

struct MirrorItem {
  MirrorItemKind kind;
  std::uint32_t key = 0;
  std::optional<std::string> value{};  // push: the changed value (nullopt: removed)
  std::uint64_t poll = 0;
};

class MirrorWorld {
 public:
  MirrorWorld(const MirrorScenario& s, const MirrorRunOptions& o) : s_(s), o_(o) {}
  MirrorRunResult run();

 private:
  Ms now() const { return agenda_.now_ms(); }
  std::string key_name(std::uint32_t k) const { return "k" + std::to_string(k); }
  void feed(const mr::Event& e);
  void schedule_tick();
  void change();
  void finding(std::string rule, std::string message) {
    r_.violations.push_back(Finding{std::move(rule), std::move(message), now()});
  }

  // --- the oracle: the rules recomputed, and the world's truth
  struct Want {
    std::optional<std::string> value;
    mr::Source source;
    Ms as_of;
  };
  void judge(const mr::Event& e, const mr::Effects& fx);
  std::optional<bool> expect_write(const std::string& key, const std::optional<std::string>& value,
                                   mr::Source source, Ms as_of);
  Ms polled(Instant observed_at, Ms clock) {
    const Ms as_of = std::min(observed_at.ms, clock);
    last_poll_ = std::max(last_poll_.value_or(as_of), as_of);
    return as_of;
  }
  void judge_entries();
  bool truth_held(const std::string& key, const std::optional<std::string>& value, Ms from,
                  Ms to) const;

  const MirrorScenario& s_;
  const MirrorRunOptions& o_;
  Prng p_{0};
  Agenda<MirrorItem> agenda_;
  mr::MirrorState state_;
  MirrorRunResult r_;
  std::uint64_t hash_ = hash_seed;
  std::optional<Instant> tick_at_;

  // world
  std::vector<std::optional<std::string>> truth_;
  std::map<std::string, std::vector<std::pair<Ms, std::optional<std::string>>>> history_;
  std::uint64_t versions_ = 0;
  Ms push_fifo_ms_ = 0;
  std::uint64_t polls_ = 0;
  std::map<std::uint64_t, std::pair<Ms, std::vector<std::optional<std::string>>>> snapshots_;

  // oracle
  bool started_ = false, stopped_ = false;
  Ms started_at_ = 0, clock_ = 0;
  std::optional<Ms> last_push_, last_poll_;
  std::map<std::string, Want> want_;
  mr::MirrorStatus reported_;
  std::optional<Ms> warm_degraded_since_;
};

void MirrorWorld::schedule_tick() {
  const auto d = mr::next_deadline(state_);
  if (!d || (tick_at_ && *tick_at_ == *d)) return;
  tick_at_ = d;
  agenda_.push(d->ms, MirrorItem{MirrorItemKind::tick});
}

void MirrorWorld::feed(const mr::Event& e) {
  mr::Step step = o_.reducer(std::move(state_), e);
  state_ = std::move(step.state);
  ++r_.events;
  hash_ = mix(mix(hash_, now()), static_cast<std::int64_t>(e.index()));
  for (const mr::Effect& x : step.effects) {
    hash_ = mix(hash_, static_cast<std::int64_t>(x.index()));
    if (const auto* st = std::get_if<mr::ReportStatus>(&x)) {
      hash_ =
          mix(mix(hash_, static_cast<std::int64_t>(st->status.stream)), st->status.stream_since.ms);
      r_.statuses.emplace_back(now(), st->status);
    }
  }
  judge(e, step.effects);
  schedule_tick();
}

std::optional<bool> MirrorWorld::expect_write(const std::string& key,
                                              const std::optional<std::string>& value,
                                              mr::Source source, Ms as_of) {
  const auto& cfg = s_.config;
  if (key.size() > cfg.key_bytes_max || (value && value->size() > cfg.value_bytes_max))
    return false;
  const auto it = want_.find(key);
  if (it == want_.end() && want_.size() >= cfg.keys_max) return false;
  if (it != want_.end() && source == mr::Source::poll) {
    const bool newer = as_of > it->second.as_of ||
                       (as_of == it->second.as_of && it->second.source == mr::Source::poll);
    if (!newer) return false;
  }
  want_[key] = Want{value, source, as_of};
  return true;
}

void MirrorWorld::judge(const mr::Event& e, const mr::Effects& fx) {
  if (stopped_) {
    if (!fx.empty()) finding("not-quiet", "effects after stop");
    return;
  }
  const bool idle = !started_;
  if (idle && !std::holds_alternative<mr::Started>(e) &&
      !std::holds_alternative<mr::StopRequested>(e)) {
    if (!fx.empty()) finding("not-quiet", "effects before Started");
    return;
  }
  clock_ = std::max(clock_, mr::time_of(e).ms);
  std::optional<bool> wrote;
  if (std::holds_alternative<mr::Started>(e)) {
    if (!started_) started_at_ = clock_;
    started_ = true;
  } else if (std::holds_alternative<mr::StopRequested>(e)) {
    stopped_ = true;
  } else if (const auto* v = std::get_if<mr::ValuePushed>(&e)) {
    last_push_ = clock_;
    wrote = expect_write(v->key, v->value, mr::Source::push, clock_);
  } else if (const auto* rp = std::get_if<mr::RemovalPushed>(&e)) {
    last_push_ = clock_;
    wrote = expect_write(rp->key, std::nullopt, mr::Source::push, clock_);
  } else if (std::holds_alternative<mr::HeartbeatReceived>(e)) {
    last_push_ = clock_;
  } else if (const auto* vp = std::get_if<mr::ValuePolled>(&e)) {
    wrote = expect_write(vp->key, vp->value, mr::Source::poll, polled(vp->observed_at, clock_));
    count(r_.counters, "polled values");
  } else if (const auto* rm = std::get_if<mr::RemovalPolled>(&e)) {
    wrote = expect_write(rm->key, std::nullopt, mr::Source::poll, polled(rm->observed_at, clock_));
  } else if (const auto* pc = std::get_if<mr::PollCompleted>(&e)) {
    polled(pc->observed_at, clock_);
  }

  int outcomes = 0;
  for (const mr::Effect& x : fx) {
    if (const auto* st = std::get_if<mr::ReportStatus>(&x)) {
      if (st->status == reported_)
        finding("status-unchanged", "a ReportStatus that changed nothing");
      reported_ = st->status;
      continue;
    }
    ++outcomes;
    const bool changed = std::holds_alternative<mr::ValueChanged>(x);
    if (!wrote || *wrote != changed)
      finding("write-outcome", "the write's outcome differs from the recomputation");
    if (const auto* ig = std::get_if<mr::WriteIgnored>(&x);
        ig != nullptr && ig->cause == mr::IgnoreCause::older_than_entry)
      count(r_.counters, "polls older than the entry");
  }
  if (outcomes != (wrote ? 1 : 0)) finding("write-outcome", "a write without exactly one outcome");
  if (stopped_) {
    if (reported_.stream != mr::StreamHealth::stopped) finding("stop", "stop was not reported");
    return;
  }

  // The status the application holds is the truth at `now`, from pushes alone.
  const Ms budget = s_.config.heartbeat.budget_ms();
  const Ms heard = last_push_.value_or(started_at_);
  const mr::StreamHealth health = clock_ - heard >= budget ? mr::StreamHealth::degraded
                                  : last_push_             ? mr::StreamHealth::live
                                                           : mr::StreamHealth::starting;
  if (reported_.stream != health)
    finding("health-not-truth",
            "stream reported " + std::to_string(static_cast<int>(reported_.stream)) +
                ", push silent " + ms_text(clock_ - heard) + " ms, budget " + ms_text(budget));
  if (health == mr::StreamHealth::degraded && reported_.stream_since.ms != heard + budget)
    finding("health-not-truth", "degraded since the wrong instant");
  const mr::Backfill backfill = !last_poll_ ? mr::Backfill::none
                                : clock_ - *last_poll_ < s_.config.stale_after_ms
                                    ? mr::Backfill::warm
                                    : mr::Backfill::cold;
  if (reported_.backfill != backfill)
    finding("backfill-not-truth", "backfill status differs from the polls");
  const bool warm_degraded =
      reported_.stream == mr::StreamHealth::degraded && reported_.backfill == mr::Backfill::warm;
  if (warm_degraded) {
    count(r_.counters, "steps degraded while backfill warm");
    if (!warm_degraded_since_) warm_degraded_since_ = clock_;
    r_.degraded_warm_ms_max = std::max(r_.degraded_warm_ms_max, clock_ - *warm_degraded_since_);
  } else {
    warm_degraded_since_.reset();
  }
  judge_entries();
}

bool MirrorWorld::truth_held(const std::string& key, const std::optional<std::string>& value,
                             Ms from, Ms to) const {
  const auto it = history_.find(key);
  if (it == history_.end()) return !value;
  std::optional<std::string> current;  // absent before the first change
  for (const auto& [at, v] : it->second) {
    if (at > to) break;
    if (at > from && current == value) return true;  // held at `from`, before this change
    current = v;
  }
  return current == value;
}

void MirrorWorld::judge_entries() {
  const Ms stale = s_.config.stale_after_ms;
  if (state_.entries.size() != want_.size())
    finding("entries", "the mirror holds other keys than recomputed");
  for (const auto& [key, want] : want_) {
    const mr::Entry* got = mr::find(state_, key);
    if (got == nullptr || got->value != want.value || got->written_at.ms != want.as_of ||
        got->source != want.source) {
      finding("entries", "entry " + key + " differs from the recomputation");
      continue;
    }
    // A value the source really held around its written_at: a push is at most
    // push_latency late, a poll's snapshot at most poll_latency after observed_at
    // (stamped up to poll_clock_ahead late).
    if (!truth_held(key, want.value, want.as_of - s_.push_latency_ms_max - s_.poll_clock_ahead_ms - 1,
                    want.as_of + s_.poll_latency_ms_max + 1))
      finding("value-not-truth",
              "entry " + key + " holds a value the source never had around " + ms_text(want.as_of));
    const Ms edge = want.as_of + stale;
    for (const Ms q : {clock_, edge - 1, edge, edge + 1}) {
      const mr::Freshness f = mr::freshness_of(state_, key, Instant{q});
      if (q >= edge && f == mr::Freshness::fresh)
        finding("fresh-past-threshold", "Fresh past the threshold for " + key);
      if (f != (q - want.as_of < stale ? mr::Freshness::fresh : mr::Freshness::stale))
        finding("freshness", "freshness of " + key + " differs from the recomputation");
    }
    if (mr::freshness_of(state_, key, Instant{clock_}) == mr::Freshness::fresh)
      count(r_.counters, "fresh answers");
  }
}

void MirrorWorld::change() {
  const auto k = static_cast<std::uint32_t>(p_.uniform(0, static_cast<std::int64_t>(s_.keys) - 1));
  std::optional<std::string> v;
  if (!chance(p_, s_.removal_percent)) v = "v" + std::to_string(++versions_);
  truth_[k] = v;
  history_[key_name(k)].emplace_back(now(), v);
  // The stream delivers in order, after its latency.
  push_fifo_ms_ = std::max(push_fifo_ms_, now() + p_.uniform(0, s_.push_latency_ms_max));
  agenda_.push(push_fifo_ms_, MirrorItem{MirrorItemKind::push, k, v});
  agenda_.push(now() + p_.uniform(1, s_.change_every_ms_max), MirrorItem{MirrorItemKind::change});
}

MirrorRunResult MirrorWorld::run() {
  auto made = mr::make_mirror(s_.config);
  if (!made) {
    r_.error = std::string(made.error().field) + ": " + std::string(made.error().reason);
    return r_;
  }
  state_ = std::move(*made);
  p_ = Prng::derive(s_.seed, 0x3A17'0002);
  truth_.assign(s_.keys, std::nullopt);
  for (std::uint32_t k = 0; k < s_.keys; ++k) {  // the source before the run: some keys set
    if (chance(p_, 50)) continue;
    truth_[k] = "v" + std::to_string(++versions_);
    history_[key_name(k)].emplace_back(-1, truth_[k]);
  }
  feed(mr::Started{Instant{0}});
  agenda_.push(p_.uniform(1, s_.change_every_ms_max), MirrorItem{MirrorItemKind::change});
  agenda_.push(p_.uniform(0, s_.heartbeat_every_ms), MirrorItem{MirrorItemKind::heartbeat});
  agenda_.push(p_.uniform(0, s_.poll_every_ms), MirrorItem{MirrorItemKind::poll_send});
  if (s_.stop_at_ms) agenda_.push(*s_.stop_at_ms, MirrorItem{MirrorItemKind::stop});

  while (!agenda_.empty() && agenda_.next_ms() <= s_.run_ms) {
    if (r_.events >= o_.events_max) {
      finding("event-limit", "more than " + std::to_string(o_.events_max) + " steps");
      break;
    }
    const MirrorItem it = agenda_.pop();
    const bool stalled = inside(s_.push_stalled, now());
    switch (it.kind) {
      case MirrorItemKind::change:
        change();
        break;
      case MirrorItemKind::push:
        if (stalled) {
          count(r_.counters, "pushes lost to a stall");
          break;
        }
        count(r_.counters, "pushes");
        if (it.value)
          feed(mr::ValuePushed{Instant{now()}, key_name(it.key), *it.value});
        else
          feed(mr::RemovalPushed{Instant{now()}, key_name(it.key)});
        break;
      case MirrorItemKind::heartbeat:
        if (!stalled) feed(mr::HeartbeatReceived{Instant{now()}});
        agenda_.push(now() + s_.heartbeat_every_ms, MirrorItem{MirrorItemKind::heartbeat});
        break;
      case MirrorItemKind::poll_send: {
        agenda_.push(now() + s_.poll_every_ms, MirrorItem{MirrorItemKind::poll_send});
        if (inside(s_.polls_failing, now())) {
          count(r_.counters, "polls failed");
          break;
        }
        const std::uint64_t id = ++polls_;
        const Ms taken = now() + p_.uniform(0, s_.poll_latency_ms_max);
        const Ms answered = taken + p_.uniform(0, now() + s_.poll_latency_ms_max - taken);
        snapshots_[id].first = now();
        agenda_.push(taken, MirrorItem{MirrorItemKind::snapshot, 0, std::nullopt, id});
        agenda_.push(answered, MirrorItem{MirrorItemKind::poll_response, 0, std::nullopt, id});
        break;
      }
      case MirrorItemKind::snapshot:
        snapshots_[it.poll].second = truth_;
        break;
      case MirrorItemKind::poll_response: {
        const auto [sent, snap] = snapshots_[it.poll];
        snapshots_.erase(it.poll);
        count(r_.counters, "polls");
        const Instant stamped{sent + s_.poll_clock_ahead_ms};
        if (stamped.ms > now()) count(r_.counters, "polls stamped in the future");
        for (std::uint32_t k = 0; k < s_.keys; ++k) {
          if (snap[k])
            feed(mr::ValuePolled{Instant{now()}, stamped, key_name(k), *snap[k]});
          else
            feed(mr::RemovalPolled{Instant{now()}, stamped, key_name(k)});
        }
        feed(mr::PollCompleted{Instant{now()}, stamped});
        break;
      }
      case MirrorItemKind::tick: {
        const auto d = mr::next_deadline(state_);
        if (d && d->ms <= now()) feed(mr::Tick{Instant{now()}});
        break;
      }
      case MirrorItemKind::stop:
        feed(mr::StopRequested{Instant{now()}});
        break;
    }
  }
  if (!stopped_) feed(mr::StopRequested{Instant{s_.run_ms}});
  feed(mr::ValuePushed{Instant{s_.run_ms + 1}, "k0", "after stop"});
  feed(mr::Tick{Instant{s_.run_ms + 1'000'000}});
  r_.trace_hash = hash_;
  return r_;
}

template <class Result>
void summarise(SwarmSummary& sum, std::uint64_t seed, const Result& r) {
  ++sum.scenarios;
  sum.events += r.events;
  for (const auto& [k, n] : r.counters) sum.counters[k] += n;
  if (r.ok()) return;
  ++sum.failing;
  if (sum.failures.size() >= 10) return;
  if (!r.error.empty()) {
    sum.failures.push_back("seed " + std::to_string(seed) + ": cannot run: " + r.error);
  } else {
    const Finding& f = r.violations.front();
    sum.failures.push_back("seed " + std::to_string(seed) + ": " + f.rule + " @" +
                           std::to_string(f.at_ms) + ": " + f.message);
  }
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
  return WaitWorld(scenario, options).run();
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

MirrorScenario mirror_scenario(std::uint64_t seed) {
  Prng p = Prng::derive(seed, 0x3A17'3);
  MirrorScenario s;
  s.seed = seed;
  s.config = model::presets::aviso_mirror();
  if (chance(p, 60)) {  // a variation
    constexpr std::int64_t stale[] = {1000, 5000, 30000};
    constexpr std::int64_t intervals[] = {1000, 5000, 30000};
    s.config.stale_after_ms = stale[p.uniform(0, 2)];
    s.config.heartbeat.interval_ms = intervals[p.uniform(0, 2)];
    s.config.heartbeat.interval_multiple = p.uniform(1, 3);
    s.config.heartbeat.slack_ms = p.uniform(0, 6) * 5000;
  }
  if (chance(p, 10)) s.config.keys_max = static_cast<std::size_t>(p.uniform(1, 3));
  s.run_ms = p.uniform(30, 180) * 1000;
  s.keys = static_cast<std::uint32_t>(p.uniform(1, 8));
  s.change_every_ms_max = p.uniform(1, 40) * 100;
  s.removal_percent = p.uniform(0, 40);
  s.push_latency_ms_max = p.uniform(0, 200);
  // A healthy stream never looks silent: heartbeats at or under the interval.
  s.heartbeat_every_ms = std::max<Ms>(300, s.config.heartbeat.interval_ms * p.uniform(3, 10) / 10);
  s.poll_every_ms = p.uniform(1, 20) * 1000;
  s.poll_latency_ms_max = p.uniform(1, 3000);
  if (chance(p, 80)) s.push_stalled = draw_intervals(p, s.run_ms, 5, 1000, 200000);
  if (chance(p, 30)) s.polls_failing = draw_intervals(p, s.run_ms, 3, 1000, 60000);
  // A poll server whose clock runs ahead, from a stream of its own.
  Prng q = Prng::derive(seed, 0x3A17'5CE1);
  if (chance(q, 30)) s.poll_clock_ahead_ms = q.uniform(1, 5000);
  if (chance(p, 10)) s.stop_at_ms = p.uniform(0, s.run_ms - 1);
  return s;
}

MirrorRunResult run_mirror(const MirrorScenario& scenario, const MirrorRunOptions& options) {
  return MirrorWorld(scenario, options).run();
}

SwarmSummary run_mirror_swarm(std::uint64_t seed_first, std::uint64_t seed_last,
                              const MirrorRunOptions& options) {
  SwarmSummary sum;
  for (std::uint64_t seed = seed_first; seed <= seed_last; ++seed) {
    const MirrorRunResult r = run_mirror(mirror_scenario(seed), options);
    summarise(sum, seed, r);
    sum.worst_ms = std::max(sum.worst_ms, r.degraded_warm_ms_max);
    if (seed == UINT64_MAX) break;
  }
  return sum;
}

}  // namespace tether::sim
