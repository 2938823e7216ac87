#pragma once
// The session world's agenda items (sim/src/session_world*.cpp): what happens
// next in the world, and the few constants its parts share.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <tether/model/event.hpp>

namespace tether::sim::session_world {

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
inline const std::filesystem::path checkpoint_path = "/checkpoints/session.ckpt";

enum class ItemKind : std::uint8_t {
  start,           // a client process starts (Driver::start)
  wire,            // bytes or an outcome of a connection reach the client
  app,             // the application acts (ack, stop, network restored, its lifecycle)
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
enum class AppKind : std::uint8_t {
  ack,
  stop,
  network_restored,
  scheduled,
  pause,
  resume,
  network_changed,
  restart,
};

struct Item {
  ItemKind kind = ItemKind::end;
  std::uint32_t client = 0;
  std::uint32_t lifetime = 0;
  std::uint64_t connection = 0;  // wire: the connection it belongs to; tick: generation
  std::uint32_t fault = 0;
  std::uint8_t subkind = 0;                                      // WireKind or AppKind
  std::uint16_t http_status = 0;                                 // wire rejected
  model::CloseCause cause = model::CloseCause::transport_error;  // wire closed
  std::optional<std::int64_t> retry_after_ms{};                  // wire rejected
  std::uint64_t value = 0;                                       // app ack: the delivery id
  std::string bytes{};                                           // wire bytes
};

}  // namespace tether::sim::session_world
