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
namespace model = tether::model;

namespace {

// The real reducer, judged step by step; `edit` changes a step's effects (and
// the state after it) before the reference sees it: the defect under test.
struct Run {
  explicit Run(model::SessionConfig config)
      : cfg(std::move(config)), state(model::make(cfg).value()), ref(cfg) {}
  Run() : Run(make_config("aviso", {}).value()) {}

  using Edit = std::function<void(model::State&, model::Effects&)>;
  model::SessionConfig cfg;
  model::State state;
  SessionReference ref;
  std::optional<Violation> found;
  model::Effects last;

  const model::Effects& step(const model::Event& e, const Edit& edit = {}) {
    const model::Phase before = state.phase;
    last = model::transition_in_place(state, e);
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

model::Instant at(Ms ms) { return model::Instant{ms}; }
model::FrameReceived frame(Ms now, std::uint64_t seq) {
  return model::FrameReceived{at(now), seq, std::nullopt, std::nullopt, seq};
}
// The backing_off status of `fx`, if any.
std::optional<model::Status> backoff_status(const model::Effects& fx) {
  for (const model::Effect& x : fx)
    if (const auto* r = std::get_if<model::ReportStatus>(&x);
        r != nullptr && r->status.kind == model::StatusKind::backing_off)
      return r->status;
  return std::nullopt;
}
// `fx` with `change` applied to a copy of each effect (effect lists are read-only).
template <class Change>
void each(model::Effects& fx, Change change) {
  model::Effects out;
  for (model::Effect x : fx) {
    change(x);
    out.push_back(x);
  }
  fx = out;
}
// A backoff moved to `until`, in the effect and the state alike.
Run::Edit backoff_until(Ms until) {
  return [until](model::State& s, model::Effects& fx) {
    each(fx, [until](model::Effect& x) {
      if (auto* r = std::get_if<model::ReportStatus>(&x);
          r != nullptr && r->status.kind == model::StatusKind::backing_off)
        r->status.next_attempt_at = at(until);
    });
    if (auto* b = std::get_if<model::BackingOff>(&s.phase)) b->until = at(until);
    s.status.next_attempt_at = at(until);
  };
}
Run::Edit append(model::Effect effect) {
  return [effect](model::State&, model::Effects& fx) { fx.push_back(effect); };
}
template <class E>
Run::Edit drop() {
  return [](model::State&, model::Effects& fx) {
    model::Effects out;
    for (const model::Effect& x : fx)
      if (!std::holds_alternative<E>(x)) out.push_back(x);
    fx = out;
  };
}

// Started at 0 (attempt 1), opened at 1, frames 1..n delivered at 2.. (aviso:
// strict gap detection, commit on ack).
void streaming(Run& r, std::uint64_t frames) {
  r.step(model::Started{at(0), std::nullopt, std::nullopt});
  r.step(model::ConnectionOpened{at(1)});
  for (std::uint64_t s = 1; s <= frames; ++s) r.step(frame(static_cast<Ms>(1 + s), s));
}

}  // namespace

TEST_CASE("reference: the real reducer's steps pass", "[reference]") {
  Run r;
  streaming(r, 3);
  r.step(model::DeliveryAcked{at(10), 2, model::Cursor::at_sequence(2)});
  r.step(model::CheckpointSaved{at(11), 2});
  r.step(model::ConnectionClosed{at(20), model::CloseCause::transport_error});
  r.step(model::StopRequested{at(30)});
  CHECK(r.verdict() == "none");
}

TEST_CASE("reference: a duplicate delivered is guarantee 2", "[reference]") {
  Run r;
  streaming(r, 1);
  r.step(frame(5, 1),
         [](model::State& s, model::Effects& fx) {  // the reducer discards it; deliver it instead
           fx = model::Effects{};
           fx.push_back(model::Deliver{++s.progress.delivered_id, 1, 1});
         });
  CHECK(r.verdict() == "no-duplicate/duplicate");
}

TEST_CASE("reference: a silent gap, or a gap nothing lost, is guarantee 1", "[reference]") {
  Run silent;
  streaming(silent, 1);
  silent.step(frame(5, 3), drop<model::ReportGap>());
  CHECK(silent.verdict() == "no-silent-gap/gap");
  Run told;
  streaming(told, 1);
  told.step(frame(5, 3));  // the reducer reports 2..2, then delivers 3
  CHECK(told.verdict() == "none");
  Run invented;
  streaming(invented, 1);
  invented.step(frame(5, 2), [](model::State&, model::Effects& fx) {
    model::Effects out;
    out.push_back(model::ReportGap{1, 1, model::GapCause::missing});  // 1 was delivered
    for (const model::Effect& x : fx) out.push_back(x);
    fx = out;
  });
  CHECK(invented.verdict() == "no-silent-gap/gap");
}

TEST_CASE("reference: a checkpoint ahead of the ack, or while one is in flight, is guarantee 3",
          "[reference]") {
  Run ahead;
  streaming(ahead, 1);
  ahead.step(frame(5, 2),
             append(model::SaveCheckpoint{1, model::Cursor::at_sequence(1)}));  // not acked
  CHECK(ahead.verdict() == "checkpoint/checkpoint");
  Run queued;
  streaming(queued, 2);
  queued.step(model::DeliveryAcked{at(10), 1, model::Cursor::at_sequence(1)});  // saves 1
  queued.step(model::DeliveryAcked{at(11), 2, model::Cursor::at_sequence(2)},
              append(model::SaveCheckpoint{
                  2, model::Cursor::at_sequence(2)}));  // the reducer waits for save 1
  CHECK(queued.verdict() == "checkpoint/save-in-flight");
}

TEST_CASE("reference: a backoff shorter than the short-session floor is guarantee 4",
          "[reference]") {
  Run real;
  streaming(real, 0);
  real.step(model::ConnectionClosed{at(100), model::CloseCause::unexpected_eof});
  CHECK(real.verdict() == "none");  // aviso: a session of 99 ms waits >= 5 s
  Run r;
  streaming(r, 0);
  r.step(model::ConnectionClosed{at(100), model::CloseCause::unexpected_eof}, backoff_until(300));
  CHECK(r.verdict() == "backoff-bounds/backoff-delay");
}

// Guarantee::backoff_bounds's range is the one jitter rule
// (model::jitter_envelope) exactly, with no slack: for a first failure with an
// odd ceiling (251 ms, so every rounding shows), under every kind, a backoff
// at either end of the range backoff.hpp documents passes and one a
// millisecond outside it is caught. Full jitter never waits the whole ceiling.
TEST_CASE("reference: a backoff a millisecond outside the jitter range is guarantee 4",
          "[reference]") {
  struct Row {
    model::JitterKind kind;
    double fraction;
    Ms lo;  // literal, from the table in backoff.hpp
    Ms hi;
  };
  const Row rows[] = {
      {model::JitterKind::none, 0.0, 251, 251},           {model::JitterKind::full, 0.0, 0, 250},
      {model::JitterKind::equal, 0.0, 125, 251},           // c / 2 rounds down
      {model::JitterKind::proportional, 0.25, 189, 313},   // s = floor(62.75)
      {model::JitterKind::upward, 0.5, 251, 376},          // s = floor(125.5)
      {model::JitterKind::decorrelated, 0.0, 251, 30000},  // whatever the previous delay was
  };
  for (const Row& row : rows) {
    for (const Ms delay : {row.lo - 1, row.lo, row.hi, row.hi + 1}) {
      if (delay < 0) continue;
      INFO("jitter " << model::name_of(row.kind) << ", delay " << delay);
      model::SessionConfig cfg = make_config("aviso", {}).value();
      cfg.backoff.delay_ms_initial = 251;
      cfg.backoff.jitter = row.kind;
      cfg.backoff.jitter_fraction = row.fraction;
      Run r(cfg);
      r.step(model::Started{at(0), std::nullopt, std::nullopt});
      // An attempt that never opened: failure 1, no short-session floor.
      r.step(model::ConnectionClosed{at(100), model::CloseCause::transport_error},
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
// failure 2 502, failure 3 1004; a millisecond either way breaks backoff_bounds.
TEST_CASE("reference: the backoff ceiling grows with the failure count as the table says",
          "[reference]") {
  model::SessionConfig cfg = make_config("aviso", {}).value();
  cfg.backoff.delay_ms_initial = 251;
  cfg.backoff.jitter = model::JitterKind::none;
  const Ms ceilings[] = {251, 502, 1004};
  for (const Ms off : {-1, 0, 1}) {
    INFO("off by " << off);
    Run r(cfg);
    r.step(model::Started{at(0), std::nullopt, std::nullopt});
    Ms now = 100;
    for (std::size_t n = 1; n <= 3; ++n) {
      const Ms delay = ceilings[n - 1] + (n == 3 ? off : 0);
      model::Effects fx =
          r.step(model::ConnectionClosed{at(now), model::CloseCause::transport_error},
                 backoff_until(now + delay));
      REQUIRE(backoff_status(fx).has_value());
      now += delay;
      if (n < 3) r.step(model::Tick{at(now)});  // attempt n + 1
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
  real.step(model::Started{at(0), std::nullopt, std::nullopt});
  Ms now = 100;
  for (const Ms ceiling : ceilings) {
    model::Effects fx =
        real.step(model::ConnectionClosed{at(now), model::CloseCause::transport_error});
    REQUIRE(backoff_status(fx).has_value());
    CHECK(backoff_status(fx)->next_attempt_at.ms - now == ceiling);
    now += ceiling;
    real.step(model::Tick{at(now)});
    now += 10;
  }
  CHECK(real.verdict() == "none");
}

TEST_CASE("reference: a failed save retried before its backoff is guarantee 10", "[reference]") {
  Run r;  // aviso: checkpoint_retry_ms_min 1 s
  streaming(r, 1);
  r.step(model::DeliveryAcked{at(10), 1, model::Cursor::at_sequence(1)});  // saves 1
  r.step(model::CheckpointSaveFailed{at(20), 1},
         append(model::SaveCheckpoint{1, model::Cursor::at_sequence(1)}));
  CHECK(r.verdict() == "rate/save-retry");
  // The real reducer: retried after 1 s, then after 2 s; a success resets the count.
  Run real;
  streaming(real, 2);
  real.step(model::DeliveryAcked{at(10), 1, model::Cursor::at_sequence(1)});
  real.step(model::CheckpointSaveFailed{at(20), 1});
  CHECK(model::next_deadline(real.state) == at(1020));
  real.step(model::Tick{at(1020)});
  real.step(model::CheckpointSaveFailed{at(1030), 1});
  CHECK(model::next_deadline(real.state) == at(3030));
  real.step(model::Tick{at(3030)});
  real.step(model::CheckpointSaved{at(3040), 1});
  real.step(model::DeliveryAcked{at(3050), 2, model::Cursor::at_sequence(2)});
  real.step(model::CheckpointSaveFailed{at(3060), 2});
  CHECK(model::next_deadline(real.state) == at(4060));  // 1 s again, not 4
  real.step(model::Tick{at(4060)});
  // The final flush may save during a save backoff.
  real.step(model::CheckpointSaveFailed{at(4070), 2});
  real.step(model::StopRequested{at(4080)});
  CHECK(real.verdict() == "none");
}

namespace {
// aviso with an auth provider, a token expiring at 200 s: the proactive
// refresh is due at 140 s (refresh_ahead_ms 60 s), and asked (request 1).
Run refreshing() {
  model::SessionConfig cfg = make_config("aviso", {}).value();
  cfg.auth.has_provider = true;
  Run r(cfg);
  r.step(model::Started{at(0), std::nullopt, at(200000)});
  r.step(model::ConnectionOpened{at(1)});
  for (const Ms t : {2, 60000, 120000})
    r.step(model::BytesReceived{at(t)});  // within the heartbeat budget
  REQUIRE(model::next_deadline(r.state) == at(140000));
  r.step(model::Tick{at(140000)});
  REQUIRE(!r.last.empty());
  REQUIRE(std::holds_alternative<model::RefreshAuth>(r.last[0]));
  return r;
}
}  // namespace

TEST_CASE("reference: a refresh while one is out, or after a failed one, is guarantee 10",
          "[reference]") {
  Run r = refreshing();
  CHECK(r.verdict() == "none");
  Run twice = refreshing();
  r.step(model::Tick{at(140500)}, append(model::RefreshAuth{model::RefreshCause::expiring, 2}));
  CHECK(r.verdict() == "rate/refresh-pacing");
  twice.step(model::AuthRefreshFailed{at(141000), 1},
             append(model::RefreshAuth{model::RefreshCause::expiring, 2}));
  CHECK(twice.verdict() == "rate/refresh-pacing");
}

TEST_CASE("reference: an attempt left open, or one without a backoff, is guarantee 10",
          "[reference]") {
  Run open;
  open.step(model::Started{at(0), std::nullopt, std::nullopt});
  open.step(model::Tick{at(10000)}, drop<model::CloseConnection>());  // the connect timeout
  CHECK(open.verdict() == "rate/connect-overlap");
  Run eager;
  eager.step(model::Started{at(0), std::nullopt, std::nullopt});
  eager.step(model::ConnectionClosed{at(50), model::CloseCause::transport_error},
             [](model::State&, model::Effects& fx) {
               fx = model::Effects{};
               fx.push_back(model::Connect{2, model::ResumeFrom::server_default, {}});
             });
  CHECK(eager.verdict() == "rate/connect-without-reason");
}

TEST_CASE("reference: an attempt without a retry-budget token is guarantee 10", "[reference]") {
  model::SessionConfig cfg = make_config("aviso", {}).value();
  cfg.budget.tokens_max = 1;
  cfg.budget.refill_ms_per_token = 10000;
  cfg.backoff.jitter = model::JitterKind::none;
  // The real reducer: failure 2 waits for the token (it spent the only one on attempt 2).
  Run real(cfg);
  real.step(model::Started{at(0), std::nullopt, std::nullopt});
  real.step(model::ConnectionClosed{at(50), model::CloseCause::transport_error});  // 250 ms
  real.step(model::Tick{at(300)});
  model::Effects fx =
      real.step(model::ConnectionClosed{at(350), model::CloseCause::transport_error});
  REQUIRE(backoff_status(fx).has_value());
  const Ms until = backoff_status(fx)->next_attempt_at.ms;
  CHECK(until >= 10300);
  real.step(model::Tick{at(until)});
  CHECK(real.verdict() == "none");
  // One that backs off as if it had a token: attempt 3 at 850, after 500 ms
  // of refill, not 10,000.
  Run r(cfg);
  r.step(model::Started{at(0), std::nullopt, std::nullopt});
  r.step(model::ConnectionClosed{at(50), model::CloseCause::transport_error});
  r.step(model::Tick{at(300)});
  r.step(model::ConnectionClosed{at(350), model::CloseCause::transport_error}, backoff_until(850));
  CHECK(r.verdict() == "rate/retry-budget");
  // The bound is exact: attempt 2 at 300 spent the only token, so at 350 the
  // budget holds 50 ms of refill and failure 2 waits 9,950 ms (more than its
  // 500 ms of backoff), not a millisecond less or more.
  for (const Ms delay : {Ms{9949}, Ms{9950}, Ms{9951}}) {
    INFO("failure 2 waits " << delay << " ms");
    Run bounded(cfg);
    bounded.step(model::Started{at(0), std::nullopt, std::nullopt});
    bounded.step(model::ConnectionClosed{at(50), model::CloseCause::transport_error});
    bounded.step(model::Tick{at(300)});
    bounded.step(model::ConnectionClosed{at(350), model::CloseCause::transport_error},
                 backoff_until(350 + delay));
    const char* expected = delay < 9950   ? "rate/retry-budget"
                           : delay > 9950 ? "backoff-bounds/backoff-delay"
                                          : "none";
    CHECK(bounded.verdict() == expected);
  }
}

TEST_CASE("reference: backing off at the attempts limit, or giving up before it, is guarantee 7",
          "[reference]") {
  model::SessionConfig cfg = make_config("aviso", {}).value();
  cfg.give_up.attempts_max = 2;
  const auto two_failures = [](Run& r, const Run::Edit& edit) {
    r.step(model::Started{at(0), std::nullopt, std::nullopt});
    model::Effects fx = r.step(model::ConnectionClosed{at(50), model::CloseCause::transport_error});
    r.step(model::Tick{at(backoff_status(fx)->next_attempt_at.ms)});
    r.step(model::ConnectionClosed{at(10000), model::CloseCause::transport_error}, edit);
  };
  Run real(cfg);
  two_failures(real, {});
  CHECK(std::holds_alternative<model::GaveUp>(real.state.phase));
  CHECK(real.verdict() == "none");
  Run late(cfg);
  two_failures(late, [](model::State& s, model::Effects& fx) {
    const model::Status st{model::StatusKind::backing_off, model::Reason::transport_error, 2,
                           at(10500), 0};
    s.phase = model::BackingOff{2, at(10500), model::Reason::transport_error, 0};
    s.status = st;
    fx = model::Effects{};
    fx.push_back(model::ReportStatus{st});
  });
  CHECK(late.verdict() == "liveness/give-up");
  cfg.give_up.attempts_max = 3;
  Run early(cfg);
  two_failures(early, [](model::State& s, model::Effects& fx) {
    const model::Status st{model::StatusKind::gave_up, model::Reason::attempts_exhausted, 2, {}, 0};
    s.phase = model::GaveUp{model::Reason::attempts_exhausted, 2};
    s.status = st;
    fx = model::Effects{};
    fx.push_back(model::ReportStatus{st});
  });
  CHECK(early.verdict() == "liveness/give-up");
}

TEST_CASE("reference: giving up on the outage before outage_ms_max is guarantee 7", "[reference]") {
  model::SessionConfig cfg = make_config("aviso", {}).value();
  cfg.give_up.outage_ms_max = 1000;
  cfg.backoff.delay_ms_initial = 2000;  // full jitter: failure 1 waits 0..1999 ms
  for (const Ms until : {Ms{999}, Ms{1000}}) {
    INFO("backoff until " << until);
    Run r(cfg);
    r.step(model::Started{at(0), std::nullopt, std::nullopt});
    r.step(model::ConnectionClosed{at(50), model::CloseCause::transport_error},
           backoff_until(until));
    if (until == 1000) {
      r.step(model::Tick{at(until)});  // the real reducer gives up: the limit is reached
      CHECK(std::holds_alternative<model::GaveUp>(r.state.phase));
      CHECK(r.verdict() == "none");
    } else {
      r.step(model::Tick{at(until)},
             [](model::State& s, model::Effects& fx) {  // gives up a millisecond early
               const model::Status st{
                   model::StatusKind::gave_up, model::Reason::outage_too_long, 1, {}, 0};
               s.phase = model::GaveUp{model::Reason::outage_too_long, 1};
               s.status = st;
               fx = model::Effects{};
               fx.push_back(model::ReportStatus{st});
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
       {std::pair{model::TooOldPolicy::resync_from_oldest, model::ResumeFrom::oldest},
        std::pair{model::TooOldPolicy::resume_from_live, model::ResumeFrom::live}}) {
    model::SessionConfig cfg = make_config("aviso", {}).value();
    cfg.resume.too_old = policy;
    for (const model::ResumeFrom asked :
         {model::ResumeFrom::oldest, model::ResumeFrom::live, model::ResumeFrom::cursor}) {
      INFO("policy " << static_cast<int>(policy) << ", resumed from " << model::name_of(asked));
      Run r(cfg);
      r.step(model::Started{at(0), model::Cursor::at_sequence(5), std::nullopt});
      model::Effects fx = r.step(model::ServerRejected{at(50), 410, std::nullopt});
      REQUIRE(backoff_status(fx).has_value());
      const model::Instant until = backoff_status(fx)->next_attempt_at;
      r.step(model::Tick{until}, [asked](model::State&, model::Effects& effects) {
        each(effects, [asked](model::Effect& x) {
          if (auto* c = std::get_if<model::Connect>(&x)) c->from = asked;
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
  model::SessionConfig cfg = make_config("aviso", {}).value();
  cfg.resume.too_old = model::TooOldPolicy::resync_from_oldest;
  for (const std::uint64_t from : {std::uint64_t{5}, std::uint64_t{6}, std::uint64_t{7}}) {
    INFO("gap from " << from);
    Run r(cfg);
    r.step(model::Started{at(0), model::Cursor::at_sequence(5), std::nullopt});
    r.step(model::ServerRejected{at(50), 410, std::nullopt},
           [from](model::State&, model::Effects& fx) {
             each(fx, [from](model::Effect& x) {
               if (auto* g = std::get_if<model::ReportGap>(&x)) g->from_sequence = from;
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
  r.step(model::StopRequested{at(10)},
         append(model::Connect{1, model::ResumeFrom::cursor, model::Cursor::at_sequence(1)}));
  CHECK(r.verdict() == "stop/after-end");
  Run after;
  streaming(after, 1);
  after.step(model::StopRequested{at(10)});
  after.step(frame(11, 2), [](model::State& s, model::Effects& fx) {
    fx = model::Effects{};
    fx.push_back(model::Deliver{++s.progress.delivered_id, 2, 2});
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
  early.step(model::Tick{at(2 + budget - 1)}, [budget](model::State& s, model::Effects& fx) {
    const model::Status st{model::StatusKind::backing_off, model::Reason::heartbeat_timeout, 1,
                           at(2 + budget + 5000), 0};
    s.phase = model::BackingOff{1, st.next_attempt_at, model::Reason::heartbeat_timeout, 0};
    s.status = st;
    fx.push_back(model::CloseConnection{});
    fx.push_back(model::ReportStatus{st});
  });
  CHECK(early.verdict() == "half-open/heartbeat");
  Run late;
  streaming(late, 1);
  late.step(model::Tick{at(2 + budget)}, [budget](model::State& s, model::Effects& fx) {
    // no heartbeat detection: nothing happens, the stream stays open
    s.phase = model::Streaming{0, at(1), at(2 + budget), true};
    fx = model::Effects{};
  });
  CHECK(late.verdict() == "half-open/heartbeat");
  Run bytes;  // bytes close nothing
  streaming(bytes, 1);
  bytes.step(model::BytesReceived{at(50)}, append(model::CloseConnection{}));
  CHECK(bytes.verdict() == "half-open/heartbeat");
}

TEST_CASE("reference: an early Tick that acts is guarantee 10", "[reference]") {
  Run r;
  streaming(r, 1);
  REQUIRE(model::next_deadline(r.state) > at(100));
  r.step(model::Tick{at(100)},
         [](model::State& s, model::Effects& fx) { fx.push_back(model::ReportStatus{s.status}); });
  CHECK(r.verdict() == "rate/tick");
}
