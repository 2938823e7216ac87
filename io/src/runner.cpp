// The Asio runner: the session core (net/session_core.hpp) on an io_context
// of its own, run by one thread of its own (the strand), with a one-thread
// pool for blocking work.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <mutex>
#include <tether/io/runner.hpp>
#include <thread>
#include <utility>  // before Asio under C++23 (Boost 1.74's awaitable.hpp)

#include "net/session_core.hpp"

namespace tether::io {

namespace asio = boost::asio;

// Declared in this order so the core, whose timers and sockets belong to the
// io_context, is destroyed before it.
struct Runner::Impl {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::unique_ptr<net::SessionCore> core;
  std::thread thread;
};

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

std::expected<std::unique_ptr<Runner>, std::string> Runner::start(
    RunnerOptions options, Callbacks callbacks, ApplicationFactory make_application) {
  auto impl = std::make_unique<Impl>();
  auto core = net::SessionCore::make(impl->io, std::nullopt, std::move(options),
                                     std::move(callbacks), std::move(make_application));
  if (!core) return std::unexpected(core.error());
  impl->core = std::move(*core);
  impl->core->begin();
  impl->thread = std::thread([i = impl.get()] { i->io.run(); });
  return std::unique_ptr<Runner>(new Runner(std::move(impl)));
}

Runner::~Runner() {
  stop();
  impl_->work.reset();
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void Runner::stop(std::chrono::milliseconds flush_wait) {
  Impl& r = *impl_;
  net::SessionCore& i = *r.core;
  {
    std::lock_guard lock(i.mutex);
    if (i.stopping && i.finished) return;
  }
  i.request_stop();
  if (std::this_thread::get_id() == r.thread.get_id()) return;  // from a callback: cannot wait
  std::unique_lock lock(i.mutex);
  i.changed.wait_for(lock, flush_wait, [&i] { return i.finished; });
  lock.unlock();
  // Nothing runs on the strand after this: no callback after stop() returns.
  r.work.reset();
  r.io.stop();
  if (r.thread.joinable()) r.thread.join();
}

bool Runner::wait_until_finished(std::chrono::milliseconds timeout) {
  net::SessionCore& i = *impl_->core;
  std::unique_lock lock(i.mutex);
  return i.changed.wait_for(lock, timeout, [&i] { return i.finished; });
}

bool Runner::finished() const {
  std::lock_guard lock(impl_->core->mutex);
  return impl_->core->finished;
}

void Runner::ack(std::uint64_t delivery_id) { impl_->core->ack(delivery_id); }

void Runner::network_restored() {
  impl_->core->on_strand([i = impl_->core.get()] { i->driver->network_restored(); });
}

void Runner::network_changed() {
  impl_->core->on_strand([i = impl_->core.get()] { i->driver->network_changed(); });
}

void Runner::pause() {
  impl_->core->on_strand([i = impl_->core.get()] { i->driver->pause(); });
}

void Runner::resume() {
  impl_->core->on_strand([i = impl_->core.get()] { i->driver->resume(); });
}

void Runner::restart() {
  impl_->core->on_strand([i = impl_->core.get()] { i->driver->restart(); });
}

std::optional<OwnedDelivery> Runner::next(std::chrono::milliseconds timeout) {
  net::SessionCore& i = *impl_->core;
  {
    std::unique_lock lock(i.mutex);
    i.changed.wait_for(lock, timeout, [&i] { return !i.pulled.empty() || i.finished; });
  }
  return i.pop_pulled();
}

model::Status Runner::status() const {
  std::lock_guard lock(impl_->core->mutex);
  return impl_->core->status;
}

model::Cursor Runner::resume_cursor() const {
  std::lock_guard lock(impl_->core->mutex);
  return impl_->core->cursor;
}

std::uint64_t Runner::deliveries() const {
  return impl_->core->delivered_fast.load(std::memory_order_relaxed);
}

SessionSnapshot Runner::snapshot() const {
  net::SessionCore& i = *impl_->core;
  SessionSnapshot copy;
  {
    std::lock_guard lock(i.snapshot_mutex);
    copy = i.snapshot;
  }
  age(copy, i.clock.now());  // SteadyClock reads steady_clock: any thread
  return copy;
}

std::uint64_t Runner::events_fed() const {
  return impl_->core->events_fast.load(std::memory_order_relaxed);
}

}  // namespace tether::io
