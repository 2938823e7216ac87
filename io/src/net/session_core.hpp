#pragma once
// Private to tether::io: one streaming session on an io_context, the part the
// Runner (its own thread and io_context) and the AsioSession (the
// application's io_context) share. The Driver runs on the io_context, which
// one thread runs (the strand); blocking work (checkpoint writes, credential
// refresh) runs on a serialized executor, its completions posted back.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <deque>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tether/io/clock.hpp>
#include <tether/io/driver.hpp>
#include <tether/io/runner.hpp>
#include <utility>  // before Asio under C++23 (Boost 1.74's awaitable.hpp)
#include <vector>

namespace tether::io::net {

namespace asio = boost::asio;

// Blocking jobs, one at a time and in order, on an executor that may run
// several threads (the application's pool). Plain state rather than an Asio
// strand: a strand belongs to its executor's context, so a session freed
// after the application's pool (destroyed first, declared last) would touch
// a dead context; a pending drain holds only this queue.
class SerialQueue final : public std::enable_shared_from_this<SerialQueue> {
 public:
  explicit SerialQueue(asio::any_io_executor executor) : executor_(std::move(executor)) {}
  void push(std::move_only_function<void()> job);

 private:
  void drain();
  asio::any_io_executor executor_;
  std::mutex mutex_;
  std::deque<std::move_only_function<void()>> jobs_;
  bool draining_ = false;
};

struct SessionCore final : Host, Strand, Application, SessionControl {
  // `blocking`: where blocking work runs (serialized through a strand); none:
  // on a one-thread pool of the core's own.
  SessionCore(asio::io_context& io, std::optional<asio::any_io_executor> blocking);
  ~SessionCore() override;
  SessionCore(const SessionCore&) = delete;
  SessionCore& operator=(const SessionCore&) = delete;

  RunnerOptions options;
  Callbacks callbacks;
  std::unique_ptr<Application> app;  // the application's own, if it gave one (else callbacks)
  SteadyClock clock;                 // Instants are ms since its origin; at() arms the timer
  asio::io_context& io;
  std::optional<asio::thread_pool> own_worker;  // one thread: store and auth calls in order
  std::shared_ptr<SerialQueue> worker;
  asio::steady_timer timer{io};
  std::unique_ptr<Transport> transport;
  std::unique_ptr<TraceRecorder> recorder;
  std::optional<Driver> driver;
  std::vector<std::shared_ptr<void>> keepalive;  // the transport adapters

  // Snapshots for other threads, refreshed on the strand after every input.
  mutable std::mutex mutex;
  std::condition_variable changed;
  model::Status status;
  model::Cursor cursor;
  bool finished = false;
  bool stopping = false;
  std::deque<OwnedDelivery> pulled;
  bool pull_paused = false;  // guarded by mutex
  mutable std::mutex snapshot_mutex;
  SessionSnapshot snapshot;
  model::Status published_status;
  std::atomic<std::uint64_t> delivered_fast{0};
  std::atomic<std::uint64_t> events_fast{0};

  // Strand-only: what waits for the end (AsioSession::async_stop), the one
  // waiting pull (async_next), the application's after() timers, and
  // whether the core frees itself once drained (an AsioSession destroyed
  // before its session ended).
  std::vector<std::move_only_function<void()>> on_finished;
  std::move_only_function<void(std::optional<OwnedDelivery>)> waiting_next;
  std::vector<std::weak_ptr<asio::steady_timer>> after_timers;
  std::unique_ptr<SessionCore> self;
  bool reaping = false;
  // A running session is outstanding work on the io_context, as an open
  // socket is: the loop does not run out of work while it waits for a
  // worker's job or a request hook's completion. Released when it finishes.
  using Guard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::optional<Guard> alive;

  // Validates everything (URL, configuration, TLS files, trace file) and
  // builds the session; begin() starts it on the strand.
  static std::expected<std::unique_ptr<SessionCore>, std::string> make(
      asio::io_context& io, std::optional<asio::any_io_executor> blocking, RunnerOptions options,
      Callbacks callbacks, ApplicationFactory make_application);
  void begin();

  // Host
  void arm_timer(std::optional<model::Instant> deadline) override;
  void offload(Work job, Blocking) override;
  // Strand: the request hook's completion, from any thread.
  void post(std::move_only_function<void()> job) override;
  // Application: the application's own, else the callbacks (or the pull queue).
  void on_delivery(const Delivery& d) override;
  void on_gap(const model::ReportGap& gap) override;
  void on_status(const model::Status& s) override;
  void on_diagnostic(const Diagnostic& d) override;
  void on_comment(std::string_view text) override;
  // SessionControl: posted to the strand, in call order (an ack made before a
  // stop is applied before it).
  void ack(std::uint64_t delivery_id) override;
  void stop() override { request_stop(); }
  void after(std::int64_t delay_ms, std::function<void()> job) override;

  // Asks the session to stop, without waiting.
  void request_stop();
  // After every input on the strand: what other threads may read.
  void publish();
  // The streaming path: counters without a lock; the full publish only when
  // the status changed.
  void publish_if_changed();
  void refresh_snapshot();
  // The pull queue's next delivery, if any (auto_ack acks it); resumes a
  // paused transport once the queue is half drained. Any thread.
  std::optional<OwnedDelivery> pop_pulled();
  // Strand: `done` runs (posted) once the session has finished.
  void when_finished(std::move_only_function<void()> done);
  // Strand: `done` gets the next pulled delivery, or none once finished.
  void next_then(std::move_only_function<void(std::optional<OwnedDelivery>)> done);
  // Strand: takes ownership of the core, stops the session and frees the
  // core once no handler of it can run any more.
  void reap(std::unique_ptr<SessionCore> owner);

  // Runs `fn` on the strand, then publishes.
  template <class Fn>
  void on_strand(Fn fn) {
    asio::post(io, [this, fn = std::move(fn)]() mutable {
      fn();
      publish();
    });
  }

 private:
  void settle();  // the session has finished: wake what waits for it
  void drain_then_free();
};

}  // namespace tether::io::net
