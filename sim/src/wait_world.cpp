#include <algorithm>
#include <deque>
#include <set>
#include <string_view>
#include <tether/io/clock.hpp>
#include <tether/io/host.hpp>
#include <tether/io/wait_driver.hpp>
#include <tether/model/backoff.hpp>
#include <tether/model/presets.hpp>
#include <tether/model/prng.hpp>
#include <tether/sim/reference/wait.hpp>
#include <tether/sim/wait_world.hpp>
#include <utility>
#include <variant>

#include "resource_common.hpp"

namespace tether::sim {

namespace {

using model::Instant;
using model::Prng;
using namespace world_detail;
namespace wait = model::wait;

// =============================================================================
// Wait world
// =============================================================================

enum class WaitItemKind : std::uint8_t {
  edge,         // a fault interval starts or ends (or everything heals)
  answer,       // the acquisition running on the worker returns
  watch_end,    // the world ends watch {id}
  tick,         // the timer the loop armed (id: its generation)
  stop,         // the application stops
  check_live,   // a healthy world must have led to a hold by now
  link_repeat,  // the link monitor repeats Connected (no news)
};

struct WaitItem {
  WaitItemKind kind;
  std::uint64_t id = 0;  // watch id, timer or check generation
};

// The world runs the production driver, io::WaitDriver, and is its ports: the
// clock (the agenda's time), the host (the timer is an agenda item; offload()
// is the one simulated worker, whose acquisitions return through the agenda),
// the acquirer (an acquisition succeeds if the link is up and the resource
// present when it returns), the application (a Release closes the watch;
// statuses are counted) and the step observer (every step is hashed and
// handed to the reference, sim::WaitReference, the reducer's rules). The
// world judges what only it knows: a healthy world leads to a hold in time.
class WaitWorld final : public io::Clock,
                        public io::Host,
                        public io::ResourceAcquirer,
                        public io::WaitApplication,
                        public io::WaitStepObserver {
 public:
  WaitWorld(const WaitScenario& scenario, const WaitRunOptions& options, wait::State initial)
      : scenario_(scenario),
        options_(options),
        bound_ms_(liveness_bound_ms(scenario)),
        prng_(Prng::derive(scenario.seed, 0x3A17'0001)),
        driver_(std::move(initial), io::WaitDriverPorts{*this, *this, *this, *this, this},
                io::WaitDriverOptions{options.reducer, options.loop_defect}),
        reference_(scenario.config, result_.violations) {}

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
  // The one worker: the driver offloads acquisitions only.
  void offload(Work work, io::Blocking) override;
  // io::ResourceAcquirer: called when the acquisition returns.
  std::expected<void, std::string> acquire(std::uint64_t id) override;
  // io::WaitApplication
  void on_acquired(std::uint64_t) override {}
  void on_release(std::uint64_t id) override {
    released_.insert(id);
    if (open_watch_ == id) open_watch_.reset();
  }
  void on_status(const wait::Status& st) override { count_status(st); }
  void on_diagnostic(const io::Diagnostic&) override {}
  // io::WaitStepObserver
  void on_step(const wait::Event& e, const wait::State& after, const wait::Effects& fx) override;

 private:
  // --- the world
  bool link_up(Ms t) const { return t >= scenario_.safety_ms || !inside(scenario_.link_down, t); }
  bool present(Ms t) const {
    return t >= scenario_.safety_ms || !inside(scenario_.resource_absent, t);
  }
  bool flapping(Ms t) const {
    return t < scenario_.safety_ms && inside(scenario_.broker_flapping, t);
  }
  bool hanging(Ms t) const {
    return t < scenario_.safety_ms && inside(scenario_.acquisitions_hung, t);
  }
  bool healthy(Ms t) const { return link_up(t) && present(t) && !flapping(t) && !hanging(t); }
  Ms latency() { return prng_.uniform(scenario_.latency_ms_min, scenario_.latency_ms_max); }
  Ms now_ms() const { return clock_ms_; }

  // Every input goes through the driver, never from inside one of its calls.
  template <class Input>
  void input(Input&& fn) {
    if (driver_.executing())
      finding("loop", "an input waited in the loop's inbox: the world fed the loop from an effect");
    fn();
  }
  void on_item(const WaitItem& it);
  void on_edge();
  void start_next_acquisition();
  void on_answer();

  // --- the world's judging
  void finding(RuleOf<wait_rules> rule, std::string message) {
    result_.violations.push_back(
        Violation{rule.rule.guarantee, rule.rule.name, std::move(message), now_ms(), 0});
  }
  void on_hold();
  void count_status(const wait::Status& st);
  void count_tally();

  const WaitScenario& scenario_;
  const WaitRunOptions& options_;
  const Ms bound_ms_;
  Prng prng_;
  Agenda<WaitItem> agenda_;
  Ms clock_ms_ = 0;  // the agenda's time; past its end, the time of the inputs that follow the run
  io::WaitDriver driver_;
  std::uint64_t timer_generation_ = 0;
  WaitRunResult result_;
  std::uint64_t hash_ = hash_seed;

  // world
  bool world_link_up_ = true;
  bool world_present_ = true;
  std::optional<std::uint64_t> open_watch_;
  std::set<std::uint64_t> released_;
  // The one worker: the acquisition running on it (since when), and those
  // queued behind.
  struct Job {
    Work work;
    Ms started_at = 0;
  };
  std::optional<Job> running_;
  std::deque<Work> queued_;

  WaitReference reference_;  // after result_: it reports into result_.violations
  // The liveness check: healthy since the last edge, and held since.
  bool healthy_now_ = false;
  std::uint64_t healthy_gen_ = 0;
  bool held_in_window_ = false;
};

void WaitWorld::on_step(const wait::Event& e, const wait::State& after, const wait::Effects& fx) {
  ++result_.events;
  hash_ = mix(mix(hash_, now_ms()), static_cast<std::int64_t>(e.index()));
  for (const wait::Effect& x : fx) {
    hash_ = mix(hash_, static_cast<std::int64_t>(x.index()));
    if (const auto* a = std::get_if<wait::Acquire>(&x))
      hash_ = mix(hash_, static_cast<std::int64_t>(a->id));
    if (const auto* st = std::get_if<wait::ReportStatus>(&x))
      hash_ = mix(hash_, st->status.next_attempt_at.ms);
  }
  const bool was_holding = reference_.holding();
  reference_.step(e, fx, wait::next_deadline(after));
  if (!was_holding && reference_.holding()) on_hold();
}

void WaitWorld::count_status(const wait::Status& st) {
  switch (st.kind) {
    case wait::StatusKind::stopped:
      count(result_.counters, "stopped");
      break;
    case wait::StatusKind::gave_up:
      count(result_.counters, "gave up");
      break;
    case wait::StatusKind::offline:
      count(result_.counters, "offline waits");
      break;
    case wait::StatusKind::pausing:
      count(result_.counters, "reopen pauses");
      break;
    case wait::StatusKind::held:
      count(result_.counters, "holds");
      break;
    default:
      break;
  }
}

// What the reference saw, as the world's behaviour counters (only those that happened).
void WaitWorld::count_tally() {
  const WaitTally& t = reference_.tally();
  for (const auto& [name, n] :
       {std::pair{"backoffs", t.backoffs}, std::pair{"acquire timeouts", t.acquire_timeouts},
        std::pair{"attempts behind an acquisition still out", t.attempts_behind_out},
        std::pair{"late successes held", t.late_successes_held},
        std::pair{"reopens after a pause", t.reopens_after_pause},
        std::pair{"attempts woken by Connected", t.attempts_woken}})
    if (n > 0) count(result_.counters, name, n);
}

// A hold began: within a healthy window, the liveness check is met.
void WaitWorld::on_hold() {
  if (!healthy_now_ || held_in_window_) return;
  held_in_window_ = true;
  if (now_ms() >= scenario_.safety_ms && !result_.held_after_heal_ms)
    result_.held_after_heal_ms = now_ms() - scenario_.safety_ms;
}

// An Acquire reaches the worker: it runs at once if the worker is free, or
// waits for the ones before it.
void WaitWorld::offload(Work work, io::Blocking) {
  result_.attempt_at_ms.push_back(now_ms());
  count(result_.counters, "attempts");
  if (running_) count(result_.counters, "acquisitions queued behind another");
  queued_.push_back(std::move(work));
  start_next_acquisition();
}

// The worker takes the next acquisition in order, if it is free: it answers
// after a latency, or, started in a hang period, only after that period.
void WaitWorld::start_next_acquisition() {
  if (running_ || queued_.empty()) return;
  running_.emplace(Job{std::move(queued_.front()), now_ms()});
  queued_.pop_front();
  Ms done = now_ms() + latency();
  if (hanging(now_ms())) {
    count(result_.counters, "acquisitions hung");
    for (const Interval& x : scenario_.acquisitions_hung)
      if (x.from_ms <= now_ms() && now_ms() < x.to_ms) done = std::max(done, x.to_ms + latency());
  }
  agenda_.push(done, WaitItem{WaitItemKind::answer});
}

// The acquisition running returns (acquire() decides its answer now), then
// its completion feeds the driver.
void WaitWorld::on_answer() {
  Job job = std::move(*running_);
  running_.reset();
  start_next_acquisition();  // the worker goes on with the next before the answer is handled
  if (scenario_.config.acquire_timeout_ms > 0 &&
      now_ms() - job.started_at >= scenario_.config.acquire_timeout_ms)
    count(result_.counters, "acquisitions answered past the timeout");
  Completion completion = job.work();
  input([&] { completion(); });
}

// Success if the link is up and the resource present now; a success opens
// the watch (unless the driver released the acquisition meanwhile).
std::expected<void, std::string> WaitWorld::acquire(std::uint64_t id) {
  const bool up = link_up(now_ms());
  const bool here = present(now_ms());
  if (up && here && released_.count(id) == 0) {
    open_watch_ = id;
    if (flapping(now_ms())) {
      count(result_.counters, "watches flapped");
      agenda_.push(now_ms() + prng_.uniform(0, scenario_.flap_ms_max),
                   WaitItem{WaitItemKind::watch_end, id});
    }
  }
  if (!up) return std::unexpected(std::string("the link is down (simulated)"));
  if (!here) return std::unexpected(std::string("the resource is absent (simulated)"));
  return {};
}

void WaitWorld::on_edge() {
  const bool up = link_up(now_ms());
  if (up != world_link_up_) {
    world_link_up_ = up;
    if (!up && open_watch_)
      agenda_.push(now_ms() + latency(), WaitItem{WaitItemKind::watch_end, *open_watch_});
    if (scenario_.link_monitor) {
      count(result_.counters, up ? "link up" : "link down");
      input([&] { up ? driver_.link_up() : driver_.link_down(); });
    }
  }
  const bool here = present(now_ms());
  if (here != world_present_) {
    world_present_ = here;
    count(result_.counters, here ? "resource appeared" : "resource disappeared");
    if (!here && open_watch_)
      agenda_.push(now_ms() + latency(), WaitItem{WaitItemKind::watch_end, *open_watch_});
  }
  const bool is_healthy = healthy(now_ms());
  if (is_healthy && !healthy_now_) {
    healthy_gen_ += 1;
    held_in_window_ = reference_.holding();
    agenda_.push(now_ms() + bound_ms_ + 1, WaitItem{WaitItemKind::check_live, healthy_gen_});
  }
  if (!is_healthy) healthy_gen_ += 1;  // cancels the pending check
  healthy_now_ = is_healthy;
}

void WaitWorld::on_item(const WaitItem& it) {
  switch (it.kind) {
    case WaitItemKind::edge:
      on_edge();
      break;
    case WaitItemKind::answer:
      on_answer();
      break;
    case WaitItemKind::watch_end:
      if (open_watch_ == it.id) open_watch_.reset();
      input([&] { driver_.watch_ended(it.id); });
      break;
    case WaitItemKind::tick:
      if (it.id == timer_generation_) driver_.on_timer();  // else replaced by a later arm_timer
      break;
    case WaitItemKind::stop:
      input([&] { driver_.stop(); });
      break;
    case WaitItemKind::link_repeat:
      if (world_link_up_) {
        count(result_.counters, "link up repeated");
        input([&] { driver_.link_up(); });
      }
      agenda_.push(now_ms() + scenario_.link_up_repeat_ms, WaitItem{WaitItemKind::link_repeat});
      break;
    case WaitItemKind::check_live:
      if (it.id == healthy_gen_ && !held_in_window_ && !reference_.terminal())
        finding("not-acquired-in-time",
                "healthy for " + ms_text(bound_ms_) + " ms (the policy's bound) and not held");
      break;
  }
}

WaitRunResult WaitWorld::run() {
  // Every edge of every fault interval, and the heal.
  for (const auto* xs : {&scenario_.resource_absent, &scenario_.link_down,
                         &scenario_.broker_flapping, &scenario_.acquisitions_hung})
    for (const Interval& x : *xs) {
      agenda_.push(x.from_ms, WaitItem{WaitItemKind::edge});
      agenda_.push(x.to_ms, WaitItem{WaitItemKind::edge});
    }
  agenda_.push(scenario_.safety_ms, WaitItem{WaitItemKind::edge});
  if (scenario_.stop_at_ms) agenda_.push(*scenario_.stop_at_ms, WaitItem{WaitItemKind::stop});
  if (scenario_.link_monitor && scenario_.link_up_repeat_ms > 0)
    agenda_.push(scenario_.link_up_repeat_ms, WaitItem{WaitItemKind::link_repeat});
  const Ms end_ms = scenario_.safety_ms + bound_ms_ + 1000;

  world_link_up_ = link_up(0);
  world_present_ = present(0);
  const wait::Link told = !scenario_.link_monitor ? wait::Link::unknown
                          : world_link_up_        ? wait::Link::up
                                                  : wait::Link::down;
  input([&] { driver_.start(told); });
  on_edge();

  bool ran_out = false;
  while (!agenda_.empty() && agenda_.next_ms() <= end_ms) {
    if (result_.events >= options_.events_max) {
      finding("event-limit",
              "more than " + std::to_string(options_.events_max) + " steps: a hot loop?");
      ran_out = true;
      break;
    }
    const WaitItem it = agenda_.pop();
    clock_ms_ = agenda_.now_ms();
    reference_.idle_until(clock_ms_ - 1);
    on_item(it);
  }
  // The end: nothing was fed through end_ms; stop (if nothing did), then the
  // world keeps talking; all of it must be ignored.
  if (!ran_out) reference_.idle_until(end_ms - 1);
  const Ms end_at = clock_ms_;
  if (!reference_.terminal()) input([&] { driver_.stop(); });
  clock_ms_ = end_at + 1;
  input([&] { driver_.link_up(); });
  clock_ms_ = end_at + 2;
  input([&] { driver_.link_down(); });
  clock_ms_ = end_at + 1'000'000;
  input([&] { driver_.on_timer(); });  // a late Tick
  if (result_.held_after_heal_ms) count(result_.counters, "held after heal");
  count_tally();
  result_.trace_hash = hash_;
  return result_;
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
  auto made = wait::make(scenario.config);
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
