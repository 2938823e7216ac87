#pragma once
// Wait-for-resource for real: io::WaitDriver (<tether/io/wait_driver.hpp>) on
// its own Asio thread. Each Acquire effect runs the application's (blocking)
// acquisition on one worker thread, one at a time: the reducer starts no other while one is
// out, even past acquire_timeout_ms (which counts a failure, and is said in a
// diagnostic, as is a late answer). Connectivity changes come in through
// link_up()/link_down(). An acquisition cannot be interrupted: destroying the
// runner waits for one still running. No Boost in this header.
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tether/io/application.hpp>
#include <tether/model/wait/config.hpp>
#include <tether/model/wait/event.hpp>
#include <tether/model/wait/state.hpp>

namespace tether::io {

// Tries to take the resource once; the error says why it is not there yet.
// Blocking; give it a timeout of its own (tcp_port_acquirer has one).
using Acquirer = std::function<std::expected<void, std::string>()>;

// An Acquirer that succeeds once a TCP connection to host:port opens (the
// connection is closed again at once): "wait until the service listens".
Acquirer tcp_port_acquirer(std::string host, std::uint16_t port,
                           std::chrono::milliseconds timeout = std::chrono::seconds(2));

struct WaitRunnerOptions {
  model::wait::Config config;  // config.seed is replaced by `seed`
  // The jitter seed; nullopt: drawn from the OS (see <tether/io/seed.hpp>).
  std::optional<std::uint64_t> seed;
  Acquirer acquire;
  model::wait::Link initial_link = model::wait::Link::unknown;
};

struct WaitCallbacks {
  std::function<void(std::uint64_t id)> on_acquired;  // the resource is held
  std::function<void(std::uint64_t id)> on_release;   // give it back (stop, or a stale hold)
  std::function<void(const model::wait::Status&)> on_status;
  std::function<void(const Diagnostic&)> on_diagnostic;
};

class WaitRunner {
 public:
  static std::expected<std::unique_ptr<WaitRunner>, std::string> start(WaitRunnerOptions options,
                                                                       WaitCallbacks callbacks);
  ~WaitRunner();
  WaitRunner(const WaitRunner&) = delete;
  WaitRunner& operator=(const WaitRunner&) = delete;

  void link_up();    // Connected: wakes a waiting backoff at once
  void link_down();  // Disconnected: no attempt until the link is back
  // The hold (watch) on resource `id` ended; the next acquisition waits the
  // reopen pause first.
  void watch_ended(std::uint64_t id);
  void stop();  // no callback after it returns
  model::wait::Status status() const;
  std::uint64_t attempts() const;

  struct Impl;

 private:
  explicit WaitRunner(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace tether::io
