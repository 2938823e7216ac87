// The session's snapshot and its log levels (io/src/session_snapshot.cpp),
// through the driver that keeps them (io/src/driver.cpp), in virtual time:
// counters after a scripted sequence, the next attempt while backing off, the
// last error, the checkpoint's lag, and an outage's diagnostics.
#include <algorithm>
#include <catch2/catch.hpp>
#include <deque>
#include <memory>
#include <string>
#include <tether/io/driver.hpp>
#include <tether/io/memory_checkpoint_store.hpp>
#include <tether/io/session_snapshot.hpp>
#include <tether/model/presets.hpp>
#include <vector>

#include "fakes.hpp"

namespace {

using namespace tether;
using io::testing::ManualHost;
using io::testing::VirtualClock;
using Level = io::Diagnostic::Level;
using Outage = io::Diagnostic::Outage;

struct CountingTransport final : io::Transport {
  std::vector<io::ConnectRequest> opened;
  int closed = 0;
  void open(const io::ConnectRequest& request, io::TransportListener&) override {
    opened.push_back(request);
  }
  void close() override { ++closed; }
};

struct RecordingApp final : io::Application {
  std::vector<io::Diagnostic> diagnostics;
  void on_delivery(const io::Delivery&) override {}
  void on_gap(const model::ReportGap&) override {}
  void on_status(const model::Status&) override {}
  void on_diagnostic(const io::Diagnostic& d) override { diagnostics.push_back(d); }
  std::size_t at(Level level) const {
    std::size_t n = 0;
    for (const auto& d : diagnostics) n += d.level == level ? 1 : 0;
    return n;
  }
};

// Sequence = the SSE id as a decimal number.
std::optional<std::uint64_t> id_as_sequence(const io::Message& m) {
  if (!m.id || m.id->empty()) return std::nullopt;
  return std::stoull(std::string(*m.id));
}

model::SessionConfig config() {
  model::SessionConfig c = model::presets::aviso();
  c.resume.commit = model::CommitPolicy::on_ack;
  c.resume.checkpoint_every_events = 1;
  c.seed = 7;
  return c;
}

struct Session {
  VirtualClock clock;
  ManualHost host;
  CountingTransport transport;
  RecordingApp app;
  io::MemoryCheckpointStore store;
  std::unique_ptr<io::Driver> driver;
  std::deque<std::string> ids, payloads;

  explicit Session(model::SessionConfig c = config()) {
    auto state = model::make(c);
    REQUIRE(state);
    io::DriverPorts ports{clock, transport, host, app, &store};
    driver = std::make_unique<io::Driver>(std::move(*state), ports,
                                          io::DriverOptions{id_as_sequence, /*auto_ack=*/true});
    driver->start();
    host.run_offloaded();  // the checkpoint load, then Connect
    REQUIRE(transport.opened.size() == 1);
  }
  // An SSE event as the transport reads it: its bytes, then the message.
  void event(const std::string& id, const std::string& data) {
    ids.push_back(id);
    payloads.push_back(data);
    driver->on_received(("id: " + id + "\ndata: " + data + "\n\n").size());
    driver->on_message(
        io::Message{"message", payloads.back(), std::string_view(ids.back()), std::nullopt});
    host.run_offloaded();  // its checkpoint save
  }
  // The armed timer fires (an earlier deadline still armed fires at once,
  // as a real timer would: the loop re-arms only for an earlier one).
  void fire() {
    REQUIRE(host.armed);
    clock.now_ms = std::max(clock.now_ms, host.armed->ms);
    driver->on_timer();
  }
  // The backoff's deadline passes: the next attempt.
  void retry() {
    const std::size_t opened_before = transport.opened.size();
    for (int fired = 0; transport.opened.size() == opened_before; ++fired) {
      REQUIRE(fired < 3);
      fire();
    }
  }
};

}  // namespace

TEST_CASE("snapshot: counters after deliveries, a duplicate, a gap, a reconnect and bytes",
          "[snapshot]") {
  Session s;
  s.driver->on_opened();
  s.event("1", "a");
  s.event("2", "b");
  s.event("2", "b again");  // a duplicate: dropped
  s.event("5", "e");        // 3 and 4 are missing
  s.driver->on_closed(model::CloseCause::transport_error, "read: Connection reset by peer");
  s.retry();
  s.driver->on_opened();
  s.event("6", "f");
  s.driver->on_bytes();  // a comment: liveness, no bytes counted by itself
  s.driver->on_received(13);

  const io::SessionSnapshot snap = s.driver->snapshot();
  const io::SessionCounters& c = snap.counters;
  CHECK(c.deliveries == 4);
  CHECK(c.duplicates_dropped == 1);
  CHECK(c.gaps == 1);
  CHECK(c.events_missed == 2);
  CHECK(c.connection_attempts == 2);
  CHECK(c.reconnects == 1);
  CHECK(c.connections_opened == 2);
  CHECK(c.connection_failures == 1);
  CHECK(c.failures(model::Reason::transport_error) == 1);
  const std::size_t event_bytes = std::string(
                                      "id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 2\ndata: b again\n\n"
                                      "id: 5\ndata: e\n\nid: 6\ndata: f\n\n")
                                      .size();
  CHECK(c.bytes_received == event_bytes + 13);
  CHECK(c.checkpoints_saved >= 1);
  CHECK(snap.phase == "streaming");
  CHECK(snap.status.kind == model::StatusKind::streaming);
  CHECK(snap.attempt == 2);
  CHECK(snap.durable_id == 4);  // every delivery auto-acked and saved
  CHECK(snap.checkpoint_lag_deliveries == 0);
  CHECK_FALSE(snap.checkpoint_lag_ms);
  CHECK(snap.outage_failures == 0);  // the first frame made the stream healthy again
  REQUIRE(snap.last_error);
  CHECK(snap.last_error->reason == model::Reason::transport_error);
  CHECK(snap.last_error->detail == "read: Connection reset by peer");
  CHECK(snap.last_error->http_status == 0);
}

TEST_CASE("snapshot: while backing off it names the next attempt and how long until it",
          "[snapshot]") {
  Session s;
  s.clock.now_ms = 5000;
  s.driver->on_closed(model::CloseCause::transport_error, "connect: Connection refused");
  REQUIRE(s.host.armed);
  const std::int64_t due_ms = s.host.armed->ms;
  io::SessionSnapshot snap = s.driver->snapshot();
  CHECK(snap.phase == "backing_off");
  CHECK(snap.status.kind == model::StatusKind::backing_off);
  CHECK(snap.attempt == 2);  // the next one
  CHECK(snap.phase_since.ms == 5000);
  CHECK(snap.phase_age_ms == 0);
  REQUIRE(snap.next_attempt_in_ms);
  CHECK(*snap.next_attempt_in_ms == due_ms - 5000);
  CHECK(snap.status.next_attempt_at.ms == due_ms);
  // Later readings of the same clock: the driver's own, and age() on a copy.
  s.clock.now_ms = due_ms - 1;
  snap = s.driver->snapshot();
  CHECK(snap.phase_age_ms == due_ms - 1 - 5000);
  CHECK(snap.next_attempt_in_ms == 1);
  io::age(snap, model::Instant{due_ms + 40});  // past due, not yet fired
  CHECK(snap.next_attempt_in_ms == 0);
  CHECK(snap.phase_age_ms == due_ms + 40 - 5000);
  s.retry();
  snap = s.driver->snapshot();
  CHECK(snap.phase == "connecting");
  CHECK_FALSE(snap.next_attempt_in_ms);
  CHECK(snap.phase_since.ms == due_ms);
  CHECK(snap.attempt == 2);
}

TEST_CASE("snapshot: the last error keeps the HTTP status and the server's words", "[snapshot]") {
  Session s;
  s.driver->on_rejected(503, 2000, "Service Unavailable");
  const io::SessionSnapshot snap = s.driver->snapshot();
  REQUIRE(snap.last_error);
  CHECK(snap.last_error->http_status == 503);
  CHECK(snap.last_error->reason == model::Reason::rate_limited);
  CHECK(snap.last_error->detail == "server answered HTTP 503: Service Unavailable");
  CHECK(snap.last_error->at.ms == 1000);
  CHECK(snap.counters.failures(model::Reason::rate_limited) == 1);
  REQUIRE(snap.next_attempt_in_ms);
  CHECK(*snap.next_attempt_in_ms >= 2000);  // Retry-After is honoured
  // A 404 ends the session: the last error is that one.
  s.retry();
  s.driver->on_rejected(404, std::nullopt, "Not Found");
  const io::SessionSnapshot ended = s.driver->snapshot();
  CHECK(ended.phase == "failed");
  REQUIRE(ended.last_error);
  CHECK(ended.last_error->http_status == 404);
  CHECK(ended.last_error->reason == model::Reason::http_status);
  CHECK(ended.counters.connection_failures == 2);
  REQUIRE_FALSE(s.app.diagnostics.empty());
  CHECK(s.app.diagnostics.back().level == Level::error);
}

TEST_CASE("snapshot: the checkpoint's lag counts acked deliveries not yet durable, and their age",
          "[snapshot]") {
  Session s;
  s.driver->on_opened();
  s.ids.push_back("1");
  s.payloads.push_back("a");
  s.driver->on_message(io::Message{"message", "a", std::string_view(s.ids.back()), std::nullopt});
  // Auto-acked; its save waits on the worker.
  REQUIRE(s.host.queued.size() == 1);
  io::SessionSnapshot snap = s.driver->snapshot();
  CHECK(snap.checkpoint_lag_deliveries == 1);
  CHECK(snap.checkpoint_lag_ms == 0);
  s.clock.now_ms += 30;
  snap = s.driver->snapshot();
  CHECK(snap.checkpoint_lag_ms == 30);
  CHECK(snap.oldest_unsaved_at == model::Instant{1000});
  s.host.run_offloaded();
  snap = s.driver->snapshot();
  CHECK(snap.checkpoint_lag_deliveries == 0);
  CHECK_FALSE(snap.checkpoint_lag_ms);
  CHECK(snap.durable_id == 1);
  CHECK(snap.counters.checkpoints_saved == 1);
}

TEST_CASE("snapshot: a clean close of a healthy stream is no failure and begins no outage",
          "[snapshot]") {
  Session s;
  s.driver->on_opened();
  s.event("1", "a");
  s.clock.now_ms += 10'000;  // past aviso's short_session_ms
  s.driver->on_closed(model::CloseCause::clean_close, "stream ended");
  const io::SessionSnapshot snap = s.driver->snapshot();
  CHECK(snap.phase == "connecting");  // aviso reconnects at once after a clean close
  CHECK(snap.attempt == 1);
  CHECK(snap.counters.reconnects == 1);
  CHECK(snap.counters.connection_failures == 0);
  CHECK(snap.outage_failures == 0);
  CHECK_FALSE(snap.last_error);
  REQUIRE(s.app.diagnostics.size() == 1);
  CHECK(s.app.diagnostics[0].level == Level::info);
  CHECK(s.app.diagnostics[0].outage == Outage::none);
}

TEST_CASE(
    "log levels: an outage of 5 failed attempts says the first (warning), conceals 4 (debug), "
    "and its recovery once (info, with its length in virtual ms)",
    "[snapshot][log]") {
  Session s;
  s.driver->on_opened();
  s.event("1", "a");  // healthy
  s.clock.now_ms = 20'000;
  const std::int64_t began_ms = s.clock.now_ms;
  s.driver->on_closed(model::CloseCause::unexpected_eof, "connection closed by the server");
  s.retry();
  s.driver->on_closed(model::CloseCause::transport_error, "connect: Connection refused");
  s.retry();
  s.driver->on_rejected(503, std::nullopt, "Service Unavailable");
  s.retry();
  s.fire();  // the connect timeout: no transport said why
  s.retry();
  s.driver->on_closed(model::CloseCause::transport_error, "connect: Connection refused");
  CHECK(s.driver->snapshot().outage_failures == 5);
  CHECK(s.driver->snapshot().outage_since == model::Instant{began_ms});
  s.retry();
  s.driver->on_opened();
  s.clock.now_ms += 3;
  s.event("2", "b");  // the first frame: healthy again
  const std::int64_t outage_ms = s.clock.now_ms - began_ms;

  INFO([&] {
    std::string all;
    for (const auto& d : s.app.diagnostics)
      all += std::string(io::name_of(d.level)) + ": " + d.text + "\n";
    return all;
  }());
  REQUIRE(s.app.diagnostics.size() == 6);
  CHECK(s.app.at(Level::warning) == 1);
  CHECK(s.app.at(Level::debug) == 4);
  CHECK(s.app.at(Level::info) == 1);
  CHECK(s.app.diagnostics[0].level == Level::warning);
  CHECK(s.app.diagnostics[0].outage == Outage::began);
  CHECK(s.app.diagnostics[0].text == "connection closed by the server");
  for (std::size_t i = 1; i <= 4; ++i) {
    CHECK(s.app.diagnostics[i].level == Level::debug);
    CHECK(s.app.diagnostics[i].outage == Outage::repeat);
    CHECK(s.app.diagnostics[i].text.ends_with("(failed attempt " + std::to_string(i + 1) +
                                              " of this outage)"));
  }
  CHECK(s.app.diagnostics[2].text.starts_with("server answered HTTP 503"));
  CHECK(s.app.diagnostics[3].text.starts_with("no connection within the connect timeout"));
  const io::Diagnostic& recovered = s.app.diagnostics[5];
  CHECK(recovered.level == Level::info);
  CHECK(recovered.outage == Outage::recovered);
  CHECK(recovered.text == "streaming again after an outage of " + std::to_string(outage_ms) +
                              " ms and 5 failed attempt(s)");
  CHECK(s.driver->snapshot().outage_failures == 0);
  CHECK(s.driver->counters().connection_failures == 5);
}

TEST_CASE("log levels: fatal diagnostics are errors whatever their sender asked",
          "[snapshot][log]") {
  Session s;
  s.driver->on_opened();
  s.driver->on_closed(model::CloseCause::unrecoverable, "TLS: certificate verify failed");
  REQUIRE(s.app.diagnostics.size() == 1);
  CHECK(s.app.diagnostics[0].kind == io::Diagnostic::Kind::fatal);
  CHECK(s.app.diagnostics[0].level == Level::error);
  CHECK(s.driver->snapshot().phase == "failed");
}

TEST_CASE("snapshot: a reconnect the application asked for is not a connection failure",
          "[snapshot]") {
  Session s;
  s.driver->on_rejected(503, std::nullopt, "Service Unavailable");
  s.retry();  // attempt 2 is connecting, one failure behind it
  REQUIRE(s.driver->snapshot().counters.connection_failures == 1);
  s.driver->network_changed();  // backs off again, its reason the application's
  s.driver->restart();
  const io::SessionSnapshot snap = s.driver->snapshot();
  CHECK(snap.counters.connection_failures == 1);
  for (std::size_t r = 0; r < io::reason_count; ++r)
    if (model::is_lifecycle(static_cast<model::Reason>(r)))
      CHECK(snap.counters.failures_by_reason[r] == 0);
}
