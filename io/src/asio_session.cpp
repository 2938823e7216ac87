// A session on the application's io_context: the session core with no
// thread of its own.
#include <tether/io/asio_session.hpp>

#include "net/session_core.hpp"

namespace tether::io {

AsioSession::AsioSession(std::unique_ptr<net::SessionCore> core) : core_(std::move(core)) {}

std::expected<std::unique_ptr<AsioSession>, std::string> AsioSession::start(
    boost::asio::io_context& io, RunnerOptions options, Callbacks callbacks,
    AsioSessionOptions extra) {
  return start(io, std::move(options), std::move(callbacks), nullptr, std::move(extra));
}

std::expected<std::unique_ptr<AsioSession>, std::string> AsioSession::start_application(
    boost::asio::io_context& io, RunnerOptions options, ApplicationFactory make_application,
    AsioSessionOptions extra) {
  if (!make_application) return std::unexpected("no application: the ApplicationFactory is empty");
  return start(io, std::move(options), Callbacks{}, std::move(make_application), std::move(extra));
}

std::expected<std::unique_ptr<AsioSession>, std::string> AsioSession::start(
    boost::asio::io_context& io, RunnerOptions options, Callbacks callbacks,
    ApplicationFactory make_application, AsioSessionOptions extra) {
  auto core = net::SessionCore::make(io, std::move(extra.blocking), std::move(options),
                                     std::move(callbacks), std::move(make_application));
  if (!core) return std::unexpected(core.error());
  (*core)->begin();
  return std::unique_ptr<AsioSession>(new AsioSession(std::move(*core)));
}

// The core may still have handlers queued on the io_context: it frees itself
// once they have run (SessionCore::reap).
AsioSession::~AsioSession() {
  net::SessionCore* core = core_.get();
  boost::asio::post(core->io,
                    [core, owner = std::move(core_)]() mutable { core->reap(std::move(owner)); });
}

void AsioSession::stop_then(std::move_only_function<void()> done) {
  net::SessionCore* core = core_.get();
  boost::asio::post(core->io, [core, done = std::move(done)]() mutable {
    core->when_finished(std::move(done));
    core->request_stop();
  });
}

void AsioSession::when_finished(std::move_only_function<void()> done) {
  net::SessionCore* core = core_.get();
  boost::asio::post(
      core->io, [core, done = std::move(done)]() mutable { core->when_finished(std::move(done)); });
}

void AsioSession::next_then(std::move_only_function<void(std::optional<OwnedDelivery>)> done) {
  net::SessionCore* core = core_.get();
  boost::asio::post(core->io,
                    [core, done = std::move(done)]() mutable { core->next_then(std::move(done)); });
}

void AsioSession::ack(std::uint64_t delivery_id) { core_->ack(delivery_id); }

void AsioSession::network_restored() {
  core_->on_strand([core = core_.get()] { core->driver->network_restored(); });
}

void AsioSession::network_changed() {
  core_->on_strand([core = core_.get()] { core->driver->network_changed(); });
}

void AsioSession::pause() {
  core_->on_strand([core = core_.get()] { core->driver->pause(); });
}

void AsioSession::resume() {
  core_->on_strand([core = core_.get()] { core->driver->resume(); });
}

void AsioSession::restart() {
  core_->on_strand([core = core_.get()] { core->driver->restart(); });
}

bool AsioSession::finished() const {
  std::lock_guard lock(core_->mutex);
  return core_->finished;
}

model::Status AsioSession::status() const {
  std::lock_guard lock(core_->mutex);
  return core_->status;
}

model::Cursor AsioSession::resume_cursor() const {
  std::lock_guard lock(core_->mutex);
  return core_->cursor;
}

std::uint64_t AsioSession::deliveries() const {
  return core_->delivered_fast.load(std::memory_order_relaxed);
}

SessionSnapshot AsioSession::snapshot() const {
  SessionSnapshot copy;
  {
    std::lock_guard lock(core_->snapshot_mutex);
    copy = core_->snapshot;
  }
  age(copy, core_->clock.now());
  return copy;
}

boost::asio::io_context::executor_type AsioSession::executor() const {
  return core_->io.get_executor();
}

}  // namespace tether::io
