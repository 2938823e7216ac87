#pragma once
// Your code under simulation: the application a simulated process runs, and
// the invariants it must keep, checked after every step (docs/simulation.md,
// "Your code under simulation").
//
// Every simulated client is the production driver (io::Driver) behind
// simulated ports; the application it talks to is yours: an io::Application,
// the interface the Asio Runner's driver calls too. A ClientCode is made once
// per client per run and outlives the client's crashes (as the client's own
// database would); it makes the application of each process lifetime, which a
// crash destroys with everything it had scheduled.
//
//   struct Mine final : tether::sim::ClientCode {
//     std::unique_ptr<tether::io::Application> start(tether::sim::Process& p) override;
//     std::optional<std::string> check(const tether::sim::ClientView& v) override;
//   };
//   tether::sim::RunOptions options;
//   options.client_code = [](std::uint32_t) { return std::make_unique<Mine>(); };
//   tether::sim::run_session(tether::sim::swarm_scenario(seed), options);
//
// Everything runs on the one simulation thread, in virtual time: a callback
// must not block or read a clock; randomness comes from Process::prng().

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tether/io/application.hpp>
#include <tether/model/prng.hpp>
#include <tether/sim/agenda.hpp>

namespace tether::sim {

// What a simulated process offers the application it runs: what the Asio
// Runner offers (io::SessionControl: ack, stop, after — in virtual time, and
// `after` work dies with the process), and what only a simulation can.
class Process : public io::SessionControl {
 public:
  virtual std::uint32_t client() const = 0;
  virtual std::uint32_t lifetime() const = 0;  // 1, 2, ... (a new one after each crash)
  virtual Ms now_ms() const = 0;
  // This process's own deterministic randomness.
  virtual model::Prng& prng() = 0;

 protected:
  ~Process() = default;
};

// What an invariant sees after a step of one client.
struct ClientView {
  std::uint32_t client = 0;
  Ms now_ms = 0;
  bool process_up = false;  // false between a crash and the restart
  // The newest checkpoint sequence the client's store holds durably (what the
  // next process is sure to load); nullopt: none yet.
  std::optional<std::uint64_t> durable_sequence;
  std::uint64_t server_head = 0;  // the last sequence the server logged
};

class ClientCode {
 public:
  virtual ~ClientCode() = default;
  // The application of a new process lifetime.
  virtual std::unique_ptr<io::Application> start(Process& process) = 0;
  // Checked after every step of this client (and at its crashes): a message
  // fails the run (a violation of Guarantee::client_invariant, "the client's
  // own invariant"); nullopt: holds.
  virtual std::optional<std::string> check(const ClientView& view) {
    static_cast<void>(view);
    return std::nullopt;
  }
};

// Makes client `client`'s code for one run (called once per client per run).
using ClientCodeFactory = std::function<std::unique_ptr<ClientCode>(std::uint32_t client)>;

// The simulator's own application, used when RunOptions::client_code is
// empty: it acks every delivery `ack_delay_ms` after it arrives (from inside
// the callback when 0, as an auto-acking application does), under the commit
// policy on_ack, and keeps no invariant of its own.
std::unique_ptr<ClientCode> builtin_client_code(Ms ack_delay_ms, bool acks);

}  // namespace tether::sim
