#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <optional>
#include <tether/io/clock.hpp>
#include <tether/io/host.hpp>
#include <tether/io/poll_driver.hpp>
#include <tether/io/poll_runner.hpp>
#include <tether/io/seed.hpp>
#include <thread>
#include <utility>  // before Asio under C++23 (Boost 1.74's awaitable.hpp)

namespace tether::io {

namespace asio = boost::asio;
namespace poll = model::poll;

// The Asio shell of the polling session: io::PollDriver (io_core) runs the
// reducer in the one driver loop and executes its effects through ports; this
// file is those ports: the strand (an io_context on its own thread) and its
// timer (Host), one HttpPoller per endpoint on a pool of HTTP threads
// (Poller), one worker thread for blocking calls (Host::offload: the
// credential refresh, never on the strand), and the callbacks
// (PollApplication).
struct PollRunner::Impl final : std::enable_shared_from_this<PollRunner::Impl>,
                                Host,
                                Poller,
                                PollApplication {
  PollRunnerOptions options;
  PollCallbacks callbacks;
  SteadyClock clock;  // Instants are ms since its origin
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  asio::steady_timer timer{io};
  std::unique_ptr<asio::thread_pool> workers;        // HTTP: polls of different endpoints overlap
  asio::thread_pool worker{1};                       // Host::offload: blocking calls, one at a time
  std::vector<std::unique_ptr<HttpPoller>> pollers;  // one per endpoint (not thread-safe)
  std::optional<PollDriver> driver;                  // strand only
  std::thread thread;
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> polls{0};

  // Host
  void arm_timer(std::optional<model::Instant> deadline) override {
    if (!deadline) {
      timer.cancel();
      return;
    }
    timer.expires_at(clock.at(*deadline));
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && !self->done) self->driver->on_timer();
    });
  }
  void offload(Work job, Blocking) override {
    auto shared = std::make_shared<Work>(std::move(job));
    asio::post(worker, [self = shared_from_this(), shared] {
      auto completion = std::make_shared<Completion>((*shared)());
      asio::post(self->io, [completion] { (*completion)(); });
    });
  }

  // Poller: a GET on the endpoint's HTTP thread, its answer back on the strand.
  void poll(std::size_t endpoint, const std::optional<std::string>& etag,
            std::string_view bearer_token) override {
    PollRequest request{options.urls[endpoint], etag, std::string(bearer_token)};
    asio::post(*workers, [self = shared_from_this(), endpoint, request = std::move(request)] {
      auto response = self->pollers[endpoint]->get(request);
      asio::post(self->io, [self, endpoint, response = std::move(response)] {
        if (self->done) return;
        self->driver->answered(endpoint, response);
        self->polls = self->driver->polls_answered();
      });
    });
  }

  // PollApplication
  void on_change(std::size_t endpoint, poll::ChangeKind kind, std::string_view key,
                 std::string_view value) override {
    if (callbacks.on_change) callbacks.on_change(endpoint, kind, key, value);
  }
  void on_status(std::size_t endpoint, const poll::Status& status) override {
    if (callbacks.on_status) callbacks.on_status(endpoint, status);
  }
  void on_stopped(poll::StopReason) override { done = true; }
  void on_diagnostic(const Diagnostic& diagnostic) override {
    if (callbacks.on_diagnostic) callbacks.on_diagnostic(diagnostic);
  }
};

PollRunner::PollRunner(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::expected<std::unique_ptr<PollRunner>, std::string> PollRunner::start(PollRunnerOptions options,
                                                                          PollCallbacks callbacks) {
  if (options.urls.size() != options.config.endpoints.size())
    return std::unexpected("poll runner: " + std::to_string(options.urls.size()) + " URLs for " +
                           std::to_string(options.config.endpoints.size()) + " endpoints");
  options.config.seed = seed_or_random(options.seed);
  auto state = poll::make(options.config);
  if (!state)
    return std::unexpected("configuration: " + std::string(state.error().field) + " " +
                           std::string(state.error().reason));
  auto impl = std::make_shared<Impl>();
  impl->options = std::move(options);
  impl->callbacks = std::move(callbacks);
  for (std::size_t n = 0; n < impl->options.urls.size(); ++n) {
    auto poller = HttpPoller::create(impl->options.http);
    if (!poller) return std::unexpected(poller.error());
    impl->pollers.push_back(std::move(*poller));
  }
  impl->driver.emplace(std::move(*state),
                       PollDriverPorts{impl->clock, *impl, *impl, *impl, impl->options.auth.get()});
  const std::size_t threads = impl->pollers.size() < 8 ? impl->pollers.size() : 8;
  impl->workers = std::make_unique<asio::thread_pool>(threads == 0 ? 1 : threads);
  asio::post(impl->io, [impl] { impl->driver->start(); });
  impl->thread = std::thread([impl = impl.get()] { impl->io.run(); });
  return std::unique_ptr<PollRunner>(new PollRunner(std::move(impl)));
}

PollRunner::~PollRunner() {
  stop();
  impl_->workers->join();
  impl_->worker.join();  // a refresh still running was cancelled by stop()
  // Handlers still queued hold the Impl: run them (they see `done` and return)
  // so that they, and the Impl with them, are released.
  impl_->timer.cancel();
  impl_->io.restart();
  impl_->io.poll();
}

void PollRunner::stop() {
  Impl& i = *impl_;
  if (!i.thread.joinable()) return;
  asio::post(i.io, [impl = impl_] {
    if (!impl->done) impl->driver->stop();
  });
  // A refresh blocked on the worker (a slow token command) would hold up
  // the destructor's join: end it now, as Runner::stop() does.
  if (i.options.auth) i.options.auth->cancel();
  i.work.reset();
  // The strand ends once StopRequested ran; io.stop() makes sure of it even
  // with a poll completion still posted.
  asio::post(i.io, [impl = impl_] { impl->io.stop(); });
  i.thread.join();
}

bool PollRunner::finished() const { return impl_->done; }
std::uint64_t PollRunner::polls_completed() const { return impl_->polls; }

}  // namespace tether::io
