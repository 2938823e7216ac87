#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <tether/io/clock.hpp>
#include <tether/io/host.hpp>
#include <tether/io/reducer_loop.hpp>
#include <tether/io/reducers.hpp>
#include <tether/io/seed.hpp>
#include <tether/io/wait_runner.hpp>
#include <thread>
#include <utility>  // before Asio under C++23 (Boost 1.74's awaitable.hpp)
#include <variant>

namespace tether::io {

namespace asio = boost::asio;
namespace wait = model::wait;

Acquirer tcp_port_acquirer(std::string host, std::uint16_t port,
                           std::chrono::milliseconds timeout) {
  return [host = std::move(host), port, timeout]() -> std::expected<void, std::string> {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    asio::ip::tcp::socket socket(io);
    boost::system::error_code result = asio::error::would_block;
    resolver.async_resolve(
        host, std::to_string(port), [&](boost::system::error_code ec, auto endpoints) {
          if (ec) {
            result = ec;
            return;
          }
          asio::async_connect(socket, endpoints,
                              [&](boost::system::error_code e, const auto&) { result = e; });
        });
    io.run_for(timeout);
    if (result == asio::error::would_block)
      return std::unexpected("connect " + host + ":" + std::to_string(port) + ": timed out");
    if (result)
      return std::unexpected("connect " + host + ":" + std::to_string(port) + ": " +
                             result.message());
    return {};
  };
}

// The Asio shell of wait-for-resource: the reducer runs in io::ReducerLoop
// (<tether/io/reducer_loop.hpp>, the one driver loop); this file adds the
// strand (an io_context on its own thread), the timer, and one worker thread
// for the application's blocking acquisitions.
struct WaitRunner::Impl final : std::enable_shared_from_this<WaitRunner::Impl>, Host {
  WaitRunnerOptions options;
  WaitCallbacks callbacks;
  SteadyClock clock;  // Instants are ms since its origin
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  asio::steady_timer timer{io};
  asio::thread_pool worker{1};
  std::optional<ReducerLoop<WaitReducer, Impl>> loop;
  std::thread thread;
  mutable std::mutex mutex;
  wait::Status status;
  std::atomic<std::uint64_t> attempts{0};
  bool stopped = false;  // strand only
  // The acquisition running on the worker (0: none) and whether its timeout
  // was said: the reducer waits for it, never starts another (strand only).
  std::uint64_t running_id = 0;
  model::Instant running_since{};
  bool running_timeout_told = false;

  // Every input, on the strand; nothing after the reducer ended.
  void feed(wait::Event event) {
    if (!stopped) loop->feed(std::move(event));
  }

  // Host
  void arm_timer(std::optional<model::Instant> deadline) override {
    if (!deadline) {
      timer.cancel();
      return;
    }
    timer.expires_at(clock.at(*deadline));
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && !self->stopped) self->loop->on_timer();
    });
  }
  void offload(Work job, Blocking) override {
    auto shared = std::make_shared<Work>(std::move(job));
    asio::post(worker, [self = shared_from_this(), shared] {
      auto completion = std::make_shared<Completion>((*shared)());
      asio::post(self->io, [completion] { (*completion)(); });
    });
  }

  void diagnose(std::string text) {
    if (callbacks.on_diagnostic && !stopped)
      callbacks.on_diagnostic(Diagnostic{Diagnostic::Kind::connection, std::move(text)});
  }

  // The answer carries the Acquire's number back: the reducer matches it to
  // the acquisition it answers, however late it comes.
  void acquire(std::uint64_t id) {
    ++attempts;
    running_id = id;
    running_timeout_told = false;
    const model::Instant asked_at = clock.now();
    running_since = asked_at;
    offload(
        [self = shared_from_this(), id, asked_at]() -> Completion {
          auto got = self->options.acquire();
          return [self, id, asked_at, got = std::move(got)] { self->answered(id, asked_at, got); };
        },
        Blocking::resource_acquire);
  }

  void answered(std::uint64_t id, model::Instant asked_at,
                const std::expected<void, std::string>& got) {
    if (running_id == id) running_id = 0;
    if (!got) diagnose(got.error());
    if (stopped) return;
    const std::int64_t took_ms = model::elapsed_ms(asked_at, clock.now());
    const std::int64_t timeout_ms = options.config.acquire_timeout_ms;
    feed(got ? wait::Event{wait::AcquireSucceeded{{}, id}}
             : wait::Event{wait::AcquireFailed{{}, id}});
    if (timeout_ms <= 0 || took_ms < timeout_ms) return;
    const auto* held = std::get_if<wait::Held>(&loop->state().phase);
    diagnose("acquisition " + std::to_string(id) + " answered after " + std::to_string(took_ms) +
             " ms, past acquire_timeout_ms (" + std::to_string(timeout_ms) + " ms): " +
             (held != nullptr && held->id == id ? "the resource is held"
              : got                             ? "not used (released, or no longer waited for)"
                                                : "failed"));
  }

  // The reducer gave up waiting for the acquisition running (its status says
  // so): say it once, naming the option. The call cannot be taken back, so the
  // session starts no other until it answers.
  void report_acquire_timeout(const wait::Status& st) {
    const bool timeout_status = st.cause == wait::Cause::acquire_timeout ||
                                st.cause == wait::Cause::acquire_still_out ||
                                st.kind == wait::StatusKind::gave_up;
    const std::int64_t timeout_ms = options.config.acquire_timeout_ms;
    if (running_id == 0 || running_timeout_told || !timeout_status || timeout_ms <= 0 ||
        model::elapsed_ms(running_since, clock.now()) < timeout_ms)
      return;
    running_timeout_told = true;
    diagnose(
        "acquisition " + std::to_string(running_id) + " unanswered after acquire_timeout_ms (" +
        std::to_string(timeout_ms) +
        " ms): counted as a failed attempt; no other acquisition starts until it answers, and its "
        "success, if it comes while the session still waits, is used");
  }

  // The loop's executor.
  void execute(const wait::Effect& effect) {
    if (const auto* a = std::get_if<wait::Acquire>(&effect)) {
      acquire(a->id);
    } else if (const auto* release = std::get_if<wait::Release>(&effect)) {
      if (callbacks.on_release) callbacks.on_release(release->id);
    } else if (const auto* report = std::get_if<wait::ReportStatus>(&effect)) {
      report_acquire_timeout(report->status);
      if (report->status.kind == wait::StatusKind::held && callbacks.on_acquired) {
        if (const auto* held = std::get_if<wait::Held>(&loop->state().phase))
          callbacks.on_acquired(held->id);
      }
      if (callbacks.on_status) callbacks.on_status(report->status);
    }
  }
  // After every input: what status() reads.
  void settled(const wait::State& state) {
    if (wait::is_terminal(state)) stopped = true;
    std::lock_guard lock(mutex);
    status = state.status;
  }

  template <class Fn>
  void on_strand(Fn fn) {
    asio::post(io, [self = shared_from_this(), fn = std::move(fn)] { fn(*self); });
  }
};

WaitRunner::WaitRunner(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::expected<std::unique_ptr<WaitRunner>, std::string> WaitRunner::start(WaitRunnerOptions options,
                                                                          WaitCallbacks callbacks) {
  if (!options.acquire) return std::unexpected("wait runner: no acquire function");
  options.config.seed = seed_or_random(options.seed);
  auto state = wait::make(options.config);
  if (!state)
    return std::unexpected("configuration: " + std::string(state.error().field) + " " +
                           std::string(state.error().reason));
  auto impl = std::make_shared<Impl>();
  impl->options = std::move(options);
  impl->callbacks = std::move(callbacks);
  impl->loop.emplace(std::move(*state), impl->clock, *impl, *impl);
  impl->on_strand([](Impl& i) { i.feed(wait::Started{{}, i.options.initial_link}); });
  impl->thread = std::thread([i = impl.get()] { i->io.run(); });
  return std::unique_ptr<WaitRunner>(new WaitRunner(std::move(impl)));
}

WaitRunner::~WaitRunner() {
  stop();
  impl_->worker.join();
  impl_->timer.cancel();
  impl_->io.restart();
  impl_->io.poll();  // release handlers that hold the Impl (they see `stopped`)
}

void WaitRunner::link_up() {
  impl_->on_strand([](Impl& i) { i.feed(wait::Connected{}); });
}
void WaitRunner::link_down() {
  impl_->on_strand([](Impl& i) { i.feed(wait::Disconnected{}); });
}
void WaitRunner::watch_ended(std::uint64_t id) {
  impl_->on_strand([id](Impl& i) { i.feed(wait::WatchEnded{{}, id}); });
}

void WaitRunner::stop() {
  Impl& i = *impl_;
  if (!i.thread.joinable()) return;
  i.on_strand([](Impl& self) {
    self.feed(wait::StopRequested{});
    self.stopped = true;
    self.timer.cancel();
    self.io.stop();
  });
  i.work.reset();
  i.thread.join();
}

model::wait::Status WaitRunner::status() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->status;
}

std::uint64_t WaitRunner::attempts() const { return impl_->attempts; }

}  // namespace tether::io
