#pragma once
// One nats.c connection and its JetStream context, as tether::nats uses them
// (private). nats.c connects in the background and reconnects forever; what
// it says about the link reaches a LinkSink: up on connected / reconnected,
// down on disconnected / closed, each edge once, in nats.c's order.
//
// nats.c calls its handlers on its own callback thread, with a raw pointer
// that must stay valid until the last one ran; that pointer is the Relay
// (connection.cpp), which the destructor frees only after nats.c's closed
// callback (the last it posts) has run.
#include <nats/nats.h>

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tether::nats {

// nats.c's status, named, with the thread's last error when it says more:
// "not found (stream not found)".
std::string status_text(natsStatus status);

// Called on nats.c's callback thread, or once on the thread of open() (the
// connection came up within it). `detail`: the server URL, or why it dropped.
using LinkSink = std::function<void(bool up, const std::string& detail)>;

struct ConnectionSettings {
  std::vector<std::string> urls;
  std::int64_t reconnect_wait_ms = 1000;
  std::int64_t reconnect_jitter_ms = 100;
  std::int64_t connect_timeout_ms = 2000;
  std::int64_t request_timeout_ms = 5000;  // each JetStream API request
  std::int64_t ping_interval_ms = 20000;
  std::string name;
};

class Connection {
 public:
  // Begins connecting (first pass over the URLs on this thread, then in the
  // background); an error only if nats.c cannot begin (a malformed URL).
  static std::expected<std::unique_ptr<Connection>, std::string> open(
      const ConnectionSettings& settings, LinkSink sink);
  ~Connection();  // close(), then waits (bounded) for nats.c's last callback
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Stops the link reports and closes the connection: a JetStream request
  // under way returns at once. Idempotent.
  void close();
  jsCtx* jetstream() const { return js_; }
  bool up() const;

  struct Relay;

 private:
  Connection() = default;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  Relay* relay_ = nullptr;  // owned; freed after nats.c's closed callback
};

}  // namespace tether::nats
