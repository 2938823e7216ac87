// The session world's loop: the agenda's items in time order, each handed to
// the client or the world it concerns, and every reducer step judged.
#include <algorithm>
#include <string>
#include <tether/io/seed.hpp>
#include <tether/io/url.hpp>
#include <tether/model/names.hpp>
#include <tether/model/session.hpp>
#include <utility>
#include <variant>
#include <vector>

#include "session_world_impl.hpp"

namespace tether::sim::session_world {

using namespace tether::model;

void World::schedule() {
  const Ms safety = scenario_.safety_ms;
  const Ms liveness =
      scenario_.liveness_ms > 0 ? scenario_.liveness_ms : liveness_bound_ms(config_, scenario_);
  liveness_at_ = safety + liveness;
  for (std::uint32_t i = 0; i < scenario_.clients; ++i) push(0, Item{ItemKind::start, i});
  push(scenario_.world.append_every_ms, Item{ItemKind::append});
  if (scenario_.world.heartbeat_every_ms > 0)
    push(scenario_.world.heartbeat_every_ms, Item{ItemKind::heartbeat});
  for (std::uint32_t k = 0; k < scenario_.faults.size(); ++k) {
    const Fault& f = scenario_.faults[k];
    if (f.at_ms < 0 || f.at_ms >= safety) continue;  // faults live in the safety phase only
    Item begin{ItemKind::fault_begin};
    begin.fault = k;
    push(f.at_ms, begin);
    Item end{ItemKind::fault_end};
    end.fault = k;
    push(std::min(f.at_ms + std::max<Ms>(f.duration_ms, 0), safety), end);
  }
  push(safety, Item{ItemKind::heal});
  push(liveness_at_, Item{ItemKind::liveness_check});
  push(liveness_at_, Item{ItemKind::final_stop});
  push(liveness_at_ + 2 * scenario_.world.store_write_ms + 2 * scenario_.world.refresh_ms + 1000,
       Item{ItemKind::end});
}

RunResult World::run() {
  schedule();
  while (!agenda_.empty() && events_ < options_.events_max && !stopping_) {
    oracle_.time_passed(agenda_.next_ms());
    Item item = agenda_.pop();
    if (item.kind == ItemKind::end) break;
    handle(item);
  }
  oracle_.finish(now_ms());
  return result();
}

bool World::defer_if_suspended(Item& item) {
  Client& c = *clients_[item.client];
  // After the wake time, items still wait while the FIFO is not drained: an
  // item due exactly at the wake time but queued before the wake item must
  // not overtake what arrived during the suspension (a TCP stream never
  // reorders; found by the policy swarm as a silent gap under relaxed gaps).
  if (now_ms() >= c.suspended_until && !c.wake_pending) return false;
  // Held in one FIFO per client (not re-pushed one by one): a suspension that
  // is extended while items wait must not reorder them.
  c.deferred.push_back(std::move(item));
  if (!c.wake_pending) {
    c.wake_pending = true;
    push(c.suspended_until, Item{ItemKind::wake, item.client});
  }
  return true;
}

// An item for a process that died, or for a connection that is closed, is
// dropped (what the dead process awaited never arrives).
bool World::live(const Item& item) const {
  const Client& c = *clients_[item.client];
  if (item.lifetime != c.epoch || !c.driver) return false;
  if (item.kind == ItemKind::wire && item.connection != c.connection) return false;
  if (item.kind == ItemKind::tick && item.connection != c.tick_generation) return false;
  return true;
}

void World::handle(Item& item) {
  switch (item.kind) {
    case ItemKind::start:
      return start_process(item.client);
    case ItemKind::wire:
    case ItemKind::app:
    case ItemKind::tick:
    case ItemKind::work_done: {
      if (!live(item) || defer_if_suspended(item)) return;
      Client& c = *clients_[item.client];
      if (item.kind == ItemKind::wire) return handle_wire(item);
      if (item.kind == ItemKind::app) return handle_app(item);
      if (item.kind == ItemKind::tick) return c.driver->on_timer();
      return work_done(item.client);
    }
    case ItemKind::append:
      return on_append();
    case ItemKind::heartbeat:
      return on_heartbeat();
    case ItemKind::connection_max: {
      const Client& c = *clients_[item.client];
      if (healed_ || !c.server_open || c.connection != item.connection) return;
      return drop_server_side(item.client, CloseCause::clean_close);
    }
    case ItemKind::fault_begin:
      return fault(scenario_.faults[item.fault], item.fault, true);
    case ItemKind::fault_end:
      return fault(scenario_.faults[item.fault], item.fault, false);
    case ItemKind::heal:
      healed_ = true;
      return;
    case ItemKind::liveness_check:
      return liveness_check();
    case ItemKind::final_stop:
      for (std::uint32_t i = 0; i < scenario_.clients; ++i) push_app(now_ms(), i, AppKind::stop);
      return;
    case ItemKind::end:
      return;
    case ItemKind::wake: {
      Client& c = *clients_[item.client];
      if (now_ms() < c.suspended_until)
        return push(c.suspended_until, std::move(item));  // extended
      c.wake_pending = false;
      std::vector<Item> items = std::move(c.deferred);
      c.deferred.clear();
      for (Item& deferred : items) handle(deferred);
      return;
    }
  }
}

// What the transport tells the driver: the production SSE stream turns bytes
// into messages, comments, signals, or a limit's unrecoverable close.
void World::handle_wire(Item& item) {
  Client& c = *clients_[item.client];
  io::Driver& driver = *c.driver;
  c.input_connection = item.connection;
  switch (static_cast<WireKind>(item.subkind)) {
    case WireKind::opened:
      driver.on_opened();
      break;
    case WireKind::rejected:
      c.connection = 0;
      c.server_open = false;
      c.sse.cancel();
      driver.on_rejected(item.http_status, item.retry_after_ms, "simulated");
      break;
    case WireKind::closed:
      c.connection = 0;
      c.server_open = false;
      if (item.cause == CloseCause::clean_close) {
        c.sse.finish();
      } else {
        c.sse.cancel();
        driver.on_closed(item.cause, "simulated connection end");
      }
      break;
    case WireKind::bytes:
      c.sse.feed(item.bytes);
      break;
  }
  c.input_connection = 0;
}

void World::handle_app(const Item& item) {
  io::Driver& driver = *clients_[item.client]->driver;
  switch (static_cast<AppKind>(item.subkind)) {
    case AppKind::ack:
      return app_ack(item.client, item.value);
    case AppKind::stop:
      return app_stop(item.client);
    case AppKind::network_restored:
      return driver.network_restored();
    case AppKind::pause:
      return driver.pause();
    case AppKind::resume:
      return driver.resume();
    case AppKind::network_changed:
      return driver.network_changed();
    case AppKind::restart:
      return driver.restart();
    case AppKind::scheduled: {
      Client& c = *clients_[item.client];
      const auto found = c.scheduled.find(item.value);
      if (found == c.scheduled.end()) return;
      const std::function<void()> work = std::move(found->second);
      c.scheduled.erase(found);
      return work();
    }
  }
}

void World::start_process(std::uint32_t i) {
  Client& c = *clients_[i];
  SessionConfig config = config_;
  // As production seeds (io::choose_seed): the fixed seed, else this lifetime's entropy.
  config.seed = io::choose_seed(scenario_.fixed_seed, [&c] { return c.app_prng.next(); });
  auto made = make(config);
  if (!made) return;  // validated before the run
  c.epoch += 1;
  c.connection = 0;
  c.server_open = false;
  c.crashed_by.reset();
  io::DriverOptions options;
  options.sequence = io::sequence_fn(io::SequenceExtractor::from_json_field("seq"));
  options.reducer = options_.reducer;
  options.mutant = options_.driver_mutant;
  if (scenario_.world.id_bytes_max > 0) options.id_bytes_max = scenario_.world.id_bytes_max;
  const bool auth = scenario_.world.auth || config.auth.has_provider;
  c.store.emplace(c.disk, checkpoint_path, io::DiskCheckpointOptions{stream_, c.epoch});
  io::DriverPorts ports{*this, c, c, c, &*c.store, auth ? &c : nullptr, nullptr, &c};
  c.driver_hooked = scenario_.world.request_hook;
  if (c.driver_hooked) {
    options.hooks = request_hook(c, auth);
    ports.strand = &c;
  }
  c.driver.emplace(std::move(*made), ports, std::move(options));
  c.lifetime_count += 1;
  c.app = c.code->start(c);
  c.driver->start();
}

// The application's request hook (WorldParams::request_hook), run by the
// production driver: it adds X-Attempt and completes later, on the process's
// own timer, or fails; the server counts the requests that carry it.
io::HookOptions World::request_hook(Client& c, bool auth) {
  io::HookOptions hooks;
  hooks.rules.url = *io::parse_url(hook_url);
  hooks.rules.auth_provider = auth;
  const WorldParams& w = scenario_.world;
  hooks.request = [&c, w](const io::RequestAttempt& attempt, io::HttpRequest request,
                          io::RequestCompletion done) {
    c.report.hook_calls += 1;
    const Ms delay_ms = c.prng().uniform(0, w.request_hook_delay_ms_max);
    const bool fail =
        w.request_hook_fail_every > 0 && attempt.number % w.request_hook_fail_every == 0;
    request.headers.emplace_back("X-Attempt", std::to_string(attempt.number));
    c.after(delay_ms, [&c, fail, done, request = std::move(request)] {
      if (!fail) return done(request);
      c.report.hook_failures += 1;
      done(std::unexpected("simulated session service failure"));
    });
  };
  return hooks;
}

void World::liveness_check() {
  std::vector<const State*> states;
  for (const auto& c : clients_) states.push_back(c->driver ? &c->driver->state() : nullptr);
  oracle_.check_liveness(now_ms(), server_, now_ms() - scenario_.world.latency_ms_max - 1, states);
}

// --- each step, judged ---------------------------------------------------------

void World::step(std::uint32_t i, const Event& e, const Phase& before, const State& after,
                 const Effects& fx) {
  Client& c = *clients_[i];
  // A lifetime begins for the oracle at Started, with the checkpoint it
  // loaded; an input of the application that comes before (a stop: Started
  // then never comes; a pause: Started keeps the session paused; an input
  // the session ignores) opens it, and Started then only says where it resumes.
  const auto* started = std::get_if<Started>(&e);
  if (started != nullptr || c.announced_lifetime != c.epoch) {
    const bool announced = c.announced_lifetime == c.epoch;
    c.announced_lifetime = c.epoch;
    std::optional<Cursor> loaded;
    if (started != nullptr) {
      loaded = started->checkpoint;
      oracle_.checkpoint_loaded(i, now_ms(), loaded);
    }
    if (announced)
      oracle_.process_loaded(i, loaded);
    else
      oracle_.process_started(i, now_ms(), loaded);
  }
  coverage_.add(before, e);
  ++events_;
  watch_for_hot_loop(i, e);
  trace_.step(now_ms(), i, e, fx);
  for (const Effect& effect : fx) {
    if (const auto* r = std::get_if<RefreshAuth>(&effect)) {
      (r->cause == RefreshCause::rejected ? c.report.refresh_rejected
                                          : c.report.refresh_expiring) += 1;
      c.report.refresh_at_ms.push_back(now_ms());
    } else if (const auto* x = std::get_if<DiscardFrame>(&effect)) {
      if (x->reason == DiscardReason::duplicate) c.report.duplicates_discarded += 1;
    }
  }
  oracle_.step(StepView{i, now_ms(), e, c.input_connection, before, after, fx, c.connection});
  check_client(i);
}

// No virtual time passes in a hot loop: a client that takes more than
// hot_loop_steps_max steps in one virtual millisecond, not counting the data
// a stream may carry in a burst (frames, their bytes, their acks), is
// retrying something at once. The run ends there with a Guarantee::rate
// verdict, instead of spinning until the event limit.
void World::watch_for_hot_loop(std::uint32_t i, const Event& e) {
  if (std::holds_alternative<FrameReceived>(e) || std::holds_alternative<BytesReceived>(e) ||
      std::holds_alternative<DeliveryAcked>(e))
    return;
  Client& c = *clients_[i];
  if (c.hot_ms != now_ms()) {
    c.hot_ms = now_ms();
    c.hot_steps = 0;
  }
  if (++c.hot_steps <= hot_loop_steps_max || stopping_) return;
  stopping_ = true;
  hot_loop_.push_back(Violation{Guarantee::rate,
                                {},
                                "hot loop: " + std::to_string(c.hot_steps) +
                                    " steps in virtual millisecond " + std::to_string(now_ms()) +
                                    ", the last " + std::string(name_of(e)),
                                now_ms(),
                                i});
}

// The client's own invariant (ClientCode::check), after each of its steps and
// at its crashes; the first failure is reported, as Guarantee::client_invariant.
void World::check_client(std::uint32_t i) {
  Client& c = *clients_[i];
  if (c.invariant_failed) return;
  ClientView view;
  view.client = i;
  view.now_ms = now_ms();
  view.process_up = c.driver.has_value();
  if (c.durable_told) view.durable_sequence = c.durable_sequence;
  view.server_head = server_.head();
  if (auto broken = c.code->check(view)) {
    c.invariant_failed = true;
    invariant_violations_.push_back(Violation{
        Guarantee::client_invariant, {}, "the client's invariant: " + *broken, now_ms(), i});
  }
}

}  // namespace tether::sim::session_world
