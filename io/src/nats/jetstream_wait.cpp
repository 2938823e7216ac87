#include <atomic>
#include <mutex>
#include <string>
#include <tether/io/wait_runner.hpp>
#include <tether/nats/jetstream_wait.hpp>
#include <utility>

#include "connection.hpp"
#include "kv_watch.hpp"
#include "lookup.hpp"

namespace tether::nats {

namespace wait = model::wait;

// The ports between the wait runner and nats.c. Threads: the runner's strand
// (on_acquired, on_release, statuses), its worker (the lookups), the watch's
// thread, nats.c's callback thread (the link). User callbacks go through
// call(), one at a time, none after stop().
struct JetStreamWait::Impl {
  JetStreamWaitOptions options;
  JetStreamWaitCallbacks callbacks;
  std::unique_ptr<io::WaitRunner> runner;  // made before the connection, which reports to it
  std::unique_ptr<Connection> connection;
  std::atomic<bool> link{false};  // as nats.c last said
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> lookups{0};

  std::mutex callback_mutex;
  bool quiet = false;  // under callback_mutex: stop() ran

  std::mutex mutex;                  // guards the three below
  jsCtx* js = nullptr;               // once the connection is open
  std::unique_ptr<KvWatch> pending;  // opened by the last lookup, not yet held
  std::unique_ptr<KvWatch> watch;    // the held watch (or one that ended by itself)
  std::uint64_t held = 0;            // told on_ready and not yet on_lost
  KvWatchCloser closer;              // destroys released watches off the strand

  template <class Fn, class... Args>
  void call(const Fn& fn, const Args&... args) {
    std::lock_guard lock(callback_mutex);
    if (fn && !quiet) fn(args...);
  }
  void diagnose(std::string text, io::Diagnostic::Level level) {
    call(callbacks.on_diagnostic,
         io::Diagnostic{io::Diagnostic::Kind::connection, std::move(text), level});
  }

  std::expected<void, std::string> acquire();
  void on_link(bool up, const std::string& detail);
  void on_subscription_error(const std::string& error);
  void on_acquired(std::uint64_t id);
  void on_release(std::uint64_t id);
  void on_watch_end(std::uint64_t id, const std::string& why);
  void end_hold(std::uint64_t id, const std::string& why);
  KvWatchSink watch_sink();
};

// On the runner's worker: the lookup; a KV bucket's watch waits in `pending`
// for on_acquired (the runner runs one acquisition at a time, and its success
// is the next on_acquired, so `pending` is always the watch of that one).
std::expected<void, std::string> JetStreamWait::Impl::acquire() {
  call(callbacks.on_lookup, ++lookups);
  jsCtx* context = nullptr;
  {
    std::lock_guard lock(mutex);
    context = js;
  }
  auto found = look_up(context, options.resource);
  if (!found) return std::unexpected(found.error());
  std::unique_ptr<KvWatch> older;
  {
    std::lock_guard lock(mutex);
    older = std::exchange(pending, std::move(*found));
  }
  closer.close(std::move(older));
  return {};
}

// On nats.c's callback thread (or start()'s): the link, to the reducer.
void JetStreamWait::Impl::on_link(bool up, const std::string& detail) {
  link = up;
  call(callbacks.on_link, up);
  if (up) {
    diagnose("NATS: connected to " + detail, io::Diagnostic::Level::info);
    runner->link_up();
  } else {
    diagnose("NATS: " + detail + "; no lookup until it is back", io::Diagnostic::Level::warning);
    runner->link_down();
  }
}

// On nats.c's callback thread: an error about the watch's subscription
// (nats.c could not recreate its ordered consumer: the bucket was deleted, or
// the server cannot serve it). The watch is broken: it ends, as if it had
// ended by itself.
void JetStreamWait::Impl::on_subscription_error(const std::string& error) {
  std::unique_ptr<KvWatch> broken;
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mutex);
    if (!link || held == 0 || !watch || watch->hold() != held) return;
    id = held;
    broken = std::move(watch);
  }
  closer.close(std::move(broken));
  on_watch_end(id, error);
}

void JetStreamWait::Impl::on_acquired(std::uint64_t id) {
  std::unique_ptr<KvWatch> opened;
  std::unique_ptr<KvWatch> ended;
  {
    std::lock_guard lock(mutex);
    opened = std::move(pending);
    ended = std::move(watch);  // one that ended by itself: its thread is done
    held = id;
  }
  closer.close(std::move(ended));
  if (std::holds_alternative<KvBucket>(options.resource) && !opened) {
    // Not reached (the lookup that succeeded left its watch): never hold nothing.
    diagnose("internal: no watch for acquisition " + std::to_string(id),
             io::Diagnostic::Level::error);
    return on_watch_end(id, "no watch was opened");
  }
  call(callbacks.on_ready, id);
  if (!opened) return;
  opened->start(id, watch_sink());
  std::lock_guard lock(mutex);
  watch = std::move(opened);
}

void JetStreamWait::Impl::on_release(std::uint64_t id) {
  std::unique_ptr<KvWatch> released;
  std::unique_ptr<KvWatch> unused;
  {
    std::lock_guard lock(mutex);
    if (watch && watch->hold() == id) released = std::move(watch);
    if (held != id) unused = std::move(pending);  // an acquisition out was released
  }
  closer.close(std::move(released));  // no update from it after this
  closer.close(std::move(unused));
  end_hold(id, stopping ? "stopped" : !link ? "connection lost" : "released");
}

// On the watch's thread: the watch ended by itself. The hold ends first, then
// the reducer hears it (WatchEnded: the reopen pause).
void JetStreamWait::Impl::on_watch_end(std::uint64_t id, const std::string& why) {
  diagnose("the watch of " + describe(options.resource) + " ended: " + why +
               "; the next lookup waits reopen_pause_ms (" +
               std::to_string(options.config.reopen_pause_ms) + " ms)",
           io::Diagnostic::Level::warning);
  end_hold(id, "watch ended: " + why);
  runner->watch_ended(id);
}

void JetStreamWait::Impl::end_hold(std::uint64_t id, const std::string& why) {
  {
    std::lock_guard lock(mutex);
    if (held != id) return;
    held = 0;
  }
  call(callbacks.on_lost, id, why);
}

KvWatchSink JetStreamWait::Impl::watch_sink() {
  KvWatchSink sink;
  sink.on_update = [this](const KvUpdate& update) { call(callbacks.on_update, update); };
  sink.on_current = [this](std::uint64_t id) { call(callbacks.on_current, id); };
  sink.on_end = [this](std::uint64_t id, const std::string& why) { on_watch_end(id, why); };
  return sink;
}

namespace {

std::expected<void, std::string> check(const JetStreamWaitOptions& o) {
  if (o.urls.empty()) return std::unexpected("urls: no NATS server URL");
  for (const std::string& url : o.urls)
    if (url.empty()) return std::unexpected("urls: an empty URL");
  if (auto valid = validate(o.resource); !valid)
    return std::unexpected("resource: " + valid.error());
  if (o.reconnect_wait_ms < 0) return std::unexpected("reconnect_wait_ms: negative");
  if (o.reconnect_jitter_ms < 0) return std::unexpected("reconnect_jitter_ms: negative");
  if (o.connect_timeout_ms <= 0) return std::unexpected("connect_timeout_ms: must be positive");
  if (o.lookup_timeout_ms <= 0) return std::unexpected("lookup_timeout_ms: must be positive");
  if (o.ping_interval_ms <= 0) return std::unexpected("ping_interval_ms: must be positive");
  return {};
}

ConnectionSettings settings_of(const JetStreamWaitOptions& o) {
  ConnectionSettings s;
  s.urls = o.urls;
  s.reconnect_wait_ms = o.reconnect_wait_ms;
  s.reconnect_jitter_ms = o.reconnect_jitter_ms;
  s.connect_timeout_ms = o.connect_timeout_ms;
  s.request_timeout_ms = o.lookup_timeout_ms;
  s.ping_interval_ms = o.ping_interval_ms;
  s.name = o.connection_name;
  return s;
}

io::WaitCallbacks runner_callbacks(JetStreamWait::Impl& impl) {
  io::WaitCallbacks c;
  c.on_acquired = [&impl](std::uint64_t id) { impl.on_acquired(id); };
  c.on_release = [&impl](std::uint64_t id) { impl.on_release(id); };
  c.on_status = [&impl](const wait::Status& st) { impl.call(impl.callbacks.on_status, st); };
  c.on_diagnostic = [&impl](const io::Diagnostic& d) {
    impl.call(impl.callbacks.on_diagnostic, d);
  };
  return c;
}

}  // namespace

JetStreamWait::JetStreamWait(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::expected<std::unique_ptr<JetStreamWait>, std::string> JetStreamWait::start(
    JetStreamWaitOptions options, JetStreamWaitCallbacks callbacks) {
  if (auto ok = check(options); !ok) return std::unexpected(ok.error());
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->callbacks = std::move(callbacks);
  Impl& i = *impl;
  io::WaitRunnerOptions wait_options;
  wait_options.config = i.options.config;
  wait_options.seed = i.options.seed;
  wait_options.acquire = [&i] { return i.acquire(); };
  wait_options.initial_link = wait::Link::down;  // until nats.c says it is connected
  auto runner = io::WaitRunner::start(std::move(wait_options), runner_callbacks(i));
  if (!runner) return std::unexpected(runner.error());
  i.runner = std::move(*runner);
  ConnectionSink sink;
  sink.on_link = [&i](bool up, const std::string& detail) { i.on_link(up, detail); };
  sink.on_subscription_error = [&i](const std::string& e) { i.on_subscription_error(e); };
  auto connection = Connection::open(settings_of(i.options), std::move(sink));
  if (!connection) {
    i.runner.reset();  // before the rest of the Impl its callbacks use
    return std::unexpected(connection.error());
  }
  {
    std::lock_guard lock(i.mutex);
    i.connection = std::move(*connection);
    i.js = i.connection->jetstream();
  }
  i.connection->arm();  // the link now: a lookup finds the JetStream context in place
  return std::unique_ptr<JetStreamWait>(new JetStreamWait(std::move(impl)));
}

void JetStreamWait::stop() {
  Impl& i = *impl_;
  i.stopping = true;
  if (i.runner) i.runner->stop();  // releases the hold: on_lost(..., "stopped")
  {
    std::lock_guard lock(i.callback_mutex);
    i.quiet = true;
  }
  std::lock_guard lock(i.mutex);
  i.closer.close(std::move(i.watch));
}

// The order matters: no nats.c callback and no watch thread may still reach
// the runner when it goes.
JetStreamWait::~JetStreamWait() {
  stop();
  Impl& i = *impl_;
  // No link or error report after this; a lookup under way returns at once.
  if (i.connection) i.connection->close();
  i.closer.finish();  // the released watches' threads end (closed: no request each)
  i.runner.reset();   // waits for the lookup under way
  std::unique_ptr<KvWatch> pending;
  {
    std::lock_guard lock(i.mutex);
    pending = std::move(i.pending);
    i.js = nullptr;
  }
  pending.reset();  // never started
  i.connection.reset();
}

model::wait::Status JetStreamWait::status() const { return impl_->runner->status(); }
std::uint64_t JetStreamWait::attempts() const { return impl_->lookups; }
bool JetStreamWait::connected() const { return impl_->link; }

}  // namespace tether::nats
