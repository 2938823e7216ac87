#include <utility>  // before Asio under C++23 (Boost 1.74's awaitable.hpp)

#include <tether/io/wait_runner.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

#include <tether/io/clock.hpp>
#include <tether/io/host.hpp>
#include <tether/io/reducer_loop.hpp>
#include <tether/io/reducers.hpp>
#include <tether/io/seed.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

namespace tether::io {

namespace asio = boost::asio;
namespace wait = model::wait;

Acquirer tcp_port_acquirer(std::string host, std::uint16_t port, std::chrono::milliseconds timeout) {
  return [host = std::move(host), port, timeout]() -> std::expected<void, std::string> {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    asio::ip::tcp::socket socket(io);
    boost::system::error_code result = asio::error::would_block;
    resolver.async_resolve(host, std::to_string(port), [&](boost::system::error_code ec, auto endpoints) {
      if (ec) {
        result = ec;
        return;
      }
      asio::async_connect(socket, endpoints, [&](boost::system::error_code e, const auto&) { result = e; });
    });
    io.run_for(timeout);
    if (result == asio::error::would_block)
      return std::unexpected("connect " + host + ":" + std::to_string(port) + ": timed out");
    if (result) return std::unexpected("connect " + host + ":" + std::to_string(port) + ": " + result.message());
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
  wait::WaitStatus status;
  std::atomic<std::uint64_t> attempts{0};
  bool stopped = false;  // strand only

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

  // The loop's executor.
  void execute(const wait::Effect& effect) {
    if (const auto* acquire = std::get_if<wait::Acquire>(&effect)) {
      ++attempts;
      offload(
          [self = shared_from_this(), id = acquire->id]() -> Completion {
            auto got = self->options.acquire();
            return [self, id, got = std::move(got)] {
              if (got) return self->feed(wait::AcquireSucceeded{{}, id});
              if (self->callbacks.on_diagnostic && !self->stopped)
                self->callbacks.on_diagnostic(Diagnostic{Diagnostic::Kind::connection, got.error()});
              self->feed(wait::AcquireFailed{{}, id});
            };
          },
          Blocking::resource_acquire);
    } else if (const auto* release = std::get_if<wait::Release>(&effect)) {
      if (callbacks.on_release) callbacks.on_release(release->id);
    } else if (const auto* report = std::get_if<wait::ReportStatus>(&effect)) {
      if (report->status.kind == wait::StatusKind::held && callbacks.on_acquired) {
        if (const auto* held = std::get_if<wait::Held>(&loop->state().phase)) callbacks.on_acquired(held->id);
      }
      if (callbacks.on_status) callbacks.on_status(report->status);
    }
  }
  // After every input: what status() reads.
  void settled(const wait::WaitState& state) {
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
  auto state = wait::make_wait(options.config);
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

model::wait::WaitStatus WaitRunner::status() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->status;
}

std::uint64_t WaitRunner::attempts() const { return impl_->attempts; }

}  // namespace tether::io
