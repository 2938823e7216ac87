// Resume: cursor kinds and precedence, replay-only, commit policies, batched and
// monotonic checkpoints, flush on stop, dedupe, gaps, cursor too old.
#include <catch2/catch.hpp>

#include "../support/harness.hpp"

using namespace tether::test;

namespace {
Token tok(std::string_view s) { return *Token::make(s); }
}  // namespace

TEST_CASE("cursor precedence: delivered > checkpoint > configured start", "[session][resume]") {
  SessionConfig c = exact_config();
  c.resume.start = Cursor::at_sequence(5);
  SECTION("configured start") {
    Harness h(c);
    h.feed(Started{at(0), std::nullopt, std::nullopt});
    CHECK(h.one<Connect>()->from == ResumeFrom::cursor);
    CHECK(h.one<Connect>()->cursor == Cursor::at_sequence(5));
  }
  SECTION("checkpoint beats the configured start") {
    Harness h(c);
    h.feed(Started{at(0), Cursor::at_sequence(40), std::nullopt});
    CHECK(h.one<Connect>()->cursor == Cursor::at_sequence(40));
  }
  SECTION("last delivered beats both, so a reconnect never asks again") {
    Harness h(c);
    h.stream_at(0, Cursor::at_sequence(40));
    h.frame(1, 41);
    h.frame(2, 42);
    h.feed(ConnectionClosed{at(3), CloseCause::unexpected_eof});
    h.feed(Tick{h.phase<BackingOff>().until});
    CHECK(h.one<Connect>()->cursor == Cursor::at_sequence(42));
  }
}

TEST_CASE("start time is bootstrap only", "[session][resume]") {
  SessionConfig c = exact_config();
  c.resume.start = Cursor::at_start_time(1700000000000);
  Harness h(c);
  h.feed(Started{at(0), std::nullopt, std::nullopt});
  CHECK(h.one<Connect>()->cursor.kind == CursorKind::start_time);
  h.feed(ConnectionOpened{at(1)});
  h.feed(FrameReceived{at(2), 7, tok("rev-7"), std::nullopt, 1});
  h.feed(ConnectionClosed{at(3), CloseCause::unexpected_eof});
  h.feed(Tick{h.phase<BackingOff>().until});
  const auto connect = h.one<Connect>();
  REQUIRE(connect);
  CHECK(connect->cursor.kind == CursorKind::token);
  CHECK(connect->cursor.token.view() == "rev-7");
  CHECK(connect->cursor.sequence == 7);
}

TEST_CASE("opaque ids resume by token", "[session][resume]") {
  Harness h(exact_config());
  h.stream_at(0);
  h.feed(FrameReceived{at(1), std::nullopt, tok("a1"), std::nullopt, 1});
  h.feed(FrameReceived{at(2), std::nullopt, tok("b2"), std::nullopt, 2});
  CHECK(h.one<Deliver>()->delivery_id == 2);
  h.feed(ConnectionClosed{at(3), CloseCause::unexpected_eof});
  h.feed(Tick{h.phase<BackingOff>().until});
  CHECK(h.one<Connect>()->cursor.token.view() == "b2");
}

TEST_CASE("an empty id resets the resume id (WHATWG: no Last-Event-ID next time)",
          "[session][resume]") {
  Harness h(exact_config());
  h.stream_at(0);
  h.feed(FrameReceived{at(1), std::nullopt, tok("a1"), std::nullopt, 1});
  SECTION("without a sequence: the next connection sends no cursor") {
    h.feed(FrameReceived{at(2), std::nullopt, tok(""), std::nullopt, 2});
    CHECK(h.one<Deliver>()->delivery_id == 2);
    CHECK(h.state().progress.resume == Cursor{});
    h.feed(ConnectionClosed{at(3), CloseCause::unexpected_eof});
    h.feed(Tick{h.phase<BackingOff>().until});
    REQUIRE(h.one<Connect>());
    CHECK(h.one<Connect>()->from == ResumeFrom::server_default);
  }
  SECTION("with a sequence: the cursor keeps the sequence, never the old token") {
    h.feed(FrameReceived{at(2), 7, tok(""), std::nullopt, 2});
    h.feed(ConnectionClosed{at(3), CloseCause::unexpected_eof});
    h.feed(Tick{h.phase<BackingOff>().until});
    REQUIRE(h.one<Connect>());
    CHECK(h.one<Connect>()->cursor == Cursor::at_sequence(7));
  }
  SECTION("a later id takes over again") {
    h.feed(FrameReceived{at(2), std::nullopt, tok(""), std::nullopt, 2});
    h.feed(FrameReceived{at(3), std::nullopt, tok("c3"), std::nullopt, 3});
    CHECK(h.state().progress.resume == Cursor::at_token(tok("c3")));
  }
}

TEST_CASE("resume ids of 1 KiB are kept whole", "[session][resume]") {
  Harness h(exact_config());
  h.stream_at(0);
  const std::string id(1024, 'k');
  h.feed(FrameReceived{at(1), std::nullopt, tok(id), std::nullopt, 1});
  h.feed(ConnectionClosed{at(2), CloseCause::unexpected_eof});
  h.feed(Tick{h.phase<BackingOff>().until});
  REQUIRE(h.one<Connect>());
  CHECK(h.one<Connect>()->cursor.token.view() == id);
}

TEST_CASE("replay-only ends cleanly at its end", "[session][resume]") {
  SessionConfig c = exact_config();
  c.resume.mode = StreamMode::replay_only;
  c.resume.start = Cursor::at_sequence(0);
  c.resume.commit = CommitPolicy::on_ack;
  c.resume.checkpoint_every_events = 100;
  Harness h(c);
  h.stream_at(0);
  h.frame(1, 1);
  h.feed(DeliveryAcked{at(2), 1, Cursor::at_sequence(1)});
  CHECK_FALSE(h.has<SaveCheckpoint>());  // batched
  h.feed(ReplayFinished{at(3)});
  REQUIRE(h.in<Stopped>());
  CHECK(h.phase<Stopped>().reason == Reason::replay_complete);
  REQUIRE(h.one<SaveCheckpoint>());  // flushed
  CHECK(h.one<SaveCheckpoint>()->delivery_id == 1);
  CHECK(h.has<CloseConnection>());
}

TEST_CASE("watch mode ignores ReplayFinished", "[session][resume]") {
  Harness h(exact_config());
  h.stream_at(0);
  h.feed(ReplayFinished{at(3)});
  CHECK(h.in<Streaming>());
}

TEST_CASE("commit on ack: never ahead of the application", "[session][resume]") {
  SessionConfig c = exact_config();
  c.resume.commit = CommitPolicy::on_ack;
  Harness h(c);
  h.stream_at(0);
  h.frame(1, 1);
  h.frame(2, 2);
  CHECK_FALSE(h.has<SaveCheckpoint>());
  h.feed(DeliveryAcked{at(3), 1, Cursor::at_sequence(1)});
  REQUIRE(h.one<SaveCheckpoint>());
  CHECK(h.one<SaveCheckpoint>()->cursor == Cursor::at_sequence(1));
  SECTION("an ack for something not delivered is ignored") {
    h.feed(DeliveryAcked{at(4), 9, Cursor::at_sequence(9)});
    CHECK(h.last().empty());
  }
  SECTION("an older ack never moves the checkpoint back") {
    h.feed(DeliveryAcked{at(4), 2, Cursor::at_sequence(2)});
    CHECK_FALSE(h.has<SaveCheckpoint>());  // one save in flight at a time
    h.feed(CheckpointSaved{at(4), 1});
    CHECK(h.one<SaveCheckpoint>()->delivery_id == 2);
    h.feed(DeliveryAcked{at(5), 1, Cursor::at_sequence(1)});
    CHECK_FALSE(h.has<SaveCheckpoint>());
  }
}

TEST_CASE("commit on next delivery", "[session][resume]") {
  SessionConfig c = exact_config();
  c.resume.commit = CommitPolicy::on_next_delivery;
  Harness h(c);
  h.stream_at(0);
  h.frame(1, 1);
  CHECK_FALSE(h.has<SaveCheckpoint>());
  h.frame(2, 2);
  REQUIRE(h.one<SaveCheckpoint>());
  CHECK(h.one<SaveCheckpoint>()->cursor == Cursor::at_sequence(1));
  h.feed(StopRequested{at(3)});
  CHECK_FALSE(h.has<SaveCheckpoint>());  // delivery 2 was never followed by a third
}

TEST_CASE("checkpoint batching by count and by time, flushed on stop", "[session][resume]") {
  SessionConfig c = exact_config();
  c.resume.commit = CommitPolicy::on_ack;
  c.resume.checkpoint_every_events = 3;
  c.resume.checkpoint_every_ms = 1000;
  Harness h(c);
  h.stream_at(0);
  for (std::uint64_t i = 1; i <= 5; ++i) h.frame(static_cast<std::int64_t>(i), i);
  h.feed(DeliveryAcked{at(10), 1, Cursor::at_sequence(1)});
  CHECK_FALSE(h.has<SaveCheckpoint>());
  CHECK(h.deadline() == at(1010));
  h.feed(DeliveryAcked{at(20), 3, Cursor::at_sequence(3)});
  REQUIRE(h.one<SaveCheckpoint>());  // three commits
  CHECK(h.one<SaveCheckpoint>()->delivery_id == 3);
  h.feed(DeliveryAcked{at(30), 4, Cursor::at_sequence(4)});
  CHECK_FALSE(h.has<SaveCheckpoint>());
  CHECK(h.deadline() != at(1030));  // the batch waits for the save in flight
  h.feed(CheckpointSaved{at(40), 3});
  CHECK_FALSE(h.has<SaveCheckpoint>());
  h.feed(Tick{at(1029)});
  CHECK_FALSE(h.has<SaveCheckpoint>());
  h.feed(Tick{at(1030)});
  REQUIRE(h.one<SaveCheckpoint>());  // by time
  CHECK(h.one<SaveCheckpoint>()->delivery_id == 4);
  h.feed(CheckpointSaved{at(1031), 4});
  CHECK(h.state().progress.durable_id == 4);
  h.feed(DeliveryAcked{at(1040), 5, Cursor::at_sequence(5)});
  h.feed(StopRequested{at(1050)});
  REQUIRE(h.one<SaveCheckpoint>());  // flush on stop
  CHECK(h.one<SaveCheckpoint>()->delivery_id == 5);
}

TEST_CASE("one checkpoint save in flight: a slow store never queues writes", "[session][resume]") {
  SessionConfig c = exact_config();
  c.resume.commit = CommitPolicy::on_ack;
  Harness h(c);
  h.stream_at(0);
  for (std::uint64_t i = 1; i <= 5; ++i) h.frame(static_cast<std::int64_t>(i), i);
  h.feed(DeliveryAcked{at(10), 1, Cursor::at_sequence(1)});
  REQUIRE(h.one<SaveCheckpoint>());
  for (std::uint64_t i = 2; i <= 4; ++i) {
    h.feed(DeliveryAcked{at(static_cast<std::int64_t>(10 + i)), i, Cursor::at_sequence(i)});
    CHECK_FALSE(h.has<SaveCheckpoint>());
  }
  // The save completes: the next one takes every commit made meanwhile.
  h.feed(CheckpointSaved{at(20), 1});
  REQUIRE(h.one<SaveCheckpoint>());
  CHECK(h.one<SaveCheckpoint>()->delivery_id == 4);
  CHECK(h.one<SaveCheckpoint>()->cursor == Cursor::at_sequence(4));
  // The final flush of a stop does not wait for the save in flight.
  h.feed(DeliveryAcked{at(30), 5, Cursor::at_sequence(5)});
  CHECK_FALSE(h.has<SaveCheckpoint>());
  h.feed(StopRequested{at(31)});
  REQUIRE(h.one<SaveCheckpoint>());
  CHECK(h.one<SaveCheckpoint>()->delivery_id == 5);
}

TEST_CASE("a failed checkpoint save is asked for again after a backoff", "[session][resume]") {
  SessionConfig c = exact_config();
  c.resume.commit = CommitPolicy::on_ack;
  c.resume.checkpoint_retry_ms_min = 1000;
  c.resume.checkpoint_retry_ms_max = 4000;
  Harness h(c);
  h.stream_at(0);
  h.frame(1, 1);
  h.frame(2, 2);
  h.feed(DeliveryAcked{at(3), 1, Cursor::at_sequence(1)});
  REQUIRE(h.one<SaveCheckpoint>());
  h.feed(CheckpointSaveFailed{at(4), 1});
  CHECK_FALSE(h.has<SaveCheckpoint>());  // not at once: the disk is most likely still full
  CHECK(h.deadline() == at(1004));
  h.feed(DeliveryAcked{at(500), 2, Cursor::at_sequence(2)});
  CHECK_FALSE(h.has<SaveCheckpoint>());  // a new commit waits for the retry too
  h.feed(Tick{at(1003)});
  CHECK_FALSE(h.has<SaveCheckpoint>());
  h.feed(Tick{at(1004)});
  REQUIRE(h.one<SaveCheckpoint>());
  CHECK(h.one<SaveCheckpoint>()->delivery_id == 2);

  SECTION("the wait doubles with each failure in a row, up to the maximum") {
    h.feed(CheckpointSaveFailed{at(1005), 2});
    CHECK(h.deadline() == at(3005));
    h.feed(Tick{at(3005)});
    h.feed(CheckpointSaveFailed{at(3006), 2});
    CHECK(h.deadline() == at(7006));
    h.feed(Tick{at(7006)});
    h.feed(CheckpointSaveFailed{at(7007), 2});
    CHECK(h.deadline() == at(11007));  // capped at 4000
  }
  SECTION("a success resets the wait") {
    h.feed(CheckpointSaved{at(1005), 2});
    CHECK(h.state().progress.durable_id == 2);
    h.frame(1006, 3);
    h.feed(DeliveryAcked{at(1007), 3, Cursor::at_sequence(3)});
    REQUIRE(h.one<SaveCheckpoint>());
    h.feed(CheckpointSaveFailed{at(1008), 3});
    CHECK(h.deadline() == at(2008));
  }
  SECTION("a stop flushes at once, whatever the backoff") {
    h.feed(CheckpointSaveFailed{at(1005), 2});
    h.feed(StopRequested{at(1006)});
    REQUIRE(h.one<SaveCheckpoint>());
    CHECK(h.one<SaveCheckpoint>()->delivery_id == 2);
  }
}

TEST_CASE("duplicates are dropped within a process", "[session][resume]") {
  Harness h(exact_config());
  h.stream_at(0, Cursor::at_sequence(10));
  h.frame(1, 9);
  REQUIRE(h.one<DiscardFrame>());
  CHECK(h.one<DiscardFrame>()->reason == DiscardReason::duplicate);
  CHECK_FALSE(h.has<Deliver>());
  h.frame(2, 11);
  CHECK(h.has<Deliver>());
  h.frame(3, 11);
  CHECK_FALSE(h.has<Deliver>());
  CHECK(h.has<DiscardFrame>());
}

TEST_CASE("gap detection: strict reports, relaxed does not", "[session][resume]") {
  SessionConfig c = exact_config();
  SECTION("strict") {
    Harness h(c);
    h.stream_at(0);
    h.frame(1, 1);
    h.frame(2, 5);
    const auto gap = h.one<ReportGap>();
    REQUIRE(gap);
    CHECK(gap->from_sequence == 2u);
    CHECK(gap->to_sequence == 4u);
    CHECK(gap->cause == GapCause::missing);
    CHECK(h.has<Deliver>());
    // The gap is reported before the delivery that reveals it.
    CHECK(std::holds_alternative<ReportGap>(h.last()[0]));
  }
  SECTION("relaxed (filtered streams)") {
    c.resume.gaps = GapDetection::relaxed;
    Harness h(c);
    h.stream_at(0);
    h.frame(1, 1);
    h.frame(2, 5);
    CHECK_FALSE(h.has<ReportGap>());
    CHECK(h.has<Deliver>());
  }
}

TEST_CASE("cursor too old: explicit gap, then the policy", "[session][resume]") {
  SessionConfig c = exact_config();
  auto run = [&](TooOldPolicy policy) {
    c.resume.too_old = policy;
    Harness h(c);
    h.stream_at(0, Cursor::at_sequence(100));
    h.feed(CursorExpired{at(5)});
    const auto gap = h.one<ReportGap>();
    REQUIRE(gap);
    CHECK(gap->cause == GapCause::cursor_too_old);
    CHECK(gap->from_sequence == 101u);
    CHECK_FALSE(gap->to_sequence.has_value());
    return h;
  };
  SECTION("fail") {
    Harness h = run(TooOldPolicy::fail);
    REQUIRE(h.in<Failed>());
    CHECK(h.phase<Failed>().reason == Reason::cursor_too_old);
  }
  SECTION("resync from oldest") {
    Harness h = run(TooOldPolicy::resync_from_oldest);
    REQUIRE(h.in<BackingOff>());
    h.feed(Tick{h.phase<BackingOff>().until});
    CHECK(h.one<Connect>()->from == ResumeFrom::oldest);
    h.feed(ConnectionOpened{at(2000)});
    h.frame(2001, 500);  // the jump was already reported as the too-old gap
    CHECK_FALSE(h.has<ReportGap>());
    CHECK(h.has<Deliver>());
    h.feed(ConnectionClosed{at(3000), CloseCause::unexpected_eof});
    h.feed(Tick{h.phase<BackingOff>().until});
    CHECK(h.one<Connect>()->from == ResumeFrom::cursor);  // back to normal
    CHECK(h.one<Connect>()->cursor == Cursor::at_sequence(500));
  }
  SECTION("resume from live") {
    Harness h = run(TooOldPolicy::resume_from_live);
    h.feed(Tick{h.phase<BackingOff>().until});
    CHECK(h.one<Connect>()->from == ResumeFrom::live);
  }
}

TEST_CASE("frames outside a stream are released, never delivered", "[session][resume]") {
  Harness h(exact_config());
  h.stream_at(0);
  h.feed(ConnectionClosed{at(1), CloseCause::unexpected_eof});
  h.frame(2, 1, 77);
  REQUIRE(h.one<DiscardFrame>());
  CHECK(h.one<DiscardFrame>()->frame_ref == 77);
  CHECK(h.one<DiscardFrame>()->reason == DiscardReason::not_streaming);
}
