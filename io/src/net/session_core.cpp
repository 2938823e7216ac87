// The session both Asio front ends share (session_core.hpp): the Driver on
// an io_context, a steady_timer for next_deadline, blocking work on a
// serialized executor whose completions are posted back.
#include "net/session_core.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <tether/io/http_header.hpp>
#include <tether/io/runner_config.hpp>
#include <tether/io/seed.hpp>
#include <tether/io/url.hpp>
#include <tether/model/session.hpp>

#include "net/asio_transports.hpp"
#include "net/tls_setup.hpp"

namespace tether::io::net {

namespace {

asio::any_io_executor blocking_executor(std::optional<asio::any_io_executor>& blocking,
                                        std::optional<asio::thread_pool>& own) {
  if (blocking) return *blocking;
  own.emplace(1);
  return own->get_executor();
}

}  // namespace

SessionCore::SessionCore(asio::io_context& context, std::optional<asio::any_io_executor> blocking)
    : io(context), worker(std::make_shared<SerialQueue>(blocking_executor(blocking, own_worker))) {}

void SerialQueue::push(std::move_only_function<void()> job) {
  std::lock_guard lock(mutex_);
  jobs_.push_back(std::move(job));
  if (draining_) return;
  draining_ = true;
  asio::post(executor_, [self = shared_from_this()] { self->drain(); });
}

void SerialQueue::drain() {
  for (;;) {
    std::move_only_function<void()> job;
    {
      std::lock_guard lock(mutex_);
      if (jobs_.empty()) {
        draining_ = false;
        return;
      }
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

SessionCore::~SessionCore() {
  if (own_worker) own_worker->join();
}

void SessionCore::refresh_snapshot() {
  std::lock_guard lock(snapshot_mutex);
  driver->snapshot(snapshot);
}

void SessionCore::arm_timer(std::optional<model::Instant> deadline) {
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

void SessionCore::offload(Work job, Blocking) {
  auto shared = std::make_shared<Work>(std::move(job));
  worker->push([this, shared, guard = asio::make_work_guard(io)] {
    auto done = std::make_shared<Completion>((*shared)());
    asio::post(io, [this, done] {
      (*done)();
      publish();
    });
  });
}

void SessionCore::post(std::move_only_function<void()> job) {
  auto shared = std::make_shared<std::move_only_function<void()>>(std::move(job));
  asio::post(io, [this, shared] {
    (*shared)();
    publish();
  });
}

void SessionCore::on_delivery(const Delivery& d) {
  if (app) return app->on_delivery(d);
  if (callbacks.on_delivery) return callbacks.on_delivery(d);
  OwnedDelivery owned{d.delivery_id, d.sequence,
                      d.id ? std::optional<std::string>(std::string(*d.id)) : std::nullopt,
                      std::string(d.type), std::string(d.data)};
  {
    std::lock_guard lock(mutex);
    pulled.push_back(std::move(owned));
    if (pulled.size() >= options.pull_queue_max && !pull_paused) {
      pull_paused = true;  // the consumer fell behind: stop reading
      transport->set_paused(true);
    }
    changed.notify_all();
  }
  if (waiting_next) {
    auto done = std::exchange(waiting_next, nullptr);
    asio::post(io, [done = std::move(done), d = pop_pulled()]() mutable { done(std::move(d)); });
  }
}

void SessionCore::on_gap(const model::ReportGap& gap) {
  if (app)
    app->on_gap(gap);
  else if (callbacks.on_gap)
    callbacks.on_gap(gap);
}

void SessionCore::on_status(const model::Status& s) {
  if (app)
    app->on_status(s);
  else if (callbacks.on_status)
    callbacks.on_status(s);
}

void SessionCore::on_diagnostic(const Diagnostic& d) {
  if (app)
    app->on_diagnostic(d);
  else if (callbacks.on_diagnostic)
    callbacks.on_diagnostic(d);
}

void SessionCore::on_comment(std::string_view text) {
  if (app)
    app->on_comment(text);
  else if (callbacks.on_comment)
    callbacks.on_comment(text);
}

void SessionCore::ack(std::uint64_t delivery_id) {
  on_strand([this, delivery_id] { driver->ack(delivery_id); });
}

void SessionCore::after(std::int64_t delay_ms, std::function<void()> job) {
  auto delay = std::make_shared<asio::steady_timer>(
      io, std::chrono::milliseconds(std::max<std::int64_t>(0, delay_ms)));
  std::erase_if(after_timers, [](const auto& t) { return t.expired(); });
  after_timers.push_back(delay);
  delay->async_wait([this, delay, job = std::move(job)](const boost::system::error_code& ec) {
    if (ec) return;
    job();
    publish();
  });
}

void SessionCore::request_stop() {
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

void SessionCore::publish() {
  const bool done = driver->finished();
  if (done && recorder) {
    if (auto flushed = recorder->flush(); !flushed)
      on_diagnostic(Diagnostic{Diagnostic::Kind::fatal, flushed.error(), Diagnostic::Level::error});
  }
  published_status = driver->status();
  delivered_fast.store(driver->state().progress.delivered_id, std::memory_order_relaxed);
  events_fast.store(driver->events_fed(), std::memory_order_relaxed);
  refresh_snapshot();
  bool now_finished = false;
  {
    std::lock_guard lock(mutex);
    status = driver->status();
    cursor = driver->resume_cursor();
    if (done && !finished) {
      finished = true;
      now_finished = true;
    }
    changed.notify_all();
  }
  if (now_finished) settle();
}

void SessionCore::publish_if_changed() {
  delivered_fast.store(driver->state().progress.delivered_id, std::memory_order_relaxed);
  events_fast.store(driver->events_fed(), std::memory_order_relaxed);
  if (!(driver->status() == published_status) || driver->finished()) return publish();
  refresh_snapshot();
}

// No input can reach the driver any more: the timers end, and whatever waits
// for the end is told (posted, so it never runs inside a driver callback).
void SessionCore::settle() {
  alive.reset();
  timer.cancel();
  for (const auto& weak : after_timers)
    if (auto t = weak.lock()) t->cancel();
  after_timers.clear();
  for (auto& done : std::exchange(on_finished, {})) asio::post(io, std::move(done));
  if (waiting_next) {
    auto done = std::exchange(waiting_next, nullptr);
    asio::post(io, [done = std::move(done), d = pop_pulled()]() mutable { done(std::move(d)); });
  }
  if (reaping) drain_then_free();
}

std::optional<OwnedDelivery> SessionCore::pop_pulled() {
  std::unique_lock lock(mutex);
  if (pulled.empty()) return std::nullopt;
  OwnedDelivery d = std::move(pulled.front());
  pulled.pop_front();
  if (pull_paused && pulled.size() <= options.pull_queue_max / 2) {
    pull_paused = false;
    on_strand([this] { transport->set_paused(false); });
  }
  lock.unlock();
  if (options.auto_ack) ack(d.delivery_id);
  return d;
}

void SessionCore::when_finished(std::move_only_function<void()> done) {
  bool ended = false;
  {
    std::lock_guard lock(mutex);
    ended = finished;
  }
  if (ended) return asio::post(io, std::move(done));
  on_finished.push_back(std::move(done));
}

void SessionCore::next_then(std::move_only_function<void(std::optional<OwnedDelivery>)> done) {
  bool ended = false;
  {
    std::lock_guard lock(mutex);
    ended = finished;
  }
  auto d = pop_pulled();
  if (d || ended) {
    asio::post(io, [done = std::move(done), d = std::move(d)]() mutable { done(std::move(d)); });
    return;
  }
  // One pull at a time: a second one ends the first with nothing.
  if (waiting_next)
    asio::post(io, [old = std::exchange(waiting_next, nullptr)]() mutable { old({}); });
  waiting_next = std::move(done);
}

void SessionCore::reap(std::unique_ptr<SessionCore> owner) {
  self = std::move(owner);
  reaping = true;
  request_stop();
  bool ended = false;
  {
    std::lock_guard lock(mutex);
    ended = finished;
  }
  if (ended) drain_then_free();
}

// Every handler that names this core is queued before the last one: the
// worker's jobs run in order, each posting its completion to the io_context
// before the next; a job queued behind them posts the free behind those.
// Cancelled timers and the closed transport queued theirs already.
void SessionCore::drain_then_free() {
  if (transport) transport->close();
  worker->push(
      [this, guard = asio::make_work_guard(io)] { asio::post(io, [this] { self.reset(); }); });
}

namespace {

// TransportListener calls arrive straight from the transports; wrap the
// driver so every input publishes afterwards.
struct Listener final : TransportListener {
  SessionCore* impl;
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
  void on_comment(std::string_view text) override { impl->driver->on_comment(text); }
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
// Subscribe messages belong to a WebSocket and fit in one message; the
// error names the message by its number (its text may be a credential).
std::expected<void, std::string> check_subscribe(const WebSocketOptions& websocket,
                                                 const Url& url) {
  if (websocket.subscribe.empty()) return {};
  if (!url.websocket())
    return std::unexpected("websocket.subscribe needs a ws:// or wss:// URL, not " + url.scheme +
                           "://");
  for (std::size_t i = 0; i < websocket.subscribe.size(); ++i) {
    if (websocket.subscribe[i].size() > websocket.message_bytes_max)
      return std::unexpected("websocket.subscribe message " + std::to_string(i + 1) + " is " +
                             std::to_string(websocket.subscribe[i].size()) +
                             " bytes, more than websocket.message_bytes_max (" +
                             std::to_string(websocket.message_bytes_max) + ")");
  }
  return {};
}
}  // namespace

std::expected<std::unique_ptr<SessionCore>, std::string> SessionCore::make(
    asio::io_context& io, std::optional<asio::any_io_executor> blocking, RunnerOptions options,
    Callbacks callbacks, ApplicationFactory make_application) {
  options.config.seed = seed_or_random(options.seed);
  auto url = parse_url(options.url);
  if (!url) return std::unexpected(url.error());
  auto state = model::make(options.config);
  if (!state) {
    return std::unexpected("configuration: " + std::string(state.error().field) + " " +
                           std::string(state.error().reason));
  }
  if (auto ok = check_shell_options(options); !ok) return std::unexpected(ok.error());
  if (auto ok = check_subscribe(options.websocket, *url); !ok) return std::unexpected(ok.error());

  auto core = std::make_unique<SessionCore>(io, std::move(blocking));
  SessionCore& i = *core;
  i.options = std::move(options);
  i.callbacks = std::move(callbacks);
  if (make_application) {
    i.app = make_application(i);
    if (!i.app) return std::unexpected("no application: the ApplicationFactory returned none");
  }
  // Made on first use, so an http:// URL may redirect to https://; checked
  // now for an https or wss URL, so a bad CA file is a start error.
  TlsContext tls(i.options.tls);
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
  i.transport =
      url->websocket()
          ? make_websocket_transport(i.io, std::move(tls), *url, i.options.http,
                                     i.options.websocket, i.clock)
          : make_sse_transport(i.io, std::move(tls), *url, i.options.http, i.options.sse, i.clock);
  auto listener = std::make_shared<Listener>();
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
  // The adapters must outlive every handler: park them in the core.
  i.keepalive.push_back(listener);
  i.keepalive.push_back(publishing);
  return core;
}

void SessionCore::begin() {
  alive.emplace(io.get_executor());
  on_strand([this] {
    if (options.tls.insecure_skip_verify_DANGEROUS) {
      on_diagnostic(
          Diagnostic{Diagnostic::Kind::connection,
                     "TLS certificate verification is OFF (insecure_skip_verify_DANGEROUS)"});
    }
    driver->start();
  });
}

}  // namespace tether::io::net
