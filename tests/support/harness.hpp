#pragma once
// A minimal driver for example tests: feeds events, keeps the last step's
// effects, and answers questions about them. No mocks: the model is pure.

#include <cstdint>
#include <optional>
#include <tether/model/session.hpp>
#include <utility>
#include <vector>

#include "reducer_harness.hpp"

namespace tether::test {

using namespace tether::model;

class Harness : public ReducerHarness<State, Effects> {
 public:
  explicit Harness(const SessionConfig& config) : ReducerHarness(*make(config)) {}

  // Start and get to Streaming at `t`.
  void stream_at(std::int64_t t, std::optional<Cursor> checkpoint = std::nullopt) {
    feed(Started{at(t), checkpoint, std::nullopt});
    feed(ConnectionOpened{at(t)});
  }

  const Effects& frame(std::int64_t t, std::uint64_t seq, std::uint64_t ref = 0) {
    return feed(FrameReceived{at(t), seq, std::nullopt, std::nullopt, ref ? ref : seq});
  }
};

// A configuration without randomness, for exact expectations.
inline SessionConfig exact_config() {
  SessionConfig c;
  c.backoff.delay_ms_initial = 1000;
  c.backoff.multiplier = 2.0;
  c.backoff.delay_ms_max = 8000;
  c.backoff.jitter = JitterKind::none;
  c.backoff.short_session_ms = 0;
  c.backoff.short_session_delay_ms_min = 0;
  return c;
}

}  // namespace tether::test
