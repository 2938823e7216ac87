#include <algorithm>
#include <string_view>
#include <tether/io/clock.hpp>
#include <tether/io/host.hpp>
#include <tether/io/mirror_driver.hpp>
#include <tether/model/backoff.hpp>
#include <tether/model/presets.hpp>
#include <tether/model/prng.hpp>
#include <tether/sim/mirror_world.hpp>
#include <tether/sim/reference/mirror.hpp>
#include <utility>
#include <variant>

#include "resource_common.hpp"

namespace tether::sim {

namespace {

using model::Instant;
using model::Prng;
using namespace world_detail;
namespace mirror = model::mirror;

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
  std::uint64_t poll =
      0;  // poll_send, snapshot, poll_response: the poll; tick: the timer's generation
};

// The world runs the production driver, io::MirrorDriver, and is its ports:
// the clock (the agenda's time), the host (the timer is an agenda item), the
// application (statuses are recorded) and the step observer (every step is
// hashed and handed to the reference, sim::MirrorReference, the reducer's
// rules); the world judges what only it knows: the source's history.
class MirrorWorld final : public io::Clock,
                          public io::Host,
                          public io::MirrorApplication,
                          public io::MirrorStepObserver {
 public:
  MirrorWorld(const MirrorScenario& scenario, const MirrorRunOptions& options,
              mirror::State initial)
      : scenario_(scenario),
        options_(options),
        prng_(Prng::derive(scenario.seed, 0x3A17'0002)),
        driver_(std::move(initial), io::MirrorDriverPorts{*this, *this, *this, this},
                io::MirrorDriverOptions{options.reducer, options.loop_defect}),
        reference_(scenario.config, result_.violations) {}
  MirrorRunResult run();

  // io::Clock
  model::Instant now() override { return Instant{clock_ms_}; }
  std::int64_t unix_now_ms() override { return clock_ms_; }
  // io::Host: a newer arm_timer replaces the armed one (older generations are
  // ignored when they come up).
  void arm_timer(std::optional<model::Instant> deadline) override {
    timer_generation_ += 1;
    if (deadline)
      agenda_.push(deadline->ms,
                   MirrorItem{MirrorItemKind::tick, 0, std::nullopt, timer_generation_});
  }
  // The mirror driver offloads nothing.
  void offload(Work work, io::Blocking) override { work()(); }

  // io::MirrorApplication: the statuses are recorded; the writes' outcomes
  // are judged from the step's effects (the reference's write-outcome).
  void on_status(const mirror::Status& status) override {
    result_.statuses.emplace_back(now_ms(), status);
  }
  void on_change(std::string_view, mirror::Change, mirror::Source) override {}
  void on_ignored(std::string_view, mirror::IgnoreCause) override {}
  // Only a defect makes the driver say anything.
  void on_diagnostic(const io::Diagnostic& d) override { finding("loop", "the driver: " + d.text); }

  // io::MirrorStepObserver: every step is hashed (the event, then each
  // effect) and judged.
  void on_step(const mirror::Event& e, const mirror::State& after,
               const mirror::Effects& effects) override {
    ++result_.events;
    hash_ = mix(mix(hash_, now_ms()), static_cast<std::int64_t>(e.index()));
    for (const mirror::Effect& x : effects) {
      hash_ = mix(hash_, static_cast<std::int64_t>(x.index()));
      if (const auto* st = std::get_if<mirror::ReportStatus>(&x))
        hash_ = mix(mix(hash_, static_cast<std::int64_t>(st->status.stream)),
                    st->status.stream_since.ms);
    }
    reference_.step(after, e, effects);
    if (reference_.running()) judge_world(after);
  }

 private:
  Ms now_ms() const { return clock_ms_; }
  std::string key_name(std::uint32_t k) const { return "k" + std::to_string(k); }
  // Every input goes through the driver; the world's ports never call it
  // back, so an input always steps at once.
  template <class Input>
  void input(Input&& fn) {
    if (driver_.executing())
      finding("loop", "an input waited in the loop's inbox: the world fed the loop from an effect");
    fn();
  }
  void change();
  void begin();
  void on_item(const MirrorItem& it);
  void on_push(const MirrorItem& it, bool stalled);
  void on_poll_send();
  void on_poll_response(const MirrorItem& it);
  void end();
  void finding(RuleOf<mirror_rules> rule, std::string message) {
    result_.violations.push_back(
        Violation{rule.rule.guarantee, rule.rule.name, std::move(message), now_ms(), 0});
  }

  // --- the world's judging: entries against the source's history
  void judge_world(const mirror::State& after);
  bool truth_held(const std::string& key, const std::optional<std::string>& value, Ms from,
                  Ms to) const;

  const MirrorScenario& scenario_;
  const MirrorRunOptions& options_;
  Prng prng_;
  Agenda<MirrorItem> agenda_;
  Ms clock_ms_ = 0;  // the agenda's time; past its end, the time of the inputs that follow the run
  io::MirrorDriver driver_;
  std::uint64_t timer_generation_ = 0;
  MirrorRunResult result_;
  std::uint64_t hash_ = hash_seed;

  // world
  std::vector<std::optional<std::string>> truth_;
  std::map<std::string, std::vector<std::pair<Ms, std::optional<std::string>>>> history_;
  std::uint64_t versions_ = 0;
  Ms push_fifo_ms_ = 0;
  std::uint64_t polls_ = 0;
  std::map<std::uint64_t, std::pair<Ms, std::vector<std::optional<std::string>>>> snapshots_;

  MirrorReference reference_;  // after result_: it reports into result_.violations
  std::optional<Ms> warm_degraded_since_;
};

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

// Every entry the mirror holds is a value the source really held around its
// written_at: a push is at most push_latency late, a poll's snapshot at most
// poll_latency after observed_at (stamped up to poll_clock_ahead late). And
// the spells of "stream degraded, backfill warm" the application saw.
void MirrorWorld::judge_world(const mirror::State& after) {
  for (const auto& [key, entry] : after.entries) {
    const Ms as_of = entry.written_at.ms;
    if (!truth_held(key, entry.value,
                    as_of - scenario_.push_latency_ms_max - scenario_.poll_clock_ahead_ms - 1,
                    as_of + scenario_.poll_latency_ms_max + 1))
      finding("value-not-truth",
              "entry " + key + " holds a value the source never had around " + ms_text(as_of));
  }
  const mirror::Status& st = reference_.reported();
  if (st.stream == mirror::StreamHealth::degraded && st.backfill == mirror::Backfill::warm) {
    count(result_.counters, "steps degraded while backfill warm");
    if (!warm_degraded_since_) warm_degraded_since_ = now_ms();
    result_.degraded_warm_ms_max =
        std::max(result_.degraded_warm_ms_max, now_ms() - *warm_degraded_since_);
  } else {
    warm_degraded_since_.reset();
  }
}

void MirrorWorld::change() {
  const auto k =
      static_cast<std::uint32_t>(prng_.uniform(0, static_cast<std::int64_t>(scenario_.keys) - 1));
  std::optional<std::string> v;
  if (!chance(prng_, scenario_.removal_percent)) v = "v" + std::to_string(++versions_);
  truth_[k] = v;
  history_[key_name(k)].emplace_back(now_ms(), v);
  // The stream delivers in order, after its latency.
  push_fifo_ms_ =
      std::max(push_fifo_ms_, now_ms() + prng_.uniform(0, scenario_.push_latency_ms_max));
  agenda_.push(push_fifo_ms_, MirrorItem{MirrorItemKind::push, k, v});
  agenda_.push(now_ms() + prng_.uniform(1, scenario_.change_every_ms_max),
               MirrorItem{MirrorItemKind::change});
}

// The source before the run (some keys set), the first items, and Started.
void MirrorWorld::begin() {
  truth_.assign(scenario_.keys, std::nullopt);
  for (std::uint32_t k = 0; k < scenario_.keys; ++k) {
    if (chance(prng_, 50)) continue;
    truth_[k] = "v" + std::to_string(++versions_);
    history_[key_name(k)].emplace_back(-1, truth_[k]);
  }
  input([this] { driver_.start(); });
  agenda_.push(prng_.uniform(1, scenario_.change_every_ms_max), MirrorItem{MirrorItemKind::change});
  agenda_.push(prng_.uniform(0, scenario_.heartbeat_every_ms),
               MirrorItem{MirrorItemKind::heartbeat});
  agenda_.push(prng_.uniform(0, scenario_.poll_every_ms), MirrorItem{MirrorItemKind::poll_send});
  if (scenario_.stop_at_ms) agenda_.push(*scenario_.stop_at_ms, MirrorItem{MirrorItemKind::stop});
}

void MirrorWorld::on_push(const MirrorItem& it, bool stalled) {
  if (stalled) {
    count(result_.counters, "pushes lost to a stall");
    return;
  }
  count(result_.counters, "pushes");
  if (it.value)
    input([&] { driver_.value_pushed(key_name(it.key), *it.value); });
  else
    input([&] { driver_.removal_pushed(key_name(it.key)); });
}

// A poll is sent now; the source's state is taken at some later instant, and
// the answer arrives after that (both within the poll latency).
void MirrorWorld::on_poll_send() {
  agenda_.push(now_ms() + scenario_.poll_every_ms, MirrorItem{MirrorItemKind::poll_send});
  if (inside(scenario_.polls_failing, now_ms())) {
    count(result_.counters, "polls failed");
    return;
  }
  const std::uint64_t id = ++polls_;
  const Ms taken = now_ms() + prng_.uniform(0, scenario_.poll_latency_ms_max);
  const Ms answered = taken + prng_.uniform(0, now_ms() + scenario_.poll_latency_ms_max - taken);
  snapshots_[id].first = now_ms();
  agenda_.push(taken, MirrorItem{MirrorItemKind::snapshot, 0, std::nullopt, id});
  agenda_.push(answered, MirrorItem{MirrorItemKind::poll_response, 0, std::nullopt, id});
}

void MirrorWorld::on_poll_response(const MirrorItem& it) {
  const auto [sent, snap] = snapshots_[it.poll];
  snapshots_.erase(it.poll);
  count(result_.counters, "polls");
  const Instant stamped{sent + scenario_.poll_clock_ahead_ms};
  if (stamped.ms > now_ms()) count(result_.counters, "polls stamped in the future");
  for (std::uint32_t k = 0; k < scenario_.keys; ++k) {
    if (snap[k])
      input([&] { driver_.value_polled(stamped, key_name(k), *snap[k]); });
    else
      input([&] { driver_.removal_polled(stamped, key_name(k)); });
  }
  input([&] { driver_.poll_completed(stamped); });
}

void MirrorWorld::on_item(const MirrorItem& it) {
  const bool stalled = inside(scenario_.push_stalled, now_ms());
  switch (it.kind) {
    case MirrorItemKind::change:
      return change();
    case MirrorItemKind::push:
      return on_push(it, stalled);
    case MirrorItemKind::heartbeat:
      if (!stalled) input([this] { driver_.heartbeat(); });
      agenda_.push(now_ms() + scenario_.heartbeat_every_ms, MirrorItem{MirrorItemKind::heartbeat});
      return;
    case MirrorItemKind::poll_send:
      return on_poll_send();
    case MirrorItemKind::snapshot:
      snapshots_[it.poll].second = truth_;
      return;
    case MirrorItemKind::poll_response:
      return on_poll_response(it);
    case MirrorItemKind::tick:
      if (it.poll == timer_generation_) driver_.on_timer();  // else replaced by a later arm_timer
      return;
    case MirrorItemKind::stop:
      input([this] { driver_.stop(); });
      return;
  }
}

// The end: stop (if nothing did), then the world keeps talking; all of it must be ignored.
void MirrorWorld::end() {
  clock_ms_ = scenario_.run_ms;
  if (reference_.running()) input([this] { driver_.stop(); });
  clock_ms_ = scenario_.run_ms + 1;
  input([this] { driver_.value_pushed("k0", "after stop"); });
  clock_ms_ = scenario_.run_ms + 1'000'000;
  input([this] { driver_.on_timer(); });  // a timer that fires late, long after the end
  result_.trace_hash = hash_;
  const MirrorTally& t = reference_.tally();
  for (const auto& [name, n] : {std::pair{"polled values", t.polled_values},
                                std::pair{"polls older than the entry", t.polls_older_than_entry},
                                std::pair{"fresh answers", t.fresh_answers}})
    if (n > 0) count(result_.counters, name, n);
}

MirrorRunResult MirrorWorld::run() {
  begin();
  while (!agenda_.empty() && agenda_.next_ms() <= scenario_.run_ms) {
    if (result_.events >= options_.events_max) {
      finding("event-limit", "more than " + std::to_string(options_.events_max) + " steps");
      break;
    }
    const MirrorItem it = agenda_.pop();
    clock_ms_ = agenda_.now_ms();
    reference_.idle_until(clock_ms_ - 1);
    on_item(it);
  }
  end();
  return result_;
}

}  // namespace

// =============================================================================

MirrorScenario mirror_scenario(std::uint64_t seed) {
  Prng prng = Prng::derive(seed, 0x3A17'3);
  MirrorScenario scenario;
  scenario.seed = seed;
  scenario.config = model::presets::aviso_mirror();
  if (chance(prng, 60)) {  // a variation
    constexpr std::int64_t stale[] = {1000, 5000, 30000};
    constexpr std::int64_t intervals[] = {1000, 5000, 30000};
    scenario.config.stale_after_ms = stale[prng.uniform(0, 2)];
    scenario.config.heartbeat.interval_ms = intervals[prng.uniform(0, 2)];
    scenario.config.heartbeat.interval_multiple = prng.uniform(1, 3);
    scenario.config.heartbeat.slack_ms = prng.uniform(0, 6) * 5000;
  }
  if (chance(prng, 10)) scenario.config.keys_max = static_cast<std::size_t>(prng.uniform(1, 3));
  scenario.run_ms = prng.uniform(30, 180) * 1000;
  scenario.keys = static_cast<std::uint32_t>(prng.uniform(1, 8));
  scenario.change_every_ms_max = prng.uniform(1, 40) * 100;
  scenario.removal_percent = prng.uniform(0, 40);
  scenario.push_latency_ms_max = prng.uniform(0, 200);
  // A healthy stream never looks silent: heartbeats at or under the interval.
  scenario.heartbeat_every_ms =
      std::max<Ms>(300, scenario.config.heartbeat.interval_ms * prng.uniform(3, 10) / 10);
  scenario.poll_every_ms = prng.uniform(1, 20) * 1000;
  scenario.poll_latency_ms_max = prng.uniform(1, 3000);
  if (chance(prng, 80))
    scenario.push_stalled = draw_intervals(prng, scenario.run_ms, 5, 1000, 200000);
  if (chance(prng, 30))
    scenario.polls_failing = draw_intervals(prng, scenario.run_ms, 3, 1000, 60000);
  // A poll server whose clock runs ahead, from a stream of its own.
  Prng server_prng = Prng::derive(seed, 0x3A17'5CE1);
  if (chance(server_prng, 30)) scenario.poll_clock_ahead_ms = server_prng.uniform(1, 5000);
  if (chance(prng, 10)) scenario.stop_at_ms = prng.uniform(0, scenario.run_ms - 1);
  return scenario;
}

MirrorRunResult run_mirror(const MirrorScenario& scenario, const MirrorRunOptions& options) {
  auto made = mirror::make(scenario.config);
  if (!made) {
    MirrorRunResult result;
    result.error = std::string(made.error().field) + ": " + std::string(made.error().reason);
    return result;
  }
  return MirrorWorld(scenario, options, std::move(*made)).run();
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
