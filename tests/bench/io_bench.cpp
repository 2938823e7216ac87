// Benchmarks of the SSE parser (Google Benchmark), no network: a recorded
// nchan-like stream (": hi", then 20,000 frames "id: 1700000000:N" +
// "data: {"seq":N,"payload":"..."}", ~150 bytes each) fed in 16 KiB chunks, as a
// socket read loop would. Variants add sequence extraction per event.
// And of the JSON stream parser on an etcd-like watch stream: 20,000
// newline-separated `{"result":{...}}` objects of ~150 bytes in 16 KiB chunks,
// alone and with each value parsed by nlohmann-json (what a consumer does), and
// with 4 KiB values (long strings).
//
// Reported: bytes/s and items/s (events or values), plus `allocs_per_event`
// (`allocs_per_value`), counted by alloc_counter.cpp's replacement operator
// new around the timed loop only. The parsers' contract is no heap allocation
// in steady state; buffers are warmed by a first pass before timing (and kept
// across streams by start_stream()).
//
//   tether_io_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//   tether_io_bench --benchmark_min_time=0.01      # ctest smoke run

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/json_stream_parser.hpp>
#include <tether/io/sequence_extractor.hpp>
#include <tether/io/sse_parser.hpp>

#include "alloc_counter.hpp"

using tether::bench::allocations;

// --- the stream -------------------------------------------------------------------

namespace {

namespace tio = tether::io;

constexpr std::uint64_t frames = 20'000;
constexpr std::size_t chunk_bytes = 16 * 1024;

// What nchan sends for a 20,000-message backlog (reference/nchan.md): the
// ": hi" comment, then one frame per message with a ~100-byte payload.
const std::string& nchan_stream() {
  static const std::string stream = [] {
    std::string s = ": hi\n\n";
    const std::string payload(100, 'p');
    for (std::uint64_t n = 1; n <= frames; ++n) {
      s += "id: 1700000000:" + std::to_string(n) + "\n";
      s += "data: {\"seq\":" + std::to_string(n) + ",\"payload\":\"" + payload + "\"}\n\n";
    }
    return s;
  }();
  return stream;
}

enum class Extract { none, json_seq, id_suffix };

// Consumes every event as a driver would: looks at it (and extracts its
// sequence), and checks the stream is complete.
class CountingSink final : public tio::SseSink {
 public:
  explicit CountingSink(Extract extract) : extract_(extract) {}

  void on_event(const tio::SseEvent& event) override {
    ++events_;
    benchmark::DoNotOptimize(event.data.data());
    benchmark::DoNotOptimize(event.last_event_id.data());
    std::optional<std::uint64_t> seq;
    if (extract_ == Extract::json_seq) seq = json_.extract(event.last_event_id, event.data);
    if (extract_ == Extract::id_suffix) seq = suffix_.extract(event.last_event_id, event.data);
    if (extract_ != Extract::none && seq != events_) wrong_ = true;
  }
  void on_comment(std::string_view text) override { benchmark::DoNotOptimize(text.data()); }

  std::uint64_t events() const { return events_; }
  bool wrong() const { return wrong_; }
  void clear() { events_ = 0; }

 private:
  Extract extract_;
  tio::SequenceExtractor json_ = tio::SequenceExtractor::from_json_field("seq");
  tio::SequenceExtractor suffix_ = tio::SequenceExtractor::from_id_suffix();
  std::uint64_t events_ = 0;
  bool wrong_ = false;
};

void feed_stream(tio::SseParser& parser, CountingSink& sink, std::string_view stream) {
  parser.start_stream();
  sink.clear();
  for (std::size_t pos = 0; pos < stream.size(); pos += chunk_bytes) {
    const auto fed =
        parser.feed(stream.substr(pos, std::min(chunk_bytes, stream.size() - pos)), sink);
    if (!fed) {
      std::fprintf(stderr, "bench: %s\n", fed.error().message().c_str());
      std::abort();
    }
  }
  if (parser.finish() || sink.events() != frames || sink.wrong()) {
    std::fprintf(stderr, "bench: the stream did not parse as generated\n");
    std::abort();
  }
}

void run(benchmark::State& bench, Extract extract) {
  const std::string& stream = nchan_stream();
  tio::SseParser parser;
  CountingSink sink(extract);
  feed_stream(parser, sink, stream);  // warm the buffers
  const std::uint64_t allocs_before = allocations();
  for (auto _ : bench) feed_stream(parser, sink, stream);
  const std::uint64_t allocs_after = allocations();
  const auto iterations = static_cast<std::int64_t>(bench.iterations());
  bench.SetBytesProcessed(iterations * static_cast<std::int64_t>(stream.size()));
  bench.SetItemsProcessed(iterations * static_cast<std::int64_t>(frames));
  bench.counters["allocs_per_event"] = benchmark::Counter(
      static_cast<double>(allocs_after - allocs_before) / static_cast<double>(frames),
      benchmark::Counter::kAvgIterations);
  bench.counters["ns_per_event"] = benchmark::Counter(
      static_cast<double>(frames) * static_cast<double>(iterations),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert, benchmark::Counter::OneK::kIs1000);
}

void BM_SseParse_Nchan16K(benchmark::State& bench) { run(bench, Extract::none); }
void BM_SseParse_Nchan16K_JsonSeq(benchmark::State& bench) { run(bench, Extract::json_seq); }
void BM_SseParse_Nchan16K_IdSuffix(benchmark::State& bench) { run(bench, Extract::id_suffix); }

// The JSON scan alone, on one payload as above.
void BM_JsonSeq_Payload(benchmark::State& bench) {
  const std::string payload = "{\"seq\":12345,\"payload\":\"" + std::string(100, 'p') + "\"}";
  for (auto _ : bench) {
    const auto seq = tio::json_top_level_u64(payload, "seq");
    benchmark::DoNotOptimize(seq);
  }
  bench.SetItemsProcessed(static_cast<std::int64_t>(bench.iterations()));
}

// The same, with the sequence as the last member: the whole payload is scanned.
void BM_JsonSeq_PayloadSeqLast(benchmark::State& bench) {
  const std::string payload =
      "{\"payload\":\"" + std::string(100, 'p') + "\",\"n\":[1,{\"a\":2}],\"seq\":12345}";
  for (auto _ : bench) {
    const auto seq = tio::json_top_level_u64(payload, "seq");
    benchmark::DoNotOptimize(seq);
  }
  bench.SetItemsProcessed(static_cast<std::int64_t>(bench.iterations()));
}

// --- the JSON stream parser ---------------------------------------------------------

// What etcd's grpc-gateway sends for a 20,000-revision watch: one response per
// revision, each one put event (a key and a base64 value), ~150 bytes with a
// 16-byte value; the large variant's values are 4 KiB of base64 (one long
// string per response, as for a stored manifest).
std::string make_etcd_stream(std::size_t value_bytes) {
  const std::string value = std::string(value_bytes - 1, 'A') + "=";
  std::string s;
  for (std::uint64_t n = 1; n <= frames; ++n) {
    const std::string rev = std::to_string(n);
    s += R"({"result":{"header":{"revision":")" + rev + R"(","raft_term":"2"},"events":[)";
    s += R"({"kv":{"key":"L3JlZy9rZXkv)" + rev + R"(","mod_revision":")" + rev;
    s += R"(","value":")" + value + R"("}}]}})";
    s += '\n';
  }
  return s;
}

// Consumes every value as a watch transport would: counts it, and with
// `validate` parses it (the consumer's job; the parser only finds boundaries).
class ValueSink final : public tio::JsonStreamSink {
 public:
  explicit ValueSink(bool validate) : validate_(validate) {}
  void on_value(const tio::JsonStreamValue& value) override {
    ++values_;
    benchmark::DoNotOptimize(value.text.data());
    if (validate_) {
      const auto json = nlohmann::json::parse(value.text, nullptr, /*allow_exceptions=*/false);
      if (json.is_discarded() || !json.contains("result")) wrong_ = true;
    }
  }
  std::uint64_t values() const { return values_; }
  bool wrong() const { return wrong_; }
  void clear() { values_ = 0; }

 private:
  bool validate_;
  std::uint64_t values_ = 0;
  bool wrong_ = false;
};

void feed_json_stream(tio::JsonStreamParser& parser, ValueSink& sink, std::string_view stream) {
  parser.start_stream();
  sink.clear();
  for (std::size_t pos = 0; pos < stream.size(); pos += chunk_bytes) {
    const auto fed =
        parser.feed(stream.substr(pos, std::min(chunk_bytes, stream.size() - pos)), sink);
    if (!fed) {
      std::fprintf(stderr, "bench: %s\n", fed.error().message().c_str());
      std::abort();
    }
  }
  if (parser.finish() || sink.values() != frames || sink.wrong()) {
    std::fprintf(stderr, "bench: the JSON stream did not parse as generated\n");
    std::abort();
  }
}

void run_json(benchmark::State& bench, const std::string& stream, bool validate) {
  tio::JsonStreamParser parser;
  ValueSink sink(validate);
  feed_json_stream(parser, sink, stream);  // warm the buffer
  const std::uint64_t allocs_before = allocations();
  for (auto _ : bench) feed_json_stream(parser, sink, stream);
  const std::uint64_t allocs_after = allocations();
  const auto iterations = static_cast<std::int64_t>(bench.iterations());
  bench.SetBytesProcessed(iterations * static_cast<std::int64_t>(stream.size()));
  bench.SetItemsProcessed(iterations * static_cast<std::int64_t>(frames));
  bench.counters["allocs_per_value"] = benchmark::Counter(
      static_cast<double>(allocs_after - allocs_before) / static_cast<double>(frames),
      benchmark::Counter::kAvgIterations);
  bench.counters["ns_per_value"] = benchmark::Counter(
      static_cast<double>(frames) * static_cast<double>(iterations),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert, benchmark::Counter::OneK::kIs1000);
  bench.counters["bytes_per_value"] =
      static_cast<double>(stream.size()) / static_cast<double>(frames);
}

const std::string& etcd_stream() {
  static const std::string stream = make_etcd_stream(16);
  return stream;
}

void BM_JsonStream_Etcd16K(benchmark::State& bench) { run_json(bench, etcd_stream(), false); }
void BM_JsonStream_Etcd16K_Nlohmann(benchmark::State& bench) {
  run_json(bench, etcd_stream(), true);
}
void BM_JsonStream_Etcd16K_4KiBValues(benchmark::State& bench) {
  static const std::string stream = make_etcd_stream(4096);
  run_json(bench, stream, false);
}

}  // namespace

BENCHMARK(BM_SseParse_Nchan16K);
BENCHMARK(BM_SseParse_Nchan16K_JsonSeq);
BENCHMARK(BM_SseParse_Nchan16K_IdSuffix);
BENCHMARK(BM_JsonSeq_Payload);
BENCHMARK(BM_JsonSeq_PayloadSeqLast);
BENCHMARK(BM_JsonStream_Etcd16K);
BENCHMARK(BM_JsonStream_Etcd16K_Nlohmann);
BENCHMARK(BM_JsonStream_Etcd16K_4KiBValues);

BENCHMARK_MAIN();
