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
#include <tether/io/poll_exchange.hpp>
#include <tether/io/poll_runner.hpp>
#include <tether/io/reducer_loop.hpp>
#include <tether/io/reducers.hpp>
#include <tether/io/seed.hpp>
#include <thread>
#include <utility>  // before Asio under C++23 (Boost 1.74's awaitable.hpp)
#include <variant>

namespace tether::io {

namespace asio = boost::asio;
namespace poll = model::poll;

// The Asio shell of the polling session: the reducer runs in io::ReducerLoop
// (<tether/io/reducer_loop.hpp>, the one driver loop); this file adds what the
// poll effects need: the strand (an io_context on its own thread), the timer,
// one HttpPoller per endpoint on a pool of HTTP threads, and one worker
// thread for blocking calls (the credential refresh). What an answer means
// (the event, the ETag of the next request) is io::PollExchange's, which the
// simulator's poll world runs too.
struct PollRunner::Impl final : std::enable_shared_from_this<PollRunner::Impl>, Host {
  PollRunnerOptions options;
  PollCallbacks callbacks;
  SteadyClock clock;  // Instants are ms since its origin
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  asio::steady_timer timer{io};
  std::unique_ptr<asio::thread_pool> workers;        // HTTP: polls of different endpoints overlap
  asio::thread_pool worker{1};                       // Host::offload: blocking calls, one at a time
  std::vector<std::unique_ptr<HttpPoller>> pollers;  // one per endpoint (not thread-safe)
  std::optional<PollExchange> exchange;              // strand only
  std::optional<ReducerLoop<PollReducer, Impl>> loop;
  std::string bearer_token;  // strand only
  bool refreshing = false;   // strand only: a refresh is in flight
  std::thread thread;
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> polls{0};

  // Every input, on the strand; nothing after the session stopped.
  void feed(poll::Event event) {
    if (!done) loop->feed(std::move(event));
  }

  // Host
  void arm_timer(std::optional<model::Instant> deadline) override {
    if (!deadline) {
      timer.cancel();
      return;
    }
    timer.expires_at(clock.at(*deadline));
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && !self->done) self->loop->on_timer();
    });
  }
  void offload(Work job, Blocking) override {
    auto shared = std::make_shared<Work>(std::move(job));
    asio::post(worker, [self = shared_from_this(), shared] {
      auto completion = std::make_shared<Completion>((*shared)());
      asio::post(self->io, [completion] { (*completion)(); });
    });
  }

  void diagnose(Diagnostic::Kind kind, std::string text) {
    if (callbacks.on_diagnostic) callbacks.on_diagnostic(Diagnostic{kind, std::move(text)});
  }

  // The loop's executor.
  void execute(const poll::Effect& effect) {
    if (const auto* p = std::get_if<poll::Poll>(&effect)) {
      start_poll(p->endpoint);
    } else if (const auto* a = std::get_if<poll::Added>(&effect)) {
      if (callbacks.on_change)
        callbacks.on_change(a->endpoint, poll::ChangeKind::added, a->key, a->value);
    } else if (const auto* m = std::get_if<poll::Modified>(&effect)) {
      if (callbacks.on_change)
        callbacks.on_change(m->endpoint, poll::ChangeKind::modified, m->key, m->value);
    } else if (const auto* r = std::get_if<poll::Removed>(&effect)) {
      if (callbacks.on_change)
        callbacks.on_change(r->endpoint, poll::ChangeKind::removed, r->key, r->value);
    } else if (const auto* s = std::get_if<poll::ReportStatus>(&effect)) {
      if (callbacks.on_status) callbacks.on_status(s->endpoint, s->status);
    } else if (std::holds_alternative<poll::ReportStopped>(effect)) {
      done = true;
    }
  }

  void start_poll(std::size_t endpoint) {
    PollRequest request{options.urls[endpoint], exchange->etag(endpoint), bearer_token};
    asio::post(*workers, [self = shared_from_this(), endpoint, request = std::move(request)] {
      auto response = self->pollers[endpoint]->get(request);
      asio::post(self->io, [self, endpoint, response = std::move(response)]() mutable {
        self->finish_poll(endpoint, std::move(response));
      });
    });
  }

  // One refresh at a time, through Host::offload (off the strand, like every
  // blocking call): the 401s of other endpoints meanwhile wait for its token.
  // The first refresh feeds Started when it completes.
  void refresh_credentials(bool initial) {
    if (refreshing) return;
    refreshing = true;
    AuthProvider* auth = options.auth.get();
    offload(
        [self = shared_from_this(), auth, initial]() -> Completion {
          std::expected<Credentials, std::string> refreshed = auth->refresh();
          return [self, initial, refreshed = std::move(refreshed)]() mutable {
            self->refreshing = false;
            if (self->done) return;  // stopped meanwhile: nothing to say
            if (refreshed) {
              self->bearer_token = std::move(refreshed->bearer_token);
            } else {
              self->diagnose(Diagnostic::Kind::auth, (initial ? "no initial credentials: "
                                                              : "credential refresh failed: ") +
                                                         refreshed.error());
            }
            if (initial) self->feed(poll::Started{});
          };
        },
        initial ? Blocking::start : Blocking::credential_refresh);
  }

  void finish_poll(std::size_t endpoint, std::expected<PollResponse, std::string> response) {
    if (done) return;
    ++polls;
    PollExchange::Outcome outcome = exchange->answer(endpoint, response);
    for (Diagnostic& d : outcome.diagnostics) diagnose(d.kind, std::move(d.text));
    // Fetch a token for the next poll, off the strand; the model keeps the
    // cadence (401 is quiet), so a refresh that fails is tried again at the
    // next 401, never in a loop.
    if (outcome.unauthorised && options.auth) refresh_credentials(/*initial=*/false);
    feed(std::move(outcome.event));
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
  impl->loop.emplace(std::move(*state), impl->clock, *impl, *impl);
  for (std::size_t n = 0; n < impl->options.urls.size(); ++n) {
    auto poller = HttpPoller::create(impl->options.http);
    if (!poller) return std::unexpected(poller.error());
    impl->pollers.push_back(std::move(*poller));
  }
  impl->exchange.emplace(impl->options.config);
  const std::size_t threads = impl->pollers.size() < 8 ? impl->pollers.size() : 8;
  impl->workers = std::make_unique<asio::thread_pool>(threads == 0 ? 1 : threads);
  asio::post(impl->io, [impl] {
    // The first credentials come off the strand too; Started waits for them.
    if (impl->options.auth) return impl->refresh_credentials(/*initial=*/true);
    impl->feed(poll::Started{});
  });
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
  asio::post(i.io, [impl = impl_] { impl->feed(poll::StopRequested{}); });
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
