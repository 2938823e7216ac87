// End to end against a real nginx + nchan on loopback (started here): client
// CPU time per message for a 20,000-message backlog, for tether-watch, the Node
// `eventsource` client and `curl -N`, measured in the same run; tether-watch's
// RSS across a long live stream; the time from a server restart to resumed
// streaming against the policy's delay.
//
// Each client is a child process; its CPU time (user + system) comes from
// wait4()'s rusage, so the figures count the whole client (parsing, printing,
// the runner's threads) and nothing of nginx.
//
//   bash scripts/bench-io.sh       # builds (release), installs eventsource, runs
//
// Environment: TETHER_BENCH_BACKLOG (20000), TETHER_BENCH_RSS_MESSAGES
// (1000000), TETHER_BENCH_NODE_DIR (where node_modules/eventsource is; the Node
// case is skipped with a message if unset or missing).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <tether/io/runner.hpp>
#include <tether/model/presets.hpp>
#include <thread>
#include <vector>

#include "nginx_server.hpp"

namespace {

using tether::io::testing::NginxServer;
using namespace std::chrono_literals;

std::size_t env_size(const char* name, std::size_t fallback) {
  const char* text = std::getenv(name);
  return text != nullptr ? static_cast<std::size_t>(std::strtoull(text, nullptr, 10)) : fallback;
}

NginxServer& server() {
  static NginxServer s = [] {
    NginxServer::Options o;
    o.ping_interval = std::chrono::seconds(0);
    return NginxServer::start(o);
  }();
  return s;
}

std::vector<std::string> payloads(std::size_t first, std::size_t count) {
  std::vector<std::string> out;
  for (std::size_t i = first; i < first + count; ++i)
    out.push_back("{\"seq\":" + std::to_string(i) + ",\"payload\":\"" + std::string(80, 'p') +
                  "\"}");
  return out;
}

struct Child {
  pid_t pid = -1;
  int out = -1;  // the child's stdout
};

Child spawn(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  return Child{pid, fds[0]};
}

// Reads the child's stdout until `needle` was seen `count` times (or EOF).
std::size_t read_until(int fd, std::string_view needle, std::size_t count) {
  std::size_t seen = 0;
  std::string carry;
  char buf[65536];
  while (seen < count) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    carry.append(buf, static_cast<std::size_t>(n));
    std::size_t at = 0;
    while ((at = carry.find(needle, at)) != std::string::npos) {
      ++seen;
      at += needle.size();
    }
    carry.erase(0, carry.size() > needle.size() ? carry.size() - needle.size() + 1 : 0);
  }
  return seen;
}

struct Usage {
  double cpu_s = 0;
  double wall_s = 0;
  long max_rss_kb = 0;
};

Usage finish(Child child, std::chrono::steady_clock::time_point started) {
  ::kill(child.pid, SIGTERM);
  int status = 0;
  rusage usage{};
  ::wait4(child.pid, &status, 0, &usage);
  ::close(child.out);
  Usage u;
  u.cpu_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
            static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  u.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  u.max_rss_kb = usage.ru_maxrss;
  return u;
}

// One channel per run, filled with the backlog before the client starts.
std::string fresh_backlog_channel(std::size_t backlog) {
  static int runs = 0;
  const std::string channel = "backlog" + std::to_string(++runs);
  const auto bodies = payloads(1, backlog);
  if (server().publish_many(channel, bodies, /*big=*/true) != bodies.size())
    throw std::runtime_error("publishing the backlog failed");
  return channel;
}

void report(benchmark::State& state, const Usage& u, std::size_t messages, std::size_t received) {
  state.SetIterationTime(u.wall_s);
  state.counters["messages"] = static_cast<double>(received);
  state.counters["cpu_us_per_msg"] = u.cpu_s * 1e6 / static_cast<double>(messages);
  state.counters["wall_ms"] = u.wall_s * 1e3;
  state.counters["max_rss_kb"] = static_cast<double>(u.max_rss_kb);
  if (received != messages) state.SkipWithError("the client did not receive every message");
}

void watch_backlog(benchmark::State& state, const std::string& binary) {
  const std::size_t backlog = env_size("TETHER_BENCH_BACKLOG", 20000);
  for (auto _ : state) {
    const std::string channel = fresh_backlog_channel(backlog);
    const auto started = std::chrono::steady_clock::now();
    Child c = spawn({binary, server().url("/bigsub/" + channel), "--seq-from", "json:seq",
                     "--max-events", std::to_string(backlog)});
    const std::size_t got = read_until(c.out, "\n", backlog);
    report(state, finish(c, started), backlog, got);
  }
}

void BM_tether_watch_backlog(benchmark::State& state) { watch_backlog(state, TETHER_WATCH_PATH); }
BENCHMARK(BM_tether_watch_backlog)->Iterations(3)->UseManualTime()->Unit(benchmark::kMillisecond);

// TETHER_BENCH_BASELINE_WATCH=PATH: the same backlog through another build of
// tether-watch (an earlier commit's), in the same run, for a before/after ratio.
void BM_baseline_tether_watch_backlog(benchmark::State& state) {
  const char* baseline = std::getenv("TETHER_BENCH_BASELINE_WATCH");
  if (baseline == nullptr) {
    state.SkipWithError("TETHER_BENCH_BASELINE_WATCH is not set");
    return;
  }
  watch_backlog(state, baseline);
}
BENCHMARK(BM_baseline_tether_watch_backlog)
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_node_eventsource_backlog(benchmark::State& state) {
  const std::size_t backlog = env_size("TETHER_BENCH_BACKLOG", 20000);
  const char* dir = std::getenv("TETHER_BENCH_NODE_DIR");
  if (dir == nullptr ||
      !std::filesystem::exists(std::filesystem::path(dir) / "node_modules" / "eventsource")) {
    state.SkipWithError(
        "TETHER_BENCH_NODE_DIR unset or without node_modules/eventsource (scripts/bench-io.sh sets "
        "it up)");
    for (auto _ : state) {
    }
    return;
  }
  const std::string script = std::string(dir) + "/node_eventsource_client.mjs";
  std::filesystem::copy_file(NODE_CLIENT_SOURCE, script,
                             std::filesystem::copy_options::overwrite_existing);
  for (auto _ : state) {
    const std::string channel = fresh_backlog_channel(backlog);
    const auto started = std::chrono::steady_clock::now();
    Child c = spawn({"node", script, server().url("/bigsub/" + channel), std::to_string(backlog)});
    const std::size_t got = read_until(c.out, "received ", 1) == 1 ? backlog : 0;
    report(state, finish(c, started), backlog, got);
  }
}
BENCHMARK(BM_node_eventsource_backlog)
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_curl_backlog(benchmark::State& state) {
  const std::size_t backlog = env_size("TETHER_BENCH_BACKLOG", 20000);
  for (auto _ : state) {
    const std::string channel = fresh_backlog_channel(backlog);
    const auto started = std::chrono::steady_clock::now();
    Child c = spawn(
        {"curl", "-sN", "-H", "Accept: text/event-stream", server().url("/bigsub/" + channel)});
    const std::size_t got = read_until(c.out, "\ndata: ", backlog);
    report(state, finish(c, started), backlog, got);
  }
}
BENCHMARK(BM_curl_backlog)->Iterations(3)->UseManualTime()->Unit(benchmark::kMillisecond);

long rss_kb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("VmRSS:")) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

// A live stream: the publisher stays at most one batch ahead of the client, so
// nothing falls out of nchan's buffer; RSS sampled every tenth of the run.
void BM_tether_watch_rss_live(benchmark::State& state) {
  const std::size_t total = env_size("TETHER_BENCH_RSS_MESSAGES", 1000000);
  constexpr std::size_t batch = 500;
  for (auto _ : state) {
    const std::string channel = "live" + std::to_string(total);
    const auto started = std::chrono::steady_clock::now();
    Child c = spawn({TETHER_WATCH_PATH, server().url("/sub/" + channel), "--seq-from", "json:seq"});
    std::this_thread::sleep_for(300ms);  // subscribed before the first publish
    std::size_t received = 0;
    std::vector<long> samples;
    for (std::size_t sent = 0; sent < total; sent += batch) {
      const auto bodies = payloads(sent + 1, batch);
      if (server().publish_many(channel, bodies) != bodies.size()) break;
      received += read_until(c.out, "\n", sent + batch - received);
      if ((sent + batch) % (total / 10 < batch ? batch : total / 10) == 0)
        samples.push_back(rss_kb(c.pid));
    }
    const Usage u = finish(c, started);
    report(state, u, total, received);
    if (!samples.empty()) {
      state.counters["rss_kb_first_tenth"] = static_cast<double>(samples.front());
      state.counters["rss_kb_last_tenth"] = static_cast<double>(samples.back());
    }
  }
}
BENCHMARK(BM_tether_watch_rss_live)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

// kill -9 and restart nginx while a runner streams: the time from the restart
// to the next delivery, next to the backoff the policy chose for that attempt.
void BM_restart_to_resumed(benchmark::State& state) {
  int run = 0;
  for (auto _ : state) {
    const std::string channel = "restart" + std::to_string(++run);
    std::mutex m;
    std::condition_variable cv;
    std::uint64_t delivered = 0;
    tether::model::Status last_backoff;
    tether::io::RunnerOptions o;
    o.url = server().url("/sub/" + channel);
    o.config = tether::model::presets::aviso();
    o.sequence = tether::io::SequenceExtractor::from_json_field("seq");
    tether::io::Callbacks cb;
    cb.on_delivery = [&](const tether::io::Delivery&) {
      std::lock_guard l(m);
      ++delivered;
      cv.notify_all();
    };
    cb.on_status = [&](const tether::model::Status& s) {
      std::lock_guard l(m);
      if (s.kind == tether::model::StatusKind::backing_off) last_backoff = s;
    };
    auto runner = tether::io::Runner::start(std::move(o), std::move(cb));
    if (!runner) throw std::runtime_error(runner.error());
    std::this_thread::sleep_for(6s);  // past aviso's 5 s short-session window
    server().kill9();
    server().restart();
    const auto restarted = std::chrono::steady_clock::now();
    // One message right after the restart: nchan buffers it until the client
    // resubscribes (the restart dropped the old subscription), so its
    // delivery time is the time to resumed streaming.
    server().publish(channel, "{\"seq\":1}");
    {
      std::unique_lock l(m);
      cv.wait_for(l, 60s, [&] { return delivered > 0; });
    }
    const double resumed_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - restarted)
            .count();
    (*runner)->stop();
    state.SetIterationTime(resumed_ms / 1e3);
    state.counters["restart_to_delivery_ms"] = resumed_ms;
    state.counters["policy_delay_ms_max"] = 250;  // aviso: first retry, full jitter in [0, 250)
    if (delivered == 0) state.SkipWithError("no delivery after the restart");
  }
}
BENCHMARK(BM_restart_to_resumed)->Iterations(3)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
