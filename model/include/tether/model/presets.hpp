#pragma once
// Named configurations reproducing the seed systems' and peers' published
// policies. Each is pinned by a test in tests/model/presets.cpp.

#include <cstdint>
#include <span>
#include <string_view>
#include <tether/model/config.hpp>

namespace tether::model::presets {

// aviso: 250 ms base, x2, 30 s cap, full jitter, 5 s short-session backoff,
// heartbeat budget max(3 * interval, interval + 30 s), Retry-After capped at 300 s.
SessionConfig aviso();
// zero_ws: 500 ms x2 up to 30 s, full jitter, reset after the first frame.
SessionConfig zero_ws();
// kanade: 1 s doubling to 300 s, +-25 %, retry forever, wake on network restored.
SessionConfig kanade();
// koprs: interval doubling up to interval x 32, no jitter, reset on success.
SessionConfig koprs(std::int64_t interval_ms = 1000);
// grpc: 1 s x1.6 up to 120 s, +-20 %, connect timeout max(20 s, backoff).
SessionConfig grpc();
// client_go: 800 ms x2 up to 30 s, jitter factor 1.0 (upward), reset after 2 min stable.
SessionConfig client_go();

struct Named {
  std::string_view name;
  SessionConfig (*make)();
};

// Every preset by name (koprs with its default interval), for tools and tests.
std::span<const Named> all();

}  // namespace tether::model::presets
