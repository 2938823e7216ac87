// tether::nats::JetStreamWait against real `nats-server -js` instances on free
// loopback ports (tests/io/nats/nats_server.hpp): the client boots before the
// broker, the bucket comes late, the broker is killed (SIGKILL) under a watch
// and restarted, and a broker restarted every 200 ms cannot push reopens past
// the reopen pause. Every wait is on a callback (Recorder::until, bounded);
// the only sleeps make the scenario (how long the broker stays away). The
// measured latencies are printed as "nats-figures: ..." lines (docs/nats.md).
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <tether/model/presets.hpp>
#include <tether/nats/jetstream_wait.hpp>
#include <thread>

#include "io/integration/child_process.hpp"
#include "io/nats/nats_server.hpp"
#include "io/nats/recorder.hpp"

namespace {

using namespace tether;
using namespace tether::nats;
using namespace tether::nats::testing;
using namespace std::chrono_literals;
using model::wait::StatusKind;

// nats.c reconnects 100-150 ms after the broker is back: what is measured is
// the reducer's wake on the reconnect, not nats.c's own loop.
JetStreamWaitOptions options_for(const NatsServer& server, Resource resource) {
  JetStreamWaitOptions o;
  o.urls = {server.url()};
  o.resource = std::move(resource);
  o.reconnect_wait_ms = 100;
  o.reconnect_jitter_ms = 50;
  o.seed = 20261122;  // the jitter, reproducible
  return o;
}

std::unique_ptr<JetStreamWait> start(JetStreamWaitOptions options, Recorder& recorder) {
  auto wait = JetStreamWait::start(std::move(options), recorder.callbacks());
  INFO((wait ? std::string() : wait.error()));
  REQUIRE(wait.has_value());
  return std::move(*wait);
}

void require_server() {
  std::string problem;
  INFO(problem);
  REQUIRE_FALSE(NatsServer::binary(&problem).empty());
}

}  // namespace

TEST_CASE("nats: options that cannot work are refused, naming the field", "[nats][options]") {
  const auto refused = [](JetStreamWaitOptions o) {
    auto wait = JetStreamWait::start(std::move(o), {});
    return wait ? std::string("started") : wait.error();
  };
  JetStreamWaitOptions good;
  good.urls = {"nats://127.0.0.1:1"};
  good.resource = KvBucket{"config"};
  JetStreamWaitOptions o = good;
  o.urls.clear();
  CHECK(refused(o) == "urls: no NATS server URL");
  o = good;
  o.resource = KvBucket{"a.b"};
  CHECK(refused(o) == "resource: KV bucket name 'a.b' may hold only letters, digits, '_' and '-'");
  o = good;
  o.lookup_timeout_ms = 0;
  CHECK(refused(o) == "lookup_timeout_ms: must be positive");
  o = good;
  o.reconnect_wait_ms = -1;
  CHECK(refused(o) == "reconnect_wait_ms: negative");
  o = good;
  o.config.reopen_pause_ms = -1;
  CHECK(refused(o).starts_with("configuration: reopen_pause_ms"));
  o = good;
  o.urls = {"nats://127.0.0.1:notaport"};
  CHECK(refused(o).starts_with("NATS connection: "));
}

TEST_CASE("nats: the client boots before the broker, the bucket comes late", "[nats][boot]") {
  require_server();
  const io::testing::Scratch dir("nats-boot");
  NatsServer server(dir.path());
  Recorder rec;
  auto wait = start(options_for(server, KvBucket{"config"}), rec);
  REQUIRE(rec.until([](const Recorder& r) { return r.reported(StatusKind::offline); }));
  std::this_thread::sleep_for(300ms);  // the scenario: no broker for a while
  CHECK(wait->attempts() == 0);
  CHECK_FALSE(wait->connected());

  const auto broker = server.start();
  REQUIRE(rec.until([](const Recorder& r) { return r.ups() == 1 && !r.lookups.empty(); }));
  REQUIRE(rec.until([](const Recorder& r) { return r.said("KV bucket 'config' does not exist"); }));
  const auto created = Clock::now();
  admin::create_bucket(server.port(), "config");
  admin::put(server.port(), "config", "greeting", "hello");
  REQUIRE(rec.until([](const Recorder& r) { return !r.current.empty(); }));
  {
    std::lock_guard lock(rec.mutex);
    // No lookup before nats.c said the link was up.
    CHECK(rec.lookup_after(Clock::time_point{}) >= rec.link_after(Clock::time_point{}, true));
    REQUIRE(rec.ready.size() == 1);
    const std::uint64_t hold = rec.ready[0].hold;
    CHECK(rec.has_update(hold, "greeting", "hello"));
    // The second lookup comes 1 s +-25 % after the first failed: the bucket
    // created in between is held within that (plus the lookup itself).
    const auto held_ms = ms_between(created, rec.ready[0].at);
    std::printf(
        "nats-figures: boot: broker launched -> link up %lld ms, bucket created -> held %lld ms\n",
        static_cast<long long>(ms_between(broker.launched, rec.links[0].at)),
        static_cast<long long>(held_ms));
    CHECK(held_ms <= 1250 + 500);
  }
  admin::put(server.port(), "config", "greeting", "hi again");
  REQUIRE(rec.until(
      [](const Recorder& r) { return r.has_update(r.ready[0].hold, "greeting", "hi again"); }));

  wait->stop();
  std::lock_guard lock(rec.mutex);
  rec.stopped = true;
  REQUIRE(rec.lost.size() == 1);
  CHECK(rec.lost[0].why == "stopped");
  CHECK(rec.statuses.back().kind == StatusKind::stopped);
}

TEST_CASE(
    "nats: kill -9 of the broker under a watch, then a restart: no lookup while down, the watch "
    "reopens, the wake is within the restored bound",
    "[nats][restart]") {
  require_server();
  const io::testing::Scratch dir("nats-restart");
  NatsServer server(dir.path());
  server.start();
  admin::create_bucket(server.port(), "config");
  Recorder rec;
  JetStreamWaitOptions options = options_for(server, KvBucket{"config"});
  const std::int64_t pause_ms = options.config.reopen_pause_ms;
  const std::int64_t restored_ms = options.config.backoff.restored_delay_ms_max;
  auto wait = start(options, rec);
  REQUIRE(rec.until([](const Recorder& r) { return r.current.size() == 1; }));

  constexpr int cycles = 5;
  for (int cycle = 1; cycle <= cycles; ++cycle) {
    const auto killed = Clock::now();
    server.kill9();
    REQUIRE(rec.until([&](const Recorder& r) {
      return r.downs() == static_cast<std::size_t>(cycle) &&
             r.lost.size() == static_cast<std::size_t>(cycle);
    }));
    // The scenario: the broker stays away longer than the reopen pause, so the
    // wake on reconnect is the policy's restored bound alone.
    std::this_thread::sleep_until(killed + std::chrono::milliseconds(pause_ms + 500));
    const auto broker = server.start();
    REQUIRE(rec.until([&](const Recorder& r) {
      return r.current.size() == static_cast<std::size_t>(cycle) + 1;
    }));
    const std::string value = "after restart " + std::to_string(cycle);
    admin::put(server.port(), "config", "greeting", value);
    REQUIRE(rec.until(
        [&](const Recorder& r) { return r.has_update(r.ready.back().hold, "greeting", value); }));

    std::lock_guard lock(rec.mutex);
    CHECK(rec.lost.back().why == "connection lost");
    const auto down = *rec.link_after(killed, false);
    const auto up = *rec.link_after(down, true);
    const auto lookup = *rec.lookup_after(up);
    CHECK(rec.lookups_between(down, up) == 0);  // no attempt while down
    const auto wake_ms = ms_between(up, lookup);
    std::printf(
        "nats-figures: restart %d: broker launched -> accepting %lld ms, -> link up %lld ms, "
        "-> watch open %lld ms; link up -> lookup %lld ms (restored bound %lld ms)\n",
        cycle, static_cast<long long>(ms_between(broker.launched, broker.accepting)),
        static_cast<long long>(ms_between(broker.launched, up)),
        static_cast<long long>(ms_between(broker.launched, rec.ready.back().at)),
        static_cast<long long>(wake_ms), static_cast<long long>(restored_ms));
    // The reducer draws the wake in [0, restored]; the rest is the runner's
    // strand and worker threads handing it on.
    CHECK(wake_ms <= restored_ms + 400);
    CHECK(ms_between(down, lookup) >= pause_ms - 1);
  }
  wait->stop();
}

TEST_CASE("nats: a broker restarted every 200 ms cannot push reopens past the reopen pause",
          "[nats][flapping]") {
  require_server();
  const io::testing::Scratch dir("nats-flapping");
  NatsServer server(dir.path());
  server.start();
  admin::create_bucket(server.port(), "config");
  Recorder rec;
  JetStreamWaitOptions options = options_for(server, KvBucket{"config"});
  const std::int64_t pause_ms = options.config.reopen_pause_ms;
  auto wait = start(options, rec);
  REQUIRE(rec.until([](const Recorder& r) { return r.current.size() == 1; }));

  const auto began = Clock::now();
  int restarts = 0;
  while (Clock::now() - began < 4s) {
    server.kill9();
    const auto started = server.start().launched;
    ++restarts;
    std::this_thread::sleep_until(started + 200ms);  // the scenario's cadence
  }
  const auto ended = Clock::now();
  // Left up: the client holds the bucket again, over the link that is up now
  // (after a backoff of at most 2.5 s, or the pause), or still holds it.
  const bool settled = rec.until([](const Recorder& r) {
    if (r.ready.empty() || r.links.empty() || !r.links.back().up) return false;
    const Recorder::Hold& last = r.ready.back();
    return last.at >= r.links.back().at &&
           std::none_of(r.lost.begin(), r.lost.end(),
                        [&](const Recorder::Lost& l) { return l.hold == last.hold; });
  });
  if (!settled) {
    std::lock_guard lock(rec.mutex);
    for (const std::string& d : rec.diagnostics) UNSCOPED_INFO(d);
  }
  REQUIRE(settled);

  std::lock_guard lock(rec.mutex);
  // Every hold's end: its link drop or its on_lost, whichever came first (both
  // are told before the reducer hears of it). The lookup after it waits the
  // pause (the runner's clock counts whole ms: 1 ms of slack).
  std::size_t reopens = 0;
  std::int64_t gap_min_ms = -1;
  for (std::size_t i = 0; i + 1 < rec.ready.size(); ++i) {
    const auto ready = rec.ready[i].at;
    auto end = rec.link_after(ready, false);
    for (const auto& l : rec.lost)
      if (l.hold == rec.ready[i].hold && (!end || l.at < *end)) end = l.at;
    REQUIRE(end.has_value());
    const auto next = rec.lookup_after(*end);
    REQUIRE(next.has_value());
    const auto gap_ms = ms_between(*end, *next);
    CHECK(gap_ms >= pause_ms - 1);
    if (gap_min_ms < 0 || gap_ms < gap_min_ms) gap_min_ms = gap_ms;
    if (*end >= began && *end < ended) ++reopens;
  }
  const auto window_ms = ms_between(began, ended);
  const std::size_t bound = static_cast<std::size_t>(window_ms / pause_ms) + 1;
  CHECK(reopens <= bound);
  std::printf(
      "nats-figures: flapping: %d restarts in %lld ms, %zu link drops, %zu lookups, %zu holds, "
      "%zu reopens (bound %zu at one per %lld ms), shortest hold end -> next lookup %lld ms\n",
      restarts, static_cast<long long>(window_ms), rec.downs(), rec.lookups_between(began, ended),
      rec.ready.size(), reopens, bound, static_cast<long long>(pause_ms),
      static_cast<long long>(gap_min_ms));
}

TEST_CASE("nats: waits for a stream, then for its consumer, both made late", "[nats][consumer]") {
  require_server();
  const io::testing::Scratch dir("nats-consumer");
  NatsServer server(dir.path());
  server.start();
  Recorder rec;
  JetStreamWaitOptions options = options_for(server, Consumer{"ORDERS", "worker"});
  options.config.backoff.delay_ms_initial = 50;  // quick: this test is about the lookups
  options.config.backoff.delay_ms_max = 200;
  auto wait = start(options, rec);
  REQUIRE(rec.until([](const Recorder& r) { return r.said("stream 'ORDERS' does not exist"); }));
  CHECK(wait->status().kind != StatusKind::held);
  admin::create_stream(server.port(), "ORDERS", "orders.>");
  REQUIRE(rec.until([](const Recorder& r) {
    return r.said("consumer 'worker' of stream 'ORDERS' does not exist");
  }));
  admin::create_consumer(server.port(), "ORDERS", "worker");
  REQUIRE(rec.until([](const Recorder& r) { return r.reported(StatusKind::held); }));
  std::lock_guard lock(rec.mutex);
  CHECK(rec.ready.size() == 1);
  CHECK(rec.updates.empty());  // a consumer has no watch
  CHECK(rec.current.empty());
}

TEST_CASE(
    "nats: a bucket deleted under its watch ends the watch, and is waited for again until it is "
    "made anew",
    "[nats][deleted]") {
  require_server();
  const io::testing::Scratch dir("nats-deleted");
  NatsServer server(dir.path());
  server.start();
  admin::create_bucket(server.port(), "config");
  Recorder rec;
  auto wait = start(options_for(server, KvBucket{"config"}), rec);
  REQUIRE(rec.until([](const Recorder& r) { return r.current.size() == 1; }));
  const auto deleted = Clock::now();
  admin::delete_bucket(server.port(), "config");
  // nats.c notices by the watch's heartbeats (5 s), then fails to recreate its
  // consumer: the watch ends, and the lookups after the pause find nothing.
  REQUIRE(rec.until([](const Recorder& r) { return r.lost.size() == 1; }, 30s));
  REQUIRE(rec.until([](const Recorder& r) { return r.said("KV bucket 'config' does not exist"); }));
  {
    std::lock_guard lock(rec.mutex);
    CHECK(rec.lost[0].why.starts_with("watch ended: "));
    CHECK(rec.ready.size() == 1);
    std::printf("nats-figures: deleted bucket: the watch ended %lld ms after the delete (%s)\n",
                static_cast<long long>(ms_between(deleted, rec.lost[0].at)),
                rec.lost[0].why.c_str());
  }
  admin::create_bucket(server.port(), "config");
  admin::put(server.port(), "config", "greeting", "back");
  REQUIRE(rec.until([](const Recorder& r) {
    return r.ready.size() == 2 && r.has_update(r.ready[1].hold, "greeting", "back");
  }));
  std::lock_guard lock(rec.mutex);
  CHECK(rec.downs() == 0);  // the link never dropped
}
