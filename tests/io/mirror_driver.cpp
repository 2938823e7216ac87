// The freshness mirror's driver (io/src/mirror_driver.cpp) with a recording
// application, a host whose timer waits for the test, and a virtual clock: the
// mirror's loop and effects, without a network.
#include <catch2/catch.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/mirror_driver.hpp>
#include <variant>
#include <vector>

#include "fakes.hpp"

namespace {

using namespace tether;
using io::testing::ManualHost;
using io::testing::VirtualClock;
namespace mirror = model::mirror;
using model::Instant;

struct Heard {
  enum class Kind : std::uint8_t { change, ignored } kind;
  std::string key;
  mirror::Change change = mirror::Change::refreshed;
  mirror::Source source = mirror::Source::push;
  mirror::IgnoreCause cause = mirror::IgnoreCause::full;
  friend bool operator==(const Heard&, const Heard&) = default;
};

Heard changed(std::string key, mirror::Change change, mirror::Source source) {
  return Heard{Heard::Kind::change, std::move(key), change, source};
}
Heard ignored(std::string key, mirror::IgnoreCause cause) {
  return Heard{Heard::Kind::ignored, std::move(key), mirror::Change::refreshed,
               mirror::Source::push, cause};
}

// A recording application (not a mock: tests assert on what it saw).
struct RecordingApp final : io::MirrorApplication {
  std::vector<mirror::Status> statuses;
  std::vector<Heard> heard;  // changes and refusals, in order
  std::vector<io::Diagnostic> diagnostics;
  std::function<void(std::string_view)> on_each_change;
  void on_status(const mirror::Status& status) override { statuses.push_back(status); }
  void on_change(std::string_view key, mirror::Change change, mirror::Source source) override {
    heard.push_back(changed(std::string(key), change, source));
    if (on_each_change) on_each_change(key);
  }
  void on_ignored(std::string_view key, mirror::IgnoreCause cause) override {
    heard.push_back(ignored(std::string(key), cause));
  }
  void on_diagnostic(const io::Diagnostic& d) override { diagnostics.push_back(d); }
  std::size_t calls() const { return statuses.size() + heard.size() + diagnostics.size(); }
};

// Budget 3 s (1 s heartbeats, 3 missed), values stale after 5 s, short keys
// and values so the limits are reachable.
mirror::Config quick() {
  mirror::Config c;
  c.heartbeat.interval_ms = 1000;
  c.heartbeat.interval_multiple = 3;
  c.heartbeat.slack_ms = 0;
  c.stale_after_ms = 5000;
  c.keys_max = 3;
  c.key_bytes_max = 8;
  c.value_bytes_max = 16;
  return c;
}

struct Fixture {
  VirtualClock clock;  // starts at 1000 ms
  ManualHost host;
  RecordingApp app;
  std::unique_ptr<io::MirrorDriver> driver;

  explicit Fixture(io::MirrorStepObserver* observer = nullptr, io::MirrorDriverOptions options = {},
                   mirror::Config config = quick()) {
    auto state = mirror::make(config);
    REQUIRE(state);
    driver = std::make_unique<io::MirrorDriver>(
        std::move(*state), io::MirrorDriverPorts{clock, host, app, observer}, options);
  }
  const mirror::Status& status() const { return app.statuses.back(); }
};

}  // namespace

TEST_CASE("mirror driver: Started reports starting and arms the timer at the heartbeat budget",
          "[mirror_driver]") {
  Fixture f;
  CHECK_FALSE(f.host.armed);
  f.driver->start();
  REQUIRE(f.app.statuses.size() == 1);
  CHECK(f.status() ==
        mirror::Status{mirror::StreamHealth::starting, mirror::Backfill::none, Instant{1000}});
  REQUIRE(f.host.armed);
  CHECK(f.host.armed->ms == 4000);  // started at 1 s + the 3 s budget
  CHECK(f.driver->status() == f.status());
  CHECK(f.driver->events_fed() == 1);
}

TEST_CASE(
    "mirror driver: each write's outcome goes to the application with the key it was fed, and "
    "find reads the entry",
    "[mirror_driver]") {
  Fixture f;
  f.driver->start();
  f.clock.now_ms = 1100;
  f.driver->value_pushed("a", "1");
  f.driver->value_pushed("a", "2");
  f.driver->value_pushed("a", "2");
  f.driver->removal_pushed("a");
  f.driver->value_pushed("b", std::string(17, 'x'));  // over value_bytes_max
  f.driver->value_pushed("too-long-key", "1");        // over key_bytes_max
  f.driver->value_pushed("b", "1");
  f.driver->value_pushed("c", "1");
  f.driver->value_pushed("d", "1");  // keys_max 3: "a" (a tombstone), "b", "c"
  using C = mirror::Change;
  using I = mirror::IgnoreCause;
  constexpr auto push = mirror::Source::push;
  CHECK(f.app.heard ==
        std::vector<Heard>{changed("a", C::added, push), changed("a", C::modified, push),
                           changed("a", C::refreshed, push), changed("a", C::removed, push),
                           ignored("b", I::value_too_large),
                           ignored("too-long-key", I::key_too_large), changed("b", C::added, push),
                           changed("c", C::added, push), ignored("d", I::full)});
  const mirror::Entry* b = f.driver->find("b");
  REQUIRE(b != nullptr);
  CHECK(b->value == std::optional<std::string>("1"));
  CHECK(b->written_at.ms == 1100);
  const mirror::Entry* a = f.driver->find("a");
  REQUIRE(a != nullptr);
  CHECK_FALSE(a->value);  // a tombstone
  CHECK(f.driver->find("d") == nullptr);
  CHECK(f.app.diagnostics.empty());
}

TEST_CASE(
    "mirror driver: polls carry their observed_at, an older one is ignored, and completing one "
    "makes backfill warm",
    "[mirror_driver]") {
  Fixture f;
  f.driver->start();
  f.clock.now_ms = 2000;
  f.driver->value_pushed("a", "push");
  f.clock.now_ms = 2500;
  f.driver->value_polled(Instant{1500}, "a", "older");  // the snapshot predates the push
  f.driver->value_polled(Instant{1500}, "b", "1");
  f.driver->removal_polled(Instant{1500}, "c");
  CHECK(f.status().backfill == mirror::Backfill::warm);  // any poll event is backfill
  f.driver->poll_completed(Instant{1500});
  using C = mirror::Change;
  constexpr auto poll = mirror::Source::poll;
  CHECK(f.app.heard == std::vector<Heard>{changed("a", C::added, mirror::Source::push),
                                          ignored("a", mirror::IgnoreCause::older_than_entry),
                                          changed("b", C::added, poll),
                                          changed("c", C::refreshed, poll)});
  const mirror::Entry* b = f.driver->find("b");
  REQUIRE(b != nullptr);
  CHECK(b->written_at.ms == 1500);  // as of the snapshot, not its arrival
  CHECK(b->source == poll);
  // Freshness at the clock's reading: b is fresh until 1500 + 5000.
  CHECK(f.driver->freshness_of("b") == mirror::Freshness::fresh);
  f.clock.now_ms = 6500;
  CHECK(f.driver->freshness_of("b") == mirror::Freshness::stale);
  CHECK(f.driver->freshness_of("never-heard") == mirror::Freshness::never);
}

TEST_CASE(
    "mirror driver: the timer follows next_deadline: a later one waits for the armed one, an "
    "earlier one re-arms, and its Tick reports what fell due",
    "[mirror_driver]") {
  Fixture f;
  f.driver->start();  // armed at 4000 (the budget from Started)
  const int arms = f.host.arm_calls;
  f.clock.now_ms = 2000;
  f.driver->heartbeat();  // the budget now ends at 5000: later, no re-arm
  CHECK(f.host.arm_calls == arms);
  CHECK(f.host.armed->ms == 4000);
  CHECK(f.status().stream == mirror::StreamHealth::live);
  f.clock.now_ms = 4000;
  f.driver->on_timer();  // early: nothing fell due; re-armed at the real deadline
  CHECK(f.status().stream == mirror::StreamHealth::live);
  REQUIRE(f.host.armed);
  CHECK(f.host.armed->ms == 5000);
  CHECK(f.host.armed == mirror::next_deadline(f.driver->state()));
  // A poll as of 4000 goes cold at 9000: later than the budget, no re-arm.
  f.driver->poll_completed(Instant{4000});
  CHECK(f.host.armed->ms == 5000);
  f.clock.now_ms = 5000;
  f.driver->on_timer();
  CHECK(f.status() ==
        mirror::Status{mirror::StreamHealth::degraded, mirror::Backfill::warm, Instant{5000}});
  REQUIRE(f.host.armed);
  CHECK(f.host.armed->ms == 9000);  // degraded: only backfill going cold is left
  f.clock.now_ms = 9000;
  const int arms_before_cold = f.host.arm_calls;
  f.driver->on_timer();
  CHECK(f.status().backfill == mirror::Backfill::cold);
  CHECK_FALSE(mirror::next_deadline(f.driver->state()));
  CHECK(f.host.arm_calls == arms_before_cold);  // nothing left to wait for: not re-armed
}

TEST_CASE(
    "mirror driver: inputs made from inside on_change wait for the step's effects, then each "
    "step names its own key",
    "[mirror_driver]") {
  Fixture f;
  f.driver->start();
  bool fed_inside = false;
  f.app.on_each_change = [&](std::string_view key) {
    if (key != "a" || fed_inside) return;
    fed_inside = true;
    CHECK(f.driver->executing());
    f.driver->value_pushed("b", "1");
    f.driver->value_pushed("c", "1");
    CHECK(f.app.heard.size() == 1);                                         // not yet
    CHECK(f.app.statuses.back().stream == mirror::StreamHealth::starting);  // a's own, not yet
  };
  f.driver->value_pushed("a", "1");
  CHECK_FALSE(f.driver->executing());
  using C = mirror::Change;
  constexpr auto push = mirror::Source::push;
  CHECK(f.app.heard == std::vector<Heard>{changed("a", C::added, push),
                                          changed("b", C::added, push),
                                          changed("c", C::added, push)});
  CHECK(f.driver->events_fed() == 4);
}

TEST_CASE("mirror driver: stop reports stopped, disarms the timer, and nothing follows",
          "[mirror_driver]") {
  Fixture f;
  f.driver->start();
  f.clock.now_ms = 1500;
  f.driver->value_polled(Instant{1400}, "a", "1");
  REQUIRE(f.host.armed);
  f.driver->stop();
  CHECK(f.driver->finished());
  CHECK(f.status() ==
        mirror::Status{mirror::StreamHealth::stopped, mirror::Backfill::warm, Instant{1500}});
  CHECK_FALSE(f.host.armed);
  const std::size_t calls = f.app.calls();
  f.clock.now_ms = 9000;
  f.driver->value_pushed("b", "1");
  f.driver->heartbeat();
  f.driver->poll_completed(Instant{8000});
  f.driver->on_timer();
  f.driver->stop();
  CHECK(f.app.calls() == calls);
  CHECK(f.driver->find("b") == nullptr);
  CHECK(f.driver->find("a") != nullptr);  // queries still answer
  CHECK_FALSE(f.host.armed);
}

TEST_CASE("mirror driver: inputs before start are ignored", "[mirror_driver]") {
  Fixture f;
  f.driver->value_pushed("a", "1");
  f.driver->heartbeat();
  CHECK(f.app.calls() == 0);
  CHECK_FALSE(f.host.armed);
  f.driver->start();
  CHECK(f.driver->find("a") == nullptr);
  CHECK(f.status().stream == mirror::StreamHealth::starting);
}

namespace {

// Sees each step; notes how many application calls were made by then.
struct CountingObserver final : io::MirrorStepObserver {
  const RecordingApp* app = nullptr;
  std::vector<std::pair<std::size_t, std::size_t>> steps;  // (event index, calls so far)
  void on_step(const mirror::Event& event, const mirror::State& after,
               const mirror::Effects& effects) override {
    CHECK(after.status == app->statuses.back());
    CHECK(effects.size() <= app->calls());
    steps.emplace_back(event.index(), app->calls());
  }
};

}  // namespace

TEST_CASE("mirror driver: the observer sees each step after its effects ran", "[mirror_driver]") {
  CountingObserver observer;
  Fixture f(&observer);
  observer.app = &f.app;
  f.driver->start();
  f.driver->value_pushed("a", "1");  // ValueChanged, then the status live
  f.driver->on_timer();              // nothing due: a step without effects
  using P = std::pair<std::size_t, std::size_t>;
  CHECK(observer.steps == std::vector<P>{P{0, 1}, P{3, 3}, P{2, 3}});  // Started, ValuePushed, Tick
}

namespace {

// Substituted reducers (as the simulator's mutation tests do).
mirror::Effects change_on_start(mirror::State& s, const mirror::Event& e) noexcept {
  mirror::Effects fx = io::MirrorReducer::transition_in_place(s, e);
  if (std::holds_alternative<mirror::Started>(e))
    fx.push_back(mirror::ValueChanged{mirror::Change::added, mirror::Source::push});
  return fx;
}

}  // namespace

TEST_CASE(
    "mirror driver: runs the reducer it is given, and says a write outcome for a keyless event "
    "instead of naming a key",
    "[mirror_driver]") {
  Fixture f(nullptr, io::MirrorDriverOptions{&change_on_start});
  f.driver->value_pushed("early", "1");  // ignored before Started, but a step with a key
  f.driver->start();
  CHECK(f.app.heard.empty());
  REQUIRE(f.app.diagnostics.size() == 1);
  CHECK(f.app.diagnostics[0].kind == io::Diagnostic::Kind::fatal);
  CHECK(f.app.diagnostics[0].level == io::Diagnostic::Level::error);
  CHECK(f.app.diagnostics[0].text == "internal: ValueChanged for an event that writes no key");
  f.driver->value_pushed("a", "1");  // the real reducer's outcomes still reach the application
  CHECK(f.app.heard.size() == 1);
  CHECK(f.app.diagnostics.size() == 1);
}

TEST_CASE(
    "mirror driver: an application that feeds more than the inbox holds within one step is told, "
    "and the rest is fed",
    "[mirror_driver]") {
  Fixture f;
  f.driver->start();
  constexpr std::size_t inbox_max = 16;
  bool fed_inside = false;
  f.app.on_each_change = [&](std::string_view) {
    if (fed_inside) return;
    fed_inside = true;
    for (std::size_t n = 0; n <= inbox_max; ++n) f.driver->heartbeat();  // one too many
  };
  f.driver->value_pushed("a", "1");
  REQUIRE(f.app.diagnostics.size() == 1);
  CHECK(f.app.diagnostics[0].kind == io::Diagnostic::Kind::fatal);
  CHECK(f.app.diagnostics[0].text.find("the mirror's inbox is full (16 inputs") !=
        std::string::npos);
  CHECK(f.driver->events_fed() == 2 + inbox_max);
}
