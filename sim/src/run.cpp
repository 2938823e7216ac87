#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tether/io/application.hpp>
#include <tether/io/auth_provider.hpp>
#include <tether/io/checkpoint_store.hpp>
#include <tether/io/clock.hpp>
#include <tether/io/driver.hpp>
#include <tether/io/host.hpp>
#include <tether/io/seed.hpp>
#include <tether/io/sse_stream.hpp>
#include <tether/io/stream_identity.hpp>
#include <tether/io/transport.hpp>
#include <tether/model/names.hpp>
#include <tether/model/session.hpp>
#include <tether/sim/agenda.hpp>
#include <tether/sim/checkpoint_store.hpp>
#include <tether/sim/client_code.hpp>
#include <tether/sim/disk.hpp>
#include <tether/sim/network.hpp>
#include <tether/sim/run.hpp>
#include <tether/sim/server.hpp>
#include <tether/sim/watch_code.hpp>
#include <utility>
#include <variant>

// The session world runs the production stack (docs/architecture.md): every
// client is an io::Driver — the loop users run — behind simulated ports. Its
// clock and timer are the agenda's; blocking work runs on a simulated worker
// thread (one per process, serialized like the Runner's) and takes simulated
// time; the server writes SSE text that reaches the production parser
// (io::SseStream) in random chunk splits, and the production sequence
// extraction reads its payload; the application acks after a delay.
namespace tether::sim {

namespace {

using namespace tether::model;

// Unix time at virtual 0 (credentials carry absolute expiries).
constexpr std::int64_t epoch_unix_ms = 1'700'000'000'000;

// The SSE the simulated server speaks: events carry their sequence in the
// payload ({"seq":N}) and, with opaque ids, the id; signals are typed events.
constexpr std::string_view cursor_expired_type = "tether.cursor-expired";
constexpr std::string_view replay_finished_type = "tether.replay-finished";

// More steps than this for one client in one virtual millisecond, besides
// the data a stream carries, is a hot loop.
constexpr std::uint64_t hot_loop_steps_max = 1000;

// Each process keeps its checkpoint in a real checkpoint file on its disk.
const std::filesystem::path checkpoint_path = "/checkpoints/session.ckpt";

enum class ItemKind : std::uint8_t {
  start,           // a client process starts (Driver::start)
  wire,            // bytes or an outcome of a connection reach the client
  app,             // the application acts (ack, stop, network restored)
  tick,            // the driver's timer fires (connection field = generation)
  work_done,       // the worker finishes a blocking call; its completion runs
  append,          // the server logs an event
  heartbeat,       // the server sends heartbeats on every open stream
  connection_max,  // the server cleanly closes a stream that lasted long enough
  fault_begin,
  fault_end,
  heal,  // the safety phase ends
  liveness_check,
  final_stop,
  end,
  wake,  // a suspended client's host wakes: its deferred items run, in order
};

enum class WireKind : std::uint8_t { opened, rejected, bytes, closed };
enum class AppKind : std::uint8_t { ack, stop, network_restored, scheduled };

struct Item {
  ItemKind kind = ItemKind::end;
  std::uint32_t client = 0;
  std::uint32_t lifetime = 0;
  std::uint64_t connection = 0;  // wire: the connection it belongs to; tick: generation
  std::uint32_t fault = 0;
  std::uint8_t sub = 0;                            // WireKind or AppKind
  std::uint16_t http_status = 0;                   // wire rejected
  CloseCause cause = CloseCause::transport_error;  // wire closed
  std::optional<std::int64_t> retry_after_ms{};    // wire rejected
  std::uint64_t value = 0;                         // app ack: the delivery id
  std::string bytes{};                             // wire bytes
};

class World;

// One client: its ports (what a process's Driver talks to) and what the world
// knows of it. Never moves (the Driver holds references to it).
class Client final : public io::Host,
                     public io::Transport,
                     public io::Application,
                     public io::AuthProvider,
                     public io::StepObserver,
                     public Process {
 public:
  Client(World& world, std::uint32_t index, LinkParams lp, Prng link_stream, Prng app_stream,
         Prng chunk_stream, Prng crash_stream, Prng process_stream, io::SseSignals signals)
      : link(lp, link_stream),
        app_prng(app_stream),
        chunk_prng(chunk_stream),
        crash_prng(crash_stream),
        sse(io::SseLimits{}, std::move(signals)),
        process_prng(process_stream),
        world_(world),
        index_(index) {
    disk.make_directory(checkpoint_path.parent_path());
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // io::Host
  void arm_timer(std::optional<model::Instant> deadline) override;
  void offload(Work work, io::Blocking kind) override;
  // io::Transport
  void open(const io::ConnectRequest& request, io::TransportListener& listener) override;
  void close() override;
  // io::Application
  void on_delivery(const io::Delivery& delivery) override;
  void on_gap(const model::ReportGap& gap) override;
  void on_status(const model::Status& status) override;
  void on_diagnostic(const io::Diagnostic& diagnostic) override;
  // io::AuthProvider
  std::expected<io::Credentials, std::string> refresh() override;
  // io::StepObserver
  void on_step(const model::Event& event, const model::Phase& before, const model::State& after,
               const model::Effects& effects) override;
  // Process (what the application may ask of its process)
  std::uint32_t client() const override { return index_; }
  std::uint32_t lifetime() const override { return lifetime_count; }
  Ms now_ms() const override;
  // The oracle learns what the application asked, then the driver.
  void ack(std::uint64_t delivery_id) override;
  void stop() override;
  void after(Ms delay_ms, std::function<void()> work) override;
  model::Prng& prng() override { return process_prng; }

  std::optional<io::Driver> driver;      // nullopt: the process is down
  std::uint32_t epoch = 0;               // bumped at each start and crash (items carry it)
  std::uint32_t lifetime_count = 0;      // process lifetimes started (Process::lifetime)
  std::uint32_t announced_lifetime = 0;  // the lifetime the oracle was told of
  std::uint64_t connection = 0;          // the transport's current connection (0: none)
  std::uint64_t input_connection = 0;    // the connection of the wire item being handled
  bool server_open = false;              // the server streams on `connection`
  Wire wire;
  Link link;
  SimDisk disk;                             // outlives the processes
  std::optional<SimCheckpointStore> store;  // this lifetime's: the production store over `disk`
  std::uint64_t durable_sequence = 0;       // the last durable checkpoint the oracle was told of
  bool durable_told = false;
  Prng app_prng;    // entropy for each process lifetime's jitter seed
  Prng chunk_prng;  // how the network splits the server's bytes
  Prng crash_prng;  // where a crash cuts a save, and what a power loss keeps
  io::SseStream sse;
  AuthToken token;
  Ms suspended_until = 0;
  std::uint64_t tick_generation = 0;
  int store_failing = 0;
  int refresh_failing = 0;
  std::optional<std::uint32_t> crashed_by;
  std::vector<Item> deferred;  // what arrived while suspended, in arrival order
  bool wake_pending = false;
  // The worker thread: blocking calls in order, each taking simulated time.
  std::deque<std::pair<Work, io::Blocking>> work_queue;
  std::optional<Work> running;  // the call under way (it completes at its work_done)
  io::Blocking running_kind = io::Blocking::start;
  bool worker_busy = false;
  // The application stops inside its next on_delivery: after handling it (a
  // stop fault's param 1) or before (param 2: its ack follows the stop).
  std::int64_t stop_in_callback = 0;
  std::unique_ptr<ClientCode> code;                          // the client's code, for the whole run
  std::unique_ptr<io::Application> app;                      // this lifetime's application
  std::map<std::uint64_t, std::function<void()>> scheduled;  // Process::after, by id
  std::uint64_t scheduled_last = 0;
  Prng process_prng;
  bool invariant_failed = false;           // reported once
  Ms hot_ms = -1;                          // watch_for_hot_loop: the millisecond counted
  std::uint64_t hot_steps = 0;             // steps other than data in it
  std::uint64_t sequence_seen_before = 0;  // highest sequence earlier lifetimes got
  std::uint64_t sequence_seen = 0;
  ClientReport report;

 private:
  World& world_;
  std::uint32_t index_;
};

class World final : public io::Clock {
 public:
  World(const Scenario& s, const SessionConfig& cfg, const RunOptions& o)
      : s_(s),
        cfg_(cfg),
        opt_(o),
        server_(ServerParams{s.world.retention_ms, s.world.auth, s.world.token_lifetime_ms,
                             s.world.opaque_ids, s.world.filter_skip_every, s.world.resume_overlap,
                             s.world.id_bytes, s.world.server_error_retry_after_ms,
                             s.world.id_reset_every}),
        oracle_(cfg, s.clients),
        trace_(o.keep_trace_text) {
    oracle_.set_filter(s.world.filter_skip_every);
    oracle_.set_replay_end(s.world.replay_end_sequence);
    replay_end_ = s.world.replay_end_sequence;
    const io::SseSignals signals{std::string(cursor_expired_type),
                                 std::string(replay_finished_type)};
    clients_.reserve(s.clients);
    for (std::uint32_t i = 0; i < s.clients; ++i)
      clients_.push_back(std::make_unique<Client>(
          *this, i, LinkParams{s.world.latency_ms_min, s.world.latency_ms_max},
          Prng::derive(s.seed, 0x200 + std::uint64_t{i}),
          Prng::derive(s.seed, 0x100 + std::uint64_t{i}),
          Prng::derive(s.seed, 0x300 + std::uint64_t{i}),
          Prng::derive(s.seed, 0x400 + std::uint64_t{i}),
          Prng::derive(s.seed, 0x500 + std::uint64_t{i}), signals));
    for (std::uint32_t i = 0; i < s.clients; ++i)
      clients_[i]->code = o.client_code ? o.client_code(i)
                          : s.world.tether_watch
                              ? watch_client_code()(i)
                              : builtin_client_code(s.world.ack_delay_ms,
                                                    cfg.resume.commit == CommitPolicy::on_ack);
  }

  RunResult run();

  // io::Clock: the agenda's time.
  model::Instant now() override { return Instant{agenda_.now_ms()}; }
  std::int64_t unix_now_ms() override { return epoch_unix_ms + agenda_.now_ms(); }

  // What the clients' ports ask of the world.
  void arm(std::uint32_t i, std::optional<Instant> deadline);
  void offload(std::uint32_t i);
  void connect(std::uint32_t i, const io::ConnectRequest& request);
  void closed_by_client(std::uint32_t i);
  void schedule(std::uint32_t i, Ms delay_ms, std::function<void()> work);
  void check_client(std::uint32_t i);
  void watch_for_hot_loop(std::uint32_t i, const Event& e);
  void delivered(std::uint32_t i, const io::Delivery& delivery);
  // The application acks or stops: the oracle learns what it asked, then the driver.
  void app_ack(std::uint32_t i, std::uint64_t delivery_id);
  void app_stop(std::uint32_t i);
  io::Credentials refresh(std::uint32_t i);
  void step(std::uint32_t i, const Event& e, const Phase& before, const State& after,
            const Effects& fx);
  const Scenario& scenario() const { return s_; }

 private:
  Ms now_ms() const { return agenda_.now_ms(); }
  void push(Ms at, Item it) { agenda_.push(at, std::move(it)); }
  Item for_client(ItemKind kind, std::uint32_t i, std::uint64_t connection = 0) const {
    return Item{kind, i, clients_[i]->epoch, connection};
  }
  void push_app(Ms at, std::uint32_t i, AppKind kind, std::uint64_t value = 0) {
    Item it = for_client(ItemKind::app, i);
    it.sub = static_cast<std::uint8_t>(kind);
    it.value = value;
    push(at, std::move(it));
  }
  // Server-to-client traffic on client i's current connection, one latency
  // later (or never, on a dead wire).
  void send(std::uint32_t i, Item it);
  void send_opened(std::uint32_t i);
  void send_rejected(std::uint32_t i, std::uint16_t status,
                     std::optional<std::int64_t> retry_after_ms);
  void send_closed(std::uint32_t i, CloseCause cause);
  void send_bytes(std::uint32_t i, std::string bytes);
  void send_event(std::uint32_t i, std::uint64_t seq);
  void send_signal(std::uint32_t i, std::string_view type);

  void schedule();
  void handle(Item& it);
  bool live(const Item& it) const;
  void handle_wire(Item& it);
  void handle_app(const Item& it);
  void run_next_work(std::uint32_t i);
  void work_done(std::uint32_t i);
  Ms work_ms(io::Blocking kind) const;
  void tell_durable(std::uint32_t i);
  void start_process(std::uint32_t i);
  bool defer_if_suspended(Item& it);

  void on_append();
  void on_heartbeat();
  void end_replay(std::uint32_t i);
  void liveness_check();
  void fault(const Fault& f, std::uint32_t index, bool begin);
  void fault_on(std::uint32_t i, const Fault& f, std::uint32_t index, bool begin, Ms end);
  bool link_fault_on(std::uint32_t i, const Fault& f, bool begin, Ms end);
  void crash(std::uint32_t i, std::uint32_t index, bool power_loss);
  void drop_server_side(std::uint32_t i, CloseCause cause);

  const Scenario& s_;
  SessionConfig cfg_;
  RunOptions opt_;
  Server server_;
  Oracle oracle_;
  Trace trace_;
  Agenda<Item> agenda_;
  std::vector<std::unique_ptr<Client>> clients_;
  Coverage coverage_;
  std::uint64_t events_ = 0;
  std::uint64_t next_connection_ = 0;
  std::vector<Violation> invariant_violations_;  // guarantee 11 (ClientCode::check)
  std::vector<Violation> hot_loop_;              // guarantee 10: a hot loop ended the run
  bool stopping_ = false;
  bool healed_ = false;
  Ms liveness_at_ = 0;
  std::uint64_t replay_end_ = 0;  // WorldParams::replay_end_sequence
  // The stream the checkpoint files name (the store refuses another's).
  std::string stream_ = io::stream_identity("https://server.sim/stream", "json:seq");
};

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
  world_.connect(index_, request);
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
      return s_.world.auth || cfg_.auth.has_provider ? s_.world.refresh_ms : 0;
    case io::Blocking::checkpoint_save:
      return s_.world.store_write_ms;
    case io::Blocking::credential_refresh:
      return s_.world.refresh_ms;
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

void World::connect(std::uint32_t i, const io::ConnectRequest& request) {
  Client& c = *clients_[i];
  c.connection = ++next_connection_;
  c.server_open = false;
  c.wire = Wire{c.connection, now_ms(), false};
  c.report.connect_at_ms.push_back(now_ms());
  if (c.link.request_lost(now_ms())) return;  // no answer: the connect timeout will tell
  // The token travels as "Bearer t<id>" (what the auth port handed out).
  std::uint64_t token_id = 0;
  if (request.bearer_token.size() > 1) token_id = std::stoull(request.bearer_token.substr(1));
  oracle_.credentials_sent(i, now_ms(), token_id);
  const ConnectAnswer a = server_.answer(now_ms(), token_id, request.from, request.cursor);
  c.wire.last_arrival_ms = now_ms() + c.link.latency_ms();  // the answer leaves one latency later
  switch (a.kind) {
    case ConnectAnswer::Kind::refused:
      return send_closed(i, CloseCause::transport_error);
    case ConnectAnswer::Kind::status:
      return send_rejected(i, a.http_status, a.retry_after_ms);
    case ConnectAnswer::Kind::too_old:
      if (!s_.world.too_old_in_band) return send_rejected(i, 410, std::nullopt);
      send_opened(i);
      return send_signal(i, cursor_expired_type);
    case ConnectAnswer::Kind::open:
      break;
  }
  send_opened(i);
  if (c.link.half_open()) {
    c.wire.dead = true;
    return;
  }
  c.server_open = true;
  const std::uint64_t end =
      replay_end_ > 0 ? std::min(server_.head(), replay_end_) : server_.head();
  for (std::uint64_t seq = a.first_sequence; seq <= end; ++seq)
    if (server_.streams(seq)) send_event(i, seq);
  if (replay_end_ > 0 && server_.head() >= replay_end_) return end_replay(i);
  if (s_.world.connection_ms_max > 0 && !healed_)
    push(now_ms() + s_.world.connection_ms_max,
         for_client(ItemKind::connection_max, i, c.connection));
}

// No virtual time passes in a hot loop: a client that takes more than
// hot_loop_steps_max steps in one virtual millisecond, not counting the data
// a stream may carry in a burst (frames, their bytes, their acks), is
// retrying something at once. The run ends there with a guarantee-10 verdict,
// instead of spinning until the event limit.
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

void World::schedule(std::uint32_t i, Ms delay_ms, std::function<void()> work) {
  Client& c = *clients_[i];
  c.scheduled.emplace(++c.scheduled_last, std::move(work));
  push_app(now_ms() + std::max<Ms>(delay_ms, 0), i, AppKind::scheduled, c.scheduled_last);
}

// The client's own invariant (ClientCode::check), after each of its steps and
// at its crashes; the first failure is reported, as guarantee 11.
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

void World::closed_by_client(std::uint32_t i) {
  Client& c = *clients_[i];
  c.connection = 0;
  c.server_open = false;
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
  if (s_.world.app_knows_expiry)
    credentials.expires_unix_ms = epoch_unix_ms + c.token.expires_at_ms;
  return credentials;
}

void World::step(std::uint32_t i, const Event& e, const Phase& before, const State& after,
                 const Effects& fx) {
  Client& c = *clients_[i];
  // A lifetime begins for the oracle at Started, with the checkpoint it
  // loaded; a stop or a restored network that comes before (Started then
  // never comes, or comes to a session that had nothing to do) opens it too.
  const auto* started = std::get_if<Started>(&e);
  if (started != nullptr || c.announced_lifetime != c.epoch) {
    c.announced_lifetime = c.epoch;
    std::optional<Cursor> loaded;
    if (started != nullptr) {
      loaded = started->checkpoint;
      oracle_.checkpoint_loaded(i, now_ms(), loaded);
    }
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

// --- server-to-client traffic -----------------------------------------------

void World::send(std::uint32_t i, Item it) {
  Client& c = *clients_[i];
  it.kind = ItemKind::wire;
  it.client = i;
  it.lifetime = c.epoch;
  it.connection = c.connection;
  if (auto at = c.link.carry_to_client(now_ms(), c.wire)) push(*at, std::move(it));
}

void World::send_opened(std::uint32_t i) {
  Item it;
  it.sub = static_cast<std::uint8_t>(WireKind::opened);
  send(i, std::move(it));
}

void World::send_rejected(std::uint32_t i, std::uint16_t status,
                          std::optional<std::int64_t> retry_after_ms) {
  // A server that opens the stream first (gRPC: the status in the trailers).
  if (s_.world.status_after_open) send_opened(i);
  Item it;
  it.sub = static_cast<std::uint8_t>(WireKind::rejected);
  it.http_status = status;
  it.retry_after_ms = retry_after_ms;
  send(i, std::move(it));
}

void World::send_closed(std::uint32_t i, CloseCause cause) {
  Item it;
  it.sub = static_cast<std::uint8_t>(WireKind::closed);
  it.cause = cause;
  send(i, std::move(it));
}

// TCP keeps bytes in order but not their boundaries: the bytes arrive in one
// to three chunks cut at random places.
void World::send_bytes(std::uint32_t i, std::string bytes) {
  Client& c = *clients_[i];
  const std::int64_t cuts = bytes.size() < 2 ? 0 : c.chunk_prng.uniform(0, 2);
  std::size_t from = 0;
  for (std::int64_t k = 0; k < cuts; ++k) {
    const auto cut = static_cast<std::size_t>(c.chunk_prng.uniform(
        static_cast<std::int64_t>(from), static_cast<std::int64_t>(bytes.size()) - 1));
    if (cut <= from) continue;
    Item it;
    it.sub = static_cast<std::uint8_t>(WireKind::bytes);
    it.bytes = bytes.substr(from, cut - from);
    send(i, std::move(it));
    from = cut;
  }
  Item it;
  it.sub = static_cast<std::uint8_t>(WireKind::bytes);
  it.bytes = bytes.substr(from);
  send(i, std::move(it));
}

void World::send_event(std::uint32_t i, std::uint64_t seq) {
  std::string text;
  const Server::IdField field = s_.world.opaque_ids ? server_.id_field(seq) : Server::IdField::none;
  if (field == Server::IdField::reset)
    text.append("id:\n");  // SSE: an empty id resets the last event id
  if (field == Server::IdField::id) {
    const std::string id = server_.id_text(seq);
    // An id longer than the client takes: the oracle accepts the session's
    // end (Failed{unrecoverable}) on this connection, and nothing else.
    if (id.size() > (s_.world.id_bytes_max > 0 ? s_.world.id_bytes_max : model::Token::capacity))
      oracle_.oversized_id_sent(i, clients_[i]->connection, seq);
    text.append("id: ").append(id).append("\n");
  }
  text.append("data: {\"seq\":").append(std::to_string(seq)).append("}\n\n");
  send_bytes(i, std::move(text));
}

void World::send_signal(std::uint32_t i, std::string_view type) {
  send_bytes(i, std::string("event: ").append(type).append("\ndata: -\n\n"));
}

// --- the loop ---------------------------------------------------------------

void World::schedule() {
  const Ms safety = s_.safety_ms;
  const Ms liveness = s_.liveness_ms > 0 ? s_.liveness_ms : liveness_bound_ms(cfg_, s_);
  liveness_at_ = safety + liveness;
  for (std::uint32_t i = 0; i < s_.clients; ++i) push(0, Item{ItemKind::start, i});
  push(s_.world.append_every_ms, Item{ItemKind::append});
  if (s_.world.heartbeat_every_ms > 0) push(s_.world.heartbeat_every_ms, Item{ItemKind::heartbeat});
  for (std::uint32_t k = 0; k < s_.faults.size(); ++k) {
    const Fault& f = s_.faults[k];
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
  push(liveness_at_ + 2 * s_.world.store_write_ms + 2 * s_.world.refresh_ms + 1000,
       Item{ItemKind::end});
}

RunResult World::run() {
  RunResult r;
  schedule();
  while (!agenda_.empty() && events_ < opt_.events_max && !stopping_) {
    oracle_.time_passed(agenda_.next_ms());
    Item it = agenda_.pop();
    if (it.kind == ItemKind::end) break;
    handle(it);
  }
  oracle_.finish(now_ms());
  r.trace_hash = trace_.hash();
  r.events = events_;
  r.violations = oracle_.violations();
  r.violations.insert(r.violations.end(), invariant_violations_.begin(),
                      invariant_violations_.end());
  r.violations.insert(r.violations.end(), hot_loop_.begin(), hot_loop_.end());
  if (events_ >= opt_.events_max)
    r.violations.push_back(Violation{
        Guarantee::liveness, {}, "event limit reached (a hot loop?)", now_ms(), all_clients});
  r.coverage = coverage_;
  r.trace = trace_.text();
  r.end_ms = now_ms();
  r.liveness_check_ms = liveness_at_;
  r.server_head = server_.head();
  for (auto& c : clients_) {
    c->report.final_phase =
        c->driver ? name_of(c->driver->state().phase) : std::string_view("down");
    r.clients.push_back(std::move(c->report));
  }
  return r;
}

bool World::defer_if_suspended(Item& it) {
  Client& c = *clients_[it.client];
  // After the wake time, items still wait while the FIFO is not drained: an
  // item due exactly at the wake time but queued before the wake item must
  // not overtake what arrived during the suspension (a TCP stream never
  // reorders; found by the policy swarm as a silent gap under relaxed gaps).
  if (now_ms() >= c.suspended_until && !c.wake_pending) return false;
  // Held in one FIFO per client (not re-pushed one by one): a suspension that
  // is extended while items wait must not reorder them.
  c.deferred.push_back(std::move(it));
  if (!c.wake_pending) {
    c.wake_pending = true;
    push(c.suspended_until, Item{ItemKind::wake, it.client});
  }
  return true;
}

// An item for a process that died, or for a connection that is closed, is
// dropped (what the dead process awaited never arrives).
bool World::live(const Item& it) const {
  const Client& c = *clients_[it.client];
  if (it.lifetime != c.epoch || !c.driver) return false;
  if (it.kind == ItemKind::wire && it.connection != c.connection) return false;
  if (it.kind == ItemKind::tick && it.connection != c.tick_generation) return false;
  return true;
}

void World::handle(Item& it) {
  switch (it.kind) {
    case ItemKind::start:
      return start_process(it.client);
    case ItemKind::wire:
    case ItemKind::app:
    case ItemKind::tick:
    case ItemKind::work_done: {
      if (!live(it) || defer_if_suspended(it)) return;
      Client& c = *clients_[it.client];
      if (it.kind == ItemKind::wire) return handle_wire(it);
      if (it.kind == ItemKind::app) return handle_app(it);
      if (it.kind == ItemKind::tick) return c.driver->on_timer();
      return work_done(it.client);
    }
    case ItemKind::append:
      return on_append();
    case ItemKind::heartbeat:
      return on_heartbeat();
    case ItemKind::connection_max: {
      const Client& c = *clients_[it.client];
      if (healed_ || !c.server_open || c.connection != it.connection) return;
      return drop_server_side(it.client, CloseCause::clean_close);
    }
    case ItemKind::fault_begin:
      return fault(s_.faults[it.fault], it.fault, true);
    case ItemKind::fault_end:
      return fault(s_.faults[it.fault], it.fault, false);
    case ItemKind::heal:
      healed_ = true;
      return;
    case ItemKind::liveness_check:
      return liveness_check();
    case ItemKind::final_stop:
      for (std::uint32_t i = 0; i < s_.clients; ++i) push_app(now_ms(), i, AppKind::stop);
      return;
    case ItemKind::end:
      return;
    case ItemKind::wake: {
      Client& c = *clients_[it.client];
      if (now_ms() < c.suspended_until) return push(c.suspended_until, std::move(it));  // extended
      c.wake_pending = false;
      std::vector<Item> items = std::move(c.deferred);
      c.deferred.clear();
      for (Item& x : items) handle(x);
      return;
    }
  }
}

// What the transport tells the driver: the production SSE stream turns bytes
// into messages, comments, signals, or a limit's unrecoverable close.
void World::handle_wire(Item& it) {
  Client& c = *clients_[it.client];
  io::Driver& driver = *c.driver;
  c.input_connection = it.connection;
  switch (static_cast<WireKind>(it.sub)) {
    case WireKind::opened:
      driver.on_opened();
      break;
    case WireKind::rejected:
      c.connection = 0;
      c.server_open = false;
      c.sse.cancel();
      driver.on_rejected(it.http_status, it.retry_after_ms, "simulated");
      break;
    case WireKind::closed:
      c.connection = 0;
      c.server_open = false;
      if (it.cause == CloseCause::clean_close) {
        c.sse.finish();
      } else {
        c.sse.cancel();
        driver.on_closed(it.cause, "simulated connection end");
      }
      break;
    case WireKind::bytes:
      c.sse.feed(it.bytes);
      break;
  }
  c.input_connection = 0;
}

void World::handle_app(const Item& it) {
  io::Driver& driver = *clients_[it.client]->driver;
  switch (static_cast<AppKind>(it.sub)) {
    case AppKind::ack:
      return app_ack(it.client, it.value);
    case AppKind::stop:
      return app_stop(it.client);
    case AppKind::network_restored:
      return driver.network_restored();
    case AppKind::scheduled: {
      Client& c = *clients_[it.client];
      const auto found = c.scheduled.find(it.value);
      if (found == c.scheduled.end()) return;
      const std::function<void()> work = std::move(found->second);
      c.scheduled.erase(found);
      return work();
    }
  }
}

void World::start_process(std::uint32_t i) {
  Client& c = *clients_[i];
  SessionConfig cfg = cfg_;
  // As production seeds (io::choose_seed): the fixed seed, else this lifetime's entropy.
  cfg.seed = io::choose_seed(s_.fixed_seed, [&c] { return c.app_prng.next(); });
  auto made = make(cfg);
  if (!made) return;  // validated before the run
  c.epoch += 1;
  c.connection = 0;
  c.server_open = false;
  c.crashed_by.reset();
  io::DriverOptions options;
  options.sequence = io::sequence_fn(io::SequenceExtractor::from_json_field("seq"));
  options.reducer = opt_.reducer;
  options.mutant = opt_.driver_mutant;
  if (s_.world.id_bytes_max > 0) options.id_bytes_max = s_.world.id_bytes_max;
  const bool auth = s_.world.auth || cfg.auth.has_provider;
  c.store.emplace(c.disk, checkpoint_path, io::DiskCheckpointOptions{stream_, c.epoch});
  io::DriverPorts ports{*this, c, c, c, &*c.store, auth ? &c : nullptr, nullptr, &c};
  c.driver.emplace(std::move(*made), ports, std::move(options));
  c.lifetime_count += 1;
  c.app = c.code->start(c);
  c.driver->start();
}

void World::liveness_check() {
  std::vector<const State*> states;
  for (const auto& c : clients_) states.push_back(c->driver ? &c->driver->state() : nullptr);
  oracle_.check_liveness(now_ms(), server_, now_ms() - s_.world.latency_ms_max - 1, states);
}

// --- the server and the faults ------------------------------------------------

void World::on_append() {
  const std::uint64_t seq = server_.append(now_ms());
  if (server_.streams(seq) && (replay_end_ == 0 || seq <= replay_end_))
    for (std::uint32_t i = 0; i < s_.clients; ++i)
      if (clients_[i]->server_open) send_event(i, seq);
  if (seq == replay_end_)
    for (std::uint32_t i = 0; i < s_.clients; ++i)
      if (clients_[i]->server_open) end_replay(i);
  push(now_ms() + s_.world.append_every_ms, Item{ItemKind::append});
}

// A finite replay has been streamed to its end: the server says so and ends
// the stream.
void World::end_replay(std::uint32_t i) {
  send_signal(i, replay_finished_type);
  clients_[i]->server_open = false;
}

void World::on_heartbeat() {
  for (std::uint32_t i = 0; i < s_.clients; ++i)
    if (clients_[i]->server_open) send_bytes(i, ":\n");
  push(now_ms() + s_.world.heartbeat_every_ms, Item{ItemKind::heartbeat});
}

// The server ends client i's stream; the client learns it one latency later
// (or never, on a dead wire).
void World::drop_server_side(std::uint32_t i, CloseCause cause) {
  Client& c = *clients_[i];
  if (!c.server_open) return;
  c.server_open = false;
  send_closed(i, cause);
}

void World::fault(const Fault& f, std::uint32_t index, bool begin) {
  const Ms end = std::min(f.at_ms + f.duration_ms, s_.safety_ms);
  trace_.note(now_ms(), name_of(f.kind), begin ? 1 : 0);
  switch (f.kind) {
    case FaultKind::server_restart:
      if (begin) {
        server_.restart(now_ms(), f.param == 1);
        for (std::uint32_t i = 0; i < s_.clients; ++i)
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
  for (std::uint32_t i = 0; i < s_.clients; ++i)
    if (f.client == all_clients || f.client == i) fault_on(i, f, index, begin, end);
}

// The faults of a client's link; false for any other kind.
bool World::link_fault_on(std::uint32_t i, const Fault& f, bool begin, Ms end) {
  Client& c = *clients_[i];
  const auto restored = [&] {
    if (s_.world.notify_network_restored) push_app(now_ms(), i, AppKind::network_restored);
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
        Item it = for_client(ItemKind::wire, i, c.connection);
        it.sub = static_cast<std::uint8_t>(WireKind::closed);
        it.cause = CloseCause::transport_error;
        push(now_ms(), std::move(it));
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

}  // namespace

RunResult run(const Scenario& scenario, const RunOptions& options) {
  RunResult bad;
  const SessionConfig& cfg = scenario.config;
  if (auto ok = validate(cfg); !ok) {
    bad.error = "config: " + std::string(ok.error().field) + ": " + std::string(ok.error().reason);
    return bad;
  }
  if (scenario.clients == 0 || scenario.world.append_every_ms <= 0 ||
      scenario.world.latency_ms_min < 0 ||
      scenario.world.latency_ms_max < scenario.world.latency_ms_min) {
    bad.error = "world: clients >= 1, append_every_ms > 0, 0 <= latency_ms_min <= latency_ms_max";
    return bad;
  }
  if (scenario.world.replay_end_sequence > 0 && cfg.resume.mode != StreamMode::replay_only) {
    bad.error = "world.replay_end_sequence: a replay that ends needs resume.mode = replay_only";
    return bad;
  }
  if (scenario.world.tether_watch && cfg.resume.commit != CommitPolicy::on_ack) {
    bad.error =
        "world.tether_watch: tether-watch needs resume.commit = on_ack (it refuses any other)";
    return bad;
  }
  RunResult r = World(scenario, cfg, options).run();
  if (options.check_determinism) {
    RunOptions again = options;
    again.check_determinism = false;
    again.keep_trace_text = false;
    const RunResult second = World(scenario, cfg, again).run();
    if (second.trace_hash != r.trace_hash)
      r.violations.push_back(Violation{Guarantee::determinism,
                                       {},
                                       "same scenario, different trace hash",
                                       r.end_ms,
                                       all_clients});
  }
  return r;
}

std::string describe(const RunResult& r) {
  std::string out;
  if (!r.error.empty()) out += "error: " + r.error + "\n";
  // Appends, not `"g" + std::string&&`: GCC 12 at -O3 reports a false
  // -Wrestrict in operator+(const char*, string&&).
  for (const Violation& v : r.violations) {
    out.append("g").append(std::to_string(number(v.guarantee))).append(" c");
    out.append(v.subject == all_clients ? std::string("*") : std::to_string(v.subject));
    out.append(" @").append(std::to_string(v.at_ms)).append(": ").append(v.message).append("\n");
  }
  return out;
}

}  // namespace tether::sim
