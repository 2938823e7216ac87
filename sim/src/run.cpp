#include <tether/sim/run.hpp>

#include <algorithm>
#include <optional>
#include <variant>

#include <tether/io/seed.hpp>
#include <tether/model/names.hpp>
#include <tether/model/session.hpp>
#include <tether/sim/agenda.hpp>
#include <tether/sim/network.hpp>
#include <tether/sim/server.hpp>
#include <tether/sim/store.hpp>

namespace tether::sim {

namespace {

using namespace tether::model;

enum class ItemKind : std::uint8_t {
  start,           // a client process starts (Started)
  input,           // an event for a session (bound to a lifetime, maybe a connection)
  tick,            // a session's deadline (connection field = generation)
  refresh_done,    // an auth refresh answers
  write_done,      // the oldest checkpoint write completes
  append,          // the server logs an event
  heartbeat,       // the server sends heartbeats on every open stream
  connection_max,  // the server cleanly closes a stream that lasted long enough
  fault_begin,
  fault_end,
  heal,            // the safety phase ends
  liveness_check,
  final_stop,
  end,
  wake,            // a suspended client's host wakes: its deferred items run, in order
};

struct Item {
  ItemKind kind = ItemKind::end;
  std::uint32_t client = 0;
  std::uint32_t lifetime = 0;
  std::uint64_t connection = 0;  // input: the connection it belongs to (0: none); tick: generation
  std::uint32_t fault = 0;
  Event event{Tick{}};
};

struct Client {
  Client(LinkParams lp, Prng link_stream, Prng app_stream) : link(lp, link_stream), app_prng(app_stream) {}

  std::optional<State> state;  // nullopt: the process is down
  std::uint32_t lifetime = 0;
  std::uint64_t connection = 0;  // the app's current connection (0: none)
  bool server_open = false;      // the server streams on `connection`
  Wire wire;
  Link link;
  Store store;
  Prng app_prng;  // jitter seeds for each process lifetime
  AuthToken token;
  Ms suspended_until = 0;
  std::uint64_t tick_generation = 0;
  std::optional<Ms> tick_at;
  Ms last_write_done = 0;
  int store_failing = 0;
  int refresh_failing = 0;
  std::optional<std::uint32_t> crashed_by;
  std::vector<Item> deferred;  // what arrived while suspended, in arrival order
  bool wake_pending = false;
  std::uint64_t sequence_seen_before = 0;  // highest sequence earlier lifetimes got
  std::uint64_t sequence_seen = 0;
  ClientReport report;
};

class World {
 public:
  World(const Scenario& s, const SessionConfig& cfg, const RunOptions& o)
      : s_(s), cfg_(cfg), opt_(o),
        server_(ServerParams{s.world.retention_ms, s.world.auth, s.world.token_lifetime_ms, s.world.opaque_ids,
                             s.world.filter_skip_every, s.world.resume_overlap}),
        oracle_(cfg, s.clients), trace_(o.keep_trace_text) {
    oracle_.set_filter(s.world.filter_skip_every);
    oracle_.set_replay_end(s.world.replay_end_sequence);
    replay_end_ = s.world.replay_end_sequence;
    clients_.reserve(s.clients);
    for (std::uint32_t i = 0; i < s.clients; ++i)
      clients_.emplace_back(LinkParams{s.world.latency_ms_min, s.world.latency_ms_max},
                            Prng::derive(s.seed, 0x200 + std::uint64_t{i}),
                            Prng::derive(s.seed, 0x100 + std::uint64_t{i}));
  }

  RunResult run();

 private:
  Ms now() const { return agenda_.now_ms(); }
  void push(Ms at, Item it) { agenda_.push(at, std::move(it)); }
  void push_input(Ms at, std::uint32_t i, std::uint64_t connection, Event e) {
    push(at, Item{ItemKind::input, i, clients_[i].lifetime, connection, 0, std::move(e)});
  }
  // Bytes from the server to client i on its current connection.
  // Event `seq` as a frame: with its opaque id when the server has them.
  FrameReceived frame(std::uint64_t seq) {
    std::optional<Token> id;
    if (s_.world.opaque_ids) id = server_.id_of(seq);
    return FrameReceived{Instant{}, seq, id, std::nullopt, ++next_frame_ref_};
  }
  // What the app acks for event `seq`: its id (with the sequence) or the sequence.
  Cursor ack_cursor(std::uint64_t seq) const {
    return s_.world.opaque_ids ? Cursor::at_token(server_.id_of(seq), seq) : Cursor::at_sequence(seq);
  }
  void send(std::uint32_t i, Event e) {
    Client& c = clients_[i];
    if (auto at = c.link.carry_to_client(now(), c.wire)) push_input(*at, i, c.connection, std::move(e));
  }

  void schedule();
  void handle(Item& it);
  void start_process(std::uint32_t i);
  void feed(std::uint32_t i, const Event& e, std::uint64_t connection);
  void schedule_tick(std::uint32_t i);
  bool defer_if_suspended(Item& it);

  void execute(std::uint32_t i, const Effect& e);
  void connect(std::uint32_t i, const Connect& c);
  void end_replay(std::uint32_t i);
  void on_append();
  void on_heartbeat();
  void fault(const Fault& f, std::uint32_t index, bool begin);
  void fault_on(std::uint32_t i, const Fault& f, std::uint32_t index, bool begin, Ms end);
  void crash(std::uint32_t i, std::uint32_t index, std::optional<TornWrites> tear = std::nullopt);
  void drop_server_side(std::uint32_t i, CloseCause cause);

  const Scenario& s_;
  SessionConfig cfg_;
  RunOptions opt_;
  Server server_;
  Oracle oracle_;
  Trace trace_;
  Agenda<Item> agenda_;
  std::vector<Client> clients_;
  Coverage coverage_;
  std::uint64_t events_ = 0;
  std::uint64_t next_connection_ = 0;
  std::uint64_t next_frame_ref_ = 0;
  bool healed_ = false;
  Ms liveness_at_ = 0;
  std::uint64_t replay_end_ = 0;  // WorldParams::replay_end_sequence
};

void World::schedule() {
  const Ms safety = s_.safety_ms;
  const Ms liveness = s_.liveness_ms > 0 ? s_.liveness_ms : liveness_bound_ms(cfg_, s_);
  liveness_at_ = safety + liveness;
  for (std::uint32_t i = 0; i < s_.clients; ++i) push(0, Item{ItemKind::start, i, 0, 0, 0, Tick{}});
  push(s_.world.append_every_ms, Item{ItemKind::append});
  if (s_.world.heartbeat_every_ms > 0) push(s_.world.heartbeat_every_ms, Item{ItemKind::heartbeat});
  for (std::uint32_t k = 0; k < s_.faults.size(); ++k) {
    const Fault& f = s_.faults[k];
    if (f.at_ms < 0 || f.at_ms >= safety) continue;  // faults live in the safety phase only
    push(f.at_ms, Item{ItemKind::fault_begin, 0, 0, 0, k, Tick{}});
    push(std::min(f.at_ms + std::max<Ms>(f.duration_ms, 0), safety), Item{ItemKind::fault_end, 0, 0, 0, k, Tick{}});
  }
  push(safety, Item{ItemKind::heal});
  push(liveness_at_, Item{ItemKind::liveness_check});
  push(liveness_at_, Item{ItemKind::final_stop});
  push(liveness_at_ + 2 * s_.world.store_write_ms + 1000, Item{ItemKind::end});
}

RunResult World::run() {
  RunResult r;
  schedule();
  while (!agenda_.empty() && events_ < opt_.events_max) {
    oracle_.time_passed(agenda_.next_ms());
    Item it = agenda_.pop();
    if (it.kind == ItemKind::end) break;
    handle(it);
  }
  oracle_.finish(now());
  r.trace_hash = trace_.hash();
  r.events = events_;
  r.violations = oracle_.violations();
  if (events_ >= opt_.events_max)
    r.violations.push_back(Violation{7, "event limit reached (a hot loop?)", now(), all_clients});
  r.coverage = coverage_;
  r.trace = trace_.text();
  r.end_ms = now();
  r.liveness_check_ms = liveness_at_;
  r.server_head = server_.head();
  for (Client& c : clients_) {
    c.report.final_phase = c.state ? name_of(c.state->phase) : std::string_view("down");
    r.clients.push_back(std::move(c.report));
  }
  return r;
}

bool World::defer_if_suspended(Item& it) {
  const std::uint32_t client = it.client;
  Client& c = clients_[client];
  // After the wake time, items still wait while the FIFO is not drained: an
  // item due exactly at the wake time but queued before the wake item must
  // not overtake what arrived during the suspension (a TCP stream never
  // reorders; found by the policy swarm as a silent gap under relaxed gaps).
  if (now() >= c.suspended_until && !c.wake_pending) return false;
  // Held in one FIFO per client (not re-pushed one by one): a suspension that
  // is extended while items wait must not reorder them.
  c.deferred.push_back(std::move(it));
  if (!c.wake_pending) {
    c.wake_pending = true;
    push(c.suspended_until, Item{ItemKind::wake, client});
  }
  return true;
}

void World::handle(Item& it) {
  switch (it.kind) {
    case ItemKind::start: return start_process(it.client);
    case ItemKind::input: {
      Client& c = clients_[it.client];
      if (it.lifetime != c.lifetime || !c.state) return;           // the process that awaited it died
      if (it.connection != 0 && it.connection != c.connection) return;  // its connection is closed
      if (defer_if_suspended(it)) return;
      std::visit([&](auto& x) { x.now = Instant{now()}; }, it.event);
      if (std::holds_alternative<ConnectionClosed>(it.event) || std::holds_alternative<ServerRejected>(it.event)) {
        c.connection = 0;
        c.server_open = false;
      }
      return feed(it.client, it.event, it.connection);
    }
    case ItemKind::tick: {
      Client& c = clients_[it.client];
      if (it.lifetime != c.lifetime || !c.state || it.connection != c.tick_generation) return;
      if (defer_if_suspended(it)) return;
      c.tick_at.reset();
      return feed(it.client, Tick{Instant{now()}}, 0);
    }
    case ItemKind::refresh_done: {
      Client& c = clients_[it.client];
      if (it.lifetime != c.lifetime || !c.state) return;
      if (defer_if_suspended(it)) return;
      if (c.refresh_failing > 0) return feed(it.client, AuthRefreshFailed{Instant{now()}}, 0);
      c.token = server_.issue_token(now());
      std::optional<Instant> expiry;
      if (s_.world.app_knows_expiry) expiry = Instant{c.token.expires_at_ms};
      return feed(it.client, AuthRefreshed{Instant{now()}, expiry}, 0);
    }
    case ItemKind::write_done: {
      Client& c = clients_[it.client];
      if (it.lifetime != c.lifetime || !c.state) return;
      if (defer_if_suspended(it)) return;
      const auto w = c.store.complete_next(c.store_failing > 0);
      if (!w) return;
      if (c.store_failing > 0) return feed(it.client, CheckpointSaveFailed{Instant{now()}, w->delivery_id}, 0);
      oracle_.checkpoint_durable(it.client, now(), w->cursor);
      c.report.durable_sequence = w->cursor.sequence;
      return feed(it.client, CheckpointSaved{Instant{now()}, w->delivery_id}, 0);
    }
    case ItemKind::append: return on_append();
    case ItemKind::heartbeat: return on_heartbeat();
    case ItemKind::connection_max: {
      Client& c = clients_[it.client];
      if (healed_ || !c.server_open || c.connection != it.connection) return;
      return drop_server_side(it.client, CloseCause::clean_close);
    }
    case ItemKind::fault_begin: return fault(s_.faults[it.fault], it.fault, true);
    case ItemKind::fault_end: return fault(s_.faults[it.fault], it.fault, false);
    case ItemKind::heal: healed_ = true; return;
    case ItemKind::liveness_check: {
      std::vector<const State*> states;
      for (const Client& c : clients_) states.push_back(c.state ? &*c.state : nullptr);
      oracle_.check_liveness(now(), server_, now() - s_.world.latency_ms_max - 1, states);
      return;
    }
    case ItemKind::final_stop:
      for (std::uint32_t i = 0; i < s_.clients; ++i) push_input(now(), i, 0, StopRequested{});
      return;
    case ItemKind::end: return;
    case ItemKind::wake: {
      Client& c = clients_[it.client];
      if (now() < c.suspended_until) return push(c.suspended_until, std::move(it));  // extended
      c.wake_pending = false;
      std::vector<Item> items = std::move(c.deferred);
      c.deferred.clear();
      for (Item& x : items) handle(x);
      return;
    }
  }
}

void World::start_process(std::uint32_t i) {
  Client& c = clients_[i];
  SessionConfig cfg = cfg_;
  // As production seeds (io::choose_seed): the fixed seed, else this lifetime's entropy.
  cfg.seed = io::choose_seed(s_.fixed_seed, [&c] { return c.app_prng.next(); });
  auto made = make_session(cfg);
  if (!made) return;  // validated before the run
  c.state = std::move(*made);
  c.lifetime += 1;
  c.connection = 0;
  c.server_open = false;
  c.tick_at.reset();
  c.crashed_by.reset();
  std::optional<Instant> expiry;
  if (s_.world.auth) {
    c.token = server_.issue_token(now());  // the app logs in at start
    if (s_.world.app_knows_expiry) expiry = Instant{c.token.expires_at_ms};
  }
  const std::optional<Cursor> loaded = c.store.load();
  oracle_.process_started(i, now(), loaded);
  feed(i, Started{Instant{now()}, loaded, expiry}, 0);
}

void World::feed(std::uint32_t i, const Event& e, std::uint64_t connection) {
  Client& c = clients_[i];
  State& s = *c.state;
  const Phase before = s.phase;
  coverage_.add(before, e);
  const Effects fx = opt_.reducer(s, e);
  ++events_;
  trace_.step(now(), i, e, fx);
  for (const Effect& effect : fx) execute(i, effect);
  oracle_.step(StepView{i, now(), e, connection, before, s, fx, c.connection});
  schedule_tick(i);
}

void World::schedule_tick(std::uint32_t i) {
  Client& c = clients_[i];
  const auto d = next_deadline(*c.state);
  if (!d) return;
  const Ms at = std::max(d->ms, now());
  if (c.tick_at && *c.tick_at <= at) return;  // an earlier tick is coming; it reschedules
  c.tick_at = at;
  c.tick_generation += 1;
  push(at, Item{ItemKind::tick, i, c.lifetime, c.tick_generation, 0, Tick{}});
}

void World::execute(std::uint32_t i, const Effect& e) {
  Client& c = clients_[i];
  if (const auto* k = std::get_if<Connect>(&e)) return connect(i, *k);
  if (std::holds_alternative<CloseConnection>(e)) {
    c.connection = 0;
    c.server_open = false;
    return;
  }
  if (const auto* d = std::get_if<Deliver>(&e)) {
    c.report.deliveries += 1;
    if (d->sequence) {
      if (*d->sequence <= c.sequence_seen_before) c.report.redeliveries += 1;
      c.sequence_seen = std::max(c.sequence_seen, *d->sequence);
      c.report.last_sequence = *d->sequence;
    }
    if (cfg_.resume.commit == CommitPolicy::on_ack && d->sequence)
      push_input(now() + s_.world.ack_delay_ms, i, 0,
                 DeliveryAcked{Instant{}, d->delivery_id, ack_cursor(*d->sequence)});
    return;
  }
  if (const auto* k = std::get_if<SaveCheckpoint>(&e)) {
    c.store.begin_write(k->delivery_id, k->cursor);
    c.last_write_done = std::max(now() + s_.world.store_write_ms, c.last_write_done);
    push(c.last_write_done, Item{ItemKind::write_done, i, c.lifetime, 0, 0, Tick{}});
    return;
  }
  if (const auto* r = std::get_if<RefreshAuth>(&e)) {
    (r->cause == RefreshCause::rejected ? c.report.refresh_rejected : c.report.refresh_expiring) += 1;
    c.report.refresh_at_ms.push_back(now());
    push(now() + s_.world.refresh_ms, Item{ItemKind::refresh_done, i, c.lifetime, 0, 0, Tick{}});
    return;
  }
  if (const auto* st = std::get_if<ReportStatus>(&e)) {
    c.report.statuses.emplace_back(now(), st->status);
    return;
  }
  if (const auto* g = std::get_if<ReportGap>(&e)) {
    c.report.gaps.emplace_back(now(), *g);
    return;
  }
  if (const auto* x = std::get_if<DiscardFrame>(&e)) {
    if (x->reason == DiscardReason::duplicate) c.report.duplicates_discarded += 1;
  }
}

void World::connect(std::uint32_t i, const Connect& k) {
  Client& c = clients_[i];
  c.connection = ++next_connection_;
  c.server_open = false;
  c.wire = Wire{c.connection, now(), false};
  c.report.connect_at_ms.push_back(now());
  if (c.link.request_lost(now())) return;  // no answer: the connect timeout will tell
  const ConnectAnswer a = server_.answer(now(), c.token.id, k.from, k.cursor);
  // The answer leaves the server one latency later.
  c.wire.last_arrival_ms = now() + c.link.latency_ms();
  switch (a.kind) {
    case ConnectAnswer::Kind::refused:
      return send(i, ConnectionClosed{Instant{}, CloseCause::transport_error});
    case ConnectAnswer::Kind::status:
      return send(i, ServerRejected{Instant{}, a.http_status, a.retry_after_ms});
    case ConnectAnswer::Kind::too_old:
      if (!s_.world.too_old_in_band) return send(i, ServerRejected{Instant{}, 410, std::nullopt});
      send(i, ConnectionOpened{});
      return send(i, CursorExpired{});
    case ConnectAnswer::Kind::open: break;
  }
  send(i, ConnectionOpened{});
  if (c.link.half_open()) {
    c.wire.dead = true;
    return;
  }
  c.server_open = true;
  const std::uint64_t end = replay_end_ > 0 ? std::min(server_.head(), replay_end_) : server_.head();
  for (std::uint64_t seq = a.first_sequence; seq <= end; ++seq)
    if (server_.streams(seq)) send(i, frame(seq));
  if (replay_end_ > 0 && server_.head() >= replay_end_) return end_replay(i);
  if (s_.world.connection_ms_max > 0 && !healed_)
    push(now() + s_.world.connection_ms_max, Item{ItemKind::connection_max, i, c.lifetime, c.connection, 0, Tick{}});
}

void World::on_append() {
  const std::uint64_t seq = server_.append(now());
  if (server_.streams(seq) && (replay_end_ == 0 || seq <= replay_end_))
    for (std::uint32_t i = 0; i < s_.clients; ++i)
      if (clients_[i].server_open) send(i, frame(seq));
  if (seq == replay_end_)
    for (std::uint32_t i = 0; i < s_.clients; ++i)
      if (clients_[i].server_open) end_replay(i);
  push(now() + s_.world.append_every_ms, Item{ItemKind::append});
}

// A finite replay has been streamed to its end: the server says so and ends
// the stream.
void World::end_replay(std::uint32_t i) {
  send(i, ReplayFinished{});
  clients_[i].server_open = false;
}

void World::on_heartbeat() {
  for (std::uint32_t i = 0; i < s_.clients; ++i)
    if (clients_[i].server_open) send(i, BytesReceived{});
  push(now() + s_.world.heartbeat_every_ms, Item{ItemKind::heartbeat});
}

// The server ends client i's stream; the client learns it one latency later
// (or never, on a dead wire).
void World::drop_server_side(std::uint32_t i, CloseCause cause) {
  Client& c = clients_[i];
  if (!c.server_open) return;
  c.server_open = false;
  send(i, ConnectionClosed{Instant{}, cause});
}

void World::fault(const Fault& f, std::uint32_t index, bool begin) {
  const Ms end = std::min(f.at_ms + f.duration_ms, s_.safety_ms);
  trace_.note(now(), name_of(f.kind), begin ? 1 : 0);
  switch (f.kind) {
    case FaultKind::server_restart:
      if (begin) {
        server_.restart(now(), f.param == 1);
        for (std::uint32_t i = 0; i < s_.clients; ++i) drop_server_side(i, CloseCause::unexpected_eof);
      }
      server_.set_down(begin);
      return;
    case FaultKind::rate_limit:
      server_.set_rate_limit(begin, f.param > 0 ? std::optional<std::int64_t>(f.param) : std::nullopt);
      return;
    case FaultKind::server_errors:
      server_.set_error_status(begin, static_cast<std::uint16_t>(f.param >= 500 && f.param <= 599 ? f.param : 503));
      return;
    case FaultKind::auth_revoked: server_.set_auth_revoked(begin); return;
    default: break;
  }
  for (std::uint32_t i = 0; i < s_.clients; ++i)
    if (f.client == all_clients || f.client == i) fault_on(i, f, index, begin, end);
}

void World::fault_on(std::uint32_t i, const Fault& f, std::uint32_t index, bool begin, Ms end) {
  Client& c = clients_[i];
  const auto restored = [&] {
    if (s_.world.notify_network_restored) push_input(now(), i, 0, NetworkRestored{});
  };
  switch (f.kind) {
    case FaultKind::partition:
      if (begin) {
        c.link.block_to_server(end);
        c.link.block_to_client(end);
      } else {
        restored();
      }
      return;
    case FaultKind::partition_to_server:
      if (begin) c.link.block_to_server(end);
      else restored();
      return;
    case FaultKind::partition_to_client:
      if (begin) c.link.block_to_client(end);
      return;
    case FaultKind::half_open:
      c.link.set_half_open(begin);
      if (begin && c.connection != 0) c.wire.dead = true;
      return;
    case FaultKind::reset:
      if (begin && c.connection != 0) {
        c.server_open = false;
        push_input(now(), i, c.connection, ConnectionClosed{Instant{}, CloseCause::transport_error});
      }
      return;
    case FaultKind::loss: c.link.set_loss_permille(begin ? f.param : 0); return;
    case FaultKind::slow_link: c.link.add_latency_ms(begin ? f.param : -f.param); return;
    case FaultKind::token_expiry:
      if (begin) server_.expire_token(c.token.id, now());
      return;
    case FaultKind::refresh_failing: c.refresh_failing += begin ? 1 : -1; return;
    case FaultKind::store_failing: c.store_failing += begin ? 1 : -1; return;
    case FaultKind::crash:
    case FaultKind::torn_write:
      if (begin) {
        std::optional<TornWrites> tear;
        if (f.kind == FaultKind::torn_write)
          tear = f.param == 1 ? TornWrites::in_place_checked : TornWrites::atomic_replace;
        crash(i, index, tear);
      } else if (!c.state && c.crashed_by == index) {
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
      if (begin) push_input(now(), i, 0, StopRequested{});
      return;
    default: return;
  }
}

void World::crash(std::uint32_t i, std::uint32_t index, std::optional<TornWrites> tear) {
  Client& c = clients_[i];
  if (!c.state) return;
  c.state.reset();
  c.crashed_by = index;
  c.lifetime += 1;  // everything the dead process awaited is dropped
  c.connection = 0;
  c.server_open = false;
  if (tear) {
    if (c.store.crash_tearing(*tear)) c.report.writes_torn += 1;
  } else {
    c.store.crash();
  }
  c.sequence_seen_before = std::max(c.sequence_seen_before, c.sequence_seen);
  oracle_.process_crashed(i, now());
}

}  // namespace

RunResult run(const Scenario& scenario, const RunOptions& options) {
  RunResult bad;
  const SessionConfig& cfg = scenario.config;
  if (auto ok = validate(cfg); !ok) {
    bad.error = "config: " + std::string(ok.error().field) + ": " + std::string(ok.error().reason);
    return bad;
  }
  if (scenario.clients == 0 || scenario.world.append_every_ms <= 0 ||
      scenario.world.latency_ms_min < 0 || scenario.world.latency_ms_max < scenario.world.latency_ms_min) {
    bad.error = "world: clients >= 1, append_every_ms > 0, 0 <= latency_ms_min <= latency_ms_max";
    return bad;
  }
  if (scenario.world.filter_skip_every >= 2 && cfg.resume.gaps != GapDetection::relaxed) {
    bad.error = "world.filter_skip_every: a filtered stream needs resume.gaps = relaxed";
    return bad;
  }
  if (scenario.world.replay_end_sequence > 0 && cfg.resume.mode != StreamMode::replay_only) {
    bad.error = "world.replay_end_sequence: a replay that ends needs resume.mode = replay_only";
    return bad;
  }
  RunResult r = World(scenario, cfg, options).run();
  if (options.check_determinism) {
    RunOptions again = options;
    again.check_determinism = false;
    again.keep_trace_text = false;
    const RunResult second = World(scenario, cfg, again).run();
    if (second.trace_hash != r.trace_hash)
      r.violations.push_back(Violation{9, "same scenario, different trace hash", r.end_ms, all_clients});
  }
  return r;
}

std::string describe(const RunResult& r) {
  std::string out;
  if (!r.error.empty()) out += "error: " + r.error + "\n";
  // Appends, not `"g" + std::string&&`: GCC 12 at -O3 reports a false
  // -Wrestrict in operator+(const char*, string&&).
  for (const Violation& v : r.violations) {
    out.append("g").append(std::to_string(v.guarantee)).append(" c");
    out.append(v.client == all_clients ? std::string("*") : std::to_string(v.client));
    out.append(" @").append(std::to_string(v.at_ms)).append(": ").append(v.message).append("\n");
  }
  return out;
}

}  // namespace tether::sim
