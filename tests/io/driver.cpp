// The driver (io/src/driver.cpp) with trompeloeil mocks for its ports and a
// virtual clock: the runner's loop, without Asio.
#include <catch2/catch.hpp>
#include <catch2/trompeloeil.hpp>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <tether/io/driver.hpp>
#include <tether/io/sse_stream.hpp>
#include <tether/model/effects_hash.hpp>
#include <tether/model/event_log.hpp>
#include <tether/model/presets.hpp>
#include <vector>

#include "fakes.hpp"

namespace {

using namespace tether;
using io::testing::ManualHost;
using io::testing::VirtualClock;
using trompeloeil::_;

struct MockTransport final : io::Transport {
  MAKE_MOCK2(open, void(const io::ConnectRequest&, io::TransportListener&), override);
  MAKE_MOCK0(close, void(), override);
};

// The mocks return plain structs: trompeloeil's trace printer compares return
// values with nullptr, which libstdc++ 12's unconstrained std::expected
// operator== turns into a hard error.
struct LoadOutcome {
  std::optional<model::Cursor> cursor;
  std::optional<io::CheckpointError> error;
};
struct SaveOutcome {
  std::optional<io::CheckpointError> error;
};
struct AuthOutcome {
  AuthOutcome(io::Credentials c) : credentials(std::move(c)) {}  // NOLINT: implicit on purpose
  AuthOutcome(std::string e) : error(std::move(e)) {}            // NOLINT
  std::optional<io::Credentials> credentials;
  std::string error;
};

struct MockStore final : io::CheckpointStore {
  MAKE_MOCK0(load_outcome, LoadOutcome());
  MAKE_MOCK1(save_outcome, SaveOutcome(const model::Cursor&));
  std::expected<std::optional<model::Cursor>, io::CheckpointError> load() override {
    LoadOutcome o = load_outcome();
    if (o.error) return std::unexpected(*o.error);
    return o.cursor;
  }
  std::expected<void, io::CheckpointError> save(const model::Cursor& cursor) override {
    SaveOutcome o = save_outcome(cursor);
    if (o.error) return std::unexpected(*o.error);
    return {};
  }
};

struct MockAuth final : io::AuthProvider {
  MAKE_MOCK0(refresh_outcome, AuthOutcome());
  std::expected<io::Credentials, std::string> refresh() override {
    AuthOutcome o = refresh_outcome();
    if (o.credentials) return *o.credentials;
    return std::unexpected(o.error);
  }
};

struct Received {
  std::uint64_t delivery_id;
  std::optional<std::uint64_t> sequence;
  std::string id;
  std::string data;
};

// A recording application (not a mock: tests assert on what it saw).
struct RecordingApp final : io::Application {
  std::vector<Received> deliveries;
  std::vector<model::ReportGap> gaps;
  std::vector<model::Status> statuses;
  std::vector<io::Diagnostic> diagnostics;
  std::vector<std::string> comments;
  std::function<void(const io::Delivery&)> on_each;
  void on_delivery(const io::Delivery& d) override {
    deliveries.push_back(
        {d.delivery_id, d.sequence, std::string(d.id.value_or("")), std::string(d.data)});
    if (on_each) on_each(d);
  }
  void on_gap(const model::ReportGap& gap) override { gaps.push_back(gap); }
  void on_status(const model::Status& status) override { statuses.push_back(status); }
  void on_diagnostic(const io::Diagnostic& d) override { diagnostics.push_back(d); }
  void on_comment(std::string_view text) override { comments.emplace_back(text); }
};

// Sequence = the SSE id parsed as a decimal number (test messages use "1", "2").
std::optional<std::uint64_t> id_as_sequence(const io::Message& m) {
  if (!m.id) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : *m.id) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

model::SessionConfig test_config() {
  model::SessionConfig c = model::presets::aviso();
  c.auth.has_provider = true;
  c.resume.commit = model::CommitPolicy::on_ack;
  c.resume.checkpoint_every_events = 1;
  c.seed = 7;
  return c;
}

struct Fixture {
  VirtualClock clock;
  ManualHost host;
  MockTransport transport;
  MockStore store;
  MockAuth auth;
  RecordingApp app;
  io::TraceRecorder* recorder = nullptr;
  std::unique_ptr<io::Driver> driver;

  void make(model::SessionConfig config, bool auto_ack = true) {
    auto state = model::make(config);
    REQUIRE(state);
    io::DriverPorts ports{clock, transport, host, app, &store, &auth, recorder};
    driver = std::make_unique<io::Driver>(std::move(*state), ports,
                                          io::DriverOptions{id_as_sequence, auto_ack});
  }

  // The usual start: no checkpoint, token "tok", one open(), and the stream is
  // open. Its expectations last as long as the Fixture, as the inline ones did.
  void start_open(model::SessionConfig config, bool auto_ack = true) {
    make(std::move(config), auto_ack);
    preamble.push_back(NAMED_ALLOW_CALL(store, load_outcome()).RETURN(LoadOutcome{}));
    preamble.push_back(
        NAMED_ALLOW_CALL(auth, refresh_outcome()).RETURN(io::Credentials{"tok", std::nullopt}));
    preamble.push_back(NAMED_REQUIRE_CALL(transport, open(trompeloeil::_, trompeloeil::_)));
    driver->start();
    host.run_offloaded();
    driver->on_opened();
  }
  std::vector<std::unique_ptr<trompeloeil::expectation>> preamble;

  io::Message message(const std::string& id, const std::string& data) {
    ids.push_back(id);
    payloads.push_back(data);
    return io::Message{"message", payloads.back(), std::string_view(ids.back()), std::nullopt};
  }
  std::deque<std::string> ids, payloads;
};

LoadOutcome no_checkpoint() { return {}; }

}  // namespace

TEST_CASE("driver: start loads the checkpoint and credentials, then connects with both",
          "[driver]") {
  Fixture f;
  f.make(test_config());
  const auto saved = model::Cursor::at_token(*model::Token::make("41"), 41);
  REQUIRE_CALL(f.store, load_outcome()).RETURN(LoadOutcome{saved, std::nullopt});
  REQUIRE_CALL(f.auth, refresh_outcome()).RETURN(io::Credentials{"tok-1", std::nullopt});
  io::ConnectRequest seen;
  REQUIRE_CALL(f.transport, open(_, _)).LR_SIDE_EFFECT(seen = _1);
  f.driver->start();
  CHECK(f.host.queued.size() == 1);  // nothing happens on the strand until the load is back
  f.host.run_offloaded();
  CHECK(seen.from == model::ResumeFrom::cursor);
  CHECK(seen.cursor == saved);
  CHECK(seen.bearer_token == "tok-1");
  CHECK(seen.attempt == 1);
  REQUIRE(f.host.armed);  // the connect timeout
  CHECK(f.host.armed->ms == f.clock.now_ms + test_config().connect.timeout_ms);
}

TEST_CASE("driver: a corrupt checkpoint ends the session before any connection", "[driver]") {
  Fixture f;
  f.make(test_config());
  io::CheckpointError error{io::CheckpointError::Code::bad_checksum, "/var/x.ckpt",
                            "checksum mismatch", 0};
  REQUIRE_CALL(f.store, load_outcome()).RETURN(LoadOutcome{std::nullopt, error});
  ALLOW_CALL(f.auth, refresh_outcome()).RETURN(io::Credentials{"tok", std::nullopt});
  FORBID_CALL(f.transport, open(_, _));
  f.driver->start();
  f.host.run_offloaded();
  CHECK(f.driver->finished());
  CHECK(f.driver->failed_to_start());
  REQUIRE(f.app.diagnostics.size() == 1);
  CHECK(f.app.diagnostics[0].kind == io::Diagnostic::Kind::fatal);
  CHECK(f.app.diagnostics[0].text.find("/var/x.ckpt") != std::string::npos);
  CHECK(f.app.diagnostics[0].text.find("checksum mismatch") != std::string::npos);
}

TEST_CASE("driver: frames are delivered in order, duplicates dropped, gaps reported, acks saved",
          "[driver]") {
  Fixture f;
  f.start_open(test_config());
  for (const auto& [id, data] : std::vector<std::pair<std::string, std::string>>{
           {"1", "one"}, {"2", "two"}, {"2", "two again"}, {"5", "five"}}) {
    const io::Message m = f.message(id, data);
    f.driver->on_message(m);
  }
  REQUIRE(f.app.deliveries.size() == 3);
  CHECK(f.app.deliveries[0].data == "one");
  CHECK(f.app.deliveries[1].data == "two");
  CHECK(f.app.deliveries[2].data == "five");
  CHECK(f.app.deliveries[2].delivery_id == 3);
  REQUIRE(f.app.gaps.size() == 1);
  CHECK(f.app.gaps[0].from_sequence == 3u);
  CHECK(f.app.gaps[0].to_sequence == 4u);
  // Auto-ack commits each delivery; each SaveCheckpoint runs off the strand.
  std::vector<std::uint64_t> saved;
  REQUIRE_CALL(f.store, save_outcome(_))
      .TIMES(AT_LEAST(1))
      .LR_SIDE_EFFECT(saved.push_back(_1.sequence))
      .RETURN(SaveOutcome{});
  f.host.run_offloaded();
  REQUIRE(!saved.empty());
  CHECK(saved.back() == 5);
  CHECK(f.driver->state().progress.durable_id >= 1);
}

TEST_CASE("driver: a comment reaches the application and is no event of the session", "[driver]") {
  Fixture f;
  f.start_open(test_config(), /*auto_ack=*/false);
  const io::Message m1 = f.message("1", "a");
  f.driver->on_message(m1);
  const std::uint64_t fed = f.driver->events_fed();
  const model::Cursor cursor = f.driver->resume_cursor();
  const std::uint64_t delivered = f.driver->state().progress.delivered_id;
  f.driver->on_comment("keepalive");
  CHECK(f.app.comments == std::vector<std::string>{"keepalive"});
  CHECK(f.driver->events_fed() == fed);  // nothing fed to the reducer
  CHECK(f.driver->resume_cursor() == cursor);
  CHECK(f.driver->state().progress.delivered_id == delivered);
  CHECK(f.host.queued.empty());  // nothing to save
  // Through the SSE stream that delivers comments: the text, then its liveness.
  io::SseStream stream({}, {}, /*deliver_comments=*/true);
  stream.begin("1", *f.driver);
  REQUIRE(stream.feed(": ping\nid: 2\ndata: b\n\n"));
  CHECK(f.app.comments == std::vector<std::string>{"keepalive", " ping"});
  CHECK(f.driver->events_fed() == fed + 2);  // BytesReceived (the comment), FrameReceived
  REQUIRE(f.app.deliveries.size() == 2);
  CHECK(f.app.deliveries[1].delivery_id == 2);  // a comment takes no delivery id
  // Not delivered (the default): liveness alone.
  io::SseStream quiet;
  quiet.begin("2", *f.driver);
  REQUIRE(quiet.feed(": unseen\n"));
  CHECK(f.app.comments.size() == 2);
  CHECK(f.driver->events_fed() == fed + 3);
}

TEST_CASE(
    "driver: without auto-ack only acked deliveries are checkpointed, and ack works from a "
    "callback",
    "[driver]") {
  Fixture f;
  f.start_open(test_config(), /*auto_ack=*/false);
  const io::Message m1 = f.message("1", "a");
  const io::Message m2 = f.message("2", "b");
  f.driver->on_message(m1);
  f.driver->on_message(m2);
  CHECK(f.host.queued.empty());  // nothing acked, nothing to save
  // The application acks delivery 2 from inside the next delivery's callback.
  f.app.on_each = [&](const io::Delivery& d) {
    if (d.delivery_id == 3) f.driver->ack(2);
  };
  const io::Message m3 = f.message("3", "c");
  f.driver->on_message(m3);
  std::vector<std::uint64_t> saved;
  REQUIRE_CALL(f.store, save_outcome(_))
      .LR_SIDE_EFFECT(saved.push_back(_1.sequence))
      .RETURN(SaveOutcome{});
  f.host.run_offloaded();
  CHECK(saved == std::vector<std::uint64_t>{2});
}

TEST_CASE("driver: a 401 refreshes credentials once and reconnects with the new token",
          "[driver]") {
  Fixture f;
  f.make(test_config());
  ALLOW_CALL(f.store, load_outcome()).RETURN(no_checkpoint());
  trompeloeil::sequence seq;
  REQUIRE_CALL(f.auth, refresh_outcome())
      .IN_SEQUENCE(seq)
      .RETURN(io::Credentials{"stale", std::nullopt});
  std::vector<std::string> tokens;
  REQUIRE_CALL(f.transport, open(_, _)).TIMES(2).LR_SIDE_EFFECT(tokens.push_back(_1.bearer_token));
  f.driver->start();
  f.host.run_offloaded();
  REQUIRE_CALL(f.auth, refresh_outcome())
      .IN_SEQUENCE(seq)
      .RETURN(io::Credentials{"fresh", std::nullopt});
  f.driver->on_rejected(401, std::nullopt, "Unauthorized");
  CHECK(f.driver->status().kind == model::StatusKind::refreshing_auth);
  f.host.run_offloaded();
  // Reconnect happens at once or after a short backoff: tick until it does.
  for (int i = 0; i < 100 && tokens.size() < 2; ++i) {
    f.clock.now_ms = f.host.armed ? f.host.armed->ms : f.clock.now_ms + 10;
    f.driver->on_timer();
  }
  CHECK(tokens == std::vector<std::string>{"stale", "fresh"});
}

TEST_CASE("driver: an ack past the last delivery acks what was delivered", "[driver]") {
  Fixture f;
  f.start_open(test_config(), /*auto_ack=*/false);
  const io::Message m1 = f.message("1", "a");
  const io::Message m2 = f.message("2", "b");
  f.driver->on_message(m1);
  f.driver->on_message(m2);
  f.driver->ack(5);
  std::vector<std::uint64_t> saved;
  REQUIRE_CALL(f.store, save_outcome(_))
      .LR_SIDE_EFFECT(saved.push_back(_1.sequence))
      .RETURN(SaveOutcome{});
  f.host.run_offloaded();
  CHECK(saved == std::vector<std::uint64_t>{2});
}

TEST_CASE("driver: the timer drives the connect timeout and the backoff", "[driver]") {
  Fixture f;
  f.make(test_config());
  ALLOW_CALL(f.store, load_outcome()).RETURN(no_checkpoint());
  ALLOW_CALL(f.auth, refresh_outcome()).RETURN(io::Credentials{"tok", std::nullopt});
  std::vector<std::uint32_t> attempts;
  REQUIRE_CALL(f.transport, open(_, _)).TIMES(3).LR_SIDE_EFFECT(attempts.push_back(_1.attempt));
  REQUIRE_CALL(f.transport, close()).TIMES(2);  // the two timed-out attempts
  f.driver->start();
  f.host.run_offloaded();
  for (int i = 0; i < 50 && attempts.size() < 3; ++i) {
    REQUIRE(f.host.armed);
    f.clock.now_ms = f.host.armed->ms;
    f.driver->on_timer();
  }
  CHECK(attempts == std::vector<std::uint32_t>{1, 2, 3});
  CHECK(f.app.statuses.back().kind == model::StatusKind::connecting);
}

TEST_CASE("driver: an early timer is harmless and a later deadline does not re-arm", "[driver]") {
  Fixture f;
  f.start_open(test_config());
  const io::Message m1 = f.message("1", "a");
  f.driver->on_message(m1);
  const int arms = f.host.arm_calls;
  REQUIRE(f.host.armed);
  const model::Instant heartbeat_deadline = *f.host.armed;
  f.clock.now_ms += 1000;
  for (int i = 0; i < 10; ++i) {
    const io::Message m = f.message(std::to_string(i + 2), "x");
    f.driver->on_message(m);
  }
  CHECK(f.host.arm_calls == arms);  // frames push the heartbeat deadline later: no re-arm
  f.clock.now_ms = heartbeat_deadline.ms;
  f.driver->on_timer();  // early relative to the moved deadline: still streaming
  CHECK(f.driver->status().kind == model::StatusKind::streaming);
  REQUIRE(f.host.armed);
  CHECK(f.host.armed->ms > heartbeat_deadline.ms);
}

TEST_CASE("driver: stop flushes the checkpoint, closes, and nothing is delivered afterwards",
          "[driver]") {
  Fixture f;
  model::SessionConfig config = test_config();
  config.resume.checkpoint_every_events = 100;  // only the stop flush saves
  f.start_open(config);
  const io::Message m1 = f.message("1", "a");
  const io::Message m2 = f.message("2", "b");
  f.driver->on_message(m1);
  f.driver->on_message(m2);
  CHECK(f.host.queued.empty());
  REQUIRE_CALL(f.transport, close());
  f.driver->stop();
  CHECK(f.driver->status().kind == model::StatusKind::stopped);
  CHECK_FALSE(f.driver->finished());  // the flush is still running
  const io::Message late = f.message("3", "late");
  f.driver->on_message(late);
  CHECK(f.app.deliveries.size() == 2);
  std::vector<std::uint64_t> saved;
  REQUIRE_CALL(f.store, save_outcome(_))
      .LR_SIDE_EFFECT(saved.push_back(_1.sequence))
      .RETURN(SaveOutcome{});
  f.host.run_offloaded();
  CHECK(saved == std::vector<std::uint64_t>{2});
  CHECK(f.driver->finished());
}

TEST_CASE(
    "driver: a resume id over the limit ends the session (a retry meets it again), never truncated",
    "[driver]") {
  Fixture f;
  f.start_open(test_config());
  // 1 KiB ids are fine.
  const io::Message ok = f.message(std::string(1024, '7'), "x");
  f.driver->on_message(ok);
  CHECK(f.app.deliveries.size() == 1);
  REQUIRE_CALL(f.transport, close());
  FORBID_CALL(f.transport, open(_, _));
  const io::Message m = f.message(std::string(1025, '7'), "x");
  f.driver->on_message(m);
  CHECK(f.app.deliveries.size() == 1);
  CHECK(f.driver->status().kind == model::StatusKind::failed);
  CHECK(f.driver->status().reason == model::Reason::unrecoverable);
  REQUIRE_FALSE(f.app.diagnostics.empty());
  CHECK(f.app.diagnostics.back().kind == io::Diagnostic::Kind::fatal);
  CHECK(f.app.diagnostics.back().text.find("1025 bytes") != std::string::npos);
  CHECK(f.app.diagnostics.back().text.find("--id-bytes-max") != std::string::npos);
  ALLOW_CALL(f.store, save_outcome(_)).RETURN(SaveOutcome{});
  f.host.run_offloaded();
}

TEST_CASE("driver: an unreadable checkpoint reports a failed status with its reason", "[driver]") {
  Fixture f;
  f.make(test_config());
  io::CheckpointError error{io::CheckpointError::Code::truncated, "/var/empty.ckpt", "empty file",
                            0};
  REQUIRE_CALL(f.store, load_outcome()).RETURN(LoadOutcome{std::nullopt, error});
  ALLOW_CALL(f.auth, refresh_outcome()).RETURN(io::Credentials{"tok", std::nullopt});
  FORBID_CALL(f.transport, open(_, _));
  f.driver->start();
  f.host.run_offloaded();
  CHECK(f.driver->status().kind == model::StatusKind::failed);
  CHECK(f.driver->status().reason == model::Reason::checkpoint_unreadable);
  REQUIRE(f.app.statuses.size() == 1);
  CHECK(f.app.statuses[0].kind == model::StatusKind::failed);
  CHECK(f.app.statuses[0].reason == model::Reason::checkpoint_unreadable);
  f.driver->stop();  // the application stops it: the failed status stands
  CHECK(f.app.statuses.size() == 1);
  CHECK(f.driver->status().kind == model::StatusKind::failed);
}

TEST_CASE(
    "driver: a failing disk is retried with backoff, reported without flooding, and a failed final "
    "flush is fatal",
    "[driver]") {
  Fixture f;
  f.start_open(test_config());
  int saves = 0;
  io::CheckpointError full{io::CheckpointError::Code::io_error, "/var/x.ckpt",
                           "write: No space left on device", 28};
  ALLOW_CALL(f.store, save_outcome(_)).LR_SIDE_EFFECT(++saves).RETURN(SaveOutcome{full});
  // 200 deliveries over 100 s of virtual time, each auto-acked; the timer fires when due.
  for (int i = 1; i <= 200; ++i) {
    f.clock.now_ms += 500;
    if (f.host.armed && f.host.armed->ms <= f.clock.now_ms) f.driver->on_timer();
    const io::Message m = f.message(std::to_string(i), "x");
    f.driver->on_message(m);
    f.host.run_offloaded();
  }
  // The first save, then retries 1, 2, 4, 8, 16 and 32 s later (a 60 s one would
  // come after the loop): 7 attempts for 200 commits, not one per commit.
  CHECK(saves == 7);
  std::size_t reported = 0;
  for (const auto& d : f.app.diagnostics)
    if (d.kind == io::Diagnostic::Kind::checkpoint) ++reported;
  CHECK(reported >= 1);
  CHECK(reported <= 5);  // at most one report per 30 s
  ALLOW_CALL(f.transport, close());
  f.driver->stop();
  f.host.run_offloaded();
  CHECK(f.driver->finished());
  CHECK(f.driver->save_failed_at_stop());
  REQUIRE_FALSE(f.app.diagnostics.empty());
  CHECK(f.app.diagnostics.back().kind == io::Diagnostic::Kind::fatal);
  CHECK(f.app.diagnostics.back().text.find("final checkpoint save failed") != std::string::npos);
}

TEST_CASE("driver: a recording holds every step's effects and the final state, and replays to them",
          "[driver][trace]") {
  const auto path = std::filesystem::temp_directory_path() /
                    ("tether-driver-trace-" + std::to_string(::getpid()) + ".events");
  const model::RecordingHeader header{
      "9.9.9", test_config().seed, model::WallClockAnchor{1'700'000'001'000, model::Instant{1000}},
      R"({"format":"tether-config/1","seed":7})"};
  auto recorder = io::TraceRecorder::create(path, header, "driver test\nsecond comment line");
  REQUIRE(recorder);
  Fixture f;
  f.recorder = recorder->get();
  model::SessionConfig config = test_config();
  config.backoff.restored_delay_ms_max = 0;  // the restart below reconnects at once
  f.make(config);
  ALLOW_CALL(f.store, load_outcome()).RETURN(no_checkpoint());
  ALLOW_CALL(f.auth, refresh_outcome()).RETURN(io::Credentials{"secret-token-value", std::nullopt});
  ALLOW_CALL(f.store, save_outcome(_)).RETURN(SaveOutcome{});
  REQUIRE_CALL(f.transport, open(_, _)).TIMES(4);
  ALLOW_CALL(f.transport, close());
  f.driver->start();
  f.host.run_offloaded();
  f.driver->on_opened();
  for (int i = 1; i <= 5; ++i) {
    f.clock.now_ms += 7;
    const io::Message m = f.message(std::to_string(i), "p");
    f.driver->on_message(m);
    f.host.run_offloaded();
  }
  f.driver->on_closed(model::CloseCause::unexpected_eof, "eof");
  f.clock.now_ms = f.host.armed->ms;
  f.driver->on_timer();
  f.driver->on_opened();
  // The application's lifecycle is recorded and replayed as any input.
  f.driver->pause();
  f.host.run_offloaded();
  f.clock.now_ms += 60'000;
  f.driver->resume();
  f.driver->on_opened();
  f.driver->network_changed();  // an open() at once (restored_delay_ms_max 0)
  f.driver->on_opened();
  f.driver->stop();
  f.host.run_offloaded();
  REQUIRE(f.driver->finished());
  f.driver->stop();  // after the end: recorded, and the state written again
  REQUIRE((*recorder)->flush());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::filesystem::remove(path);
  INFO(text.str());
  CHECK(text.str().starts_with("tether-events/2\n@version 9.9.9\n@seed 7\n"));
  CHECK(text.str().find("secret-token-value") == std::string::npos);
  CHECK(text.str().find("# second comment line") != std::string::npos);
  CHECK(text.str().find(" PauseRequested effects=") != std::string::npos);
  CHECK(text.str().find(" ReconnectRequested why=network_changed effects=") != std::string::npos);
  auto recording = model::decode_recording(text.str());
  REQUIRE(recording);
  CHECK(recording->header == header);
  CHECK(recording->steps.size() == f.driver->events_fed());
  CHECK((*recorder)->events_recorded() == f.driver->events_fed());
  // Replayed from the recording alone, every step has the recorded effects.
  auto replayed = model::make(config);
  REQUIRE(replayed);
  model::State state = std::move(*replayed);
  std::size_t states = 0;
  for (std::size_t i = 0; i < recording->steps.size(); ++i) {
    const model::RecordedStep& step = recording->steps[i];
    const model::Effects effects = model::transition_in_place(state, step.event);
    REQUIRE(step.effects);
    CHECK(step.effects->kinds == model::effect_kinds(effects.span()));
    CHECK(step.effects->hash == model::effects_hash(effects.span()));
    for (const model::RecordedState& s : recording->states) {
      if (s.after_steps != i + 1) continue;
      CHECK(s.check == model::state_check_of(state));
      ++states;
    }
  }
  // One @state when the session ended, one after the late StopRequested.
  CHECK(recording->states.size() == 2);
  CHECK(states == 2);
  CHECK(recording->states.back().after_steps == recording->steps.size());
  CHECK(state.status == f.driver->status());
  CHECK(state.progress.resume == f.driver->resume_cursor());
  CHECK(state.progress.durable_id == f.driver->state().progress.durable_id);
  CHECK(model::state_check_of(state).phase == f.driver->state().phase.index());
}

TEST_CASE("driver: a recording header that cannot be written is refused, naming the field",
          "[driver][trace]") {
  const auto path = std::filesystem::temp_directory_path() /
                    ("tether-driver-trace-bad-" + std::to_string(::getpid()) + ".events");
  const model::RecordingHeader header{"1.0", 7, {}, "{\"a\":1}\n{\"b\":2}"};
  auto recorder = io::TraceRecorder::create(path, header);
  REQUIRE_FALSE(recorder);
  CHECK(recorder.error().find(path.string()) != std::string::npos);
  CHECK(recorder.error().find("field 'config'") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE(
    "driver: the server's in-band signals reach the reducer (cursor too old, replay complete)",
    "[driver]") {
  SECTION("a cursor older than the history fails the session under too_old = fail, and says why") {
    Fixture f;
    model::SessionConfig config = test_config();
    config.resume.too_old = model::TooOldPolicy::fail;
    f.start_open(config);
    REQUIRE_CALL(f.transport, close());
    f.driver->on_cursor_expired();
    CHECK(f.driver->status().kind == model::StatusKind::failed);
    CHECK(f.driver->status().reason == model::Reason::cursor_too_old);
    REQUIRE_FALSE(f.app.diagnostics.empty());
    CHECK(f.app.diagnostics.back().text.find("history") != std::string::npos);
  }
  SECTION("a replay-only stream stops cleanly at its end, after flushing what was delivered") {
    Fixture f;
    model::SessionConfig config = test_config();
    config.resume.mode = model::StreamMode::replay_only;
    config.resume.start = model::Cursor::at_sequence(0);
    config.resume.checkpoint_every_events = 100;
    f.start_open(config);
    const io::Message m1 = f.message("1", "a");
    f.driver->on_message(m1);
    REQUIRE_CALL(f.transport, close());
    f.driver->on_replay_finished();
    CHECK(f.driver->status().kind == model::StatusKind::stopped);
    CHECK(f.driver->status().reason == model::Reason::replay_complete);
    std::vector<std::uint64_t> saved;
    REQUIRE_CALL(f.store, save_outcome(_))
        .LR_SIDE_EFFECT(saved.push_back(_1.sequence))
        .RETURN(SaveOutcome{});
    f.host.run_offloaded();
    CHECK(saved == std::vector<std::uint64_t>{1});
    CHECK(f.driver->finished());
  }
}

TEST_CASE(
    "driver: an ack made after stop() in the same callback is applied before the stop, so the "
    "final checkpoint holds it",
    "[driver]") {
  Fixture f;
  model::SessionConfig config = test_config();
  config.resume.checkpoint_every_events = 100;  // only the stop flush saves
  f.start_open(config, /*auto_ack=*/false);
  f.app.on_each = [&](const io::Delivery& d) {
    if (d.delivery_id != 2) return;
    f.driver->stop();  // both wait in the loop's inbox until the step's effects ran
    f.driver->ack(2);
  };
  const io::Message m1 = f.message("1", "a");
  const io::Message m2 = f.message("2", "b");
  f.driver->on_message(m1);
  REQUIRE_CALL(f.transport, close());
  f.driver->on_message(m2);
  CHECK(f.driver->status().kind == model::StatusKind::stopped);
  std::vector<std::uint64_t> saved;
  REQUIRE_CALL(f.store, save_outcome(_))
      .LR_SIDE_EFFECT(saved.push_back(_1.sequence))
      .RETURN(SaveOutcome{});
  f.host.run_offloaded();
  CHECK(saved == std::vector<std::uint64_t>{2});  // a stopped session would have ignored the ack
  CHECK(f.driver->finished());
}

TEST_CASE("driver: acks from inside callbacks fold into one inbox entry, however many",
          "[driver]") {
  Fixture f;
  model::SessionConfig config = test_config();
  config.resume.checkpoint_every_events = 100;
  f.start_open(config, /*auto_ack=*/false);
  const io::Message m1 = f.message("1", "a");
  f.driver->on_message(m1);
  const std::uint64_t fed_before = f.driver->events_fed();
  f.app.on_each = [&](const io::Delivery& d) {
    f.driver->ack(1);
    f.driver->ack(2);  // cumulative: folds into the waiting ack of 1
    for (int i = 0; i < 1000; ++i) f.driver->ack(d.delivery_id);  // nothing left to ack
  };
  const io::Message m2 = f.message("2", "b");
  f.driver->on_message(m2);
  // FrameReceived, then one DeliveryAcked (of 2).
  CHECK(f.driver->events_fed() == fed_before + 2);
  CHECK(f.app.diagnostics.empty());  // nothing refused
  REQUIRE_CALL(f.transport, close());
  f.driver->stop();
  std::vector<std::uint64_t> saved;
  REQUIRE_CALL(f.store, save_outcome(_))
      .LR_SIDE_EFFECT(saved.push_back(_1.sequence))
      .RETURN(SaveOutcome{});
  f.host.run_offloaded();
  CHECK(saved == std::vector<std::uint64_t>{2});
}

TEST_CASE(
    "driver: a refresh answered after auth.refresh_timeout_ms is said, and its credentials are "
    "used at once",
    "[driver][auth]") {
  model::SessionConfig config = test_config();
  config.auth.refresh_timeout_ms = 5000;
  Fixture f;
  f.make(config);
  ALLOW_CALL(f.store, load_outcome()).RETURN(no_checkpoint());
  trompeloeil::sequence seq;
  REQUIRE_CALL(f.auth, refresh_outcome())
      .IN_SEQUENCE(seq)
      .RETURN(io::Credentials{"stale", std::nullopt});
  std::vector<std::string> tokens;
  REQUIRE_CALL(f.transport, open(_, _)).TIMES(2).LR_SIDE_EFFECT(tokens.push_back(_1.bearer_token));
  f.driver->start();
  f.host.run_offloaded();
  f.driver->on_rejected(401, std::nullopt, "Unauthorized");  // RefreshAuth #1, queued on the worker
  REQUIRE(f.host.queued.size() == 1);
  f.clock.now_ms += 5000;
  f.driver->on_timer();  // the refresh timed out: a failure, and a backoff
  CHECK(f.driver->status().reason == model::Reason::auth_refresh_failed);
  const auto said = [&](std::string_view text) {
    return std::any_of(
        f.app.diagnostics.begin(), f.app.diagnostics.end(),
        [&](const io::Diagnostic& d) { return d.text.find(text) != std::string::npos; });
  };
  CHECK(said("credential refresh unanswered after auth.refresh_timeout_ms (5000 ms)"));
  f.clock.now_ms += 1500;  // the call returns late: its answer names request #1
  REQUIRE_CALL(f.auth, refresh_outcome())
      .IN_SEQUENCE(seq)
      .RETURN(io::Credentials{"fresh", std::nullopt});
  f.host.run_offloaded();
  CHECK(said("credential refresh answered after 6500 ms, past auth.refresh_timeout_ms (5000 ms)"));
  CHECK(tokens == std::vector<std::string>{"stale", "fresh"});  // the retry goes at once, with them
  CHECK(f.driver->status().kind == model::StatusKind::connecting);
}

TEST_CASE("driver: pause closes and flushes, nothing opens until resume, restart reconnects",
          "[driver][lifecycle]") {
  Fixture f;
  model::SessionConfig config = test_config();
  config.resume.checkpoint_every_events = 100;  // only the pause's flush saves
  config.backoff.restored_delay_ms_max = 0;     // a reconnect goes at once
  f.make(config);
  ALLOW_CALL(f.store, load_outcome()).RETURN(no_checkpoint());
  ALLOW_CALL(f.auth, refresh_outcome()).RETURN(io::Credentials{"tok", std::nullopt});
  std::vector<io::ConnectRequest> opened;
  int closes = 0;
  REQUIRE_CALL(f.transport, open(_, _)).TIMES(3).LR_SIDE_EFFECT(opened.push_back(_1));
  REQUIRE_CALL(f.transport, close()).TIMES(2).LR_SIDE_EFFECT(++closes);
  f.driver->start();
  f.host.run_offloaded();
  f.driver->on_opened();
  const io::Message m1 = f.message("1", "a");
  const io::Message m2 = f.message("2", "b");
  f.driver->on_message(m1);
  f.driver->on_message(m2);
  f.driver->pause();
  CHECK(closes == 1);
  CHECK(f.driver->status().kind == model::StatusKind::paused);
  std::vector<std::uint64_t> saved;
  REQUIRE_CALL(f.store, save_outcome(_))
      .LR_SIDE_EFFECT(saved.push_back(_1.sequence))
      .RETURN(SaveOutcome{});
  f.host.run_offloaded();
  CHECK(saved == std::vector<std::uint64_t>{2});
  // Paused: however long, and whatever else the application says.
  f.clock.now_ms += 3'600'000;
  f.driver->on_timer();
  f.driver->network_changed();
  f.driver->restart();
  f.driver->network_restored();
  CHECK(opened.size() == 1);
  f.driver->resume();
  REQUIRE(opened.size() == 2);
  CHECK(opened[1].cursor == model::Cursor::at_token(*model::Token::make("2"), 2));
  f.driver->on_opened();
  f.driver->restart();  // the open connection is closed, a new one made at once
  CHECK(closes == 2);
  REQUIRE(opened.size() == 3);
  CHECK(opened[2].cursor == opened[1].cursor);
  CHECK(opened[2].attempt == 1);  // not counted as a failure
}
