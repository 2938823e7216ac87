// Wait-for-resource's driver (io/src/wait_driver.cpp) with a trompeloeil
// acquirer, a recording application, a host whose offloaded calls wait for
// the test, and a virtual clock: WaitRunner's loop and effects, without Asio.
#include <algorithm>
#include <catch2/catch.hpp>
#include <catch2/trompeloeil.hpp>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/wait_driver.hpp>
#include <tether/model/presets.hpp>
#include <variant>
#include <vector>

#include "fakes.hpp"

namespace {

using namespace tether;
using io::testing::ManualHost;
using io::testing::VirtualClock;
namespace wait = model::wait;
using trompeloeil::_;

// A plain struct, not std::expected: trompeloeil's trace printer and
// libstdc++ 12's unconstrained std::expected operator== do not mix.
struct AcquireOutcome {
  std::optional<std::string> error;  // nullopt: acquired
};

struct MockAcquirer final : io::ResourceAcquirer {
  MAKE_MOCK1(acquire_outcome, AcquireOutcome(std::uint64_t));
  std::expected<void, std::string> acquire(std::uint64_t id) override {
    AcquireOutcome o = acquire_outcome(id);
    if (o.error) return std::unexpected(*o.error);
    return {};
  }
};

const AcquireOutcome acquired{};
AcquireOutcome refused(std::string why) { return AcquireOutcome{std::move(why)}; }

// A recording application (not a mock: tests assert on what it saw).
struct RecordingApp final : io::WaitApplication {
  std::vector<std::uint64_t> acquired, released;
  std::vector<wait::Status> statuses;
  std::vector<io::Diagnostic> diagnostics;
  std::function<void(std::uint64_t)> on_each_hold;
  void on_acquired(std::uint64_t id) override {
    acquired.push_back(id);
    if (on_each_hold) on_each_hold(id);
  }
  void on_release(std::uint64_t id) override { released.push_back(id); }
  void on_status(const wait::Status& status) override { statuses.push_back(status); }
  void on_diagnostic(const io::Diagnostic& d) override { diagnostics.push_back(d); }
  std::size_t said(std::string_view text) const {
    return static_cast<std::size_t>(std::count_if(
        diagnostics.begin(), diagnostics.end(),
        [&](const io::Diagnostic& d) { return d.text.find(text) != std::string::npos; }));
  }
};

// kanade_wait with round numbers: a fixed 1 s backoff, a 2 s acquire timeout,
// a 500 ms reopen pause, Connected wakes at once.
wait::Config quick() {
  wait::Config c = model::presets::kanade_wait();
  c.backoff.delay_ms_initial = 1000;
  c.backoff.multiplier = 1.0;
  c.backoff.delay_ms_max = 1000;
  c.backoff.jitter = model::JitterKind::none;
  c.backoff.restored_delay_ms_max = 0;
  c.acquire_timeout_ms = 2000;
  c.reopen_pause_ms = 500;
  c.seed = 7;
  return c;
}

struct Fixture {
  VirtualClock clock;
  ManualHost host;
  MockAcquirer acquirer;
  RecordingApp app;
  std::unique_ptr<io::WaitDriver> driver;

  explicit Fixture(wait::Config config = quick(), io::WaitStepObserver* observer = nullptr) {
    auto state = wait::make(config);
    REQUIRE(state);
    driver = std::make_unique<io::WaitDriver>(
        std::move(*state), io::WaitDriverPorts{clock, host, acquirer, app, observer});
  }
  // The acquisition offloaded last returns `outcome` (it must be acquisition `id`).
  void answer(std::uint64_t id, const AcquireOutcome& outcome) {
    REQUIRE_CALL(acquirer, acquire_outcome(id)).RETURN(outcome);
    host.run_offloaded();
  }
  wait::StatusKind kind() const { return app.statuses.back().kind; }
};

}  // namespace

TEST_CASE("wait driver: Started acquires off the strand, a success is the hold, told by its id",
          "[wait_driver]") {
  Fixture f;
  {
    FORBID_CALL(f.acquirer, acquire_outcome(_));  // not on the strand
    f.driver->start(wait::Link::unknown);
  }
  REQUIRE(f.host.queued.size() == 1);
  CHECK(f.host.kinds[0] == io::Blocking::resource_acquire);
  CHECK(f.driver->attempts() == 1);
  CHECK(f.kind() == wait::StatusKind::acquiring);
  f.answer(1, acquired);
  CHECK(f.app.acquired == std::vector<std::uint64_t>{1});
  CHECK(f.kind() == wait::StatusKind::held);
  CHECK(f.app.diagnostics.empty());
}

TEST_CASE("wait driver: a failure is said and backs off, the timer brings Acquire 2",
          "[wait_driver]") {
  Fixture f;
  f.driver->start(wait::Link::unknown);
  f.answer(1, refused("connect 127.0.0.1:5432: refused"));
  CHECK(f.app.said("connect 127.0.0.1:5432: refused") == 1);
  CHECK(f.kind() == wait::StatusKind::backing_off);
  REQUIRE(f.host.armed);
  CHECK(f.host.armed->ms == 2000);
  f.clock.now_ms = 2000;
  f.driver->on_timer();
  CHECK(f.driver->attempts() == 2);
  f.answer(2, acquired);
  CHECK(f.app.acquired == std::vector<std::uint64_t>{2});
}

TEST_CASE(
    "wait driver: an acquisition past acquire_timeout_ms is said once, no other starts until it "
    "answers, its late success is the hold, and said",
    "[wait_driver]") {
  Fixture f;
  f.driver->start(wait::Link::unknown);
  f.clock.now_ms = 3000;  // the 2 s timeout
  f.driver->on_timer();
  CHECK(f.app.said("acquisition 1 unanswered after acquire_timeout_ms (2000 ms)") == 1);
  CHECK(f.app.statuses.back().cause == wait::Cause::acquire_timeout);
  // The backoff ends; the next attempt waits behind the acquisition still out.
  f.clock.now_ms = 4000;
  f.driver->on_timer();
  CHECK(f.app.statuses.back().cause == wait::Cause::acquire_still_out);
  CHECK(f.host.queued.size() == 1);
  CHECK(f.driver->attempts() == 1);
  CHECK(f.app.said("unanswered") == 1);  // once
  f.clock.now_ms = 9000;
  f.answer(1, acquired);
  CHECK(f.app.acquired == std::vector<std::uint64_t>{1});
  CHECK(f.app.said("acquisition 1 answered after 8000 ms, past acquire_timeout_ms (2000 ms): the "
                   "resource is held") == 1);
}

TEST_CASE("wait driver: no attempt while the link is down, link_up wakes the wait at once",
          "[wait_driver]") {
  Fixture f;
  f.driver->start(wait::Link::down);
  CHECK(f.host.queued.empty());
  CHECK(f.kind() == wait::StatusKind::offline);
  f.driver->link_down();
  CHECK(f.host.queued.empty());
  f.driver->link_up();  // restored_delay_ms_max is 0: the attempt goes now
  CHECK(f.host.queued.size() == 1);
  f.answer(1, acquired);
  CHECK(f.kind() == wait::StatusKind::held);
}

TEST_CASE("wait driver: the hold ending starts the reopen pause, the next Acquire waits for it",
          "[wait_driver]") {
  Fixture f;
  f.driver->start(wait::Link::unknown);
  f.answer(1, acquired);
  f.clock.now_ms = 5000;
  f.driver->watch_ended(1);
  CHECK(f.kind() == wait::StatusKind::pausing);
  CHECK(f.host.queued.empty());
  REQUIRE(f.host.armed);
  CHECK(f.host.armed->ms == 5500);
  f.clock.now_ms = 5500;
  f.driver->on_timer();
  CHECK(f.driver->attempts() == 2);
  f.answer(2, acquired);
  CHECK(f.app.acquired == std::vector<std::uint64_t>{1, 2});
}

TEST_CASE(
    "wait driver: stop releases the acquisition out, its answer after the end is fed, and "
    "neither holds nor says anything",
    "[wait_driver]") {
  Fixture f;
  f.driver->start(wait::Link::unknown);
  f.driver->stop();
  CHECK(f.app.released == std::vector<std::uint64_t>{1});
  CHECK(f.kind() == wait::StatusKind::stopped);
  CHECK(f.driver->finished());
  const std::size_t statuses = f.app.statuses.size();
  f.clock.now_ms = 9000;  // past the timeout, too
  f.answer(1, refused("late and failed"));
  CHECK(f.app.diagnostics.empty());
  CHECK(f.app.acquired.empty());
  CHECK(f.app.statuses.size() == statuses);
  f.driver->link_up();  // the reducer ignores what comes after the end
  f.driver->on_timer();
  CHECK(f.app.statuses.size() == statuses);
  CHECK(f.driver->attempts() == 1);
}

TEST_CASE("wait driver: a stop made from inside on_acquired is fed once the step's effects ran",
          "[wait_driver]") {
  Fixture f;
  f.app.on_each_hold = [&](std::uint64_t) {
    CHECK(f.driver->executing());
    f.driver->stop();
    CHECK(f.app.statuses.back().kind != wait::StatusKind::stopped);  // not yet
  };
  f.driver->start(wait::Link::unknown);
  f.answer(1, acquired);
  REQUIRE(f.app.statuses.size() >= 2);
  CHECK(f.app.statuses[f.app.statuses.size() - 2].kind == wait::StatusKind::held);
  CHECK(f.kind() == wait::StatusKind::stopped);
  CHECK(f.app.released == std::vector<std::uint64_t>{1});
}

namespace {

// Sees each step; notes how many acquisitions were offloaded by then.
struct CountingObserver final : io::WaitStepObserver {
  const ManualHost* host = nullptr;
  std::vector<std::pair<std::size_t, std::size_t>> steps;  // (event index, offloads so far)
  void on_step(const wait::Event& event, const wait::State&, const wait::Effects&) override {
    steps.emplace_back(event.index(), host->kinds.size());
  }
};

}  // namespace

TEST_CASE("wait driver: the observer sees each step after its effects ran", "[wait_driver]") {
  CountingObserver observer;
  Fixture f(quick(), &observer);
  observer.host = &f.host;
  f.driver->start(wait::Link::unknown);
  f.answer(1, acquired);
  REQUIRE(observer.steps.size() == 2);
  CHECK(observer.steps[0] == std::pair<std::size_t, std::size_t>{0, 1});  // Started: offloaded
  CHECK(observer.steps[1].first == 5);                                    // AcquireSucceeded
}
