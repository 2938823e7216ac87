#pragma once
// The session world (<tether/sim/session_world.hpp>): the production stack
// (docs/architecture.md) in virtual time. Every client is an io::Driver — the
// loop users run — behind simulated ports (session_world_client.hpp). Its
// clock and timer are the agenda's; blocking work runs on a simulated worker
// thread (one per process, serialized like the Runner's) and takes simulated
// time; the server writes SSE text that reaches the production parser
// (io::SseStream) in random chunk splits, and the production sequence
// extraction reads its payload; the application acks after a delay.
//
// One class, defined by concept:
//   session_world.cpp              construction, the result, run_session, describe
//   session_world_client.cpp       the ports, both sides; the worker thread
//   session_world_loop.cpp         the agenda loop, each step judged
//   session_world_server_link.cpp  the server's answers and its stream to a client
//   session_world_faults.cpp       the fault timeline, crashes
//
// A member declared `inline` below is defined in, and called only from, one
// of those sources: GCC folds a function into its one caller only when it may
// drop the out-of-line copy, as it did while the world was one source (the
// simulator's speed is a product figure).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/clock.hpp>
#include <tether/io/driver.hpp>
#include <tether/io/stream_identity.hpp>
#include <tether/model/session.hpp>
#include <tether/sim/agenda.hpp>
#include <tether/sim/oracle.hpp>
#include <tether/sim/scenario.hpp>
#include <tether/sim/server.hpp>
#include <tether/sim/session_world.hpp>
#include <tether/sim/trace.hpp>
#include <utility>
#include <vector>

#include "session_world_client.hpp"
#include "session_world_items.hpp"

namespace tether::sim::session_world {

class World final : public io::Clock {
 public:
  World(const Scenario& scenario, const model::SessionConfig& config, const RunOptions& options);

  RunResult run();

  // io::Clock: the agenda's time.
  model::Instant now() override { return model::Instant{agenda_.now_ms()}; }
  std::int64_t unix_now_ms() override { return epoch_unix_ms + agenda_.now_ms(); }

  // What the clients' ports ask of the world.
  void arm(std::uint32_t i, std::optional<model::Instant> deadline);
  void offload(std::uint32_t i);
  void connect(std::uint32_t i, const io::ConnectRequest& request);
  void closed_by_client(std::uint32_t i);
  inline void schedule(std::uint32_t i, Ms delay_ms, std::function<void()> work);
  void check_client(std::uint32_t i);
  inline void watch_for_hot_loop(std::uint32_t i, const model::Event& event);
  inline void delivered(std::uint32_t i, const io::Delivery& delivery);
  // The application acks or stops: the oracle learns what it asked, then the driver.
  void app_ack(std::uint32_t i, std::uint64_t delivery_id);
  void app_stop(std::uint32_t i);
  io::Credentials refresh(std::uint32_t i);
  void step(std::uint32_t i, const model::Event& event, const model::Phase& before,
            const model::State& after, const model::Effects& effects);

 private:
  Ms now_ms() const { return agenda_.now_ms(); }
  void push(Ms at, Item item) { agenda_.push(at, std::move(item)); }
  Item for_client(ItemKind kind, std::uint32_t i, std::uint64_t connection = 0) const {
    return Item{kind, i, clients_[i]->epoch, connection};
  }
  void push_app(Ms at, std::uint32_t i, AppKind kind, std::uint64_t value = 0) {
    Item item = for_client(ItemKind::app, i);
    item.subkind = static_cast<std::uint8_t>(kind);
    item.value = value;
    push(at, std::move(item));
  }
  RunResult result();

  // Server-to-client traffic on client i's current connection, one latency
  // later (or never, on a dead wire).
  inline void send(std::uint32_t i, Item item);
  inline void send_opened(std::uint32_t i);
  inline void send_rejected(std::uint32_t i, std::uint16_t status,
                            std::optional<std::int64_t> retry_after_ms);
  inline void send_closed(std::uint32_t i, model::CloseCause cause);
  inline void send_bytes(std::uint32_t i, std::string bytes);
  inline void send_event(std::uint32_t i, std::uint64_t seq);
  inline void send_signal(std::uint32_t i, std::string_view type);

  void schedule();
  void handle(Item& item);
  inline bool live(const Item& item) const;
  inline void handle_wire(Item& item);
  inline void handle_app(const Item& item);
  void run_next_work(std::uint32_t i);
  void work_done(std::uint32_t i);
  Ms work_ms(io::Blocking kind) const;
  void tell_durable(std::uint32_t i);
  void start_process(std::uint32_t i);
  io::HookOptions request_hook(Client& c, bool auth);
  // The URL the hooks' rules name: the simulated server has no address, and
  // the hook changes only headers.
  static constexpr const char* hook_url = "http://server.sim/stream";
  inline bool defer_if_suspended(Item& item);

  void on_append();
  void on_heartbeat();
  inline void end_replay(std::uint32_t i);
  void liveness_check();
  void fault(const Fault& fault, std::uint32_t index, bool begin);
  void fault_on(std::uint32_t i, const Fault& fault, std::uint32_t index, bool begin, Ms end);
  bool link_fault_on(std::uint32_t i, const Fault& fault, bool begin, Ms end);
  void lifecycle_on(std::uint32_t i, const Fault& fault, bool begin);
  void crash(std::uint32_t i, std::uint32_t index, bool power_loss);
  void drop_server_side(std::uint32_t i, model::CloseCause cause);

  const Scenario& scenario_;
  model::SessionConfig config_;
  RunOptions options_;
  Server server_;
  Oracle oracle_;
  Trace trace_;
  Agenda<Item> agenda_;
  std::vector<std::unique_ptr<Client>> clients_;
  Coverage coverage_;
  std::uint64_t events_ = 0;
  std::uint64_t next_connection_ = 0;
  std::vector<Violation> invariant_violations_;  // Guarantee::client_invariant (ClientCode::check)
  std::vector<Violation> hot_loop_;              // Guarantee::rate: a hot loop ended the run
  bool stopping_ = false;
  bool healed_ = false;
  Ms liveness_at_ = 0;
  std::uint64_t replay_end_ = 0;  // WorldParams::replay_end_sequence
  // The stream the checkpoint files name (the store refuses another's).
  std::string stream_ = io::stream_identity("https://server.sim/stream", "json:seq");
};

}  // namespace tether::sim::session_world
