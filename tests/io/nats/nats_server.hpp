#pragma once
// NatsServer: a real `nats-server -js` on a loopback port for the tether::nats
// tests, with its JetStream store in a directory of the test's, started,
// killed (SIGKILL, as a crash) and restarted on the same port and store by
// pid. The server is a child of the test process that dies with it
// (PR_SET_PDEATHSIG), so a test killed by ctest's timeout leaves none behind.
// Its log is `dir/nats-server.log` (appended across restarts).
//
// Admin (plain nats.c, one short connection per call) makes what the client
// waits for: buckets, keys, streams, consumers.
//
// Test code: failures throw std::runtime_error naming what failed (with the
// log's tail for the server).
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

namespace tether::nats::testing {

class NatsServer {
 public:
  // The nats-server binary (TETHER_NATS_SERVER, found at configure time), or
  // an empty path with what is missing in `problem`.
  static std::filesystem::path binary(std::string* problem = nullptr);

  // Not started: the port is picked now (free a moment ago) and kept.
  explicit NatsServer(std::filesystem::path dir);
  ~NatsServer();  // SIGKILL if running
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  // When a start launched the process, and when the fixture's poll (every
  // 5 ms) first connected to its port.
  struct Started {
    std::chrono::steady_clock::time_point launched;
    std::chrono::steady_clock::time_point accepting;
  };
  // Starts it and waits (bounded, 10 s) until its port accepts connections.
  Started start();
  void kill9();  // SIGKILL, reaped
  bool running() const { return pid_ > 0; }

  std::uint16_t port() const { return port_; }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  std::string log_tail(std::size_t max_bytes = 3000) const;

 private:
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// Each call connects to the server at `port`, does its work and disconnects.
// File storage, one value per key.
namespace admin {
void create_bucket(std::uint16_t port, const std::string& bucket);
void delete_bucket(std::uint16_t port, const std::string& bucket);
std::uint64_t put(std::uint16_t port, const std::string& bucket, const std::string& key,
                  const std::string& value);  // the revision
void create_stream(std::uint16_t port, const std::string& stream, const std::string& subject);
void create_consumer(std::uint16_t port, const std::string& stream, const std::string& durable);
}  // namespace admin

}  // namespace tether::nats::testing
