// Benchmarks of the simulator (Google Benchmark). Three figures:
//
//   BM_swarm_batch        simulated client events (reducer steps) per second on
//                         one core, over the batch of swarm seeds 1..100
//                         (scenarios drawn before timing).
//   BM_campaign_10min     wall time of a campaign of TETHER_SIM_BENCH_SCENARIOS
//                         (default 10,000) swarm scenarios stretched to 10
//                         simulated minutes of safety phase each, sharded over
//                         every hardware thread.
//   BM_sim_vs_reducer     the simulator's cost per event against the raw
//                         reducer's, measured in one run: the same seeds are run
//                         by the simulator, then every client's recorded event
//                         sequence is replayed through transition_in_place alone
//                         (both timed in thread CPU time).
//
//   tether_sim_bench                                    # all figures
//   tether_sim_bench --benchmark_filter=swarm_batch     # one
//   TETHER_SIM_BENCH_SCENARIOS=20 tether_sim_bench --benchmark_min_time=0.01   # ctest smoke run
//
// "10 simulated minutes": each scenario's safety phase (faults on) plus its
// liveness phase (the bound liveness_bound_ms() derives from the policy) is set
// to 600,000 ms: safety_ms = 600,000 - that bound (at least 60,000), and the
// swarm-drawn fault timeline is stretched over it (every fault's start scaled by
// new / drawn safety_ms; durations kept). The final stop's flush adds about a
// second; the mean simulated length is reported as sim_minutes.

#include <benchmark/benchmark.h>
#include <time.h>  // clock_gettime(CLOCK_THREAD_CPUTIME_ID): POSIX

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <tether/model/session.hpp>
#include <tether/sim/session_world.hpp>
#include <tether/sim/swarm.hpp>
#include <thread>
#include <variant>
#include <vector>

namespace {

namespace sim = tether::sim;
namespace tmod = tether::model;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU time of the calling thread: on a machine shared with other jobs, wall
// time also counts the time this thread waited for a core.
double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::vector<sim::Scenario> swarm_batch(std::uint64_t first, std::uint64_t count) {
  std::vector<sim::Scenario> out;
  out.reserve(count);
  for (std::uint64_t seed = first; seed < first + count; ++seed)
    out.push_back(sim::swarm_scenario(seed));
  return out;
}

constexpr sim::Ms ten_minutes_ms = 10 * 60 * 1000;

// The run (safety + liveness phase) lasts 10 simulated minutes: the safety
// phase gets what the policy's liveness bound leaves of them (at least one
// minute), and the drawn fault timeline is stretched over it.
sim::Scenario ten_minutes(std::uint64_t seed) {
  sim::Scenario s = sim::swarm_scenario(seed);
  const sim::Ms liveness = sim::liveness_bound_ms(s.config, s);
  const sim::Ms safety = std::max<sim::Ms>(60'000, ten_minutes_ms - liveness);
  for (sim::Fault& f : s.faults) f.at_ms = f.at_ms * safety / s.safety_ms;
  s.safety_ms = safety;
  return s;
}

// --- events per second per core --------------------------------------------------
void BM_swarm_batch(benchmark::State& bench) {
  const std::vector<sim::Scenario> batch = swarm_batch(1, 100);
  std::uint64_t events = 0, failing = 0;
  for (auto _ : bench) {
    for (const sim::Scenario& s : batch) {
      const sim::RunResult r = sim::run_session(s);
      events += r.events;
      failing += r.ok() ? 0U : 1U;
    }
  }
  if (failing != 0) bench.SkipWithError("a swarm scenario broke a guarantee");
  bench.SetItemsProcessed(
      static_cast<std::int64_t>(events));  // items/s = simulated client events/s
  bench.counters["events_per_scenario"] =
      benchmark::Counter(static_cast<double>(events) / static_cast<double>(batch.size()),
                         benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_swarm_batch)->Unit(benchmark::kMillisecond);

// --- a campaign of 10-minute scenarios on every core --------------------------------
std::uint64_t campaign_size() {
  const char* env = std::getenv("TETHER_SIM_BENCH_SCENARIOS");
  const std::uint64_t n = env != nullptr ? std::strtoull(env, nullptr, 10) : 0;
  return n > 0 ? n : 10'000;
}

void BM_campaign_10min(benchmark::State& bench) {
  const std::uint64_t scenarios = campaign_size();
  const unsigned threads = std::max(1U, std::thread::hardware_concurrency());
  std::atomic<std::uint64_t> events{0}, failing{0}, sim_ms{0};
  std::atomic<std::uint64_t> cpu_us{0};
  double wall_s = 0;
  for (auto _ : bench) {
    events = 0;
    failing = 0;
    sim_ms = 0;
    cpu_us = 0;
    const Clock::time_point t0 = Clock::now();
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        const double cpu0 = thread_cpu_s();
        std::uint64_t ev = 0, bad = 0, ms = 0;
        // Shard by seed: thread t runs seeds t+1, t+1+threads, ...
        for (std::uint64_t seed = 1 + t; seed <= scenarios; seed += threads) {
          const sim::RunResult r = sim::run_session(ten_minutes(seed));
          ev += r.events;
          bad += r.ok() ? 0U : 1U;
          ms += static_cast<std::uint64_t>(r.end_ms);
        }
        events += ev;
        failing += bad;
        sim_ms += ms;
        cpu_us += static_cast<std::uint64_t>((thread_cpu_s() - cpu0) * 1e6);
      });
    }
    for (std::thread& th : pool) th.join();
    wall_s = seconds_since(t0);
    bench.SetIterationTime(wall_s);
  }
  bench.counters["scenarios"] = static_cast<double>(scenarios);
  bench.counters["threads"] = threads;
  bench.counters["wall_s"] = wall_s;
  bench.counters["events"] = static_cast<double>(events.load());
  const double cpu_s = static_cast<double>(cpu_us.load()) * 1e-6;
  bench.counters["cpu_s"] = cpu_s;  // summed over the threads
  bench.counters["events_per_s_per_core"] = static_cast<double>(events.load()) / wall_s / threads;
  bench.counters["events_per_cpu_s"] = static_cast<double>(events.load()) / cpu_s;
  bench.counters["sim_minutes"] =
      static_cast<double>(sim_ms.load()) / static_cast<double>(scenarios) / 60000.0;
  bench.counters["failing"] = static_cast<double>(failing.load());
}
BENCHMARK(BM_campaign_10min)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

// --- simulator cost against raw reducer cost ----------------------------------------
// Every process lifetime's inputs, recorded by a reducer wrapper: the session as
// it was before Started (the driver makes a fresh one per lifetime, with its own
// jitter seed), then every event in the order the simulator fed it.
struct Track {
  const tmod::State* owner;
  tmod::State initial;
  std::vector<tmod::Event> events;
};
std::vector<Track>* g_tracks = nullptr;  // set only while recording (one thread)

// A lifetime's first event opens its track: Started, or a stop or link-up fed
// to a session still Idle (before Started; a restarted process reuses the
// dead one's storage, so its address alone does not tell a new lifetime).
tmod::Effects recording_reducer(tmod::State& s, const tmod::Event& e) noexcept {
  Track* track = nullptr;
  for (auto it = g_tracks->rbegin(); it != g_tracks->rend() && track == nullptr; ++it)
    if (it->owner == &s) track = &*it;
  const bool idle = std::holds_alternative<tmod::Idle>(s.phase);
  const bool started_before =
      track != nullptr &&
      std::any_of(track->events.begin(), track->events.end(),
                  [](const tmod::Event& x) { return std::holds_alternative<tmod::Started>(x); });
  if (track == nullptr || ((std::holds_alternative<tmod::Started>(e) || idle) && started_before)) {
    g_tracks->push_back(Track{&s, s, {}});
    track = &g_tracks->back();
  }
  track->events.push_back(e);
  return tmod::transition_in_place(s, e);
}

void BM_sim_vs_reducer(benchmark::State& bench) {
  const std::vector<sim::Scenario> batch = swarm_batch(1, 200);
  double sim_s = 0, reducer_s = 0;
  std::uint64_t sim_events = 0, replayed = 0, sim_effects_check = 0, replay_effects = 0;
  for (auto _ : bench) {
    // 1. The simulator, with the real reducer (nothing recorded).
    sim_events = 0;
    double t0 = thread_cpu_s();
    for (const sim::Scenario& s : batch) sim_events += sim::run_session(s).events;
    sim_s = thread_cpu_s() - t0;

    // 2. The same runs, recorded (untimed).
    std::vector<std::vector<Track>> recorded(batch.size());
    sim::RunOptions rec;
    rec.reducer = &recording_reducer;
    for (std::size_t k = 0; k < batch.size(); ++k) {
      g_tracks = &recorded[k];
      (void)sim::run_session(batch[k], rec);
    }
    g_tracks = nullptr;
    std::vector<Track> tracks;
    for (auto& r : recorded)
      for (Track& t : r) tracks.push_back(std::move(t));

    // 3. The recorded events through transition_in_place alone.
    replayed = 0;
    replay_effects = 0;
    t0 = thread_cpu_s();
    for (const Track& t : tracks) {
      tmod::State s = t.initial;
      for (const tmod::Event& e : t.events) {
        const tmod::Effects fx = tmod::transition_in_place(s, e);
        benchmark::DoNotOptimize(fx);
        replay_effects += fx.size();
      }
      replayed += t.events.size();
      benchmark::DoNotOptimize(s);
    }
    reducer_s = thread_cpu_s() - t0;
    sim_effects_check = replayed;
    bench.SetIterationTime(sim_s + reducer_s);
  }
  if (replayed != sim_events) bench.SkipWithError("the replay did not see every simulated event");
  bench.counters["events"] = static_cast<double>(sim_events);
  bench.counters["sim_ns_per_event"] = sim_s * 1e9 / static_cast<double>(sim_events);
  bench.counters["reducer_ns_per_event"] = reducer_s * 1e9 / static_cast<double>(sim_effects_check);
  bench.counters["sim_over_reducer"] = sim_s / reducer_s;
  bench.counters["effects"] = static_cast<double>(replay_effects);
}
BENCHMARK(BM_sim_vs_reducer)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
