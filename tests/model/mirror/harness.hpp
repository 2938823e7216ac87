#pragma once
// What the mirror's model tests share (config.cpp, reducer.cpp, reference.cpp in
// this directory): the example tests' harness and a small configuration.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tether/model/mirror/reducer.hpp>

#include "../../support/reducer_harness.hpp"

namespace tether::test::mirror_tests {

using namespace tether::model;
using namespace tether::model::mirror;

class Harness : public tether::test::ReducerHarness<State, Effects> {
 public:
  explicit Harness(const Config& config) : ReducerHarness(*make(config)) {}
  Freshness fresh(std::string_view key, std::int64_t t) const {
    return freshness_of(state_, key, at(t));
  }
  std::optional<std::string> value(std::string_view key) const {
    const Entry* e = find(state_, key);
    return e == nullptr ? std::nullopt : e->value;
  }
  const Status& status() const { return state_.status; }
};

// Stale after 500 ms; the stream is degraded after 3 s of push silence.
inline Config small() {
  Config c;
  c.stale_after_ms = 500;
  c.heartbeat = HeartbeatPolicy{.interval_ms = 1000, .interval_multiple = 3, .slack_ms = 0};
  return c;
}

}  // namespace tether::test::mirror_tests
