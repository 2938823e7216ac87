// The Asio runner: the Driver on one io_context thread (the strand), a
// steady_timer for next_deadline, and one worker thread for blocking work
// (checkpoint writes, credential refresh), whose completions are posted back.
#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <tether/io/clock.hpp>
#include <tether/io/driver.hpp>
#include <tether/io/http_header.hpp>
#include <tether/io/runner.hpp>
#include <tether/io/runner_config.hpp>
#include <tether/io/seed.hpp>
#include <tether/io/url.hpp>
#include <tether/model/session.hpp>
#include <thread>
#include <utility>  // before Asio under C++23 (Boost 1.74's awaitable.hpp)
#include <vector>

#include "net/asio_transports.hpp"
#include "net/tls_setup.hpp"

namespace tether::io {

namespace asio = boost::asio;

struct Runner::Impl final : Host, Strand, Application, SessionControl {
  RunnerOptions options;
  Callbacks callbacks;
  std::unique_ptr<Application> app;  // the application's own, if it gave one (else callbacks)
  SteadyClock clock;                 // Instants are ms since its origin; at() arms the timer
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  asio::steady_timer timer{io};
  asio::thread_pool worker{1};  // one thread: store and auth calls stay serialized, in order
  std::unique_ptr<Transport> transport;
  std::unique_ptr<TraceRecorder> recorder;
  std::optional<Driver> driver;
  std::thread thread;

  // Snapshots for other threads, refreshed on the strand after every input.
  mutable std::mutex mutex;
  std::condition_variable changed;
  model::Status status;
  model::Cursor cursor;
  bool finished = false;
  bool stopping = false;
  std::deque<OwnedDelivery> pulled;
  bool pull_paused = false;  // guarded by mutex
  std::vector<std::shared_ptr<void>> keepalive;
  // The driver's snapshot, refreshed on the strand after every input (its own
  // lock: the pull API's waiters never wait for it).
  mutable std::mutex snapshot_mutex;
  SessionSnapshot snapshot;
  void refresh_snapshot() {
    std::lock_guard lock(snapshot_mutex);
    driver->snapshot(snapshot);
  }

  // Host
  void arm_timer(std::optional<model::Instant> deadline) override {
    if (!deadline) {
      timer.cancel();
      return;
    }
    timer.expires_at(clock.at(*deadline));
    timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;  // replaced or cancelled
      driver->on_timer();
      publish();
    });
  }

  void offload(Work job, Blocking) override {
    auto shared = std::make_shared<Work>(std::move(job));
    asio::post(worker, [this, shared] {
      auto done = std::make_shared<Completion>((*shared)());
      asio::post(io, [this, done] {
        (*done)();
        publish();
      });
    });
  }

  // Strand: the request hook's completion, from any thread.
  void post(std::move_only_function<void()> job) override {
    auto shared = std::make_shared<std::move_only_function<void()>>(std::move(job));
    asio::post(io, [this, shared] {
      (*shared)();
      publish();
    });
  }

  // Application: the application's own, else the callbacks (or the pull queue).
  void on_delivery(const Delivery& d) override {
    if (app) {
      app->on_delivery(d);
    } else if (callbacks.on_delivery) {
      callbacks.on_delivery(d);
    } else {
      OwnedDelivery owned{d.delivery_id, d.sequence,
                          d.id ? std::optional<std::string>(std::string(*d.id)) : std::nullopt,
                          std::string(d.type), std::string(d.data)};
      std::lock_guard lock(mutex);
      pulled.push_back(std::move(owned));
      if (pulled.size() >= options.pull_queue_max && !pull_paused) {
        pull_paused = true;  // the consumer fell behind: stop reading
        transport->set_paused(true);
      }
      changed.notify_all();
    }
  }
  void on_gap(const model::ReportGap& gap) override {
    if (app)
      app->on_gap(gap);
    else if (callbacks.on_gap)
      callbacks.on_gap(gap);
  }
  void on_status(const model::Status& s) override {
    if (app)
      app->on_status(s);
    else if (callbacks.on_status)
      callbacks.on_status(s);
  }
  void on_diagnostic(const Diagnostic& d) override {
    if (app)
      app->on_diagnostic(d);
    else if (callbacks.on_diagnostic)
      callbacks.on_diagnostic(d);
  }

  // SessionControl: posted to the strand, in call order (an ack made before a
  // stop is applied before it).
  void ack(std::uint64_t delivery_id) override {
    on_strand([this, delivery_id] { driver->ack(delivery_id); });
  }
  void stop() override { request_stop(); }
  void after(std::int64_t delay_ms, std::function<void()> job) override {
    auto delay = std::make_shared<asio::steady_timer>(
        io, std::chrono::milliseconds(std::max<std::int64_t>(0, delay_ms)));
    delay->async_wait([this, delay, job = std::move(job)](const boost::system::error_code& ec) {
      if (ec) return;
      job();
      publish();
    });
  }

  // Asks the session to stop, without waiting; true if this call asked first.
  void request_stop() {
    {
      std::lock_guard lock(mutex);
      if (stopping) return;
      stopping = true;
    }
    on_strand([this] { driver->stop(); });
    // A refresh blocked on the worker (a slow --token-cmd) would hold up the
    // checkpoint flush and the worker's join: end it now. Posted after the
    // stop, its failure reaches a session that has already stopped.
    if (options.auth) options.auth->cancel();
  }

  // After every input on the strand: what other threads may read.
  void publish() {
    const bool done = driver->finished();
    if (done && recorder) {
      if (auto flushed = recorder->flush(); !flushed)
        on_diagnostic(
            Diagnostic{Diagnostic::Kind::fatal, flushed.error(), Diagnostic::Level::error});
    }
    published_status = driver->status();
    delivered_fast.store(driver->state().progress.delivered_id, std::memory_order_relaxed);
    events_fast.store(driver->events_fed(), std::memory_order_relaxed);
    refresh_snapshot();
    std::lock_guard lock(mutex);
    status = driver->status();
    cursor = driver->resume_cursor();
    if (done && !finished) {
      finished = true;
      timer.cancel();
    }
    changed.notify_all();
  }

  // The streaming path: counters without a lock; the full publish (lock,
  // notify) only when the status changed.
  model::Status published_status;
  std::atomic<std::uint64_t> delivered_fast{0};
  std::atomic<std::uint64_t> events_fast{0};
  void publish_if_changed() {
    delivered_fast.store(driver->state().progress.delivered_id, std::memory_order_relaxed);
    events_fast.store(driver->events_fed(), std::memory_order_relaxed);
    if (!(driver->status() == published_status) || driver->finished()) return publish();
    refresh_snapshot();
  }

  // Runs `fn` on the strand, then publishes.
  template <class Fn>
  void on_strand(Fn fn) {
    asio::post(io, [this, fn = std::move(fn)]() mutable {
      fn();
      publish();
    });
  }

  // TransportListener calls arrive straight from the transports; wrap the
  // driver so every input publishes afterwards.
  struct Listener final : TransportListener {
    Impl* impl;
    void on_opened() override {
      impl->driver->on_opened();
      impl->publish();
    }
    void on_rejected(std::uint16_t status, std::optional<std::int64_t> retry_after_ms,
                     std::string_view detail) override {
      impl->driver->on_rejected(status, retry_after_ms, detail);
      impl->publish();
    }
    void on_bytes() override {
      impl->driver->on_bytes();
      impl->publish_if_changed();
    }
    void on_received(std::size_t bytes) override { impl->driver->on_received(bytes); }
    void on_message(const Message& message) override {
      impl->driver->on_message(message);
      impl->publish_if_changed();
    }
    void on_closed(model::CloseCause cause, std::string_view detail) override {
      impl->driver->on_closed(cause, detail);
      impl->publish();
    }
    void on_cursor_expired() override {
      impl->driver->on_cursor_expired();
      impl->publish();
    }
    void on_replay_finished() override {
      impl->driver->on_replay_finished();
      impl->publish();
    }
    void on_notice(std::string_view text) override { impl->driver->on_notice(text); }
    void on_response(const ResponseHead& head) override { impl->driver->on_response(head); }
  };
};

namespace {

// The transport the driver sees: forwards to the real one but hands it the
// publishing listener instead of the driver itself.
class PublishingTransport final : public Transport {
 public:
  PublishingTransport(Transport& inner, TransportListener& listener)
      : inner_(inner), listener_(listener) {}
  void open(const ConnectRequest& request, TransportListener&) override {
    inner_.open(request, listener_);
  }
  void close() override { inner_.close(); }

 private:
  Transport& inner_;
  TransportListener& listener_;
};

}  // namespace

Runner::Runner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::expected<std::unique_ptr<Runner>, std::string> Runner::start(RunnerOptions options,
                                                                  Callbacks callbacks) {
  return start(std::move(options), std::move(callbacks), nullptr);
}

std::expected<std::unique_ptr<Runner>, std::string> Runner::start_application(
    RunnerOptions options, ApplicationFactory make_application) {
  if (!make_application) return std::unexpected("no application: the ApplicationFactory is empty");
  return start(std::move(options), Callbacks{}, std::move(make_application));
}

namespace {
// The hooks and the rules their requests obey (the configured URL, headers,
// POST body; whether an AuthProvider owns Authorization).
HookOptions hook_options(const RunnerOptions& options, const Url& url) {
  HookOptions hooks;
  hooks.request = options.request_hook;
  hooks.response = options.response_hook;
  hooks.rules.url = url;
  hooks.rules.http = options.http;
  if (!url.websocket()) hooks.rules.sse = options.sse;
  hooks.rules.auth_provider = static_cast<bool>(options.auth);
  return hooks;
}

// The shell's options obey the ranges a configuration file does
// (docs/configuration.md); headers may carry credentials here (a file may
// not), so they are checked apart.
std::expected<void, std::string> check_shell_options(const RunnerOptions& options) {
  if (options.config.auth.has_provider && !options.auth)
    return std::unexpected("configuration: auth.has_provider is set but no AuthProvider was given");
  ShellConfig shell = shell_of(options);
  shell.http.headers.clear();
  if (auto ok = validate(shell); !ok)
    return std::unexpected("configuration: " + ok.error().message());
  if (auto bad = check_request_headers("", options.http.headers); !bad)
    return std::unexpected(bad.error());
  return {};
}
}  // namespace

std::expected<std::unique_ptr<Runner>, std::string> Runner::start(
    RunnerOptions options, Callbacks callbacks, ApplicationFactory make_application) {
  options.config.seed = seed_or_random(options.seed);
  auto url = parse_url(options.url);
  if (!url) return std::unexpected(url.error());
  auto state = model::make(options.config);
  if (!state) {
    return std::unexpected("configuration: " + std::string(state.error().field) + " " +
                           std::string(state.error().reason));
  }
  if (auto ok = check_shell_options(options); !ok) return std::unexpected(ok.error());

  auto impl = std::make_unique<Impl>();
  Impl& i = *impl;
  i.options = std::move(options);
  i.callbacks = std::move(callbacks);
  if (make_application) {
    i.app = make_application(i);
    if (!i.app) return std::unexpected("no application: the ApplicationFactory returned none");
  }
  // Made on first use, so an http:// URL may redirect to https://; checked
  // now for an https or wss URL, so a bad CA file is a start error.
  net::TlsContext tls(i.options.tls);
  if (url->tls()) {
    if (auto context = tls.get(); !context) return std::unexpected(context.error());
  }
  if (i.options.record_path) {
    // The header makes the recording replayable alone: the effective
    // configuration and the seed the reducer's jitter draws from.
    auto recorder = TraceRecorder::create(
        *i.options.record_path,
        recording_header(config_of(i.options), i.options.config.seed, i.clock),
        i.options.record_comment);
    if (!recorder) return std::unexpected(recorder.error());
    i.recorder = std::move(*recorder);
  }
  i.transport = url->websocket()
                    ? net::make_websocket_transport(i.io, std::move(tls), *url, i.options.http,
                                                    i.options.websocket, i.clock)
                    : net::make_sse_transport(i.io, std::move(tls), *url, i.options.http,
                                              i.options.sse, i.clock);

  auto listener = std::make_shared<Impl::Listener>();
  listener->impl = &i;
  auto publishing = std::make_shared<PublishingTransport>(*i.transport, *listener);
  DriverOptions driver_options;
  if (i.options.sequence) driver_options.sequence = sequence_fn(*i.options.sequence);
  driver_options.auto_ack = i.options.auto_ack && (i.app || i.callbacks.on_delivery);
  driver_options.id_bytes_max = i.options.id_bytes_max;
  driver_options.hooks = hook_options(i.options, *url);
  DriverPorts ports{i.clock,         *publishing, i, i, i.options.store.get(), i.options.auth.get(),
                    i.recorder.get()};
  ports.strand = &i;
  i.driver.emplace(std::move(*state), ports, std::move(driver_options));
  // Keep the adapters alive as long as the io_context runs.
  i.on_strand([&i, listener, publishing] {
    static_cast<void>(listener);
    static_cast<void>(publishing);
    if (i.options.tls.insecure_skip_verify_DANGEROUS) {
      i.on_diagnostic(
          Diagnostic{Diagnostic::Kind::connection,
                     "TLS certificate verification is OFF (insecure_skip_verify_DANGEROUS)"});
    }
    i.driver->start();
  });
  // The adapters must outlive every handler: park them in the impl.
  i.keepalive.push_back(listener);
  i.keepalive.push_back(publishing);
  i.thread = std::thread([&i] { i.io.run(); });
  return std::unique_ptr<Runner>(new Runner(std::move(impl)));
}

Runner::~Runner() {
  stop();
  impl_->work.reset();
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->worker.join();
}

void Runner::stop(std::chrono::milliseconds flush_wait) {
  Impl& i = *impl_;
  {
    std::lock_guard lock(i.mutex);
    if (i.stopping && i.finished) return;
  }
  i.request_stop();
  if (std::this_thread::get_id() == i.thread.get_id()) return;  // from a callback: cannot wait
  std::unique_lock lock(i.mutex);
  i.changed.wait_for(lock, flush_wait, [&i] { return i.finished; });
  lock.unlock();
  // Nothing runs on the strand after this: no callback after stop() returns.
  i.work.reset();
  i.io.stop();
  if (i.thread.joinable()) i.thread.join();
}

bool Runner::wait_until_finished(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  return impl_->changed.wait_for(lock, timeout, [this] { return impl_->finished; });
}

bool Runner::finished() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->finished;
}

void Runner::ack(std::uint64_t delivery_id) {
  impl_->on_strand([i = impl_.get(), delivery_id] { i->driver->ack(delivery_id); });
}

void Runner::network_restored() {
  impl_->on_strand([i = impl_.get()] { i->driver->network_restored(); });
}

void Runner::network_changed() {
  impl_->on_strand([i = impl_.get()] { i->driver->network_changed(); });
}

void Runner::pause() {
  impl_->on_strand([i = impl_.get()] { i->driver->pause(); });
}

void Runner::resume() {
  impl_->on_strand([i = impl_.get()] { i->driver->resume(); });
}

void Runner::restart() {
  impl_->on_strand([i = impl_.get()] { i->driver->restart(); });
}

std::optional<OwnedDelivery> Runner::next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  impl_->changed.wait_for(lock, timeout,
                          [this] { return !impl_->pulled.empty() || impl_->finished; });
  if (impl_->pulled.empty()) return std::nullopt;
  OwnedDelivery d = std::move(impl_->pulled.front());
  impl_->pulled.pop_front();
  if (impl_->pull_paused && impl_->pulled.size() <= impl_->options.pull_queue_max / 2) {
    impl_->pull_paused = false;
    impl_->on_strand([i = impl_.get()] { i->transport->set_paused(false); });
  }
  lock.unlock();
  if (impl_->options.auto_ack) ack(d.delivery_id);
  return d;
}

model::Status Runner::status() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->status;
}

model::Cursor Runner::resume_cursor() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->cursor;
}

std::uint64_t Runner::deliveries() const {
  return impl_->delivered_fast.load(std::memory_order_relaxed);
}

SessionSnapshot Runner::snapshot() const {
  SessionSnapshot copy;
  {
    std::lock_guard lock(impl_->snapshot_mutex);
    copy = impl_->snapshot;
  }
  age(copy, impl_->clock.now());  // SteadyClock reads steady_clock: any thread
  return copy;
}

std::uint64_t Runner::events_fed() const {
  return impl_->events_fast.load(std::memory_order_relaxed);
}

}  // namespace tether::io
