#pragma once
// Helpers for the integration tests that run the real Runner against a
// scripted or nginx server: a quick session configuration, status checks, and
// waiting for a Runner to end by itself.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <tether/io/runner.hpp>
#include <tether/model/presets.hpp>
#include <vector>

#include "collector.hpp"
#include "scripted_server.hpp"

namespace tether::io::testing {

// aviso with fast retries: a test that expects "retried" sees it quickly.
inline model::SessionConfig quick_config() {
  model::SessionConfig c = model::presets::aviso();
  c.backoff.delay_ms_initial = 20;
  c.backoff.delay_ms_max = 100;
  c.backoff.short_session_ms = 0;
  c.backoff.short_session_delay_ms_min = 0;
  c.connect.timeout_ms = 2000;
  return c;
}

inline RunnerOptions quick_options(std::string url) {
  RunnerOptions o;
  o.url = std::move(url);
  o.config = quick_config();
  o.sequence = SequenceExtractor::from_id();
  return o;
}

// SSE events 1..count ("id: N", "data: event N"); the server keeps the
// stream open after them.
inline std::string numbered_events(int count) {
  std::string out;
  for (int n = 1; n <= count; ++n)
    out += "id: " + std::to_string(n) + "\ndata: event " + std::to_string(n) + "\n\n";
  return out;
}

// The scripted server's /stream.
inline RunnerOptions quick_options(const ScriptedServer& server) {
  return quick_options(server.base_url() + "/stream");
}

// Hands out the same token on every refresh.
struct FixedAuth final : AuthProvider {
  std::string token;
  explicit FixedAuth(std::string t) : token(std::move(t)) {}
  std::expected<Credentials, std::string> refresh() override {
    return Credentials{token, std::nullopt};
  }
};

// Pass c.statuses() (or c.statuses_ inside a Collector::wait predicate, which
// holds the lock).
inline bool any_status(const std::vector<model::Status>& statuses, model::StatusKind kind) {
  return std::any_of(statuses.begin(), statuses.end(),
                     [kind](const model::Status& s) { return s.kind == kind; });
}

// Starts a Runner and waits (bounded) until its session ends by itself.
struct Ended {
  bool finished = false;
  model::Status status;
};
inline Ended run_to_end(RunnerOptions options, Collector& c, std::chrono::milliseconds timeout) {
  auto runner = Runner::start(std::move(options), c.callbacks());
  REQUIRE(runner);
  Ended out;
  out.finished = (*runner)->wait_until_finished(timeout);
  out.status = (*runner)->status();
  (*runner)->stop();
  return out;
}

}  // namespace tether::io::testing
