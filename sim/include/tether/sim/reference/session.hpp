#pragma once
// The streaming session's reference oracle: fed every step of one session's
// lifetime (event, phase before, state after, effects), it says which rule of
// docs/guarantees.md a step broke, if any. One reference, used by the model's
// property tests and fuzz target (tests/support/event_script.cpp,
// fuzz/transition_fuzz.cpp) and by the session world for every process
// lifetime of every simulated client (sim::Oracle, <tether/sim/oracle.hpp>),
// so each rule that can be judged from the events and effects alone is
// written once, here. What needs the world's truth (the server's log, what
// the application acked, what the store made durable, crashes, liveness)
// stays in sim::Oracle.
//
// Independent means: it never asks the reducer's own helpers (ceiling_ms,
// sample_delay_ms, status_of) how to judge it, but one: where a jittered delay
// may fall is model::jitter_envelope, the one jitter rule (issue 11; its table
// is pinned with literal numbers by tests/model/backoff.cpp and
// tests/sim/reference_session.cpp). The connect timeout's backoff ceiling is
// re-derived from the SessionConfig by config.hpp's formula, and what must
// happen next is derived from the reference's own model of the session, built
// from the events it saw and the effects the reducer emitted. It reads the
// reducer's phase to cross-check that model, and it calls next_deadline() and
// transition() to test their contract ("a Tick before the deadline, or twice,
// is harmless"): next_deadline() of each state after (the state before the
// next step, so no copy of the state before is needed), and, after a Tick, one
// more transition() of a copy of the state (Ticks are a small share of the
// steps).
//
// What it checks, after every step (the rule of session_rules in
// <tether/sim/violation.hpp>, and the sim::Guarantee it checks):
//  - terminal states are sticky (no effects, same phase), and nothing connects
//    or delivers once the session stops ("after-end", stop); every terminal
//    state flushes what may be saved ("flush", stop) and has a cause in the
//    events ("end-cause", liveness);
//  - every backoff delay lies in its policy's bounds for the failure count the
//    reference counts itself ("backoff-delay", "failure-count",
//    backoff_bounds), raised by the short-session and server-hint floors, and
//    widened by one token refill when a retry budget is on; every failure
//    backs off or ends the session ("backoff-entered", backoff_bounds);
//    attempts are never closer than those bounds ("attempt-early",
//    backoff_bounds; except a network-restored cut, "network-restored", or
//    the immediate retry after a 401 refresh); give-up happens exactly when the
//    policy says ("give-up", liveness); a due attempt is made ("connect-due",
//    liveness);
//  - rates: the retry budget is never overdrawn ("retry-budget"); no
//    Connect without a reason ("connect-without-reason") nor over an open one
//    ("connect-overlap"); a failed save is retried at its backoff's end, not
//    before ("save-retry"); one refresh out at a time, numbered, and no
//    proactive one outside the token's window or after a failed one before new
//    credentials ("refresh-pacing"); all rate;
//  - one auth refresh per rejected attempt; a 401 without a provider, or right
//    after a refresh, is fatal ("auth-refresh", auth_refresh);
//  - checkpoints: never backwards, never ahead of the commit policy, the cursor
//    is the one of the saved delivery ("checkpoint", checkpoint), one save in
//    flight but the final flush ("save-in-flight", checkpoint), batching limits
//    hold ("batching", checkpoint);
//  - deliveries: no duplicate ("duplicate", no_duplicate), no silent gap under
//    strict detection and no invented gap, a cursor-too-old gap from the first
//    event not delivered ("gap", no_silent_gap), every frame released exactly
//    once as itself ("frame-release", no_silent_gap), reconnects resume from
//    the last delivered position, or oldest/live after "cursor too old"
//    ("resume", no_silent_gap);
//  - timeouts (connect, confirm, heartbeat, refresh) fire when due and not
//    before ("heartbeat", half_open, for the heartbeat);
//  - next_deadline() is never in the past after a Tick, an early Tick has no
//    effects, and a repeated Tick has none either ("tick", rate);
//  - the application's lifecycle: a pause closes what is open and nothing
//    connects while paused, and every commit is saved then but for a save in
//    flight or a failed one's backoff ("paused", stop); a resume attempts when
//    due, never before the backoff the pause interrupted ("attempt-early",
//    backoff_bounds), and the time paused does not count toward the outage
//    limit ("give-up", liveness); a reconnect the application asks closes the
//    connection and backs off within [0, restored_delay_ms_max] (the retry
//    budget aside) with its failure count unchanged ("reconnect",
//    backoff_bounds);
//  - the phase agrees with the model ("phase") and the reported status
//    describes the phase ("status"), judged under liveness: a session whose
//    state disagrees with what it did does not reliably get back to work.
//
// A finding is the rare path: checks build no text unless one fails, and a
// step allocates nothing but the windows of cursors a save may still name.

#include <memory>
#include <optional>
#include <tether/model/session.hpp>
#include <tether/sim/violation.hpp>

namespace tether::sim {

class SessionReference {
 public:
  explicit SessionReference(const model::SessionConfig& config);
  ~SessionReference();
  SessionReference(SessionReference&&) noexcept;
  SessionReference& operator=(SessionReference&&) noexcept;
  SessionReference(const SessionReference&) = delete;
  SessionReference& operator=(const SessionReference&) = delete;

  // Judges one step; feed every step of one lifetime, in order, from the
  // session's first event (Started, or a stop or network event before it).
  // A finding names its rule of session_rules (at_ms: the event's time;
  // subject: 0, for the caller to set). After a finding the model no longer
  // describes the session: later steps are not judged (nullopt).
  std::optional<Violation> check(const model::Event& event, const model::Phase& before,
                                 const model::State& after, const model::Effects& effects);
  bool stopped() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tether::sim
