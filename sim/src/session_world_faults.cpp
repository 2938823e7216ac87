// The session world's faults: each fault of the scenario's timeline begins
// and ends on the server, a client's link, or a client's process (a crash
// kills it with everything it awaited).
#include <algorithm>
#include <tether/model/session.hpp>
#include <utility>

#include "session_world_impl.hpp"

namespace tether::sim::session_world {

using namespace tether::model;

void World::fault(const Fault& f, std::uint32_t index, bool begin) {
  const Ms end = std::min(f.at_ms + f.duration_ms, scenario_.safety_ms);
  trace_.note(now_ms(), name_of(f.kind), begin ? 1 : 0);
  switch (f.kind) {
    case FaultKind::server_restart:
      if (begin) {
        server_.restart(now_ms(), f.param == 1);
        for (std::uint32_t i = 0; i < scenario_.clients; ++i)
          drop_server_side(i, CloseCause::unexpected_eof);
      }
      server_.set_down(begin);
      return;
    case FaultKind::rate_limit:
      server_.set_rate_limit(begin,
                             f.param > 0 ? std::optional<std::int64_t>(f.param) : std::nullopt);
      return;
    case FaultKind::server_errors:
      server_.set_error_status(
          begin, static_cast<std::uint16_t>(f.param >= 500 && f.param <= 599 ? f.param : 503));
      return;
    case FaultKind::auth_revoked:
      server_.set_auth_revoked(begin);
      return;
    default:
      break;
  }
  for (std::uint32_t i = 0; i < scenario_.clients; ++i)
    if (f.client == all_clients || f.client == i) fault_on(i, f, index, begin, end);
}

// The faults of a client's link; false for any other kind.
bool World::link_fault_on(std::uint32_t i, const Fault& f, bool begin, Ms end) {
  Client& c = *clients_[i];
  const auto restored = [&] {
    if (scenario_.world.notify_network_restored) push_app(now_ms(), i, AppKind::network_restored);
  };
  switch (f.kind) {
    case FaultKind::partition:
      if (begin) {
        c.link.block_to_server(end);
        c.link.block_to_client(end);
      } else {
        restored();
      }
      return true;
    case FaultKind::partition_to_server:
      if (begin)
        c.link.block_to_server(end);
      else
        restored();
      return true;
    case FaultKind::partition_to_client:
      if (begin) c.link.block_to_client(end);
      return true;
    case FaultKind::half_open:
      c.link.set_half_open(begin);
      if (begin && c.connection != 0) c.wire.dead = true;
      return true;
    case FaultKind::reset:
      if (begin && c.connection != 0) {
        c.server_open = false;
        Item item = for_client(ItemKind::wire, i, c.connection);
        item.subkind = static_cast<std::uint8_t>(WireKind::closed);
        item.cause = CloseCause::transport_error;
        push(now_ms(), std::move(item));
      }
      return true;
    case FaultKind::loss:
      c.link.set_loss_permille(begin ? f.param : 0);
      return true;
    case FaultKind::slow_link:
      c.link.add_latency_ms(begin ? f.param : -f.param);
      return true;
    default:
      return false;
  }
}

void World::fault_on(std::uint32_t i, const Fault& f, std::uint32_t index, bool begin, Ms end) {
  if (link_fault_on(i, f, begin, end)) return;
  Client& c = *clients_[i];
  switch (f.kind) {
    case FaultKind::token_expiry:
      if (begin) server_.expire_token(c.token.id, now_ms());
      return;
    case FaultKind::refresh_failing:
      c.refresh_failing += begin ? 1 : -1;
      return;
    case FaultKind::store_failing:
      c.store_failing += begin ? 1 : -1;
      c.disk.set_full(c.store_failing > 0);  // every write fails with ENOSPC
      return;
    case FaultKind::crash:
    case FaultKind::torn_write:
      if (begin)
        crash(i, index, f.kind == FaultKind::torn_write);
      else if (!c.driver && c.crashed_by == index) {
        start_process(i);
      }
      return;
    case FaultKind::suspend:
      if (begin) {
        c.suspended_until = std::max(c.suspended_until, end);
        oracle_.suspended(i, c.suspended_until);
      }
      return;
    case FaultKind::stop:
      if (begin && (f.param == 1 || f.param == 2))
        c.stop_in_callback = f.param;
      else if (begin)
        push_app(now_ms(), i, AppKind::stop);
      return;
    default:
      lifecycle_on(i, f, begin);
      return;
  }
}

// The application's lifecycle inputs. Each pause resumes at its end, as an
// application that does not count its pauses would: overlapping ones pause a
// paused session, and resume one that another has resumed already.
void World::lifecycle_on(std::uint32_t i, const Fault& f, bool begin) {
  Client& c = *clients_[i];
  switch (f.kind) {
    case FaultKind::pause:
      push_app(now_ms(), i, begin ? AppKind::pause : AppKind::resume);
      return;
    case FaultKind::network_changed:
      if (!begin) return;
      // The old interface is gone: its connection goes silent before the
      // application hears of the change.
      if (f.param == 1 && c.connection != 0) c.wire.dead = true;
      push_app(now_ms(), i, AppKind::network_changed);
      return;
    case FaultKind::restart:
      if (begin) push_app(now_ms(), i, AppKind::restart);
      return;
    default:
      return;
  }
}

// kill -9 (or, for torn_write, a power loss): the process, its worker and
// everything they awaited are gone. A checkpoint save under way dies at a
// random step of the production store's algorithm; a power loss also loses
// what the disk had not made durable, tearing unsynced bytes.
void World::crash(std::uint32_t i, std::uint32_t index, bool power_loss) {
  Client& c = *clients_[i];
  if (!c.driver) return;
  const bool saving = c.worker_busy && c.running_kind == io::Blocking::checkpoint_save;
  if (saving) {
    c.disk.stop_after(static_cast<std::uint64_t>(c.crash_prng.uniform(0, 9)));
    (void)(*c.running)();  // the completion dies with the process
  }
  if (power_loss) {
    c.disk.crash(c.crash_prng);
    if (saving) c.report.writes_torn += 1;
  } else {
    c.disk.restart();
  }
  tell_durable(i);
  c.sse.cancel();
  c.driver.reset();
  c.app.reset();
  c.scheduled.clear();  // what the dead process scheduled never runs
  c.store.reset();
  c.work_queue.clear();
  c.running.reset();
  c.worker_busy = false;
  c.crashed_by = index;
  c.epoch += 1;  // everything the dead process awaited is dropped
  c.connection = 0;
  c.server_open = false;
  c.sequence_seen_before = std::max(c.sequence_seen_before, c.sequence_seen);
  oracle_.process_crashed(i, now_ms());
  check_client(i);
}

}  // namespace tether::sim::session_world
