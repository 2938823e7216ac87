#pragma once
// The polling session for real: io::PollDriver (<tether/io/poll_driver.hpp>)
// on its own Asio thread, each Poll effect answered by an HTTP GET
// (HttpPoller, with If-None-Match) whose JSON-object body becomes the
// endpoint's snapshot. The application sees Added / Modified / Removed per key.
// No Boost in this header.
//
// The body must be a JSON object; each member is one entry, keyed by its
// name, valued by its compact JSON text ({"a":1,"b":{"c":2}} gives entries
// a = "1" and b = "{\"c\":2}"). Anything else (not JSON, not an object, a
// duplicate member) is a malformed poll: reported, backed off, and never a
// Removed.
//
// Threading: callbacks run on the runner's thread, in order. Each endpoint has
// its own poller on a worker thread, so a slow endpoint never delays another.
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/application.hpp>
#include <tether/io/auth_provider.hpp>
#include <tether/io/http_poller.hpp>
#include <tether/model/poll/config.hpp>
#include <tether/model/poll/state.hpp>
#include <vector>

namespace tether::io {

struct PollRunnerOptions {
  model::poll::Config config;     // endpoints: name, cadence, backoff (seed: set from `seed`)
  std::vector<std::string> urls;  // one per config endpoint, same order
  // The jitter seed (config.seed); nullopt: drawn from the OS (see <tether/io/seed.hpp>).
  std::optional<std::uint64_t> seed;
  PollOptions http;  // timeout, body limit, TLS, headers
  // Optional: a bearer token, fetched before the first poll and again after a
  // 401, on a worker thread (never the runner's), one refresh at a time.
  std::shared_ptr<AuthProvider> auth;
};

struct PollCallbacks {
  std::function<void(std::size_t endpoint, model::poll::ChangeKind kind, std::string_view key,
                     std::string_view value)>
      on_change;
  std::function<void(std::size_t endpoint, const model::poll::Status& status)> on_status;
  std::function<void(const Diagnostic& diagnostic)> on_diagnostic;
};

class PollRunner {
 public:
  static std::expected<std::unique_ptr<PollRunner>, std::string> start(PollRunnerOptions options,
                                                                       PollCallbacks callbacks);
  ~PollRunner();
  PollRunner(const PollRunner&) = delete;
  PollRunner& operator=(const PollRunner&) = delete;

  // No callback runs after this returns. A poll still in flight finishes on
  // its worker (bounded by PollOptions::timeout) and is discarded; a
  // credential refresh still running is ended with AuthProvider::cancel().
  void stop();
  bool finished() const;
  std::uint64_t polls_completed() const;

  struct Impl;

 private:
  explicit PollRunner(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace tether::io
