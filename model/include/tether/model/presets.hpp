#pragma once
// Named configurations reproducing the seed systems' and peers' published
// policies, for all four reducers, in this one place. Each is pinned by a test
// in tests/model/ (presets.cpp for the session's).

#include <cstdint>
#include <span>
#include <string_view>
#include <tether/model/config.hpp>
#include <tether/model/mirror/config.hpp>
#include <tether/model/poll/config.hpp>
#include <tether/model/wait/config.hpp>

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

// Every session preset by name (koprs with its default interval), for tools and tests.
std::span<const Named> all();

// The polling, wait-for-resource and mirror reducers' presets.

// zero_poll: one session, two endpoints:
//   0 "state":    5 s cadence, 5 s fixed backoff;
//   1 "backfill": 30 s cadence, 5 s fixed backoff (a failed backfill is retried
//                 after 5 s, not after its 30 s cadence).
poll::Config zero_poll();

// koprs_poll: one endpoint "resource" polled every `interval_ms`; after failures
// the delay doubles from the interval up to interval x 32, no jitter, and a
// success resets it (koprs, presets.hpp, as a polling policy).
poll::Config koprs_poll(std::int64_t interval_ms = 1000);

// kanade_wait: the kanade preset's backoff, taken from presets::kanade() so the
// numbers cannot drift (1 s doubling to 300 s, +-25 %, a Connected wake within
// 100 ms), retrying forever. Not from kanade's published numbers, and so an
// assumption: reopen pause 1 s (a watch that keeps ending is reopened at most
// once a second) and acquire timeout 30 s (the session's connect timeout is 10 s;
// an acquisition may wait on a broker's own lookup; a slower one is waited for,
// counting a failure per timeout, never doubled).
wait::Config kanade_wait();

// aviso_mirror: the stream heartbeat of the aviso preset, taken from
// presets::aviso() so it cannot drift (budget max(3 x 30 s, 30 s + 30 s) = 90 s),
// and values stale after 30 s, the zero_poll preset's backfill window (an
// assumption: no seed system publishes a staleness threshold).
mirror::Config aviso_mirror();

}  // namespace tether::model::presets
