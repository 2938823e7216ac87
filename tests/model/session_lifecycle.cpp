// The application's lifecycle inside the session: pause and resume
// (PauseRequested, ResumeRequested) and the reconnects it asks for
// (ReconnectRequested: network changed, restart). Virtual time throughout.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <tether/model/presets.hpp>

#include "../support/harness.hpp"

using namespace tether::test;

namespace {

std::size_t count_connects(const Effects& fx) {
  std::size_t n = 0;
  for (const Effect& e : fx) n += std::holds_alternative<Connect>(e) ? 1U : 0U;
  return n;
}

// Streaming at `t` with deliveries 1..n (sequence i, id "e<i>") taken.
void stream_with(Harness& h, std::int64_t t, std::uint64_t n) {
  h.stream_at(t);
  for (std::uint64_t i = 1; i <= n; ++i)
    h.feed(FrameReceived{at(t + static_cast<std::int64_t>(i)), i,
                         *Token::make("e" + std::to_string(i)), std::nullopt, i});
}

}  // namespace

TEST_CASE("pause closes the stream, flushes and reports paused, and no Connect however long",
          "[session][lifecycle]") {
  SessionConfig c = exact_config();
  c.resume.commit = CommitPolicy::on_next_delivery;
  c.resume.checkpoint_every_events = 100;  // batching would keep these back
  Harness h(c);
  stream_with(h, 0, 3);
  h.feed(PauseRequested{at(10)});
  REQUIRE(h.in<Paused>());
  REQUIRE(h.last().size() == 3);
  CHECK(std::holds_alternative<CloseConnection>(h.last()[0]));
  const auto save = h.one<SaveCheckpoint>();
  REQUIRE(save);
  CHECK(save->delivery_id == 2);  // on_next_delivery: the third is not proven handled
  const auto st = h.one<ReportStatus>();
  REQUIRE(st);
  CHECK(st->status.kind == StatusKind::paused);
  CHECK(st->status.reason == Reason::pause_requested);
  h.feed(CheckpointSaved{at(11), 2});
  CHECK_FALSE(h.deadline().has_value());  // nothing falls due while paused
  for (std::int64_t t : {1000LL, 60'000LL, 3'600'000LL, 86'400'000LL * 30}) {
    h.feed(Tick{at(t)});
    CHECK(h.last().empty());
    h.feed(NetworkRestored{at(t)});
    CHECK(h.last().empty());
    h.feed(ReconnectRequested{at(t), ReconnectWhy::network_changed});
    CHECK(h.last().empty());
    h.feed(PauseRequested{at(t)});  // already paused
    CHECK(h.last().empty());
    CHECK(h.in<Paused>());
  }
  // A frame of the closed connection is released, not delivered.
  h.feed(FrameReceived{at(5), 4, std::nullopt, std::nullopt, 44});
  CHECK(h.one<DiscardFrame>()->reason == DiscardReason::not_streaming);
}

TEST_CASE("resume reconnects at once from the cursor", "[session][lifecycle]") {
  Harness h(exact_config());
  stream_with(h, 0, 3);
  h.feed(PauseRequested{at(10)});
  h.feed(ResumeRequested{at(50'000)});
  const auto connect = h.one<Connect>();
  REQUIRE(connect);
  CHECK(connect->from == ResumeFrom::cursor);
  CHECK(connect->cursor == Cursor::at_token(*Token::make("e3"), 3));
  CHECK(connect->attempt == 1);  // a healthy stream paused: no failure counted
  CHECK(h.in<Connecting>());
  h.feed(ResumeRequested{at(50'001)});  // not paused: ignored
  CHECK(h.last().empty());
}

TEST_CASE("a pause flushes at once, but after the save in flight", "[session][lifecycle]") {
  SessionConfig c = exact_config();
  c.resume.commit = CommitPolicy::on_ack;
  c.resume.checkpoint_every_events = 1;
  Harness h(c);
  stream_with(h, 0, 3);
  h.feed(DeliveryAcked{at(5), 1, Cursor::at_sequence(1)});
  REQUIRE(h.one<SaveCheckpoint>()->delivery_id == 1);  // in flight
  h.feed(DeliveryAcked{at(6), 2, Cursor::at_sequence(2)});
  CHECK_FALSE(h.has<SaveCheckpoint>());  // waits for the one in flight
  h.feed(PauseRequested{at(7)});
  CHECK_FALSE(h.has<SaveCheckpoint>());  // one save in flight at a time, even now
  h.feed(CheckpointSaved{at(8), 1});
  REQUIRE(h.one<SaveCheckpoint>());
  CHECK(h.one<SaveCheckpoint>()->delivery_id == 2);  // the flush, at its completion
  h.feed(CheckpointSaved{at(9), 2});
  // An ack while paused is saved at once: no batching while paused.
  c.resume.checkpoint_every_events = 100;
  Harness b(c);
  stream_with(b, 0, 3);
  b.feed(PauseRequested{at(7)});
  CHECK_FALSE(b.has<SaveCheckpoint>());  // nothing acked yet
  b.feed(DeliveryAcked{at(8), 3, Cursor::at_sequence(3)});
  REQUIRE(b.one<SaveCheckpoint>());
  CHECK(b.one<SaveCheckpoint>()->delivery_id == 3);
}

TEST_CASE("the time paused does not count toward outage_ms_max", "[session][lifecycle]") {
  SessionConfig c = exact_config();
  c.give_up.outage_ms_max = 10'000;
  Harness h(c);
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  h.feed(ConnectionClosed{at(4000), CloseCause::transport_error});  // failure 1, until 5000
  REQUIRE(h.in<BackingOff>());
  h.feed(PauseRequested{at(4500)});
  REQUIRE(h.in<Paused>());
  CHECK(h.phase<Paused>().failures == 1);
  SECTION("an hour paused: 4.5 s of outage so far") {
    h.feed(ResumeRequested{at(3'604'500)});
    REQUIRE(h.one<Connect>());
    CHECK(h.one<Connect>()->attempt == 2);
    // 4.5 s before the pause + 5.4 s after it: 9.9 s, under the limit.
    h.feed(ConnectionClosed{at(3'609'900), CloseCause::transport_error});
    CHECK(h.in<BackingOff>());
    // 10 s of outage in all: the backoff's end gives up.
    h.feed(Tick{at(h.phase<BackingOff>().until.ms)});
    CHECK(h.phase<GaveUp>().reason == Reason::outage_too_long);
  }
  SECTION("the outage before the pause and after the resume add up") {
    h.feed(ResumeRequested{at(3'610'000)});                                // 4.5 s + 0
    h.feed(ConnectionClosed{at(3'615'500), CloseCause::transport_error});  // + 5.5 s
    CHECK(h.phase<GaveUp>().reason == Reason::outage_too_long);
  }
}

TEST_CASE("resume waits out the backoff the pause interrupted", "[session][lifecycle]") {
  Harness h(exact_config());
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  std::int64_t t = 0;
  for (int i = 0; i < 3; ++i) {  // failures 1, 2, 3: the third backoff is 4 s
    h.feed(ConnectionClosed{at(t), CloseCause::transport_error});
    t = h.phase<BackingOff>().until.ms;
    if (i < 2) h.feed(Tick{at(t)});
  }
  REQUIRE(h.phase<BackingOff>().until == at(t));
  h.feed(PauseRequested{at(t - 3000)});
  SECTION("resumed before its end: backs off until then, as it was") {
    h.feed(ResumeRequested{at(t - 2000)});
    CHECK_FALSE(h.has<Connect>());
    REQUIRE(h.in<BackingOff>());
    CHECK(h.phase<BackingOff>().until == at(t));
    CHECK(h.phase<BackingOff>().failures == 3);
    CHECK(h.phase<BackingOff>().reason == Reason::transport_error);
    h.feed(Tick{at(t)});
    CHECK(h.one<Connect>()->attempt == 4);
  }
  SECTION("resumed after its end: at once") {
    h.feed(ResumeRequested{at(t + 1)});
    CHECK(h.one<Connect>()->attempt == 4);
  }
}

TEST_CASE("pause and resume toggled 1,000 times cannot shorten the backoff or pass give-up",
          "[session][lifecycle]") {
  SECTION("attempts_max: at most that many attempts, then GaveUp") {
    SessionConfig c = exact_config();
    c.give_up.attempts_max = 5;
    Harness h(c);
    h.feed(Started{at(0), std::nullopt, std::nullopt});
    std::size_t connects = 1;
    std::int64_t t = 0;
    for (int i = 0; i < 1000 && !is_terminal(h.state()); ++i) {
      t += 1;
      if (h.in<Connecting>()) h.feed(ConnectionClosed{at(t), CloseCause::transport_error});
      h.feed(PauseRequested{at(t)});
      h.feed(ResumeRequested{at(t)});
      connects += count_connects(h.last());
      if (h.in<BackingOff>()) {
        t = h.phase<BackingOff>().until.ms;  // only the backoff's end connects
        h.feed(Tick{at(t)});
        connects += count_connects(h.last());
      }
    }
    CHECK(connects == 5);
    CHECK(h.phase<GaveUp>().reason == Reason::attempts_exhausted);
  }
  SECTION("no attempt before its backoff ends, however often toggled") {
    Harness h(exact_config());
    h.feed(Started{at(0), std::nullopt, std::nullopt});
    h.feed(ConnectionClosed{at(0), CloseCause::transport_error});  // until 1000
    std::int64_t t = 0;
    std::size_t connects = 0;
    std::int64_t last_connect = 0;
    std::int64_t gap_min = INT64_MAX;
    for (int i = 0; i < 1000; ++i) {
      t += 10;
      h.feed(PauseRequested{at(t)});
      h.feed(ResumeRequested{at(t)});
      const std::size_t n = count_connects(h.last());
      if (h.deadline() && *h.deadline() <= at(t)) h.feed(Tick{at(t)});
      if (n + count_connects(h.last()) > 0) {
        ++connects;
        gap_min = std::min(gap_min, t - last_connect);
        last_connect = t;
        h.feed(ConnectionClosed{at(t), CloseCause::transport_error});
      }
    }
    // 10 s of toggling against the policy's 1, 2, 4, 8 s: attempts at 1, 3
    // and 7 s, the next due at 15 s (resuming at once would be 1,000 attempts).
    CHECK(connects == 3);
    CHECK(gap_min >= 1000);
  }
  SECTION("a retry budget: no more attempts after failures than its tokens") {
    SessionConfig c = exact_config();
    c.backoff.delay_ms_initial = 1;
    c.backoff.delay_ms_max = 1;
    c.budget.tokens_max = 3;
    c.budget.refill_ms_per_token = 60'000;
    Harness h(c);
    h.feed(Started{at(0), std::nullopt, std::nullopt});
    std::size_t connects = 0;
    for (std::int64_t t = 1; t <= 1000; ++t) {
      if (h.in<Connecting>()) h.feed(ConnectionClosed{at(t), CloseCause::transport_error});
      if (h.deadline() && *h.deadline() <= at(t)) {
        h.feed(Tick{at(t)});
        connects += count_connects(h.last());
      }
      h.feed(PauseRequested{at(t)});
      h.feed(ResumeRequested{at(t)});
      connects += count_connects(h.last());
    }
    CHECK(connects == 3);  // one second of toggling: the three tokens, no refill yet
  }
}

TEST_CASE("a reconnect drops the connection without counting a failure", "[session][lifecycle]") {
  SessionConfig c = exact_config();
  c.backoff.restored_delay_ms_max = 500;
  Harness h(c);
  stream_with(h, 0, 2);
  h.feed(ReconnectRequested{at(10'000), ReconnectWhy::network_changed});
  REQUIRE_FALSE(h.last().empty());
  CHECK(std::holds_alternative<CloseConnection>(h.last()[0]));
  const auto st = h.all<ReportStatus>().front().status;
  CHECK(st.kind == StatusKind::backing_off);
  CHECK(st.reason == Reason::network_changed);
  CHECK(st.failures == 0);
  if (h.in<BackingOff>()) h.feed(Tick{at(h.phase<BackingOff>().until.ms)});
  const auto connect = h.one<Connect>();
  REQUIRE(connect);
  CHECK(connect->attempt == 1);
  CHECK(connect->cursor == Cursor::at_token(*Token::make("e2"), 2));
  SECTION("restart names itself") {
    h.feed(ReconnectRequested{at(20'000), ReconnectWhy::restart});
    CHECK(std::holds_alternative<CloseConnection>(h.last()[0]));
    CHECK(h.all<ReportStatus>().front().status.reason == Reason::restart_requested);
    CHECK(h.all<ReportStatus>().front().status.failures == 0);  // an attempt, not a failure
  }
}

TEST_CASE("a reconnect's delay lies within [0, restored_delay_ms_max] over many seeds",
          "[session][lifecycle]") {
  SessionConfig c = presets::aviso();
  c.backoff.restored_delay_ms_max = 2000;
  std::int64_t lo = INT64_MAX;
  std::int64_t hi = 0;
  for (std::uint64_t seed = 1; seed <= 2000; ++seed) {
    c.seed = seed;
    Harness h(c);
    stream_with(h, 0, 1);
    const std::int64_t t = 100'000;
    h.feed(ReconnectRequested{at(t),
                              seed % 2 ? ReconnectWhy::restart : ReconnectWhy::network_changed});
    const auto st = h.all<ReportStatus>().front().status;
    REQUIRE(st.kind == StatusKind::backing_off);
    const std::int64_t delay = st.next_attempt_at.ms - t;
    REQUIRE(delay >= 0);
    REQUIRE(delay <= 2000);
    lo = std::min(lo, delay);
    hi = std::max(hi, delay);
    CHECK(h.has<Connect>() == (delay == 0));  // due at once: in the same step
  }
  CHECK(lo < 100);  // spread over the whole range, not in lockstep
  CHECK(hi > 1900);
  SECTION("0 means at once") {
    c.backoff.restored_delay_ms_max = 0;
    Harness h(c);
    stream_with(h, 0, 1);
    h.feed(ReconnectRequested{at(5000), ReconnectWhy::restart});
    CHECK(h.one<Connect>());
    CHECK(h.in<Connecting>());
  }
}

TEST_CASE("a reconnect while connecting keeps the count, and give-up and budget still apply",
          "[session][lifecycle]") {
  SessionConfig c = exact_config();
  c.backoff.restored_delay_ms_max = 0;
  c.give_up.attempts_max = 3;
  c.budget.tokens_max = 1;
  c.budget.refill_ms_per_token = 60'000;
  Harness h(c);
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  h.feed(ConnectionClosed{at(0), CloseCause::transport_error});  // failure 1, until 1000
  h.feed(Tick{at(1000)});                                        // attempt 2, spends the one token
  REQUIRE(h.in<Connecting>());
  h.feed(ReconnectRequested{at(1500), ReconnectWhy::network_changed});
  // The count stays 1; the next attempt waits for a token (a minute's refill).
  REQUIRE(h.in<BackingOff>());
  CHECK(h.phase<BackingOff>().failures == 1);
  CHECK(h.phase<BackingOff>().until == at(61'000));
  CHECK(h.phase<BackingOff>().reason == Reason::network_changed);
  h.feed(Tick{at(61'000)});
  CHECK(h.one<Connect>()->attempt == 2);
}

TEST_CASE("a reconnect in BackingOff wakes it, elsewhere it is ignored", "[session][lifecycle]") {
  SessionConfig c = exact_config();
  c.backoff.restored_delay_ms_max = 0;
  c.auth.has_provider = true;
  Harness h(c);
  h.feed(ReconnectRequested{at(0), ReconnectWhy::restart});  // Idle
  CHECK(h.last().empty());
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  h.feed(ConnectionClosed{at(0), CloseCause::transport_error});
  REQUIRE(h.in<BackingOff>());
  h.feed(ReconnectRequested{at(10), ReconnectWhy::network_changed});
  CHECK(h.one<Connect>()->attempt == 2);  // woken at once, the count kept
  h.feed(ServerRejected{at(20), 401, std::nullopt});
  REQUIRE(h.in<RefreshingAuth>());
  h.feed(ReconnectRequested{at(30), ReconnectWhy::restart});
  CHECK(h.last().empty());  // nothing open; the refresh's answer attempts at once
  h.feed(StopRequested{at(40)});
  h.feed(ReconnectRequested{at(50), ReconnectWhy::restart});
  CHECK(h.last().empty());
}

TEST_CASE("paused while refreshing: the answer is taken, the attempt waits for the resume",
          "[session][lifecycle]") {
  SessionConfig c = exact_config();
  c.auth.has_provider = true;
  Harness h(c);
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  h.feed(ServerRejected{at(10), 401, std::nullopt});
  const std::uint32_t request = h.one<RefreshAuth>()->request;
  h.feed(PauseRequested{at(20)});
  CHECK_FALSE(h.has<CloseConnection>());  // nothing open
  h.feed(AuthRefreshed{at(30), std::nullopt, request});
  CHECK(h.last().empty());
  CHECK(h.state().auth.refresh_out == 0);
  h.feed(ResumeRequested{at(40)});
  CHECK(h.one<Connect>()->attempt == 1);
}

TEST_CASE("paused before Started: it starts paused", "[session][lifecycle]") {
  Harness h(exact_config());
  h.feed(PauseRequested{at(0)});
  REQUIRE(h.in<Paused>());
  CHECK(h.one<ReportStatus>()->status.kind == StatusKind::paused);
  SECTION("Started keeps it paused; resume connects") {
    h.feed(Started{at(5), Cursor::at_sequence(41), std::nullopt});
    CHECK(h.last().empty());
    CHECK(h.in<Paused>());
    h.feed(ResumeRequested{at(100)});
    CHECK(h.one<Connect>()->cursor == Cursor::at_sequence(41));
  }
  SECTION("resumed before Started: Idle again, and Started connects") {
    h.feed(ResumeRequested{at(3)});
    CHECK(h.in<Idle>());
    CHECK_FALSE(h.has<Connect>());
    h.feed(Started{at(5), std::nullopt, std::nullopt});
    CHECK(h.has<Connect>());
  }
}

TEST_CASE("stop works in Paused", "[session][lifecycle]") {
  Harness h(exact_config());
  stream_with(h, 0, 1);
  h.feed(PauseRequested{at(10)});
  h.feed(StopRequested{at(20)});
  CHECK(h.phase<Stopped>().reason == Reason::stop_requested);
  CHECK_FALSE(h.has<CloseConnection>());  // closed at the pause
  h.feed(ResumeRequested{at(30)});
  CHECK(h.last().empty());
  CHECK(h.in<Stopped>());
}
