// The oracle has teeth: fabricated bad steps are caught, with the right number.
#include <catch2/catch.hpp>

#include <tether/sim/oracle.hpp>
#include <tether/sim/scenario.hpp>

using namespace tether::sim;
namespace m = tether::model;

namespace {
struct Bench {
  m::SessionConfig cfg = make_config("aviso", {}).value();
  Oracle oracle{cfg, 1};
  m::State state = m::make_session(cfg).value();

  void feed(Ms now, const m::Event& e, std::initializer_list<m::Effect> fx, std::uint64_t conn = 1) {
    m::Effects effects;
    for (const m::Effect& x : fx) effects.push_back(x);
    const m::Phase before = state.phase;
    state.phase = m::Streaming{0, m::Instant{0}, m::Instant{now}, true};
    oracle.step(StepView{0, now, e, conn, before, state, effects, conn});
  }
  m::FrameReceived frame(Ms now, std::uint64_t seq) {
    return m::FrameReceived{m::Instant{now}, seq, std::nullopt, std::nullopt, seq};
  }
  bool caught(int g) const {
    for (const Violation& v : oracle.violations())
      if (v.guarantee == g) return true;
    return false;
  }
};
}  // namespace

TEST_CASE("a silent gap is guarantee 1, a duplicate guarantee 2", "[oracle]") {
  Bench b;
  b.oracle.process_started(0, 0, std::nullopt);
  b.feed(1, m::ConnectionOpened{m::Instant{1}}, {});
  b.feed(2, b.frame(2, 1), {m::Deliver{1, 1, 1}});
  CHECK(b.oracle.violations().empty());
  b.feed(3, b.frame(3, 3), {m::Deliver{2, 3, 3}});
  CHECK(b.caught(1));
  b.feed(4, b.frame(4, 3), {m::Deliver{3, 3, 3}});
  CHECK(b.caught(2));
}

TEST_CASE("a checkpoint ahead of the ack is guarantee 3", "[oracle]") {
  Bench b;
  b.oracle.process_started(0, 0, std::nullopt);
  b.feed(1, m::ConnectionOpened{m::Instant{1}}, {});
  b.feed(2, b.frame(2, 1), {m::Deliver{1, 1, 1}});
  b.feed(3, m::Tick{m::Instant{3}}, {m::SaveCheckpoint{1, m::Cursor::at_sequence(1)}}, 1);
  CHECK(b.caught(3));
}

TEST_CASE("a backoff shorter than the short-session floor is guarantee 4", "[oracle]") {
  Bench b;
  b.oracle.process_started(0, 0, std::nullopt);
  b.feed(1, m::ConnectionOpened{m::Instant{1}}, {});
  m::Status st{m::StatusKind::backing_off, m::Reason::unexpected_eof, 1, m::Instant{100 + 200}, 0};
  b.feed(100, m::ConnectionClosed{m::Instant{100}, m::CloseCause::unexpected_eof}, {m::ReportStatus{st}}, 0);
  CHECK(b.caught(4));  // aviso: a session of 99 ms must wait >= 5 s
}

TEST_CASE("a silent connection left open past the budget is guarantee 8", "[oracle]") {
  Bench b;
  b.oracle.process_started(0, 0, std::nullopt);
  b.feed(1, m::ConnectionOpened{m::Instant{1}}, {});
  b.oracle.time_passed(1 + b.cfg.heartbeat->budget_ms());
  CHECK_FALSE(b.caught(8));
  b.oracle.time_passed(2 + b.cfg.heartbeat->budget_ms());
  CHECK(b.caught(8));
}
