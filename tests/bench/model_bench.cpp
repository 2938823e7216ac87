// Benchmarks of the pure reducer (Google Benchmark): the streaming hot path
// (FrameReceived -> Deliver) and one full reconnect cycle.
//
// Each benchmark drives transition() exactly as session.hpp's driver loop does:
// `step = transition(std::move(step.state), event)`, then every effect is
// consumed. Heap allocations are counted by the replacement operator new below
// and reported per iteration (`allocs_per_event`, `allocs_per_cycle`); they are
// read around the timed loop only, so make's shared_ptr (setup) is not
// counted. The contract says the streaming path allocates nothing.
//
//   tether_model_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//   tether_model_bench --benchmark_min_time=0.01      # ctest smoke run

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <tether/model/presets.hpp>
#include <tether/model/session.hpp>
#include <variant>

#include "alloc_counter.hpp"

using tether::bench::allocations;

// --- drivers ---------------------------------------------------------------------

namespace {

namespace tmod = tether::model;

constexpr std::int64_t frame_gap_ms = 1;  // virtual time between two frames

// Hands every effect to the optimizer as "used", as a driver executing it would.
void consume(const tmod::Effects& effects) {
  for (const tmod::Effect& e : effects) benchmark::DoNotOptimize(e);
  benchmark::DoNotOptimize(effects.size());
}

bool delivered(const tmod::Effects& effects) {
  for (const tmod::Effect& e : effects)
    if (std::holds_alternative<tmod::Deliver>(e)) return true;
  return false;
}

// The streaming hot path as a real consumer runs it: zero_ws, commits on the
// next delivery (each frame commits the previous one), a checkpoint every 1000
// commits. CheckpointSaved answers are not fed back: they do not change the
// streaming path, and the benchmark times FrameReceived alone.
tmod::SessionConfig streaming_config() {
  tmod::SessionConfig cfg = tmod::presets::zero_ws();
  cfg.resume.commit = tmod::CommitPolicy::on_next_delivery;
  cfg.resume.checkpoint_every_events = 1000;
  return cfg;
}

// A session already Streaming at `now` (setup: allocates the config once).
tmod::Step streaming_session(const tmod::SessionConfig& cfg, tmod::Instant now) {
  auto made = tmod::make(cfg);
  if (!made) {
    std::fprintf(stderr, "bench: bad config: %.*s\n", static_cast<int>(made.error().field.size()),
                 made.error().field.data());
    std::abort();
  }
  tmod::Step step =
      tmod::transition(std::move(*made), tmod::Started{now, std::nullopt, std::nullopt});
  step = tmod::transition(std::move(step.state), tmod::ConnectionOpened{now});
  return step;
}

// ns/event for one FrameReceived -> Deliver transition. `with_token` adds an
// opaque resume id (SSE `id:`), so the cursor becomes a token cursor.
enum class Api { value, in_place };

void run_streaming(benchmark::State& bench, bool with_token, Api api = Api::value) {
  const tmod::SessionConfig cfg = streaming_config();
  tmod::Instant now{1'000'000};
  tmod::Step step = streaming_session(cfg, now);
  const tmod::Token token =
      *tmod::Token::make("0000000000000042-0001");  // ~ an SSE id / etcd revision
  std::uint64_t seq = 0;
  std::uint64_t frame_ref = 0;
  bool all_delivered = true;

  const std::uint64_t allocs_before = allocations();
  for (auto _ : bench) {
    now.ms += frame_gap_ms;
    ++seq;
    ++frame_ref;
    tmod::FrameReceived frame{now, seq, std::nullopt, std::nullopt, frame_ref};
    if (with_token) frame.id = token;
    if (api == Api::value) {
      step = tmod::transition(std::move(step.state), frame);
      all_delivered &= delivered(step.effects);
      consume(step.effects);
    } else {
      const tmod::Effects effects = tmod::transition_in_place(step.state, frame);
      all_delivered &= delivered(effects);
      consume(effects);
    }
  }
  const std::uint64_t allocs_after = allocations();

  if (!all_delivered || !std::holds_alternative<tmod::Streaming>(step.state.phase))
    bench.SkipWithError("a frame was not delivered: the benchmark left the hot path");
  bench.counters["allocs_per_event"] = benchmark::Counter(
      static_cast<double>(allocs_after - allocs_before), benchmark::Counter::kAvgIterations);
  bench.SetItemsProcessed(bench.iterations());
}

void BM_streaming_event(benchmark::State& bench) { run_streaming(bench, false); }
BENCHMARK(BM_streaming_event);

void BM_streaming_event_token_id(benchmark::State& bench) { run_streaming(bench, true); }
BENCHMARK(BM_streaming_event_token_id);

// The same events through transition_in_place(): no State moved in or out.
void BM_streaming_event_in_place(benchmark::State& bench) {
  run_streaming(bench, false, Api::in_place);
}
BENCHMARK(BM_streaming_event_in_place);

void BM_streaming_event_token_id_in_place(benchmark::State& bench) {
  run_streaming(bench, true, Api::in_place);
}
BENCHMARK(BM_streaming_event_token_id_in_place);

// ns/cycle for one reconnect: Streaming -> ConnectionClosed(unexpected_eof) ->
// BackingOff -> Tick at next_deadline -> Connecting -> ConnectionOpened ->
// Streaming -> first FrameReceived (Deliver; the stream is healthy again).
// Each stream lives `stream_ms` (past the short-session guard) before it drops,
// so every cycle takes the same path: failures = 1, delay in [0, 500) ms.
void BM_reconnect_cycle(benchmark::State& bench) {
  const tmod::SessionConfig cfg = streaming_config();
  constexpr std::int64_t stream_ms = 2000;
  tmod::Instant now{1'000'000};
  tmod::Step step = streaming_session(cfg, now);
  std::uint64_t seq = 1;
  now.ms += frame_gap_ms;
  step = tmod::transition(std::move(step.state),
                          tmod::FrameReceived{now, seq, std::nullopt, std::nullopt, seq});
  bool on_path = true;

  const std::uint64_t allocs_before = allocations();
  for (auto _ : bench) {
    now.ms += stream_ms;
    step = tmod::transition(std::move(step.state),
                            tmod::ConnectionClosed{now, tmod::CloseCause::unexpected_eof});
    consume(step.effects);
    // A jittered delay of 0 ms (p = 1/500) reconnects at once: already
    // Connecting, and the Tick below (at `now`) finds nothing due.
    const bool backing_off = std::holds_alternative<tmod::BackingOff>(step.state.phase);
    on_path &= backing_off || std::holds_alternative<tmod::Connecting>(step.state.phase);

    const std::optional<tmod::Instant> wake = tmod::next_deadline(step.state);
    if (backing_off && wake) now = tmod::latest(now, *wake);
    step = tmod::transition(std::move(step.state), tmod::Tick{now});
    consume(step.effects);
    on_path &= std::holds_alternative<tmod::Connecting>(step.state.phase);

    now.ms += frame_gap_ms;
    step = tmod::transition(std::move(step.state), tmod::ConnectionOpened{now});
    consume(step.effects);

    now.ms += frame_gap_ms;
    ++seq;
    step = tmod::transition(std::move(step.state),
                            tmod::FrameReceived{now, seq, std::nullopt, std::nullopt, seq});
    on_path &= delivered(step.effects);
    consume(step.effects);
  }
  const std::uint64_t allocs_after = allocations();

  if (!on_path) bench.SkipWithError("a cycle left the scripted path");
  bench.counters["allocs_per_cycle"] = benchmark::Counter(
      static_cast<double>(allocs_after - allocs_before), benchmark::Counter::kAvgIterations);
  bench.SetItemsProcessed(bench.iterations());
}
BENCHMARK(BM_reconnect_cycle);

}  // namespace

// Our own main (instead of benchmark_main) so the sizes that decide the cost of
// a transition are printed in the context header of every run.
int main(int argc, char** argv) {
  benchmark::AddCustomContext("sizeof(State)", std::to_string(sizeof(tmod::State)));
  benchmark::AddCustomContext("sizeof(Event)", std::to_string(sizeof(tmod::Event)));
  benchmark::AddCustomContext("sizeof(Effects)", std::to_string(sizeof(tmod::Effects)));
  benchmark::AddCustomContext("sizeof(Step)", std::to_string(sizeof(tmod::Step)));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
