#pragma once
// Wait-for-resource on NATS JetStream (docs/nats.md): the wait reducer
// (model::wait, run by io::WaitRunner) connected to nats.c. No nats.c type in
// this header.
//
// - The connection is nats.c's: it connects in the background and reconnects
//   forever (reconnect_wait_ms, plus up to reconnect_jitter_ms). Its
//   callbacks are the reducer's link: disconnected -> link down (no attempt
//   while down; a held watch is released), connected / reconnected -> link up
//   (a waiting attempt wakes within config.backoff.restored_delay_ms_max).
// - An acquisition is the JetStream lookup of the resource (stream info,
//   consumer info, or the KV bucket's stream), each request bounded by
//   lookup_timeout_ms; for a KV bucket it also opens a watch on all its keys.
//   Missing: the reducer's backoff (kanade_wait: 1 s doubling to 300 s,
//   +-25 %, forever).
// - The KV watch's end is the reducer's WatchEnded: the next lookup waits
//   config.reopen_pause_ms first, so a broker that keeps ending watches cannot
//   spin the client. A watch ends when nats.c's watcher reports an error, or
//   when nats.c cannot recreate the watch's consumer (the bucket was deleted:
//   noticed within about two of its 5 s heartbeats).
//
// Callbacks come from several threads (the runner's strand, its worker, the
// watch's thread, nats.c's callback thread) but never two at once: they are
// serialized. A callback must not block for long and must not call stop() or
// destroy the JetStreamWait.
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tether/io/application.hpp>
#include <tether/model/presets.hpp>
#include <tether/model/wait/config.hpp>
#include <tether/model/wait/state.hpp>
#include <tether/nats/resource.hpp>
#include <vector>

namespace tether::nats {

struct JetStreamWaitOptions {
  // Server URLs ("nats://127.0.0.1:4222"); nats.c tries them all.
  std::vector<std::string> urls;
  Resource resource;
  model::wait::Config config = model::presets::kanade_wait();  // config.seed: see `seed`
  // The jitter seed; nullopt: drawn from the OS (<tether/io/seed.hpp>).
  std::optional<std::uint64_t> seed;
  // nats.c's own reconnect loop: the wait after each full pass over the URLs.
  std::int64_t reconnect_wait_ms = 1000;
  std::int64_t reconnect_jitter_ms = 100;
  std::int64_t connect_timeout_ms = 2000;  // one TCP connect and handshake
  // Each JetStream request of a lookup (and of opening a KV watch).
  std::int64_t lookup_timeout_ms = 5000;
  // nats.c pings the server this often; two unanswered pings drop the link.
  std::int64_t ping_interval_ms = 20000;
  std::string connection_name = "tether";
};

// One change seen through a KV watch.
struct KvUpdate {
  enum class Operation : std::uint8_t { put, del, purge };
  std::uint64_t hold = 0;  // the acquisition whose watch saw it
  std::string key;
  std::string value;  // empty for del and purge
  std::uint64_t revision = 0;
  Operation operation = Operation::put;
};

struct JetStreamWaitCallbacks {
  // The resource exists (for a KV bucket: and its watch is open); `hold` is
  // the acquisition's number.
  std::function<void(std::uint64_t hold)> on_ready;
  // That hold ended: "connection lost", "watch ended: <why>", "stopped".
  std::function<void(std::uint64_t hold, const std::string& why)> on_lost;
  // KV only: each entry the watch delivers (the current values first), and
  // then once per watch, after the current values, on_current.
  std::function<void(const KvUpdate&)> on_update;
  std::function<void(std::uint64_t hold)> on_current;
  // nats.c said the connection is up / down (before the reducer hears it).
  std::function<void(bool up)> on_link;
  // A lookup starts (attempt 1, 2, ... over the whole run).
  std::function<void(std::uint64_t attempt)> on_lookup;
  std::function<void(const model::wait::Status&)> on_status;
  std::function<void(const io::Diagnostic&)> on_diagnostic;
};

class JetStreamWait {
 public:
  // Refuses, with a message, options that cannot work (no URL, a resource
  // name JetStream refuses, a bad wait config, a non-positive timeout) or a
  // connection nats.c cannot even begin (a malformed URL). A server that is
  // not there yet is not an error: the connection is retried in the background.
  static std::expected<std::unique_ptr<JetStreamWait>, std::string> start(
      JetStreamWaitOptions options, JetStreamWaitCallbacks callbacks);
  ~JetStreamWait();  // stop(), then closes the connection
  JetStreamWait(const JetStreamWait&) = delete;
  JetStreamWait& operator=(const JetStreamWait&) = delete;

  void stop();  // no callback after it returns
  model::wait::Status status() const;
  std::uint64_t attempts() const;  // lookups started
  bool connected() const;          // as nats.c last said

  struct Impl;

 private:
  explicit JetStreamWait(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tether::nats
