#pragma once
// One client of the session world: the ports its process's io::Driver talks
// to (host, transport, application, auth source, step observer), the
// Process its application code sees, and what the world knows of it. The
// ports forward to the world (session_world_client.cpp); the world's side
// of them is session_world_impl.hpp's World.

#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tether/io/application.hpp>
#include <tether/io/auth_provider.hpp>
#include <tether/io/driver.hpp>
#include <tether/io/host.hpp>
#include <tether/io/sse_stream.hpp>
#include <tether/io/transport.hpp>
#include <tether/model/prng.hpp>
#include <tether/sim/checkpoint_store.hpp>
#include <tether/sim/client_code.hpp>
#include <tether/sim/disk.hpp>
#include <tether/sim/network.hpp>
#include <tether/sim/server.hpp>
#include <tether/sim/session_world.hpp>
#include <utility>
#include <vector>

#include "session_world_items.hpp"

namespace tether::sim::session_world {

class World;

// Never moves (the Driver holds references to it).
class Client final : public io::Host,
                     public io::Transport,
                     public io::Application,
                     public io::AuthProvider,
                     public io::StepObserver,
                     public io::Strand,
                     public Process {
 public:
  // The streams: the link's latency and loss, each lifetime's jitter seed,
  // the network's chunk splits, a crash's cut, the application's entropy.
  struct Streams {
    model::Prng link;
    model::Prng app;
    model::Prng chunk;
    model::Prng crash;
    model::Prng process;
  };
  Client(World& world, std::uint32_t index, LinkParams link_params, Streams streams,
         io::SseSignals signals);
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
  // io::Strand: the request hook's completion, run at the same simulated
  // instant, after what is already due.
  void post(std::move_only_function<void()> work) override;
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
  bool driver_hooked = false;            // WorldParams::request_hook: the driver has the hook
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
  model::Prng app_prng;    // entropy for each process lifetime's jitter seed
  model::Prng chunk_prng;  // how the network splits the server's bytes
  model::Prng crash_prng;  // where a crash cuts a save, and what a power loss keeps
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
  model::Prng process_prng;
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

}  // namespace tether::sim::session_world
