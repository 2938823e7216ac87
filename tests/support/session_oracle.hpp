#pragma once
// An independent oracle for tether's reducer: it is fed every step of a run,
// (event, state before, step), and says which guarantee of docs/guarantees.md a step
// broke, if any.
//
// Independent means: it never asks the reducer's own helpers (ceiling_ms,
// sample_delay_ms, status_of) how to judge it, but one: where a jittered delay
// may fall is model::jitter_envelope, the one jitter rule (issue 11; its table is
// pinned with literal numbers by tests/model/backoff.cpp). The connect timeout's
// backoff ceiling is re-derived from the SessionConfig by config.hpp's formula, and
// what must happen next is derived from the oracle's own model of the session,
// built from the events it saw and the effects the reducer emitted. It does read
// the reducer's phase to cross-check that model, and it calls next_deadline() and
// transition() to test their contract ("a Tick before the deadline, or twice, is
// harmless").
//
// What it checks, after every step:
//  - terminal states are sticky (no effects, same phase), and nothing connects or
//    delivers once the session stops;
//  - every backoff delay lies in its policy's bounds for the failure count the
//    oracle expects, raised by the short-session and server-hint floors; attempts
//    are never closer than those bounds (except a network-restored cut, or the
//    immediate retry after a 401 refresh); the retry budget is never overdrawn;
//    give-up happens exactly when the policy says;
//  - one auth refresh per rejected attempt; a 401 without a provider, or right
//    after a refresh, is fatal;
//  - checkpoints: never backwards, never ahead of the commit policy, the cursor
//    is the one of the saved delivery, batching limits hold, and every terminal
//    state flushes what may be saved;
//  - deliveries: no duplicate, no silent gap under strict detection, no invented
//    gap, every frame released exactly once, reconnects resume from the last
//    delivered position (or oldest/live after "cursor too old");
//  - timeouts (connect, confirm, heartbeat, refresh) fire when due and not before;
//  - next_deadline() is never in the past after a Tick, an early Tick has no
//    effects, and a repeated Tick has none either;
//  - the reported status always matches the phase.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include <tether/model/session.hpp>

namespace tether::test {

// transition() must not throw; this one turns an escaped exception into text.
struct GuardedStep {
  std::optional<model::Step> step;
  std::string exception;  // set when `step` is empty
};
GuardedStep guarded_transition(model::State state, const model::Event& event);

class SessionOracle {
 public:
  explicit SessionOracle(const model::SessionConfig& config);
  ~SessionOracle();
  SessionOracle(SessionOracle&&) noexcept;
  SessionOracle& operator=(SessionOracle&&) noexcept;
  SessionOracle(const SessionOracle&) = delete;
  SessionOracle& operator=(const SessionOracle&) = delete;

  // Judges one step. Feed every step of a run, in order, starting with Started.
  // Returns what went wrong (nullopt: nothing); after a violation the oracle's
  // model is no longer meaningful, so stop the run.
  std::optional<std::string> check(const model::Event& event, const model::State& before,
                                   const model::Step& step);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Field-by-field equality of two effect lists.
bool same_effects(const model::Effects& a, const model::Effects& b);

// Compact one-line text, used for traces, determinism checks and messages.
void append(std::string& out, const model::Cursor& cursor);
void append(std::string& out, const model::Event& event);
void append(std::string& out, const model::Effect& effect);
void append(std::string& out, const model::Effects& effects);
void append(std::string& out, const model::SessionConfig& config);
template <class T>
std::string describe(const T& value) {
  std::string out;
  append(out, value);
  return out;
}

}  // namespace tether::test
