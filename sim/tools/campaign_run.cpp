#include "campaign_run.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <sstream>
#include <string>
#include <tether/sim/session_world.hpp>
#include <tether/sim/swarm.hpp>
#include <thread>
#include <utility>

namespace tether::sim::tools {

namespace {

// Set by SIGINT; the workers read it before taking a seed.
volatile std::sig_atomic_t interrupt_requested = 0;
extern "C" void on_interrupt(int) { interrupt_requested = 1; }

// Installs the SIGINT handler for the campaign's lifetime.
class InterruptGuard {
 public:
  InterruptGuard() : previous_(std::signal(SIGINT, on_interrupt)) { interrupt_requested = 0; }
  ~InterruptGuard() { std::signal(SIGINT, previous_); }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  void (*previous_)(int);
};

// What the workers share: the next seed to take, and what the progress
// display reads.
struct Shared {
  std::atomic<std::uint64_t> next_k{0};
  std::atomic<std::uint64_t> stop_before_k{UINT64_MAX};  // fail-fast: the lowest failing k + 1
  std::atomic<std::uint64_t> done{0};
  std::atomic<std::uint64_t> events{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<unsigned> running{0};
  std::mutex mutex;
  std::condition_variable finished;
};

void add_run(Campaign& c, std::uint64_t seed, const RunResult& r) {
  c.scenarios += 1;
  c.events += r.events;
  c.coverage.merge(r.coverage);
  if (!r.error.empty()) c.violations[0] += 1;
  for (const Violation& v : r.violations)
    if (number(v.guarantee) != 0) c.violations[static_cast<std::size_t>(number(v.guarantee))] += 1;
  if (r.ok()) return;
  c.failed += 1;
  // Seeds arrive in order within one worker: its lowest ones are its first.
  if (c.failures.size() < failures_kept_max) c.failures.push_back(Failure{seed, describe(r)});
}

void work(const Plan& plan, std::uint64_t mine, Shared& shared, Campaign& out) {
  for (;;) {
    if (interrupt_requested != 0) break;
    const std::uint64_t k = shared.next_k.fetch_add(1);
    if (k >= mine || k >= shared.stop_before_k.load()) break;
    const std::uint64_t seed = seed_at(plan, k);
    Scenario scenario =
        plan.policy.file.empty() ? swarm_scenario(seed) : swarm_scenario(seed, plan.policy.session);
    if (!plan.policy.file.empty()) scenario.fixed_seed = plan.policy.seed;
    const RunResult r = run_session(scenario);
    add_run(out, seed, r);
    shared.done.fetch_add(1);
    shared.events.fetch_add(r.events);
    if (r.ok()) continue;
    shared.failed.fetch_add(1);
    if (!plan.fail_fast) continue;
    std::uint64_t stop = shared.stop_before_k.load();
    while (k + 1 < stop && !shared.stop_before_k.compare_exchange_weak(stop, k + 1)) {
    }
  }
  std::lock_guard lock(shared.mutex);
  shared.running -= 1;
  shared.finished.notify_all();
}

void show_progress(const Shared& shared, std::uint64_t mine, double elapsed_s, bool terminal) {
  constexpr std::uint64_t bar_width = 24;
  const std::uint64_t done = std::min(shared.done.load(), mine);
  const double rate = elapsed_s > 0 ? static_cast<double>(shared.events.load()) / elapsed_s : 0;
  const double eta_s =
      done > 0 ? elapsed_s * static_cast<double>(mine - done) / static_cast<double>(done) : 0;
  const std::uint64_t filled = mine > 0 ? done * bar_width / mine : bar_width;
  const std::string bar = std::string(filled, '#') + std::string(bar_width - filled, '.');
  std::fprintf(stderr,
               "%s[%s] %" PRIu64 "/%" PRIu64 " scenarios, %.2f M events/s, %" PRIu64
               " failed, ETA %.0f s%s",
               terminal ? "\r" : "", bar.c_str(), done, mine, rate / 1e6, shared.failed.load(),
               eta_s, terminal ? "   " : "\n");
  std::fflush(stderr);
}

// Waits for the workers, showing progress as the plan says.
void watch(const Plan& plan, std::uint64_t mine, Shared& shared,
           std::chrono::steady_clock::time_point t0) {
  using namespace std::chrono_literals;
  const auto period = plan.progress == Progress::lines ? 5s : 200ms;
  std::unique_lock lock(shared.mutex);
  while (!shared.finished.wait_for(lock, period, [&] { return shared.running == 0; })) {
    if (plan.progress == Progress::none) continue;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    show_progress(shared, mine, elapsed, plan.progress == Progress::terminal);
  }
  if (plan.progress == Progress::none) return;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  show_progress(shared, mine, elapsed, plan.progress == Progress::terminal);
  if (plan.progress == Progress::terminal) std::fputs("\n", stderr);
}

// The workers' results as one: sums, and the lowest failing seeds.
Campaign merged(std::vector<Campaign>& parts) {
  Campaign c;
  for (Campaign& part : parts) {
    c.scenarios += part.scenarios;
    c.events += part.events;
    for (std::size_t g = 0; g < c.violations.size(); ++g) c.violations[g] += part.violations[g];
    c.failed += part.failed;
    c.coverage.merge(part.coverage);
    for (Failure& f : part.failures) c.failures.push_back(std::move(f));
  }
  std::sort(c.failures.begin(), c.failures.end(),
            [](const Failure& a, const Failure& b) { return a.seed < b.seed; });
  if (c.failures.size() > failures_kept_max) c.failures.resize(failures_kept_max);
  return c;
}

}  // namespace

std::optional<Shard> parse_shard(const std::string& text) {
  Shard s;
  char slash = 0;
  char extra = 0;
  std::istringstream in(text);
  if (!(in >> s.index >> slash >> s.count) || slash != '/' || (in >> extra) || s.count == 0 ||
      s.index >= s.count)
    return std::nullopt;
  return s;
}

std::uint64_t seeds_of(const Plan& plan) {
  const Shard& s = plan.shard;
  return plan.count / s.count + (s.index < plan.count % s.count ? 1 : 0);
}

Campaign run_campaign(const Plan& plan) {
  const InterruptGuard guard;
  const std::uint64_t mine = seeds_of(plan);
  const unsigned jobs = std::max(1u, plan.jobs);
  Shared shared;
  shared.running = jobs;
  std::vector<Campaign> parts(jobs);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  workers.reserve(jobs);
  for (unsigned j = 0; j < jobs; ++j)
    workers.emplace_back([&, j] { work(plan, mine, shared, parts[j]); });
  watch(plan, mine, shared, t0);
  for (std::thread& t : workers) t.join();
  Campaign c = merged(parts);
  c.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Seeds are taken in order and every seed taken is run, so an interrupted
  // campaign has run exactly the shard's first `scenarios` seeds.
  c.interrupted = interrupt_requested != 0 && c.scenarios < mine && !plan.fail_fast;
  c.seeds_covered = c.scenarios;
  return c;
}

std::string reproduce(const Policy& policy, std::uint64_t seed) {
  if (policy.file.empty()) return "tether-sim replay --seed " + std::to_string(seed);
  return "tether-sim run --config " + policy.file + " --seeds 1 --seed-start " +
         std::to_string(seed);
}

}  // namespace tether::sim::tools
