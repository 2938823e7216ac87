// The world's oracle has teeth: fabricated bad steps are caught, with the right
// number, by the rules that need the world's truth. The rules judged from the
// events and effects alone are the streaming-session reference's, tested in
// tests/sim/reference_session.cpp; this oracle runs without it here
// (References::world_only), as these hand-made steps are no real session's.
#include <catch2/catch.hpp>
#include <tether/sim/oracle.hpp>
#include <tether/sim/scenario.hpp>
#include <utility>

using namespace tether::sim;
namespace model = tether::model;

namespace {
struct Bench {
  Bench() : Bench(make_config("aviso", {}).value()) {}
  explicit Bench(model::SessionConfig config) : cfg(std::move(config)) {}

  model::SessionConfig cfg;
  Oracle oracle{cfg, 1, Oracle::References::world_only};
  model::State state = model::make(cfg).value();

  void feed(Ms now, const model::Event& e, std::initializer_list<model::Effect> fx,
            std::uint64_t conn = 1) {
    feed_into(model::Streaming{0, model::Instant{0}, model::Instant{now}, true}, now, e, fx, conn);
  }
  // The same step, with the phase the session is in after it.
  void feed_into(const model::Phase& after, Ms now, const model::Event& e,
                 std::initializer_list<model::Effect> fx, std::uint64_t conn = 1) {
    model::Effects effects;
    for (const model::Effect& x : fx) effects.push_back(x);
    const model::Phase before = state.phase;
    state.phase = after;
    oracle.step(StepView{0, now, e, conn, before, state, effects, conn});
  }
  model::FrameReceived frame(Ms now, std::uint64_t seq) {
    return model::FrameReceived{model::Instant{now}, seq, std::nullopt, std::nullopt, seq};
  }
  bool caught(Guarantee g) const {
    for (const Violation& v : oracle.violations())
      if (v.guarantee == g) return true;
    return false;
  }
};
}  // namespace

// Under relaxed detection the session cannot tell a jump from a filtered
// stream; the world can: a sequence the server streamed that never reaches the
// application breaks no_silent_gap, a filtered one is none.
TEST_CASE("a sequence the server streamed, never delivered, is guarantee 1", "[oracle]") {
  model::SessionConfig cfg = make_config("aviso", {}).value();
  cfg.resume.gaps = model::GapDetection::relaxed;
  Bench b(cfg);
  b.oracle.set_filter(3);  // 3, 6, 9, ... never streamed
  b.oracle.process_started(0, 0, std::nullopt);
  b.feed(1, model::ConnectionOpened{model::Instant{1}}, {});
  b.feed(2, b.frame(2, 1), {model::Deliver{1, 1, 1}});
  b.feed(3, b.frame(3, 2), {model::Deliver{2, 2, 2}});
  b.feed(4, b.frame(4, 4), {model::Deliver{3, 4, 4}});  // 3 was filtered: no gap
  CHECK(b.oracle.violations().empty());
  b.feed(5, b.frame(5, 7), {model::Deliver{4, 7, 7}});  // 5 was streamed
  CHECK(b.caught(Guarantee::no_silent_gap));
}

TEST_CASE("a silent connection left open past the budget is guarantee 8", "[oracle]") {
  Bench b;
  b.oracle.process_started(0, 0, std::nullopt);
  b.feed(1, model::ConnectionOpened{model::Instant{1}}, {});
  b.oracle.time_passed(1 + b.cfg.heartbeat->budget_ms());
  CHECK_FALSE(b.caught(Guarantee::half_open));
  b.oracle.time_passed(2 + b.cfg.heartbeat->budget_ms());
  CHECK(b.caught(Guarantee::half_open));
}

namespace {
model::Connect connect_effect() { return model::Connect{1, model::ResumeFrom::server_default, {}}; }
// Started, connected, delivery 1 acked: a save of delivery 1 may be asked.
void deliver_one(Bench& b) {
  b.oracle.process_started(0, 0, std::nullopt);
  b.feed(0, model::Started{model::Instant{0}, std::nullopt, std::nullopt}, {connect_effect()}, 0);
  b.feed(1, model::ConnectionOpened{model::Instant{1}}, {});
  b.feed(2, b.frame(2, 1), {model::Deliver{1, 1, 1}});
  b.oracle.application_acked(0, 3, 1);
  b.feed(3, model::DeliveryAcked{model::Instant{3}, 1, model::Cursor::at_sequence(1)},
         {model::SaveCheckpoint{1, model::Cursor::at_sequence(1)}});
}
}  // namespace

TEST_CASE("a commit unsaved past checkpoint_every_ms is guarantee 3", "[oracle]") {
  model::SessionConfig cfg = make_config("aviso", {}).value();
  REQUIRE(cfg.resume.commit == model::CommitPolicy::on_ack);
  cfg.resume.checkpoint_every_events = 100;
  cfg.resume.checkpoint_every_ms = 1000;
  Bench b(cfg);
  b.oracle.process_started(0, 0, std::nullopt);
  b.feed(0, model::Started{model::Instant{0}, std::nullopt, std::nullopt}, {connect_effect()}, 0);
  b.feed(1, model::ConnectionOpened{model::Instant{1}}, {});
  b.feed(2, b.frame(2, 1), {model::Deliver{1, 1, 1}});
  b.oracle.time_passed(5000);  // delivered, not acked: nothing to save yet
  CHECK(b.oracle.violations().empty());
  b.oracle.application_acked(0, 5003, 1);
  b.feed(5003, model::DeliveryAcked{model::Instant{5003}, 1, model::Cursor::at_sequence(1)}, {});
  b.oracle.time_passed(6003);  // the batch's deadline: the Tick comes now
  CHECK(b.oracle.violations().empty());
  b.oracle.time_passed(6004);
  CHECK(b.caught(Guarantee::checkpoint));
}

TEST_CASE("a restart that loads a checkpoint older than the durable one is guarantee 3",
          "[oracle]") {
  const model::SessionConfig cfg = make_config("aviso", {}).value();
  Bench b(cfg);
  b.oracle.checkpoint_loaded(0, 0, std::nullopt);  // nothing durable yet: nothing to judge
  CHECK(b.oracle.violations().empty());
  b.oracle.checkpoint_durable(0, 10, model::Cursor::at_sequence(7));
  b.oracle.checkpoint_loaded(0, 20, model::Cursor::at_sequence(7));
  b.oracle.checkpoint_loaded(0, 30,
                             model::Cursor::at_sequence(9));  // newer: a save whose rename survived
  CHECK(b.oracle.violations().empty());
  b.oracle.checkpoint_loaded(0, 40, model::Cursor::at_sequence(6));
  CHECK(b.caught(Guarantee::checkpoint));
}

TEST_CASE("a restart that loads no checkpoint after one was durable is guarantee 3", "[oracle]") {
  const model::SessionConfig cfg = make_config("aviso", {}).value();
  Bench b(cfg);
  b.oracle.checkpoint_durable(0, 10, model::Cursor::at_sequence(7));
  b.oracle.checkpoint_loaded(0, 20, std::nullopt);
  CHECK(b.caught(Guarantee::checkpoint));
}

// The driver is judged by the world's truth (issue 11): what the application
// acked and stopped, what the store holds; never by the events the driver feeds.
TEST_CASE("an ack the application did not make is guarantee 3", "[oracle]") {
  Bench b;
  b.oracle.process_started(0, 0, std::nullopt);
  b.feed(1, model::ConnectionOpened{model::Instant{1}}, {});
  b.feed(2, b.frame(2, 1), {model::Deliver{1, 1, 1}});
  b.feed(3, b.frame(3, 2), {model::Deliver{2, 2, 2}});
  b.oracle.application_acked(0, 4, 1);
  b.feed(4, model::DeliveryAcked{model::Instant{4}, 1, model::Cursor::at_sequence(1)},
         {model::SaveCheckpoint{1, model::Cursor::at_sequence(1)}});
  CHECK(b.oracle.violations().empty());
  b.feed(5, model::DeliveryAcked{model::Instant{5}, 2, model::Cursor::at_sequence(2)},
         {});  // the app acked only 1
  CHECK(b.caught(Guarantee::checkpoint));
}

TEST_CASE("a flush behind the application's ack is guarantee 6", "[oracle]") {
  Bench b;
  deliver_one(b);
  b.feed(4, model::CheckpointSaved{model::Instant{4}, 1}, {});
  b.feed(5, b.frame(5, 2), {model::Deliver{2, 2, 2}});
  b.oracle.application_acked(0, 6, 2);  // the app acked 2; the driver fed nothing
  b.feed_into(model::Stopped{model::Reason::stop_requested}, 7,
              model::StopRequested{model::Instant{7}}, {model::CloseConnection{}});
  CHECK(b.caught(Guarantee::stop));
}

TEST_CASE("a stop the application asked that the session never got is guarantee 6", "[oracle]") {
  Bench b;
  b.oracle.process_started(0, 0, std::nullopt);
  b.feed(1, model::ConnectionOpened{model::Instant{1}}, {});
  b.oracle.application_stopped(0, 2);
  b.feed_into(model::Stopped{model::Reason::stop_requested}, 2,
              model::StopRequested{model::Instant{2}}, {model::CloseConnection{}});
  b.oracle.time_passed(3);
  CHECK(b.oracle.violations().empty());
  Bench c;
  c.oracle.process_started(0, 0, std::nullopt);
  c.feed(1, model::ConnectionOpened{model::Instant{1}}, {});
  c.oracle.application_stopped(0, 2);  // from inside a callback, say; then nothing
  c.feed(2, c.frame(2, 1), {model::Deliver{1, 1, 1}});
  c.oracle.time_passed(3);
  CHECK(c.caught(Guarantee::stop));
}

// A completion that names an older delivery leaves the session waiting for a
// save the store already holds: the batch is due from the store's truth.
TEST_CASE("a batch waits for the save the store holds, not for the completion the driver names",
          "[oracle]") {
  model::SessionConfig cfg = make_config("aviso", {}).value();
  cfg.resume.checkpoint_every_events = 100;
  cfg.resume.checkpoint_every_ms = 1000;
  Bench b(cfg);
  deliver_one(b);  // save 1 asked at 3
  b.oracle.checkpoint_durable(0, 10, model::Cursor::at_sequence(1));
  b.feed(10, model::CheckpointSaved{model::Instant{10}, 0},
         {});  // misnamed: the session still waits
  b.feed(20, b.frame(20, 2), {model::Deliver{2, 2, 2}});
  b.oracle.application_acked(0, 21, 2);
  b.feed(21, model::DeliveryAcked{model::Instant{21}, 2, model::Cursor::at_sequence(2)}, {});
  b.oracle.time_passed(1021);
  CHECK(b.oracle.violations().empty());
  b.oracle.time_passed(1022);
  CHECK(b.caught(Guarantee::checkpoint));
}

TEST_CASE("an attempt carrying a refresh's predecessor credentials is guarantee 5", "[oracle]") {
  Bench b;
  b.oracle.credentials_issued(0, 0, 1);  // the start's credentials, before Started
  b.oracle.process_started(0, 0, std::nullopt);
  b.oracle.credentials_sent(0, 1, 1);
  b.oracle.credentials_issued(0, 10, 2);  // a refresh
  CHECK(b.oracle.violations().empty());
  b.oracle.credentials_sent(0, 11, 1);
  CHECK(b.caught(Guarantee::auth_refresh));
  Bench c;  // a restarted process has none of its predecessor's credentials
  c.oracle.credentials_issued(0, 0, 1);
  c.oracle.process_crashed(0, 5);
  c.oracle.process_started(0, 6, std::nullopt);
  c.oracle.credentials_sent(0, 7, 0);
  CHECK(c.oracle.violations().empty());
}

// Failed{unrecoverable} has one cause in the world: an id over the client's
// limit on the connection that ended.
TEST_CASE("an unrecoverable end with no id over the limit is guarantee 7", "[oracle]") {
  for (const bool oversized : {true, false}) {
    INFO("oversized id sent: " << oversized);
    Bench b;
    b.oracle.process_started(0, 0, std::nullopt);
    b.feed(1, model::ConnectionOpened{model::Instant{1}}, {});
    if (oversized) b.oracle.oversized_id_sent(0, 1, 1);
    b.feed_into(model::Failed{model::Reason::unrecoverable, 0}, 2,
                model::ConnectionClosed{model::Instant{2}, model::CloseCause::unrecoverable}, {});
    CHECK(b.caught(Guarantee::liveness) == !oversized);
  }
}

// The world runs the streaming-session reference on every lifetime: its
// finding is the run's, of the client, at the world's time, with its rule.
TEST_CASE("the world's oracle reports the reference's findings", "[oracle][reference]") {
  const model::SessionConfig cfg = make_config("aviso", {}).value();
  Oracle oracle{cfg, 2};
  model::State state = model::make(cfg).value();
  oracle.process_started(1, 0, std::nullopt);
  const auto step = [&](Ms now, const model::Event& e, bool duplicate) {
    const model::Phase before = state.phase;
    model::Effects fx = model::transition_in_place(state, e);
    if (duplicate) {
      fx = model::Effects{};
      fx.push_back(model::Deliver{++state.progress.delivered_id, 1, 1});
    }
    oracle.step(StepView{1, now, e, 1, before, state, fx, 1});
  };
  step(0, model::Started{model::Instant{0}, std::nullopt, std::nullopt}, false);
  step(1, model::ConnectionOpened{model::Instant{1}}, false);
  step(2, model::FrameReceived{model::Instant{2}, 1, std::nullopt, std::nullopt, 1}, false);
  CHECK(oracle.violations().empty());
  step(3, model::FrameReceived{model::Instant{3}, 1, std::nullopt, std::nullopt, 1}, true);
  REQUIRE(oracle.violations().size() == 1);
  const Violation& v = oracle.violations()[0];
  CHECK(v.guarantee == Guarantee::no_duplicate);
  CHECK(v.rule == "duplicate");
  CHECK(v.subject == 1);
  CHECK(v.at_ms == 3);
  // A new lifetime gets a new reference (the finding stopped the old one).
  oracle.process_crashed(1, 4);
  oracle.process_started(1, 5, std::nullopt);
  state = model::make(cfg).value();
  step(5, model::Started{model::Instant{5}, std::nullopt, std::nullopt}, false);
  step(6, model::ConnectionOpened{model::Instant{6}}, false);
  step(7, model::FrameReceived{model::Instant{7}, 1, std::nullopt, std::nullopt, 1}, false);
  step(8, model::FrameReceived{model::Instant{8}, 1, std::nullopt, std::nullopt, 1}, true);
  CHECK(oracle.violations().size() == 2);
}
