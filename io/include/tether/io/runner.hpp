#pragma once
// The runner: one session on its own Boost.Asio thread (the strand), driving
// the reducer against a real server. Boost stays out of this header: include
// it anywhere without pulling in Asio.
//
//   tether::io::RunnerOptions options;
//   options.url = "https://example.com/sub/orders";
//   options.config = tether::model::presets::aviso();
//   options.sequence = tether::io::SequenceExtractor::from_json_field("seq");
//   // The checkpoint names its stream (URL without secrets, sequence source): a
//   // file written for another stream, or in use by another process, is refused.
//   options.store = tether::io::FileCheckpointStore::open(
//       "orders.ckpt", {.stream = tether::io::stream_identity(options.url, "json:seq")}).value();
//   tether::io::Callbacks callbacks;
//   callbacks.on_delivery = [](const tether::io::Delivery& d) { handle(d.data); };
//   auto runner = tether::io::Runner::start(std::move(options), std::move(callbacks));
//   ...
//   (*runner)->stop();  // flushes the checkpoint; no delivery after it returns
//
// Threading: callbacks run on the runner's thread, one at a time, in order.
// Every Runner member function is thread-safe. stop() called from inside a
// callback cannot wait for itself: it requests the stop and returns; the
// session stops once the callback returns.
#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/application.hpp>
#include <tether/io/auth_provider.hpp>
#include <tether/io/checkpoint_store.hpp>
#include <tether/io/runner_options.hpp>
#include <tether/io/sequence_extractor.hpp>
#include <tether/io/session_snapshot.hpp>
#include <tether/model/config.hpp>
#include <tether/model/cursor.hpp>
#include <tether/model/status.hpp>

namespace tether::io {

struct Callbacks {
  // Empty: deliveries queue for Runner::next() (the pull API) instead.
  // Delivery ids count 1, 2, 3... in order within one Runner. Under the
  // on_ack commit policy (every preset) the checkpoint moves only to acked
  // deliveries; see Runner::ack() for what an ack promises.
  std::function<void(const Delivery&)> on_delivery;
  std::function<void(const model::ReportGap&)> on_gap;
  std::function<void(const model::Status&)> on_status;
  std::function<void(const Diagnostic&)> on_diagnostic;
  // SSE comments, with SseOptions::deliver_comments (Application::on_comment).
  // Not deliveries: never acked, never queued for the pull API (without this
  // callback they are dropped).
  std::function<void(std::string_view)> on_comment;
};

// A delivery that owns its bytes (the pull API).
struct OwnedDelivery {
  std::uint64_t delivery_id = 0;
  std::optional<std::uint64_t> sequence;
  std::optional<std::string> id;
  std::string type;
  std::string data;
};

class Runner {
 public:
  // Validates everything (URL, configuration, TLS files, trace file) before
  // starting; the error names what is wrong.
  static std::expected<std::unique_ptr<Runner>, std::string> start(RunnerOptions options,
                                                                   Callbacks callbacks);
  // The same, with the application's own io::Application, made by
  // `make_application` from the session's io::SessionControl (ack, stop,
  // after) before the session starts: the interface the simulator runs too
  // (docs/simulation.md, "Your code under simulation"), so the same class
  // runs here and under the simulator's campaign. The Runner owns it.
  static std::expected<std::unique_ptr<Runner>, std::string> start_application(
      RunnerOptions options, ApplicationFactory make_application);
  ~Runner();  // stop(), then joins the thread
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Graceful: the pending checkpoint is flushed, the connection closed, and no
  // callback runs after this returns. Idempotent. Waits at most `flush_wait`
  // for a slow checkpoint store.
  void stop(std::chrono::milliseconds flush_wait = std::chrono::seconds(30));
  // Blocks until the session ends by itself (gave up, failed, replay finished)
  // or `timeout` passes; true if it ended.
  bool wait_until_finished(std::chrono::milliseconds timeout);
  bool finished() const;

  // The application has durably handled deliveries 1..`delivery_id`.
  // Cumulative: acking n acks every delivery up to n; an id already acked is a
  // no-op, and an ack naming an id not delivered yet is ignored entirely.
  // Under the on_ack commit policy the checkpoint may then move to n, and only
  // then (when exactly is up to the checkpoint batching; stop() flushes it).
  // The promise is at-least-once: a crash before the ack, or before the
  // checkpoint write completes, re-delivers those events after the restart;
  // an event is never skipped because it was delivered but not yet handled.
  // So ack only what survives a crash of this process (written to a file or
  // socket, committed to a database), not what sits in a user-space buffer.
  // For use when auto_ack is off; ignored after stop(). Thread-safe; acks take
  // effect in call order, before a later stop() from the same thread (ack(n)
  // then stop() checkpoints n).
  void ack(std::uint64_t delivery_id);
  // The host's network is back: retry now rather than at the backoff deadline.
  void network_restored();
  // The application's lifecycle; thread-safe, each applied on the session's
  // strand in call order (docs/io.md, "Lifecycle").
  // The host's network changed (another Wi-Fi, a VPN): the open connection may
  // be bound to an interface that is gone, so it is dropped and a new one made
  // within backoff.restored_delay_ms_max (a backoff is cut short as by
  // network_restored()).
  void network_changed();
  // No connection until resume(): the connection is closed and the checkpoint
  // flushed (an app going to the background). A pause before the session has
  // started keeps it from connecting when it starts.
  void pause();
  // Reconnects from the cursor: at once, or when a backoff the pause
  // interrupted would have ended.
  void resume();
  // A new connection, from the cursor (a "reconnect" button), as network_changed().
  void restart();

  // Pull API (Callbacks::on_delivery empty): the next delivery, waiting up to
  // `timeout`. Deliveries queue in order; ack them when done (auto_ack acks on
  // dequeue).
  std::optional<OwnedDelivery> next(std::chrono::milliseconds timeout);

  model::Status status() const;
  // Where a reconnect would resume right now.
  model::Cursor resume_cursor() const;
  std::uint64_t deliveries() const;
  std::uint64_t events_fed() const;
  // What the session is doing (<tether/io/session_snapshot.hpp>): a copy,
  // as of the session's last input, its relative times (phase_age_ms,
  // next_attempt_in_ms, checkpoint_lag_ms) moved to now. Its Instants are
  // milliseconds since this Runner started (a steady clock, not wall-clock).
  SessionSnapshot snapshot() const;

  struct Impl;

 private:
  explicit Runner(std::unique_ptr<Impl> impl);
  static std::expected<std::unique_ptr<Runner>, std::string> start(
      RunnerOptions options, Callbacks callbacks, ApplicationFactory make_application);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tether::io
