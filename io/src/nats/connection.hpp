#pragma once
// One nats.c connection and its JetStream context, as tether::nats uses them
// (private). nats.c connects in the background and reconnects forever; what
// it says reaches a ConnectionSink: the link (up on connected / reconnected,
// down on disconnected / closed, each edge once, in nats.c's order), and its
// asynchronous errors about a subscription.
//
// nats.c calls its handlers on its own callback thread with a closure it
// keeps until the connection is freed, and may still call one (an error
// posted by a thread of its own) after the closed callback. So the closure is
// no pointer: it is a number naming the connection's Relay in a registry;
// a handler whose number is gone does nothing.
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

// Called on nats.c's callback thread (on_link also once on the thread of
// arm(), if the connection is up then), from arm() on.
struct ConnectionSink {
  // `detail`: the server URL, or why it dropped.
  std::function<void(bool up, const std::string& detail)> on_link;
  // nats.c's asynchronous error about a subscription (for tether::nats, the
  // KV watch's), other than a missed heartbeat it recovered from: "not found
  // (error recreating ordered consumer, will try again: ...)".
  std::function<void(const std::string& error)> on_subscription_error;
};

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
  // background); an error only if nats.c cannot begin (a malformed URL). The
  // sink hears nothing until arm().
  static std::expected<std::unique_ptr<Connection>, std::string> open(
      const ConnectionSettings& settings, ConnectionSink sink);
  // From now on, the sink hears: first that the link is up, if it is (the
  // sink's side starts with it down), then every change. Once the caller can
  // serve the sink (its JetStream context in place).
  void arm();
  ~Connection();  // close(); no sink call after it returns
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Stops the sink calls (waiting for one under way) and closes the
  // connection: a JetStream request under way returns at once. Idempotent.
  void close();
  jsCtx* jetstream() const { return js_; }
  bool up() const;

  struct Relay;

 private:
  Connection() = default;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  std::uint64_t id_ = 0;  // the closure nats.c holds: the relay's number
  std::shared_ptr<Relay> relay_;
};

}  // namespace tether::nats
