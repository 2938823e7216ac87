// The streaming-session reference has teeth: the real reducer's steps pass,
// and the same steps with one defect edited in are caught, by the right rule
// and guarantee. (The world's own rules are tests/sim/oracle.cpp's.)
#include <catch2/catch.hpp>
#include <functional>
#include <optional>
#include <string>
#include <tether/model/names.hpp>
#include <tether/sim/reference/session.hpp>
#include <tether/sim/scenario.hpp>
#include <utility>

using namespace tether::sim;
namespace m = tether::model;

namespace {

// The real reducer, judged step by step; `edit` changes a step's effects (and
// the state after it) before the reference sees it: the defect under test.
struct Run {
  explicit Run(m::SessionConfig config)
      : cfg(std::move(config)), state(m::make(cfg).value()), ref(cfg) {}
  Run() : Run(make_config("aviso", {}).value()) {}

  using Edit = std::function<void(m::State&, m::Effects&)>;
  m::SessionConfig cfg;
  m::State state;
  SessionReference ref;
  std::optional<Violation> found;
  m::Effects last;

  const m::Effects& step(const m::Event& e, const Edit& edit = {}) {
    const m::Phase before = state.phase;
    last = m::transition_in_place(state, e);
    if (edit) edit(state, last);
    if (!found) found = ref.check(e, before, state, last);
    return last;
  }
  // "guarantee/rule" of the finding, or "none".
  std::string verdict() const {
    return found ? std::string(name(found->guarantee)) + "/" + std::string(found->rule)
                 : std::string("none");
  }
};

m::Instant at(Ms ms) { return m::Instant{ms}; }
m::FrameReceived frame(Ms now, std::uint64_t seq) {
  return m::FrameReceived{at(now), seq, std::nullopt, std::nullopt, seq};
}
// The backing_off status of `fx`, if any.
std::optional<m::Status> backoff_status(const m::Effects& fx) {
  for (const m::Effect& x : fx)
    if (const auto* r = std::get_if<m::ReportStatus>(&x);
        r != nullptr && r->status.kind == m::StatusKind::backing_off)
      return r->status;
  return std::nullopt;
}
// `fx` with `change` applied to a copy of each effect (effect lists are read-only).
template <class Change>
void each(m::Effects& fx, Change change) {
  m::Effects out;
  for (m::Effect x : fx) {
    change(x);
    out.push_back(x);
  }
  fx = out;
}
// A backoff moved to `until`, in the effect and the state alike.
Run::Edit backoff_until(Ms until) {
  return [until](m::State& s, m::Effects& fx) {
    each(fx, [until](m::Effect& x) {
      if (auto* r = std::get_if<m::ReportStatus>(&x);
          r != nullptr && r->status.kind == m::StatusKind::backing_off)
        r->status.next_attempt_at = at(until);
    });
    if (auto* b = std::get_if<m::BackingOff>(&s.phase)) b->until = at(until);
    s.status.next_attempt_at = at(until);
  };
}
Run::Edit append(m::Effect effect) {
  return [effect](m::State&, m::Effects& fx) { fx.push_back(effect); };
}
template <class E>
Run::Edit drop() {
  return [](m::State&, m::Effects& fx) {
    m::Effects out;
    for (const m::Effect& x : fx)
      if (!std::holds_alternative<E>(x)) out.push_back(x);
    fx = out;
  };
}

// Started at 0 (attempt 1), opened at 1, frames 1..n delivered at 2.. (aviso:
// strict gap detection, commit on ack).
void streaming(Run& r, std::uint64_t frames) {
  r.step(m::Started{at(0), std::nullopt, std::nullopt});
  r.step(m::ConnectionOpened{at(1)});
  for (std::uint64_t s = 1; s <= frames; ++s) r.step(frame(static_cast<Ms>(1 + s), s));
}

}  // namespace

TEST_CASE("reference: the real reducer's steps pass", "[reference]") {
  Run r;
  streaming(r, 3);
  r.step(m::DeliveryAcked{at(10), 2, m::Cursor::at_sequence(2)});
  r.step(m::CheckpointSaved{at(11), 2});
  r.step(m::ConnectionClosed{at(20), m::CloseCause::transport_error});
  r.step(m::StopRequested{at(30)});
  CHECK(r.verdict() == "none");
}

TEST_CASE("reference: a duplicate delivered is guarantee 2", "[reference]") {
  Run r;
  streaming(r, 1);
  r.step(frame(5, 1),
         [](m::State& s, m::Effects& fx) {  // the reducer discards it; deliver it instead
           fx = m::Effects{};
           fx.push_back(m::Deliver{++s.progress.delivered_id, 1, 1});
         });
  CHECK(r.verdict() == "no-duplicate/duplicate");
}

TEST_CASE("reference: a silent gap, or a gap nothing lost, is guarantee 1", "[reference]") {
  Run silent;
  streaming(silent, 1);
  silent.step(frame(5, 3), drop<m::ReportGap>());
  CHECK(silent.verdict() == "no-silent-gap/gap");
  Run told;
  streaming(told, 1);
  told.step(frame(5, 3));  // the reducer reports 2..2, then delivers 3
  CHECK(told.verdict() == "none");
  Run invented;
  streaming(invented, 1);
  invented.step(frame(5, 2), [](m::State&, m::Effects& fx) {
    m::Effects out;
    out.push_back(m::ReportGap{1, 1, m::GapCause::missing});  // 1 was delivered
    for (const m::Effect& x : fx) out.push_back(x);
    fx = out;
  });
  CHECK(invented.verdict() == "no-silent-gap/gap");
}

TEST_CASE("reference: a checkpoint ahead of the ack, or while one is in flight, is guarantee 3",
          "[reference]") {
  Run ahead;
  streaming(ahead, 1);
  ahead.step(frame(5, 2), append(m::SaveCheckpoint{1, m::Cursor::at_sequence(1)}));  // not acked
  CHECK(ahead.verdict() == "checkpoint/checkpoint");
  Run queued;
  streaming(queued, 2);
  queued.step(m::DeliveryAcked{at(10), 1, m::Cursor::at_sequence(1)});  // saves 1
  queued.step(
      m::DeliveryAcked{at(11), 2, m::Cursor::at_sequence(2)},
      append(m::SaveCheckpoint{2, m::Cursor::at_sequence(2)}));  // the reducer waits for save 1
  CHECK(queued.verdict() == "checkpoint/save-in-flight");
}

TEST_CASE("reference: a backoff shorter than the short-session floor is guarantee 4",
          "[reference]") {
  Run real;
  streaming(real, 0);
  real.step(m::ConnectionClosed{at(100), m::CloseCause::unexpected_eof});
  CHECK(real.verdict() == "none");  // aviso: a session of 99 ms waits >= 5 s
  Run r;
  streaming(r, 0);
  r.step(m::ConnectionClosed{at(100), m::CloseCause::unexpected_eof}, backoff_until(300));
  CHECK(r.verdict() == "backoff-bounds/backoff-delay");
}

// Guarantee 4's range is the one jitter rule (model::jitter_envelope) exactly,
// with no slack: for a first failure with an odd ceiling (251 ms, so every
// rounding shows), under every kind, a backoff at either end of the range
// backoff.hpp documents passes and one a millisecond outside it is caught. Full
// jitter never waits the whole ceiling.
TEST_CASE("reference: a backoff a millisecond outside the jitter range is guarantee 4",
          "[reference]") {
  struct Row {
    m::JitterKind kind;
    double fraction;
    Ms lo;  // literal, from the table in backoff.hpp
    Ms hi;
  };
  const Row rows[] = {
      {m::JitterKind::none, 0.0, 251, 251},           {m::JitterKind::full, 0.0, 0, 250},
      {m::JitterKind::equal, 0.0, 125, 251},           // c / 2 rounds down
      {m::JitterKind::proportional, 0.25, 189, 313},   // s = floor(62.75)
      {m::JitterKind::upward, 0.5, 251, 376},          // s = floor(125.5)
      {m::JitterKind::decorrelated, 0.0, 251, 30000},  // whatever the previous delay was
  };
  for (const Row& row : rows) {
    for (const Ms delay : {row.lo - 1, row.lo, row.hi, row.hi + 1}) {
      if (delay < 0) continue;
      INFO("jitter " << m::name_of(row.kind) << ", delay " << delay);
      m::SessionConfig cfg = make_config("aviso", {}).value();
      cfg.backoff.delay_ms_initial = 251;
      cfg.backoff.jitter = row.kind;
      cfg.backoff.jitter_fraction = row.fraction;
      Run r(cfg);
      r.step(m::Started{at(0), std::nullopt, std::nullopt});
      // An attempt that never opened: failure 1, no short-session floor.
      r.step(m::ConnectionClosed{at(100), m::CloseCause::transport_error},
             backoff_until(100 + delay));
      if (delay < row.lo || delay > row.hi) {
        CHECK(r.verdict() == "backoff-bounds/backoff-delay");
      } else {
        CHECK(r.verdict() == "none");
      }
    }
  }
}

// The ceiling grows with the failure count as the table in backoff.hpp says,
// in literal numbers (the reference takes its bounds from
// model::jitter_envelope, the one rule the reducer uses too, so only literals
// pin the rule itself): 251 ms doubling, no jitter: failure 1 waits 251 ms,
// failure 2 502, failure 3 1004; a millisecond either way is guarantee 4.
TEST_CASE("reference: the backoff ceiling grows with the failure count as the table says",
          "[reference]") {
  m::SessionConfig cfg = make_config("aviso", {}).value();
  cfg.backoff.delay_ms_initial = 251;
  cfg.backoff.jitter = m::JitterKind::none;
  const Ms ceilings[] = {251, 502, 1004};
  for (const Ms off : {-1, 0, 1}) {
    INFO("off by " << off);
    Run r(cfg);
    r.step(m::Started{at(0), std::nullopt, std::nullopt});
    Ms now = 100;
    for (std::size_t n = 1; n <= 3; ++n) {
      const Ms delay = ceilings[n - 1] + (n == 3 ? off : 0);
      m::Effects fx = r.step(m::ConnectionClosed{at(now), m::CloseCause::transport_error},
                             backoff_until(now + delay));
      REQUIRE(backoff_status(fx).has_value());
      now += delay;
      if (n < 3) r.step(m::Tick{at(now)});  // attempt n + 1
      now += 10;
    }
    if (off == 0) {
      CHECK(r.verdict() == "none");
    } else {
      CHECK(r.verdict() == "backoff-bounds/backoff-delay");
    }
  }
  // And the reducer's own delays are those numbers.
  Run real(cfg);
  real.step(m::Started{at(0), std::nullopt, std::nullopt});
  Ms now = 100;
  for (const Ms ceiling : ceilings) {
    m::Effects fx = real.step(m::ConnectionClosed{at(now), m::CloseCause::transport_error});
    REQUIRE(backoff_status(fx).has_value());
    CHECK(backoff_status(fx)->next_attempt_at.ms - now == ceiling);
    now += ceiling;
    real.step(m::Tick{at(now)});
    now += 10;
  }
  CHECK(real.verdict() == "none");
}

TEST_CASE("reference: a failed save retried before its backoff is guarantee 10", "[reference]") {
  Run r;  // aviso: checkpoint_retry_ms_min 1 s
  streaming(r, 1);
  r.step(m::DeliveryAcked{at(10), 1, m::Cursor::at_sequence(1)});  // saves 1
  r.step(m::CheckpointSaveFailed{at(20), 1},
         append(m::SaveCheckpoint{1, m::Cursor::at_sequence(1)}));
  CHECK(r.verdict() == "rate/save-retry");
  // The real reducer: retried after 1 s, then after 2 s; a success resets the count.
  Run real;
  streaming(real, 2);
  real.step(m::DeliveryAcked{at(10), 1, m::Cursor::at_sequence(1)});
  real.step(m::CheckpointSaveFailed{at(20), 1});
  CHECK(m::next_deadline(real.state) == at(1020));
  real.step(m::Tick{at(1020)});
  real.step(m::CheckpointSaveFailed{at(1030), 1});
  CHECK(m::next_deadline(real.state) == at(3030));
  real.step(m::Tick{at(3030)});
  real.step(m::CheckpointSaved{at(3040), 1});
  real.step(m::DeliveryAcked{at(3050), 2, m::Cursor::at_sequence(2)});
  real.step(m::CheckpointSaveFailed{at(3060), 2});
  CHECK(m::next_deadline(real.state) == at(4060));  // 1 s again, not 4
  real.step(m::Tick{at(4060)});
  // The final flush may save during a save backoff.
  real.step(m::CheckpointSaveFailed{at(4070), 2});
  real.step(m::StopRequested{at(4080)});
  CHECK(real.verdict() == "none");
}

namespace {
// aviso with an auth provider, a token expiring at 200 s: the proactive
// refresh is due at 140 s (refresh_ahead_ms 60 s), and asked (request 1).
Run refreshing() {
  m::SessionConfig cfg = make_config("aviso", {}).value();
  cfg.auth.has_provider = true;
  Run r(cfg);
  r.step(m::Started{at(0), std::nullopt, at(200000)});
  r.step(m::ConnectionOpened{at(1)});
  for (const Ms t : {2, 60000, 120000})
    r.step(m::BytesReceived{at(t)});  // within the heartbeat budget
  REQUIRE(m::next_deadline(r.state) == at(140000));
  r.step(m::Tick{at(140000)});
  REQUIRE(!r.last.empty());
  REQUIRE(std::holds_alternative<m::RefreshAuth>(r.last[0]));
  return r;
}
}  // namespace

TEST_CASE("reference: a refresh while one is out, or after a failed one, is guarantee 10",
          "[reference]") {
  Run r = refreshing();
  CHECK(r.verdict() == "none");
  Run twice = refreshing();
  r.step(m::Tick{at(140500)}, append(m::RefreshAuth{m::RefreshCause::expiring, 2}));
  CHECK(r.verdict() == "rate/refresh-pacing");
  twice.step(m::AuthRefreshFailed{at(141000), 1},
             append(m::RefreshAuth{m::RefreshCause::expiring, 2}));
  CHECK(twice.verdict() == "rate/refresh-pacing");
}

TEST_CASE("reference: an attempt left open, or one without a backoff, is guarantee 10",
          "[reference]") {
  Run open;
  open.step(m::Started{at(0), std::nullopt, std::nullopt});
  open.step(m::Tick{at(10000)}, drop<m::CloseConnection>());  // the connect timeout
  CHECK(open.verdict() == "rate/connect-overlap");
  Run eager;
  eager.step(m::Started{at(0), std::nullopt, std::nullopt});
  eager.step(m::ConnectionClosed{at(50), m::CloseCause::transport_error},
             [](m::State&, m::Effects& fx) {
               fx = m::Effects{};
               fx.push_back(m::Connect{2, m::ResumeFrom::server_default, {}});
             });
  CHECK(eager.verdict() == "rate/connect-without-reason");
}

TEST_CASE("reference: an attempt without a retry-budget token is guarantee 10", "[reference]") {
  m::SessionConfig cfg = make_config("aviso", {}).value();
  cfg.budget.tokens_max = 1;
  cfg.budget.refill_ms_per_token = 10000;
  cfg.backoff.jitter = m::JitterKind::none;
  // The real reducer: failure 2 waits for the token (it spent the only one on attempt 2).
  Run real(cfg);
  real.step(m::Started{at(0), std::nullopt, std::nullopt});
  real.step(m::ConnectionClosed{at(50), m::CloseCause::transport_error});  // 250 ms
  real.step(m::Tick{at(300)});
  m::Effects fx = real.step(m::ConnectionClosed{at(350), m::CloseCause::transport_error});
  REQUIRE(backoff_status(fx).has_value());
  const Ms until = backoff_status(fx)->next_attempt_at.ms;
  CHECK(until >= 10300);
  real.step(m::Tick{at(until)});
  CHECK(real.verdict() == "none");
  // One that backs off as if it had a token (within the widened bound) and
  // attempts at 850: 550 ms of refill, not 10,000.
  Run r(cfg);
  r.step(m::Started{at(0), std::nullopt, std::nullopt});
  r.step(m::ConnectionClosed{at(50), m::CloseCause::transport_error});
  m::Connect retry = std::get<m::Connect>(r.step(m::Tick{at(300)})[0]);
  r.step(m::ConnectionClosed{at(350), m::CloseCause::transport_error}, backoff_until(850));
  CHECK(r.verdict() == "none");
  retry.attempt = 3;
  r.step(m::Tick{at(850)}, [retry](m::State&, m::Effects& effects) {
    effects = m::Effects{};
    effects.push_back(retry);
  });
  CHECK(r.verdict() == "rate/retry-budget");
  // Under a budget a backoff may wait for its token: at most one refill past
  // the jitter range (failure 2: 500 ms, no jitter; 10,000 ms of refill).
  for (const Ms delay : {Ms{10500}, Ms{10501}}) {
    INFO("failure 2 waits " << delay << " ms");
    Run bounded(cfg);
    bounded.step(m::Started{at(0), std::nullopt, std::nullopt});
    bounded.step(m::ConnectionClosed{at(50), m::CloseCause::transport_error});
    bounded.step(m::Tick{at(300)});
    bounded.step(m::ConnectionClosed{at(350), m::CloseCause::transport_error},
                 backoff_until(350 + delay));
    CHECK(bounded.verdict() == (delay <= 10500 ? "none" : "backoff-bounds/backoff-delay"));
  }
}

TEST_CASE("reference: backing off at the attempts limit, or giving up before it, is guarantee 7",
          "[reference]") {
  m::SessionConfig cfg = make_config("aviso", {}).value();
  cfg.give_up.attempts_max = 2;
  const auto two_failures = [](Run& r, const Run::Edit& edit) {
    r.step(m::Started{at(0), std::nullopt, std::nullopt});
    m::Effects fx = r.step(m::ConnectionClosed{at(50), m::CloseCause::transport_error});
    r.step(m::Tick{at(backoff_status(fx)->next_attempt_at.ms)});
    r.step(m::ConnectionClosed{at(10000), m::CloseCause::transport_error}, edit);
  };
  Run real(cfg);
  two_failures(real, {});
  CHECK(std::holds_alternative<m::GaveUp>(real.state.phase));
  CHECK(real.verdict() == "none");
  Run late(cfg);
  two_failures(late, [](m::State& s, m::Effects& fx) {
    const m::Status st{m::StatusKind::backing_off, m::Reason::transport_error, 2, at(10500), 0};
    s.phase = m::BackingOff{2, at(10500), m::Reason::transport_error, 0};
    s.status = st;
    fx = m::Effects{};
    fx.push_back(m::ReportStatus{st});
  });
  CHECK(late.verdict() == "liveness/give-up");
  cfg.give_up.attempts_max = 3;
  Run early(cfg);
  two_failures(early, [](m::State& s, m::Effects& fx) {
    const m::Status st{m::StatusKind::gave_up, m::Reason::attempts_exhausted, 2, {}, 0};
    s.phase = m::GaveUp{m::Reason::attempts_exhausted, 2};
    s.status = st;
    fx = m::Effects{};
    fx.push_back(m::ReportStatus{st});
  });
  CHECK(early.verdict() == "liveness/give-up");
}

TEST_CASE("reference: giving up on the outage before outage_ms_max is guarantee 7", "[reference]") {
  m::SessionConfig cfg = make_config("aviso", {}).value();
  cfg.give_up.outage_ms_max = 1000;
  cfg.backoff.delay_ms_initial = 2000;  // full jitter: failure 1 waits 0..1999 ms
  for (const Ms until : {Ms{999}, Ms{1000}}) {
    INFO("backoff until " << until);
    Run r(cfg);
    r.step(m::Started{at(0), std::nullopt, std::nullopt});
    r.step(m::ConnectionClosed{at(50), m::CloseCause::transport_error}, backoff_until(until));
    if (until == 1000) {
      r.step(m::Tick{at(until)});  // the real reducer gives up: the limit is reached
      CHECK(std::holds_alternative<m::GaveUp>(r.state.phase));
      CHECK(r.verdict() == "none");
    } else {
      r.step(m::Tick{at(until)}, [](m::State& s, m::Effects& fx) {  // gives up a millisecond early
        const m::Status st{m::StatusKind::gave_up, m::Reason::outage_too_long, 1, {}, 0};
        s.phase = m::GaveUp{m::Reason::outage_too_long, 1};
        s.status = st;
        fx = m::Effects{};
        fx.push_back(m::ReportStatus{st});
      });
      CHECK(r.verdict() == "liveness/give-up");
    }
  }
}

TEST_CASE(
    "reference: a cursor-too-old resync that does not resume from the policy's place is guarantee "
    "1",
    "[reference]") {
  for (const auto& [policy, from] :
       {std::pair{m::TooOldPolicy::resync_from_oldest, m::ResumeFrom::oldest},
        std::pair{m::TooOldPolicy::resume_from_live, m::ResumeFrom::live}}) {
    m::SessionConfig cfg = make_config("aviso", {}).value();
    cfg.resume.too_old = policy;
    for (const m::ResumeFrom asked :
         {m::ResumeFrom::oldest, m::ResumeFrom::live, m::ResumeFrom::cursor}) {
      INFO("policy " << static_cast<int>(policy) << ", resumed from " << m::name_of(asked));
      Run r(cfg);
      r.step(m::Started{at(0), m::Cursor::at_sequence(5), std::nullopt});
      m::Effects fx = r.step(m::ServerRejected{at(50), 410, std::nullopt});
      REQUIRE(backoff_status(fx).has_value());
      const m::Instant until = backoff_status(fx)->next_attempt_at;
      r.step(m::Tick{until}, [asked](m::State&, m::Effects& effects) {
        each(effects, [asked](m::Effect& x) {
          if (auto* c = std::get_if<m::Connect>(&x)) c->from = asked;
        });
      });
      if (asked == from) {
        CHECK(r.verdict() == "none");
      } else {
        CHECK(r.verdict() == "no-silent-gap/resume");
      }
    }
  }
}

TEST_CASE(
    "reference: a cursor-too-old gap that does not start at the first event not delivered is "
    "guarantee 1",
    "[reference]") {
  m::SessionConfig cfg = make_config("aviso", {}).value();
  cfg.resume.too_old = m::TooOldPolicy::resync_from_oldest;
  for (const std::uint64_t from : {std::uint64_t{5}, std::uint64_t{6}, std::uint64_t{7}}) {
    INFO("gap from " << from);
    Run r(cfg);
    r.step(m::Started{at(0), m::Cursor::at_sequence(5), std::nullopt});
    r.step(m::ServerRejected{at(50), 410, std::nullopt}, [from](m::State&, m::Effects& fx) {
      each(fx, [from](m::Effect& x) {
        if (auto* g = std::get_if<m::ReportGap>(&x)) g->from_sequence = from;
      });
    });
    if (from == 6) {
      CHECK(r.verdict() == "none");
    } else {
      CHECK(r.verdict() == "no-silent-gap/gap");
    }
  }
}

TEST_CASE("reference: effects after the end, and a Connect in the stopping step, are guarantee 6",
          "[reference]") {
  Run r;
  streaming(r, 1);
  r.step(m::StopRequested{at(10)},
         append(m::Connect{1, m::ResumeFrom::cursor, m::Cursor::at_sequence(1)}));
  CHECK(r.verdict() == "stop/after-end");
  Run after;
  streaming(after, 1);
  after.step(m::StopRequested{at(10)});
  after.step(frame(11, 2), [](m::State& s, m::Effects& fx) {
    fx = m::Effects{};
    fx.push_back(m::Deliver{++s.progress.delivered_id, 2, 2});
  });
  CHECK(after.verdict() == "stop/after-end");
}

TEST_CASE("reference: a heartbeat close within the budget, or none past it, is guarantee 8",
          "[reference]") {
  Run early;
  streaming(early, 1);
  const Ms budget = early.cfg.heartbeat->budget_ms();
  // A Tick before the budget: the real reducer closes nothing; one that
  // closes and backs off as for a heartbeat timeout is caught.
  early.step(m::Tick{at(2 + budget - 1)}, [budget](m::State& s, m::Effects& fx) {
    const m::Status st{m::StatusKind::backing_off, m::Reason::heartbeat_timeout, 1,
                       at(2 + budget + 5000), 0};
    s.phase = m::BackingOff{1, st.next_attempt_at, m::Reason::heartbeat_timeout, 0};
    s.status = st;
    fx.push_back(m::CloseConnection{});
    fx.push_back(m::ReportStatus{st});
  });
  CHECK(early.verdict() == "half-open/heartbeat");
  Run late;
  streaming(late, 1);
  late.step(m::Tick{at(2 + budget)}, [budget](m::State& s, m::Effects& fx) {
    // no heartbeat detection: nothing happens, the stream stays open
    s.phase = m::Streaming{0, at(1), at(2 + budget), true};
    fx = m::Effects{};
  });
  CHECK(late.verdict() == "half-open/heartbeat");
  Run bytes;  // bytes close nothing
  streaming(bytes, 1);
  bytes.step(m::BytesReceived{at(50)}, append(m::CloseConnection{}));
  CHECK(bytes.verdict() == "half-open/heartbeat");
}

TEST_CASE("reference: an early Tick that acts is guarantee 10", "[reference]") {
  Run r;
  streaming(r, 1);
  REQUIRE(m::next_deadline(r.state) > at(100));
  r.step(m::Tick{at(100)},
         [](m::State& s, m::Effects& fx) { fx.push_back(m::ReportStatus{s.status}); });
  CHECK(r.verdict() == "rate/tick");
}
