// The generic driver loop (io/include/tether/io/reducer_loop.hpp) in virtual
// time: a toy reducer whose effects the test's executor turns into further
// inputs, to pin the loop's order, inbox, bound and timer policy; then the
// freshness mirror, the reducer that has no runner, through the same loop.
#include <catch2/catch.hpp>
#include <functional>
#include <optional>
#include <string>
#include <tether/io/reducer_loop.hpp>
#include <tether/io/reducers.hpp>
#include <variant>
#include <vector>

#include "fakes.hpp"

namespace {

using namespace tether;
using io::testing::VirtualClock;

struct TimerHost final : io::Host {
  std::vector<std::optional<model::Instant>> arms;  // every arm_timer call
  void arm_timer(std::optional<model::Instant> deadline) override { arms.push_back(deadline); }
  void offload(Work, io::Blocking) override {}
};

// A toy reducer: it logs every event it sees as "<name>@<now>", its deadline
// is whatever the last Set said, and an event Num{n} has the effects n and
// n + 1000 (the executor decides what those do).
struct Toy {
  struct Tick {
    model::Instant now;
  };
  struct Num {
    model::Instant now;
    int n = 0;
  };
  struct Set {  // the next deadline (nullopt: none)
    model::Instant now;
    std::optional<std::int64_t> deadline_ms;
  };
  struct Stop {
    model::Instant now;
  };
  using Event = std::variant<Tick, Num, Set, Stop>;
  using Effect = int;
  using Effects = std::vector<int>;
  struct State {
    std::vector<std::string> log;
    std::optional<model::Instant> deadline;
  };

  static Effects transition_in_place(State& s, const Event& event) noexcept {
    if (const auto* num = std::get_if<Num>(&event)) {
      s.log.push_back(std::to_string(num->n) + "@" + std::to_string(num->now.ms));
      return {num->n, num->n + 1000};
    }
    if (const auto* set = std::get_if<Set>(&event)) {
      s.deadline =
          set->deadline_ms ? std::optional(model::Instant{*set->deadline_ms}) : std::nullopt;
      s.log.push_back("set@" + std::to_string(set->now.ms));
      return {};
    }
    const std::int64_t now_ms = std::visit([](const auto& x) { return x.now.ms; }, event);
    s.log.push_back((std::holds_alternative<Tick>(event) ? "tick@" : "stop@") +
                    std::to_string(now_ms));
    return {};
  }
  static std::optional<model::Instant> next_deadline(const State& s) { return s.deadline; }
  static Event tick(model::Instant now) { return Tick{now}; }
  // Stops fold into one; a waiting stop lets a later Num overtake it.
  static bool merge(Event& queued, Event& incoming) {
    if (queued.index() == incoming.index() && std::holds_alternative<Stop>(incoming)) return true;
    if (std::holds_alternative<Stop>(queued) && std::holds_alternative<Num>(incoming))
      std::swap(queued, incoming);
    return false;
  }
};

// Effect n (below 1000) feeds whatever `on_effect` says; effects >= 1000 are
// only recorded. Everything it saw, in order, is in `seen`.
struct ToyExecutor {
  std::vector<std::string> seen;
  std::vector<std::string> refusals;
  std::function<void(int)> on_effect;
  void execute(int effect) {
    seen.push_back("effect " + std::to_string(effect));
    if (effect < 1000 && on_effect) on_effect(effect);
  }
  void settled(const Toy::State&) { seen.push_back("settled"); }
  void refused(const Toy::Event& event) { refusals.push_back(std::to_string(event.index())); }
};

template <std::size_t InboxMax = 16>
struct ToyLoop {
  VirtualClock clock;
  TimerHost host;
  ToyExecutor executor;
  io::ReducerLoop<Toy, ToyExecutor, InboxMax> loop{Toy::State{}, clock, host, executor};
};

}  // namespace

TEST_CASE(
    "reducer loop: an input that arrives while effects execute is fed after all of them, in order",
    "[reducer_loop]") {
  ToyLoop<> t;
  // Effect 1 feeds Num 2 and Num 3 at once; effect 2 feeds Num 4.
  t.executor.on_effect = [&](int n) {
    if (n == 1) {
      CHECK(t.loop.feed(Toy::Num{{}, 2}) == io::Fed::queued);
      CHECK(t.loop.feed(Toy::Num{{}, 3}) == io::Fed::queued);
      CHECK(t.loop.executing());
    }
    if (n == 2) t.loop.feed(Toy::Num{{}, 4});
  };
  CHECK(t.loop.feed(Toy::Num{{}, 1}) == io::Fed::fed);
  // Every effect of a step runs before the next event; then arrival order.
  CHECK(t.executor.seen == std::vector<std::string>{"effect 1", "effect 1001", "effect 2",
                                                    "effect 1002", "effect 3", "effect 1003",
                                                    "effect 4", "effect 1004", "settled"});
  CHECK(t.loop.state().log == std::vector<std::string>{"1@1000", "2@1000", "3@1000", "4@1000"});
  CHECK(t.loop.inbox_size() == 0);
  CHECK(t.loop.events_fed() == 4);
  CHECK_FALSE(t.loop.executing());
}

TEST_CASE(
    "reducer loop: each event carries the clock's reading when it is fed, not when it was queued",
    "[reducer_loop]") {
  ToyLoop<> t;
  t.executor.on_effect = [&](int n) {
    if (n == 1) t.loop.feed(Toy::Num{{999}, 2});  // a stale `now` is overwritten
    t.clock.now_ms += 5;                          // effects take time
  };
  t.loop.feed(Toy::Num{{42}, 1});
  CHECK(t.loop.state().log == std::vector<std::string>{"1@1000", "2@1005"});
}

TEST_CASE(
    "reducer loop: the inbox is bounded, at the bound an input is refused, counted and reported",
    "[reducer_loop]") {
  ToyLoop<4> t;
  std::vector<io::Fed> outcomes;
  t.executor.on_effect = [&](int n) {
    if (n != 1) return;
    for (int k = 10; k < 16; ++k) outcomes.push_back(t.loop.feed(Toy::Num{{}, k}));
  };
  t.loop.feed(Toy::Num{{}, 1});
  CHECK(outcomes == std::vector<io::Fed>{io::Fed::queued, io::Fed::queued, io::Fed::queued,
                                         io::Fed::queued, io::Fed::refused, io::Fed::refused});
  CHECK(t.loop.refused() == 2);
  CHECK(t.executor.refusals == std::vector<std::string>{"1", "1"});
  // The four that fit were fed, in order; nothing else.
  CHECK(t.loop.state().log ==
        std::vector<std::string>{"1@1000", "10@1000", "11@1000", "12@1000", "13@1000"});
  // Drained, the inbox takes inputs again.
  t.executor.on_effect = [&](int n) {
    if (n == 20) outcomes.push_back(t.loop.feed(Toy::Num{{}, 21}));
  };
  t.loop.feed(Toy::Num{{}, 20});
  CHECK(outcomes.back() == io::Fed::queued);
  CHECK(t.loop.state().log.back() == "21@1000");
}

TEST_CASE(
    "reducer loop: an input that merges with one waiting takes no place in the inbox, one that "
    "overtakes it goes first",
    "[reducer_loop]") {
  ToyLoop<2> t;
  std::vector<io::Fed> outcomes;
  t.executor.on_effect = [&](int n) {
    if (n != 1) return;
    outcomes.push_back(t.loop.feed(Toy::Stop{}));
    outcomes.push_back(t.loop.feed(Toy::Num{{}, 5}));
    outcomes.push_back(
        t.loop.feed(Toy::Stop{}));  // merges with the first: the inbox is full, no refusal
  };
  t.loop.feed(Toy::Num{{}, 1});
  CHECK(outcomes == std::vector<io::Fed>{io::Fed::queued, io::Fed::queued, io::Fed::queued});
  CHECK(t.loop.refused() == 0);
  // Num 5 took the waiting stop's place; the stop went on to the end.
  CHECK(t.loop.state().log == std::vector<std::string>{"1@1000", "5@1000", "stop@1000"});
}

TEST_CASE("reducer loop: the session's inbox folds cumulative acks and repeated stops",
          "[reducer_loop]") {
  using R = io::SessionReducer;
  model::Event queued = model::DeliveryAcked{{}, 3, model::Cursor::at_sequence(3)};
  model::Event later = model::DeliveryAcked{{}, 5, model::Cursor::at_sequence(5)};
  CHECK(R::merge(queued, later));
  CHECK(std::get<model::DeliveryAcked>(queued).delivery_id == 5);
  model::Event older = model::DeliveryAcked{{}, 4, model::Cursor::at_sequence(4)};
  CHECK(R::merge(queued, older));  // covered by the waiting one
  CHECK(std::get<model::DeliveryAcked>(queued).delivery_id == 5);
  model::Event incoming = model::StopRequested{};
  CHECK_FALSE(R::merge(queued, incoming));
  model::Event stop = model::StopRequested{};
  incoming = model::StopRequested{};
  CHECK(R::merge(stop, incoming));
  model::Event saved = model::CheckpointSaved{{}, 1};
  incoming = model::CheckpointSaved{{}, 2};
  CHECK_FALSE(R::merge(saved, incoming));  // each save is its own answer
  CHECK(std::get<model::CheckpointSaved>(saved).delivery_id == 1);
}

TEST_CASE(
    "reducer loop: the session's stop waits behind an ack that arrives after it in the same step",
    "[reducer_loop]") {
  using R = io::SessionReducer;
  model::Event queued = model::StopRequested{};
  model::Event incoming = model::DeliveryAcked{{}, 4, model::Cursor::at_sequence(4)};
  CHECK_FALSE(R::merge(queued, incoming));  // exchanged: the ack takes the stop's place
  CHECK(std::holds_alternative<model::DeliveryAcked>(queued));
  CHECK(
      std::holds_alternative<model::StopRequested>(incoming));  // and the stop goes on, to the end
}

TEST_CASE(
    "reducer loop: the timer is re-armed only for an earlier deadline, and disarmed when there is "
    "none",
    "[reducer_loop]") {
  ToyLoop<> t;
  t.loop.feed(Toy::Set{{}, 5000});
  CHECK(t.host.arms == std::vector<std::optional<model::Instant>>{model::Instant{5000}});
  t.loop.feed(Toy::Set{{}, 7000});  // later: the armed timer fires first, harmlessly early
  CHECK(t.host.arms.size() == 1);
  t.loop.feed(Toy::Set{{}, 3000});  // earlier: re-armed
  CHECK(t.host.arms.back() == model::Instant{3000});
  CHECK(t.loop.armed() == model::Instant{3000});
  t.clock.now_ms = 3000;
  t.loop.feed(Toy::Set{{}, 7000});
  t.loop.on_timer();  // fires at 3000 and finds the deadline moved to 7000: re-armed for it
  CHECK(t.host.arms.back() == model::Instant{7000});
  CHECK(t.loop.state().log.back() == "tick@3000");
  t.loop.feed(Toy::Set{{}, std::nullopt});
  CHECK(t.host.arms.back() == std::nullopt);
  const std::size_t arms = t.host.arms.size();
  t.loop.feed(Toy::Set{{}, std::nullopt});  // already disarmed: no call
  CHECK(t.host.arms.size() == arms);
}

TEST_CASE("reducer loop: a timer that fires while effects execute ticks after them, once",
          "[reducer_loop]") {
  ToyLoop<> t;
  t.loop.feed(Toy::Set{{}, 2000});
  t.executor.on_effect = [&](int n) {
    if (n != 1) return;
    t.loop.on_timer();
    t.loop.on_timer();  // the toy merges only stops: both ticks wait
  };
  t.clock.now_ms = 2000;
  t.loop.feed(Toy::Num{{}, 1});
  CHECK(t.loop.state().log ==
        std::vector<std::string>{"set@1000", "1@2000", "tick@2000", "tick@2000"});
  CHECK(t.host.arms.back() ==
        model::Instant{2000});  // re-armed after the early reset (deadline unchanged)
}

TEST_CASE("reducer loop: drives the freshness mirror, whose deadline is the heartbeat budget",
          "[reducer_loop][mirror]") {
  VirtualClock clock;
  TimerHost host;
  struct MirrorExecutor {
    std::vector<model::mirror::Status> statuses;
    std::vector<model::mirror::Change> changes;
    void execute(const model::mirror::Effect& effect) {
      if (const auto* report = std::get_if<model::mirror::ReportStatus>(&effect))
        statuses.push_back(report->status);
      if (const auto* changed = std::get_if<model::mirror::ValueChanged>(&effect))
        changes.push_back(changed->change);
    }
  } executor;
  model::mirror::Config config;
  config.heartbeat = model::HeartbeatPolicy{1000, 3, 500};  // budget 3000 ms
  config.stale_after_ms = 10000;
  auto made = model::mirror::make(config);
  REQUIRE(made);
  io::ReducerLoop<io::MirrorReducer, MirrorExecutor> loop(std::move(*made), clock, host, executor);
  loop.feed(model::mirror::Started{});
  REQUIRE(loop.armed());
  CHECK(loop.armed()->ms == 1000 + 3000);
  clock.now_ms = 1500;
  loop.feed(model::mirror::ValuePushed{{}, "k", "v"});
  CHECK(executor.changes == std::vector<model::mirror::Change>{model::mirror::Change::added});
  CHECK(executor.statuses.back().stream == model::mirror::StreamHealth::live);
  CHECK(loop.armed()->ms == 4000);  // the budget moved to 4500: the armed timer fires first
  clock.now_ms = 4000;
  loop.on_timer();  // early: still live, re-armed for the moved budget
  CHECK(executor.statuses.back().stream == model::mirror::StreamHealth::live);
  REQUIRE(loop.armed());
  CHECK(loop.armed()->ms == 4500);
  clock.now_ms = 4500;
  loop.on_timer();
  CHECK(executor.statuses.back().stream == model::mirror::StreamHealth::degraded);
  CHECK_FALSE(loop.armed());  // degraded, no backfill: nothing to wait for (the timer has fired)
  const std::size_t arms = host.arms.size();
  loop.feed(model::mirror::ValuePushed{{}, "k", "w"});  // live again: the budget from this push
  CHECK(executor.statuses.back().stream == model::mirror::StreamHealth::live);
  CHECK(host.arms.size() == arms + 1);
  CHECK(host.arms.back() == model::Instant{4500 + 3000});
  loop.feed(model::mirror::StopRequested{});
  CHECK_FALSE(loop.armed());
  CHECK(host.arms.back() == std::nullopt);  // disarmed
}
