// The session world's ports, both sides: what a client's io::Driver and its
// application ask (session_world_client.hpp), and the world's answers; and the
// process's worker thread.
#include "session_world_client.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <tether/model/session.hpp>
#include <utility>

#include "session_world_impl.hpp"

namespace tether::sim::session_world {

using namespace tether::model;

Client::Client(World& world, std::uint32_t index, LinkParams link_params, Streams streams,
               io::SseSignals signals)
    : link(link_params, streams.link),
      app_prng(streams.app),
      chunk_prng(streams.chunk),
      crash_prng(streams.crash),
      sse(io::SseLimits{}, std::move(signals)),
      process_prng(streams.process),
      world_(world),
      index_(index) {
  disk.make_directory(checkpoint_path.parent_path());
}

// --- the ports ---------------------------------------------------------------

void Client::arm_timer(std::optional<model::Instant> deadline) { world_.arm(index_, deadline); }

void Client::offload(Work work, io::Blocking kind) {
  work_queue.emplace_back(std::move(work), kind);
  world_.offload(index_);
}

void Client::open(const io::ConnectRequest& request, io::TransportListener& listener) {
  // As the Asio transport: a token cursor is the stream's last event ID.
  const bool by_token =
      request.from == ResumeFrom::cursor && request.cursor.kind == CursorKind::token;
  sse.begin(by_token ? request.cursor.token.view() : std::string_view{}, listener);
  if (driver && driver_hooked) {
    // The hook's header reached the request: the Asio transports send
    // ConnectRequest::request's headers as they are.
    const auto* hooked = request.request ? &request.request->headers : nullptr;
    const bool has = hooked && std::any_of(hooked->begin(), hooked->end(), [](const auto& h) {
                       return h.first == "X-Attempt" && !h.second.empty();
                     });
    (has ? report.hooked_requests : report.unhooked_requests) += 1;
  }
  world_.connect(index_, request);
}

void Client::post(std::move_only_function<void()> work) {
  auto shared = std::make_shared<std::move_only_function<void()>>(std::move(work));
  after(0, [shared] { (*shared)(); });
}

void Client::close() {
  sse.cancel();
  world_.closed_by_client(index_);
}

// The world keeps its reports, then the application gets the call.
void Client::on_delivery(const io::Delivery& delivery) {
  world_.delivered(index_, delivery);
  const std::int64_t stop_when = std::exchange(stop_in_callback, 0);
  if (stop_when == 2) world_.app_stop(index_);
  if (app) app->on_delivery(delivery);
  if (stop_when == 1) world_.app_stop(index_);
}
void Client::on_gap(const model::ReportGap& gap) {
  report.gaps.emplace_back(world_.now().ms, gap);
  if (app) app->on_gap(gap);
}
void Client::on_status(const model::Status& status) {
  report.statuses.emplace_back(world_.now().ms, status);
  if (app) app->on_status(status);
}
void Client::on_diagnostic(const io::Diagnostic& diagnostic) {
  report.diagnostics += 1;
  if (app) app->on_diagnostic(diagnostic);
}
Ms Client::now_ms() const { return world_.now().ms; }
void Client::ack(std::uint64_t delivery_id) {
  if (driver) world_.app_ack(index_, delivery_id);
}
void Client::stop() {
  if (driver) world_.app_stop(index_);
}
void Client::after(Ms delay_ms, std::function<void()> work) {
  world_.schedule(index_, delay_ms, std::move(work));
}

std::expected<io::Credentials, std::string> Client::refresh() {
  if (refresh_failing > 0) return std::unexpected("simulated credential source failure");
  return world_.refresh(index_);
}

void Client::on_step(const model::Event& event, const model::Phase& before,
                     const model::State& after, const model::Effects& effects) {
  world_.step(index_, event, before, after, effects);
}

// --- the world's side of the ports -----------------------------------------

void World::arm(std::uint32_t i, std::optional<Instant> deadline) {
  Client& c = *clients_[i];
  c.tick_generation += 1;  // a new call replaces the armed deadline
  if (deadline)
    push(std::max(deadline->ms, now_ms()), for_client(ItemKind::tick, i, c.tick_generation));
}

void World::closed_by_client(std::uint32_t i) {
  Client& c = *clients_[i];
  c.connection = 0;
  c.server_open = false;
}

void World::schedule(std::uint32_t i, Ms delay_ms, std::function<void()> work) {
  Client& c = *clients_[i];
  c.scheduled.emplace(++c.scheduled_last, std::move(work));
  push_app(now_ms() + std::max<Ms>(delay_ms, 0), i, AppKind::scheduled, c.scheduled_last);
}

void World::delivered(std::uint32_t i, const io::Delivery& d) {
  Client& c = *clients_[i];
  c.report.deliveries += 1;
  if (d.sequence) {
    if (*d.sequence <= c.sequence_seen_before) c.report.redeliveries += 1;
    c.sequence_seen = std::max(c.sequence_seen, *d.sequence);
    c.report.last_sequence = *d.sequence;
  }
}

void World::app_ack(std::uint32_t i, std::uint64_t delivery_id) {
  oracle_.application_acked(i, now_ms(), delivery_id);
  clients_[i]->driver->ack(delivery_id);
}

void World::app_stop(std::uint32_t i) {
  oracle_.application_stopped(i, now_ms());
  clients_[i]->driver->stop();
}

io::Credentials World::refresh(std::uint32_t i) {
  Client& c = *clients_[i];
  c.token = server_.issue_token(now_ms());
  oracle_.credentials_issued(i, now_ms(), c.token.id);
  io::Credentials credentials{"t" + std::to_string(c.token.id), std::nullopt};
  if (scenario_.world.app_knows_expiry)
    credentials.expires_unix_ms = epoch_unix_ms + c.token.expires_at_ms;
  return credentials;
}

// --- the worker thread -------------------------------------------------------

// The worker thread takes the next call when it is idle.
void World::offload(std::uint32_t i) {
  if (!clients_[i]->worker_busy) run_next_work(i);
}

void World::run_next_work(std::uint32_t i) {
  Client& c = *clients_[i];
  if (c.work_queue.empty()) return;
  c.running.emplace(std::move(c.work_queue.front().first));
  c.running_kind = c.work_queue.front().second;
  c.work_queue.pop_front();
  c.worker_busy = true;
  push(now_ms() + work_ms(c.running_kind), for_client(ItemKind::work_done, i));
}

// How long a blocking call takes; its effects land when it returns.
Ms World::work_ms(io::Blocking kind) const {
  switch (kind) {
    case io::Blocking::start:
      return scenario_.world.auth || config_.auth.has_provider ? scenario_.world.refresh_ms : 0;
    case io::Blocking::checkpoint_save:
      return scenario_.world.store_write_ms;
    case io::Blocking::credential_refresh:
      return scenario_.world.refresh_ms;
    case io::Blocking::resource_acquire:
      return 0;  // no session offloads one
  }
  return 0;
}

// The call returns (a checkpoint it saved is durable now), and its completion
// runs on the strand.
void World::work_done(std::uint32_t i) {
  Client& c = *clients_[i];
  io::Host::Completion done = (*c.running)();
  c.running.reset();
  c.worker_busy = false;
  if (c.running_kind == io::Blocking::checkpoint_save) tell_durable(i);
  done();
  if (c.driver && !c.worker_busy) run_next_work(i);
}

// The oracle learns of each checkpoint the disk holds durably (what the next
// process is sure to load), when it becomes so.
void World::tell_durable(std::uint32_t i) {
  Client& c = *clients_[i];
  if (!c.store) return;
  const auto durable = c.store->durable_cursor();
  if (!durable || !*durable || !(*durable)->has_sequence) return;
  if (c.durable_told && (*durable)->sequence == c.durable_sequence) return;
  c.durable_told = true;
  c.durable_sequence = (*durable)->sequence;
  c.report.durable_sequence = c.durable_sequence;
  oracle_.checkpoint_durable(i, now_ms(), **durable);
}

}  // namespace tether::sim::session_world
