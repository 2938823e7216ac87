#pragma once
// The session state: one phase named for what is true, plus the few facts that
// outlive phases (delivery progress, auth, PRNG, last reported status).

#include <cstdint>
#include <memory>
#include <optional>
#include <tether/model/config.hpp>
#include <tether/model/cursor.hpp>
#include <tether/model/prng.hpp>
#include <tether/model/status.hpp>
#include <tether/model/time.hpp>
#include <variant>

namespace tether::model {

// Not started yet.
struct Idle {};

// A Connect effect is out; waiting for ConnectionOpened or a failure.
struct Connecting {
  std::uint32_t failures;  // consecutive failed attempts before this one
  Instant deadline;        // connect timeout
  bool fresh_credentials;  // this attempt uses credentials refreshed after a 401
};

// Open, waiting for the server's first bytes (opening confirmation).
struct Confirming {
  std::uint32_t failures;
  Instant opened_at;
  Instant deadline;
  bool fresh_credentials;  // carried over: a 401 here after a refresh is terminal
};

// Open and receiving.
struct Streaming {
  std::uint32_t failures;  // before this connection; forgotten when a healthy,
                           // long-enough session ends (short-session guard)
  Instant opened_at;
  Instant last_rx_at;  // any bytes; for half-open detection
  bool healthy;        // first frame seen / stable period passed
};

// Waiting before the next attempt.
struct BackingOff {
  std::uint32_t failures;  // >= 1
  Instant until;
  Reason reason;
  std::uint16_t http_status;
};

// The server rejected our credentials; a RefreshAuth effect is out.
struct RefreshingAuth {
  std::uint32_t failures;
  Instant deadline;
};

// The application paused the session: no connection until it resumes. It
// keeps what a resume needs.
struct Paused {
  std::uint32_t failures;  // of the phase paused (a healthy, long-enough stream's are forgotten)
  Instant since;           // the outage clock stands still from here until the resume
  // A backoff the pause interrupted: the resume waits out what is left of it,
  // so pausing and resuming cannot shorten a backoff (else `since`).
  Instant not_before;
  Reason reason;  // that backoff's reason and status, rendered if the resume waits
  std::uint16_t http_status;
  bool started;  // false: paused in Idle; Started keeps it paused, a resume before returns to Idle
};

// Terminal states: every later event is ignored.
struct Stopped {
  Reason reason;  // stop_requested or replay_complete
};
struct GaveUp {
  Reason reason;  // attempts_exhausted or outage_too_long
  std::uint32_t failures;
};
struct Failed {
  Reason reason;
  std::uint16_t http_status;
};

using Phase = std::variant<Idle, Connecting, Confirming, Streaming, BackingOff, RefreshingAuth,
                           Paused, Stopped, GaveUp, Failed>;

// What has been handed to the application and what may be, or has been, saved.
struct Progress {
  std::uint64_t delivered_id = 0;              // last Deliver's delivery_id (0: none yet)
  std::optional<std::uint64_t> last_sequence;  // for dedupe and gaps
  // Where a reconnect resumes (precedence applied): the cursor of the last
  // delivery that carried one, else the checkpoint, else the configured start.
  Cursor resume;
  std::uint64_t committable_id = 0;  // highest delivery the commit policy allows saving
  Cursor committable_cursor;
  std::uint64_t save_requested_id = 0;              // highest SaveCheckpoint emitted
  std::uint64_t durable_id = 0;                     // highest CheckpointSaved
  std::optional<Instant> unsaved_since;             // first commit not yet requested
  std::uint32_t save_failures = 0;                  // consecutive failed saves
  std::optional<Instant> save_retry_at;             // after a failed save: not before this
  ResumeFrom resume_override = ResumeFrom::cursor;  // oldest/live after cursor-too-old
  bool resyncing = false;  // after cursor-too-old: the next jump was already reported
};

// One refresh is out at a time, whatever its cause: a refresh that timed out
// stays out until it answers (the driver cannot take the call back), a 401
// meanwhile waits for it instead of queueing a second call behind it, and its
// answer, however late, is matched by number and still brings credentials.
struct AuthMemory {
  std::optional<Instant> expires_at;  // of the credentials the driver holds (the last answered)
  Instant received_at{};              // when the current credentials arrived
  bool proactive_in_flight =
      false;  // the refresh out was asked ahead of expiry (a 401 may adopt it)
  std::uint32_t refresh_asked = 0;  // number of the newest RefreshAuth (0: none yet)
  std::uint32_t refresh_out = 0;    // the refresh asked and not answered yet (0: none)
};

// When a proactive refresh is due: refresh_ahead_ms before expiry, but never
// before half the credentials' lifetime has passed, so short-lived tokens
// (a lifetime under refresh_ahead_ms) are not refreshed as fast as the
// provider answers.
Instant proactive_refresh_at(const AuthMemory& auth, Instant expires_at,
                             std::int64_t refresh_ahead_ms);

struct BackoffMemory {
  std::int64_t previous_delay_ms = 0;   // decorrelated jitter
  std::int64_t server_retry_ms = 0;     // last SSE `retry:` (0: none)
  std::optional<Instant> outage_since;  // since the stream was last healthy
  std::int64_t budget_credit_ms = 0;    // retry budget: refill time banked
  Instant budget_updated_at{};
};

struct State {
  std::shared_ptr<const SessionConfig> config;
  Phase phase;
  Prng prng;
  Status status;  // last reported
  Progress progress;
  AuthMemory auth;
  BackoffMemory backoff;
};

bool is_terminal(const State& state);

}  // namespace tether::model
