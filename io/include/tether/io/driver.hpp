#pragma once
// The driver: the streaming session without Asio. It runs the session reducer
// in the one driver loop, io::ReducerLoop (<tether/io/reducer_loop.hpp>: read
// the clock when an input arrives, feed the event, execute every effect in
// order, re-arm the one timer), and adds what the session's effects need: the
// transport, the application, the checkpoint store and the auth provider. The
// Asio runner (tether::io::Runner) wraps it in a strand; the simulator runs it
// behind simulated ports; tests drive it with mocks and a virtual clock.
//
// Threading: not thread-safe. Every call (start, stop, ack, on_timer and the
// TransportListener callbacks) must come from the one strand. An ack() or
// stop() made from inside an application callback waits in the loop's inbox
// and is applied once the step's effects have run, in the order called.
//
// Effects:
// - Connect         -> transport.open() with the cursor and the bearer token
//                      (after the request hook, if any: <tether/io/request_hook.hpp>);
// - CloseConnection -> transport.close();
// - Deliver         -> application.on_delivery() with the frame's payload;
// - DiscardFrame    -> dropped (duplicates; late bytes of a closed stream);
// - ReportGap       -> application.on_gap();
// - SaveCheckpoint  -> store.save() off the strand, then CheckpointSaved/Failed;
// - RefreshAuth     -> auth.refresh() off the strand, then AuthRefreshed/Failed;
// - ReportStatus    -> application.on_status().
//
// An SSE comment (TransportListener::on_comment, when the transport delivers
// them) goes to application.on_comment() as it is: it is no reducer event (the
// on_bytes() that follows it is the liveness), not recorded, not counted as a
// delivery.
//
// Observability: the driver keeps a SessionStats (<tether/io/session_snapshot.hpp>)
// from its loop's hooks, which snapshot() reads, and gives every diagnostic a
// level: an outage's first failed attempt is a warning, the repeats debug,
// the recovery one info line (docs/io.md, "Log levels").
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <tether/io/application.hpp>
#include <tether/io/auth_provider.hpp>
#include <tether/io/checkpoint_store.hpp>
#include <tether/io/clock.hpp>
#include <tether/io/host.hpp>
#include <tether/io/reducer_loop.hpp>
#include <tether/io/reducers.hpp>
#include <tether/io/request_hook.hpp>
#include <tether/io/sequence_extractor.hpp>
#include <tether/io/session_snapshot.hpp>
#include <tether/io/trace_recorder.hpp>
#include <tether/io/transport.hpp>
#include <tether/model/session.hpp>
#include <utility>

namespace tether::io {

// Takes the event's sequence number from a message (see
// <tether/io/sequence_extractor.hpp>); empty: messages carry no sequence.
using SequenceFn = std::function<std::optional<std::uint64_t>(const Message&)>;

// Sees every step the driver takes, after its effects were executed (the
// simulator's oracle and trace; nothing in production needs one).
class StepObserver {
 public:
  virtual void on_step(const model::Event& event, const model::Phase& before,
                       const model::State& after, const model::Effects& effects) = 0;

 protected:
  ~StepObserver() = default;
};

// The reducer a driver runs: model::transition_in_place, except in mutation
// tests, which substitute deliberately broken variants to prove the checks
// catch them.
using Reducer = model::Effects (*)(model::State&, const model::Event&) noexcept;

struct DriverPorts {
  Clock& clock;
  Transport& transport;
  Host& host;
  Application& application;
  CheckpointStore* store = nullptr;  // null: nothing is persisted (SaveCheckpoint succeeds at once)
  AuthProvider* auth = nullptr;      // must be set iff config.auth.has_provider
  TraceRecorder* recorder = nullptr;
  StepObserver* observer = nullptr;
  Strand* strand = nullptr;  // must be set iff options.hooks.request is
};

// Deliberate defects, for the simulator's mutation check only
// (tests/sim/mutation.cpp, docs/simulation.md "The mutation check"): each
// breaks one line of the driver, to prove the simulation campaign catches it.
// Never set outside that test; `none` costs one predictable comparison where
// a defect would be.
enum class DriverMutant : std::uint8_t {
  none,
  ack_pops_one_more,           // ack(id) also takes the delivery after id
  ack_pops_one_fewer,          // ack(id) leaves delivery id itself unacked
  stop_dropped_while_feeding,  // a stop() from inside a callback is lost
  saved_id_off_by_one,         // a save's completion names the previous delivery
  timer_not_rearmed_earlier,   // an earlier deadline never replaces the armed one
  timer_fired_still_armed,     // the fired timer still counts as armed
  close_forgotten,  // the open connection is never marked open: CloseConnection closes nothing
  stop_before_deferred_ack,  // a callback's stop() is fed before an ack() made after it (no inbox
                             // merge)
  id_guard_off_by_one,       // an id of exactly id_bytes_max bytes is refused
  bearer_not_updated,        // a refresh's new credentials are not used
};

struct DriverOptions {
  SequenceFn sequence;
  // Ack every delivery when on_delivery() returns (for applications that are
  // done with a message once the callback has run).
  bool auto_ack = false;
  // Longer resume ids end the session (a retry would meet the same id); at
  // most model::Token::capacity.
  std::size_t id_bytes_max = model::Token::capacity;
  Reducer reducer = &model::transition_in_place;
  DriverMutant mutant = DriverMutant::none;  // the mutation check only
  // The request and response hooks, and the rules a hooked request obeys.
  HookOptions hooks = {};
};

// A SequenceFn that reads the sequence as `extractor` says.
SequenceFn sequence_fn(SequenceExtractor extractor);

class Driver final : public TransportListener {
 public:
  Driver(model::State initial, DriverPorts ports, DriverOptions options);
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  // Loads the checkpoint and the first credentials off the strand, then feeds
  // Started. A checkpoint that cannot be read ends the session (Diagnostic
  // fatal) before any connection: never a silent restart from the beginning.
  void start();
  // Graceful: feeds StopRequested (flushes the checkpoint, closes the
  // connection). No delivery happens after this returns. finished() turns true
  // once the flush is durable (or failed).
  void stop();
  // The application is done with deliveries up to `delivery_id` (cumulative).
  void ack(std::uint64_t delivery_id);
  // The timer armed through Host fired.
  void on_timer();
  // The host's network came back: retry now instead of at the backoff deadline.
  void network_restored();
  // The application's lifecycle (docs/state-machine.md, "Paused"): the host's
  // network changed (drop the connection, reconnect within
  // backoff.restored_delay_ms_max); pause (close, flush, no connection until
  // resume); resume (reconnect from the cursor); restart (as network_changed).
  void network_changed();
  void pause();
  void resume();
  void restart();

  // TransportListener
  void on_opened() override;
  void on_rejected(std::uint16_t http_status, std::optional<std::int64_t> retry_after_ms,
                   std::string_view detail) override;
  void on_bytes() override;
  void on_comment(std::string_view text) override;  // application.on_comment()
  void on_received(std::size_t bytes) override { stats_.received(bytes); }
  void on_message(const Message& message) override;
  void on_closed(model::CloseCause cause, std::string_view detail) override;
  void on_cursor_expired() override;
  void on_replay_finished() override;
  void on_notice(std::string_view text) override;       // a Diagnostic (connection)
  void on_response(const ResponseHead& head) override;  // the response hook

  const model::State& state() const { return loop_.state(); }
  // The reducer's status; failed (checkpoint_unreadable) if start() could not
  // load the checkpoint.
  model::Status status() const;
  // Where the next connection would resume.
  model::Cursor resume_cursor() const { return state().progress.resume; }
  // Terminal (Stopped, GaveUp, Failed) or failed to start, with no
  // checkpoint write or auth refresh still running.
  bool finished() const;
  bool failed_to_start() const { return failed_to_start_; }
  // The final checkpoint save of a stop failed: the checkpoint is behind.
  bool save_failed_at_stop() const { return save_failed_at_stop_; }

  static constexpr std::int64_t save_report_interval_ms = 30000;
  std::uint64_t events_fed() const { return loop_.events_fed(); }

  // What the session is doing, by the driver's clock read now. The second
  // form fills `out` in place (the Runner refreshes one copy after every input).
  SessionSnapshot snapshot() const;
  void snapshot(SessionSnapshot& out) const;
  const SessionCounters& counters() const { return stats_.counters(); }

 private:
  // The loop's executor: the session's effects, and the hooks the recorder
  // and the observer need (see <tether/io/reducer_loop.hpp>).
  struct Steps {
    Driver& driver;
    void execute(const model::Effect& effect) { driver.execute(effect); }
    void stepping(const model::State& before, const model::Event&) {
      driver.stats_.stepping(before.phase);
      if (driver.ports_.observer != nullptr) driver.phase_before_ = before.phase;
    }
    void stepped(const model::Event& event, const model::Effects& effects) {
      // Recorded before the effects run: executing them may feed further events.
      if (driver.ports_.recorder != nullptr) driver.ports_.recorder->record(event, effects.span());
      driver.report_attempt_end(event, effects);
    }
    void executed(const model::Event& event, const model::State& after,
                  const model::Effects& effects) {
      if (const auto recovery = driver.stats_.executed(event, after))
        driver.report_recovery(*recovery);
      if (driver.ports_.observer != nullptr)
        driver.ports_.observer->on_step(event, *driver.phase_before_, after, effects);
    }
    void settled(const model::State& state) {
      // The final state, for replay to check (again if a later event arrives).
      if (driver.ports_.recorder != nullptr && driver.finished())
        driver.ports_.recorder->record_state(state);
    }
    void refused(const model::Event& event);
  };

  void feed(model::Event event) { loop_.feed(std::move(event)); }
  void execute(const model::Effect& effect);
  void connect(const model::Connect& connect);
  void on_request_ready(ConnectRequest request, RequestHooks::Outcome outcome);
  void close_connection();
  void deliver(const model::Deliver& deliver);
  void save(const model::SaveCheckpoint& save);
  void refresh_auth(const model::RefreshAuth& effect);
  void report_refresh_timeout(const model::Status& status);
  void begin_started(std::optional<model::Cursor> checkpoint,
                     std::optional<std::int64_t> token_expires_unix_ms);
  std::optional<model::Instant> expiry_instant(std::optional<std::int64_t> unix_ms);
  void diagnose(Diagnostic::Kind kind, std::string text,
                Diagnostic::Level level = Diagnostic::Level::warning,
                Diagnostic::Outage outage = Diagnostic::Outage::none);
  // Why a connection ended, as its transport said: reported with the step it
  // causes (report_attempt_end), which tells whether it failed an attempt.
  void connection_ended(Diagnostic::Kind kind, std::uint16_t http_status, std::string text);
  void report_attempt_end(const model::Event& event, const model::Effects& effects);
  void report_recovery(const SessionStats::Recovery& recovery);
  void report_save_failed(std::string text);
  void report_save_recovered();
  bool mutated(DriverMutant m) const { return options_.mutant == m; }

  DriverPorts ports_;
  DriverOptions options_;
  Steps steps_{*this};
  ReducerLoop<SessionReducer, Steps> loop_;
  std::optional<model::Phase> phase_before_;  // of the step being taken (for the observer)
  SessionStats stats_;
  // connection_ended()'s account, until the step it causes reports it.
  struct EndReported {
    Diagnostic::Kind kind;
    std::uint16_t http_status;
    std::string text;
  };
  std::optional<EndReported> end_reported_;
  std::string bearer_token_;
  // The message being fed as FrameReceived (Deliver/DiscardFrame name it).
  const Message* frame_ = nullptr;
  std::uint64_t frame_ref_ = 0;
  // Cursors of deliveries not yet acked (on_ack commit policy), oldest first.
  std::deque<std::pair<std::uint64_t, model::Cursor>> unacked_;
  std::optional<model::Token> frame_token_;
  bool started_ = false;
  bool failed_to_start_ = false;
  bool connection_open_ = false;  // a transport connection exists
  int offloads_in_flight_ = 0;
  std::uint64_t save_failures_ = 0;             // since the last success
  std::uint64_t save_failures_unreported_ = 0;  // rate-limited away
  std::optional<model::Instant> save_reported_at_;
  bool save_failed_at_stop_ = false;
  std::uint32_t refresh_running_ = 0;  // the RefreshAuth request out (0: none)
  bool refresh_timeout_told_ = false;  // its timeout was diagnosed
  RequestHooks hooks_;                 // last: its completions may reach the members above
};

}  // namespace tether::io
