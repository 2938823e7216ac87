// What the session snapshot costs on the streaming path (Google Benchmark, no
// network). The Runner and AsioSession refresh their snapshot after every
// message (io/src/net/session_core.cpp, publish_if_changed: one uncontended
// lock and a copy of the driver's SessionSnapshot); this measures
// io::Driver::on_message with an ack per message (auto_ack), alone and with
// that refresh, in one run, so their ratio is the snapshot's share.
//
//   tether_driver_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//   tether_driver_bench --benchmark_min_time=0.01      # ctest smoke run

#include <benchmark/benchmark.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <tether/io/driver.hpp>
#include <tether/io/session_snapshot.hpp>
#include <tether/io/transport.hpp>
#include <tether/model/presets.hpp>
#include <tether/model/session.hpp>

#include "io/fakes.hpp"

namespace {

namespace tio = tether::io;
namespace model = tether::model;

struct NullTransport final : tio::Transport {
  void open(const tio::ConnectRequest&, tio::TransportListener&) override {}
  void close() override {}
};

struct NullApplication final : tio::Application {
  std::uint64_t delivered = 0;
  void on_delivery(const tio::Delivery&) override { ++delivered; }
  void on_gap(const model::ReportGap&) override {}
  void on_status(const model::Status&) override {}
  void on_diagnostic(const tio::Diagnostic&) override {}
};

// A driver streaming from an open connection, every port a fake.
struct Streaming {
  tio::testing::VirtualClock clock;
  tio::testing::ManualHost host;
  NullTransport transport;
  NullApplication app;
  std::optional<tio::Driver> driver;
  Streaming() {
    tio::DriverOptions options;
    options.sequence = [](const tio::Message& m) -> std::optional<std::uint64_t> {
      return m.id ? std::optional<std::uint64_t>(std::stoull(std::string(*m.id))) : std::nullopt;
    };
    options.auto_ack = true;
    driver.emplace(*model::make(model::presets::aviso()),
                   tio::DriverPorts{clock, transport, host, app}, std::move(options));
    driver->start();
    host.run_offloaded();
    driver->on_opened();
  }
};

template <bool with_snapshot>
void run(benchmark::State& bench) {
  Streaming s;
  std::mutex snapshot_mutex;
  tio::SessionSnapshot snapshot;
  model::Status published = s.driver->status();
  std::uint64_t n = 0;
  std::string id;
  for (auto _ : bench) {
    id = std::to_string(++n);
    s.clock.now_ms += 1;
    s.driver->on_message(tio::Message{"message", R"({"seq":1,"payload":"x"})", id, std::nullopt});
    // What publish_if_changed does on the streaming path.
    if (!(s.driver->status() == published)) published = s.driver->status();
    if constexpr (with_snapshot) {
      std::lock_guard lock(snapshot_mutex);
      s.driver->snapshot(snapshot);
    }
    if ((n & 1023) == 0) s.host.run_offloaded();  // checkpoint saves, as a worker would
  }
  benchmark::DoNotOptimize(snapshot);
  if (s.app.delivered != n) bench.SkipWithError("a message was not delivered");
  bench.SetItemsProcessed(static_cast<std::int64_t>(n));
}

void BM_Driver_Message(benchmark::State& bench) { run<false>(bench); }
void BM_Driver_MessageSnapshot(benchmark::State& bench) { run<true>(bench); }

}  // namespace

BENCHMARK(BM_Driver_Message);
BENCHMARK(BM_Driver_MessageSnapshot);
BENCHMARK_MAIN();
