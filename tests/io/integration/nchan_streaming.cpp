// The runner against a real nginx + nchan on loopback, started and stopped by
// the test itself (nginx_server.hpp). Payloads carry their own sequence number
// ({"seq":N}), because nchan's ids are not contiguous.
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <random>
#include <tether/io/file_checkpoint_store.hpp>
#include <tether/io/memory_checkpoint_store.hpp>
#include <tether/io/runner.hpp>
#include <tether/model/presets.hpp>
#include <thread>

#include "collector.hpp"
#include "nginx_server.hpp"

namespace {

using namespace tether;
using namespace std::chrono_literals;
using io::testing::Collector;
using io::testing::NginxServer;

std::vector<std::string> payloads(std::uint64_t first, std::uint64_t last) {
  std::vector<std::string> out;
  for (std::uint64_t i = first; i <= last; ++i)
    out.push_back("{\"seq\":" + std::to_string(i) + ",\"body\":\"message " + std::to_string(i) +
                  "\"}");
  return out;
}

// Fast retries for tests: a restart should not cost the 5 s short-session floor.
model::SessionConfig quick_config() {
  model::SessionConfig c = model::presets::aviso();
  c.backoff.delay_ms_initial = 50;
  c.backoff.delay_ms_max = 400;
  c.backoff.short_session_ms = 0;
  c.backoff.short_session_delay_ms_min = 0;
  c.connect.timeout_ms = 2000;
  return c;
}

io::RunnerOptions options_for(std::string url,
                              std::shared_ptr<io::CheckpointStore> store = nullptr) {
  io::RunnerOptions o;
  o.url = std::move(url);
  o.config = quick_config();
  o.sequence = io::SequenceExtractor::from_json_field("seq");
  o.store = std::move(store);
  return o;
}

// Every sequence 1..last is delivered exactly once or inside a reported gap;
// deliveries strictly increase.
void check_complete(const Collector& c, std::uint64_t last) {
  const auto seqs = c.sequences();
  for (std::size_t i = 1; i < seqs.size(); ++i) REQUIRE(seqs[i - 1] < seqs[i]);
  std::vector<bool> covered(last + 1, false);
  for (auto s : seqs)
    if (s <= last) covered[s] = true;
  for (const auto& gap : c.gaps()) {
    const std::uint64_t from = gap.from_sequence.value_or(1);
    const std::uint64_t to = gap.to_sequence.value_or(last);
    for (std::uint64_t s = from; s <= to && s <= last; ++s) covered[s] = true;
  }
  std::uint64_t silent = 0;
  for (std::uint64_t s = 1; s <= last; ++s)
    if (!covered[s]) ++silent;
  INFO("gaps reported: " << c.gaps().size());
  CHECK(silent == 0);
}

std::filesystem::path temp_checkpoint(std::string_view name) {
  auto path = std::filesystem::temp_directory_path() /
              ("tether-it-" + std::string(name) + "-" + std::to_string(::getpid()) + ".ckpt");
  std::filesystem::remove(path);
  return path;
}

}  // namespace

TEST_CASE("nchan: 10,000 messages arrive complete and in order", "[nchan]") {
  NginxServer server = NginxServer::start();
  const auto bodies = payloads(1, 10000);
  REQUIRE(server.publish_many("ten-k", bodies, /*big=*/true) == bodies.size());
  Collector c;
  auto runner = io::Runner::start(options_for(server.url("/bigsub/ten-k")), c.callbacks());
  REQUIRE(runner);
  REQUIRE(c.wait_for_deliveries(10000, 60s));
  (*runner)->stop();
  const auto seqs = c.sequences();
  REQUIRE(seqs.size() == 10000);
  for (std::size_t i = 0; i < seqs.size(); ++i) REQUIRE(seqs[i] == i + 1);
  CHECK(c.gaps().empty());
  const auto d = c.deliveries();
  CHECK(d[41].data == bodies[41]);
  CHECK(d[41].id.has_value());  // nchan's "<seconds>:<index>" ids
}

TEST_CASE("nchan: a restarted client resumes by Last-Event-ID with no loss and no duplicate",
          "[nchan]") {
  NginxServer server = NginxServer::start();
  const auto checkpoint = temp_checkpoint("resume");
  REQUIRE(server.publish_many("resume", payloads(1, 100)) == 100);
  {
    Collector c;
    auto store = io::FileCheckpointStore::open(checkpoint);
    REQUIRE(store);
    auto runner =
        io::Runner::start(options_for(server.url("/sub/resume"), std::move(*store)), c.callbacks());
    REQUIRE(runner);
    REQUIRE(c.wait_for_deliveries(100, 20s));
    (*runner)->stop();  // flushes the checkpoint
    CHECK(c.sequences().back() == 100);
  }
  REQUIRE(server.publish_many("resume", payloads(101, 150)) == 50);
  Collector c;
  auto store = io::FileCheckpointStore::open(checkpoint);
  REQUIRE(store);
  auto runner =
      io::Runner::start(options_for(server.url("/sub/resume"), std::move(*store)), c.callbacks());
  REQUIRE(runner);
  REQUIRE(c.wait_for_deliveries(50, 20s));
  std::this_thread::sleep_for(200ms);  // anything extra (a duplicate) would arrive now
  (*runner)->stop();
  const auto seqs = c.sequences();
  REQUIRE(seqs.size() == 50);
  CHECK(seqs.front() == 101);
  CHECK(seqs.back() == 150);
  CHECK(c.gaps().empty());
  std::filesystem::remove(checkpoint);
  std::filesystem::remove(checkpoint.string() + ".lock");  // the store's sidecar
}

TEST_CASE("nchan: kill -9 and restart 20 times mid-stream: every message delivered or reported",
          "[nchan][restart]") {
  NginxServer server = NginxServer::start();
  std::atomic<std::uint64_t> published{0};
  std::atomic<bool> done{false};
  // The publisher retries each message until nchan takes it, so the server's
  // log is contiguous; what a restart drops from nchan's memory must show up
  // as a reported gap.
  std::thread publisher([&] {
    std::uint64_t next = 1;
    while (!done) {
      const std::string body = "{\"seq\":" + std::to_string(next) + "}";
      int status = 0;
      try {
        status = server.publish("restarts", body);
      } catch (...) {
        status = 0;
      }
      if (status == 201 || status == 202) {
        published = next++;
      } else {
        std::this_thread::sleep_for(5ms);
      }
      std::this_thread::sleep_for(2ms);
    }
  });
  Collector c;
  auto runner = io::Runner::start(options_for(server.url("/sub/restarts")), c.callbacks());
  REQUIRE(runner);
  std::mt19937 rng(20261122);
  int restarts = 0;
  for (; restarts < 20; ++restarts) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 250));
    server.kill9();
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 100));
    server.restart();
  }
  std::this_thread::sleep_for(500ms);
  done = true;
  publisher.join();
  const std::uint64_t last = published;
  // Let the client catch up with the last published message.
  const bool caught_up = c.wait(
      [last](const Collector& col) {
        return !col.deliveries_.empty() && col.deliveries_.back().sequence.value_or(0) >= last;
      },
      20s);
  (*runner)->stop();
  INFO("published " << last << ", delivered " << c.sequences().size() << ", gaps "
                    << c.gaps().size() << "\n"
                    << c.diagnostics_text().substr(0, 3000));
  WARN("restarts: " << restarts << ", published " << last << ", delivered " << c.sequences().size()
                    << ", gaps reported " << c.gaps().size());
  CHECK(restarts == 20);
  CHECK(caught_up);
  CHECK(last > 200);
  check_complete(c, last);
}

TEST_CASE("nchan: a 401 triggers exactly one credential refresh, then streams", "[nchan][auth]") {
  NginxServer server = NginxServer::start();
  REQUIRE(server.publish_many("authed", payloads(1, 20)) == 20);
  struct CountingAuth final : io::AuthProvider {
    std::atomic<int> calls{0};
    std::expected<io::Credentials, std::string> refresh() override {
      // The first token is stale; the refresh returns the good one.
      return io::Credentials{++calls == 1 ? "stale-token" : "good-token", std::nullopt};
    }
  };
  auto auth = std::make_shared<CountingAuth>();
  Collector c;
  io::RunnerOptions o = options_for(server.url("/authsub/authed"));
  o.auth = auth;
  o.config.auth.has_provider = true;
  auto runner = io::Runner::start(std::move(o), c.callbacks());
  REQUIRE(runner);
  REQUIRE(c.wait_for_deliveries(20, 20s));
  (*runner)->stop();
  CHECK(auth->calls == 2);  // the initial token, and one refresh after the 401
  CHECK(c.wait_for_diagnostic("HTTP 401", 0ms));
  CHECK(c.sequences().back() == 20);
}

TEST_CASE("nchan: WebSocket resume by Last-Event-ID with no loss and no duplicate",
          "[nchan][websocket]") {
  NginxServer server = NginxServer::start();
  auto store = std::make_shared<io::MemoryCheckpointStore>();
  REQUIRE(server.publish_many("wsresume", payloads(1, 50)) == 50);
  const auto ws_options = [&] {
    io::RunnerOptions o = options_for(server.ws_base_url() + "/sub/wsresume", store);
    o.websocket.subprotocol = "ws+meta.nchan";
    o.websocket.nchan_meta_frames = true;
    return o;
  };
  {
    Collector c;
    auto runner = io::Runner::start(ws_options(), c.callbacks());
    REQUIRE(runner);
    REQUIRE(c.wait_for_deliveries(50, 20s));
    (*runner)->stop();
    CHECK(c.sequences().back() == 50);
    CHECK(c.deliveries().back().id.has_value());
  }
  REQUIRE(server.publish_many("wsresume", payloads(51, 80)) == 30);
  Collector c;
  auto runner = io::Runner::start(ws_options(), c.callbacks());
  REQUIRE(runner);
  REQUIRE(c.wait_for_deliveries(30, 20s));
  std::this_thread::sleep_for(200ms);
  (*runner)->stop();
  const auto seqs = c.sequences();
  REQUIRE(seqs.size() == 30);
  CHECK(seqs.front() == 51);
  CHECK(seqs.back() == 80);
  CHECK(c.gaps().empty());
}

TEST_CASE("nchan: TLS with the test CA streams, and a wrong CA fails without a retry",
          "[nchan][tls]") {
  NginxServer::Options options;
  options.tls = true;
  NginxServer server = NginxServer::start(options);
  REQUIRE(server.publish_many("secure", payloads(1, 10)) == 10);
  {
    Collector c;
    io::RunnerOptions o = options_for(server.tls_url("/sub/secure"));
    o.tls.ca_file = NginxServer::ca_cert_path().string();
    auto runner = io::Runner::start(std::move(o), c.callbacks());
    REQUIRE(runner);
    REQUIRE(c.wait_for_deliveries(10, 20s));
    (*runner)->stop();
    CHECK(c.sequences().back() == 10);
  }
  Collector c;
  io::RunnerOptions o = options_for(server.tls_url("/sub/secure"));
  o.tls.ca_file = NginxServer::wrong_ca_cert_path().string();
  auto runner = io::Runner::start(std::move(o), c.callbacks());
  REQUIRE(runner);
  REQUIRE((*runner)->wait_until_finished(20s));
  CHECK(c.wait_for_diagnostic("certificate verification failed", 0ms));
  (*runner)->stop();
  CHECK(c.deliveries().empty());
  INFO(c.diagnostics_text());
  CHECK(c.statuses().back().kind == model::StatusKind::failed);
  CHECK(c.statuses().back().reason == model::Reason::unrecoverable);
}

TEST_CASE("nchan: the pull API applies backpressure and loses nothing", "[nchan][pull]") {
  NginxServer server = NginxServer::start();
  const auto bodies = payloads(1, 3000);
  REQUIRE(server.publish_many("pulled", bodies, /*big=*/true) == bodies.size());
  io::RunnerOptions o = options_for(server.url("/bigsub/pulled"));
  o.pull_queue_max = 64;
  auto runner = io::Runner::start(std::move(o), io::Callbacks{});
  REQUIRE(runner);
  std::vector<std::uint64_t> seqs;
  while (seqs.size() < bodies.size()) {
    auto d = (*runner)->next(10s);
    REQUIRE(d);
    seqs.push_back(d->sequence.value_or(0));
    // A slow consumer for the first part: the transport must pause, not drop.
    if (seqs.size() < 300) std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  (*runner)->stop();
  for (std::size_t i = 0; i < seqs.size(); ++i) REQUIRE(seqs[i] == i + 1);
  CHECK((*runner)->status().kind == model::StatusKind::stopped);
}
