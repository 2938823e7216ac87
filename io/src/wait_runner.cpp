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
#include <tether/io/seed.hpp>
#include <tether/io/wait_driver.hpp>
#include <tether/io/wait_runner.hpp>
#include <thread>
#include <utility>  // before Asio under C++23 (Boost 1.74's awaitable.hpp)

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

// The Asio shell of wait-for-resource: io::WaitDriver (io_core) runs the
// reducer in the one driver loop and executes its effects through ports; this
// file is those ports: the strand (an io_context on its own thread) and its
// timer (Host), one worker thread for the application's blocking
// acquisitions (Host::offload; ResourceAcquirer calls WaitRunnerOptions::acquire),
// and the callbacks (WaitApplication).
struct WaitRunner::Impl final : std::enable_shared_from_this<WaitRunner::Impl>,
                                Host,
                                ResourceAcquirer,
                                WaitApplication {
  WaitRunnerOptions options;
  WaitCallbacks callbacks;
  SteadyClock clock;  // Instants are ms since its origin
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  asio::steady_timer timer{io};
  asio::thread_pool worker{1};
  std::optional<WaitDriver> driver;  // strand only
  std::thread thread;
  mutable std::mutex mutex;
  wait::Status status;                     // the last reported, for status()
  std::atomic<std::uint64_t> attempts{0};  // acquisitions handed to the worker
  bool stopped = false;                    // strand only: stop() ran, nothing after it

  // Host
  void arm_timer(std::optional<model::Instant> deadline) override {
    if (!deadline) {
      timer.cancel();
      return;
    }
    timer.expires_at(clock.at(*deadline));
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && !self->stopped) self->driver->on_timer();
    });
  }
  void offload(Work job, Blocking kind) override {
    if (kind == Blocking::resource_acquire) ++attempts;
    auto shared = std::make_shared<Work>(std::move(job));
    asio::post(worker, [self = shared_from_this(), shared] {
      auto completion = std::make_shared<Completion>((*shared)());
      asio::post(self->io, [self, completion] {
        if (!self->stopped) (*completion)();
      });
    });
  }

  // ResourceAcquirer (on the worker)
  std::expected<void, std::string> acquire(std::uint64_t) override { return options.acquire(); }

  // WaitApplication
  void on_acquired(std::uint64_t id) override {
    if (callbacks.on_acquired) callbacks.on_acquired(id);
  }
  void on_release(std::uint64_t id) override {
    if (callbacks.on_release) callbacks.on_release(id);
  }
  void on_status(const wait::Status& st) override {
    {
      std::lock_guard lock(mutex);
      status = st;
    }
    if (callbacks.on_status) callbacks.on_status(st);
  }
  void on_diagnostic(const Diagnostic& diagnostic) override {
    if (callbacks.on_diagnostic) callbacks.on_diagnostic(diagnostic);
  }

  // An API call, on the strand; nothing after stop().
  template <class Fn>
  void on_strand(Fn fn) {
    asio::post(io, [self = shared_from_this(), fn = std::move(fn)] {
      if (!self->stopped) fn(*self->driver);
    });
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
  impl->driver.emplace(std::move(*state), WaitDriverPorts{impl->clock, *impl, *impl, *impl});
  impl->on_strand([link = impl->options.initial_link](WaitDriver& d) { d.start(link); });
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
  impl_->on_strand([](WaitDriver& d) { d.link_up(); });
}
void WaitRunner::link_down() {
  impl_->on_strand([](WaitDriver& d) { d.link_down(); });
}
void WaitRunner::watch_ended(std::uint64_t id) {
  impl_->on_strand([id](WaitDriver& d) { d.watch_ended(id); });
}

void WaitRunner::stop() {
  Impl& i = *impl_;
  if (!i.thread.joinable()) return;
  asio::post(i.io, [impl = impl_] {
    impl->driver->stop();
    impl->stopped = true;
    impl->timer.cancel();
    impl->io.stop();
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
