#pragma once
// What a streaming session is doing, at one moment (SessionSnapshot), and the
// tally the driver keeps to say so (SessionStats): the phase and since when,
// the attempt, the next attempt while backing off, the last error, counters
// and the checkpoint's lag. io::Driver (io_core) keeps the tally, so the Asio
// Runner (Runner::snapshot()) and the simulator, which both run the driver,
// count the same things the same way.
//
// Time: every Instant here is a reading of the driver's io::Clock: the Runner's
// SteadyClock (milliseconds since the Runner started, monotonic), virtual time
// under test and simulation; never wall-clock. The `_ms` fields that end in
// "age" or "in" are relative to `taken_at`; age() moves them to a later
// reading of the same clock, which is how Runner::snapshot() answers between
// two inputs.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tether/model/effect.hpp>
#include <tether/model/event.hpp>
#include <tether/model/state.hpp>
#include <tether/model/status.hpp>
#include <tether/model/time.hpp>

namespace tether::io {

// One slot per model::Reason (failures are counted by the reason they ended with).
inline constexpr std::size_t reason_count = model::reason_count;

// Monotonic counts since the driver was made (one process's session).
struct SessionCounters {
  std::uint64_t deliveries = 0;           // Deliver effects: handed to the application
  std::uint64_t duplicates_dropped = 0;   // frames at or below the last sequence, not delivered
  std::uint64_t gaps = 0;                 // ReportGap effects
  std::uint64_t events_missed = 0;        // sequences lost, over the gaps whose size is known
  std::uint64_t connection_attempts = 0;  // Connect effects
  std::uint64_t reconnects = 0;           // attempts after the session's first
  std::uint64_t connections_opened = 0;   // the server accepted the request
  // Attempts that ended in a failure: a backoff that counts, gave up or failed.
  // A clean close of a healthy stream is not one.
  std::uint64_t connection_failures = 0;
  std::array<std::uint64_t, reason_count> failures_by_reason{};  // index: model::Reason
  std::uint64_t bytes_received = 0;  // body bytes the transports read (SSE body, WebSocket payload)
  std::uint64_t checkpoints_saved = 0;
  std::uint64_t checkpoint_save_failures = 0;

  std::uint64_t failures(model::Reason reason) const {
    return failures_by_reason[static_cast<std::size_t>(reason)];
  }
};

// The last attempt that failed, and why.
struct LastError {
  model::Instant at;
  model::Reason reason = model::Reason::none;  // the status it ended with
  std::uint16_t http_status = 0;               // the server's answer, if there was one (0: none)
  // What the transport said (the diagnostic's text). Transports name origins
  // only: never credentials, paths' query strings or header values.
  std::string detail;
};

struct SessionSnapshot {
  model::Instant taken_at;  // the driver's clock when the relative fields were computed
  model::Status status;     // the last reported status
  // The reducer's phase, in the statuses' words: idle, connecting,
  // confirming (open, waiting for the first bytes; status `connecting`),
  // streaming, backing_off, refreshing_auth, stopped, gave_up, failed.
  std::string_view phase = "idle";
  model::Instant phase_since;
  std::int64_t phase_age_ms = 0;  // taken_at - phase_since
  // The attempt under way (1: the first after a healthy stream), or, while
  // backing off, the next one; 0 before the first.
  std::uint32_t attempt = 0;
  std::optional<std::int64_t> next_attempt_in_ms;  // backing off only; 0 once due
  std::optional<LastError> last_error;
  // The outage under way: failed attempts since the stream was last healthy
  // (0: none), and when its first failure was.
  std::uint32_t outage_failures = 0;
  std::optional<model::Instant> outage_since;
  SessionCounters counters;
  // The checkpoint: the highest delivery it holds durably, how many deliveries
  // the commit policy allows saving (under on_ack: acked) are not durable yet,
  // and how long the oldest of them has waited.
  std::uint64_t durable_id = 0;
  std::uint64_t checkpoint_lag_deliveries = 0;
  std::optional<model::Instant> oldest_unsaved_at;
  std::optional<std::int64_t> checkpoint_lag_ms;  // taken_at - oldest_unsaved_at
};

// Recomputes the relative fields (phase_age_ms, next_attempt_in_ms,
// checkpoint_lag_ms) for `now`, a later reading of the same clock.
void age(SessionSnapshot& snapshot, model::Instant now);

// The tally behind the snapshot, fed by the driver loop's hooks
// (<tether/io/reducer_loop.hpp>); io::Driver holds one. It also decides what
// the driver's connection diagnostics are: a failed attempt, its number
// within the outage, and the recovery.
class SessionStats {
 public:
  // A step ended an attempt: its status, its number within the outage (1: it
  // began one), and whether the session ended with it.
  struct Failure {
    model::Status status;
    std::uint32_t outage_failures = 0;
    bool terminal = false;
  };
  // The stream is healthy again after an outage.
  struct Recovery {
    std::int64_t outage_ms = 0;  // from the outage's first failure to now
    std::uint32_t failures = 0;  // failed attempts in it
  };

  // A step is about to run from `before`.
  void stepping(const model::Phase& before);
  // The step's effects, before they run: counted; the attempt they end, if they end one.
  std::optional<Failure> stepped(const model::Event& event, const model::Effects& effects);
  // What the transport said of the failed attempt stepped() just returned
  // (its HTTP status when it answered one; 0: keep the status's), for the
  // snapshot's last error.
  void record_error(std::uint16_t http_status, std::string_view detail);
  // After the effects ran: the phase's start, the checkpoint's lag, and the
  // recovery if this step made the stream healthy during an outage.
  std::optional<Recovery> executed(const model::Event& event, const model::State& after);
  void received(std::size_t bytes) { counters_.bytes_received += bytes; }
  // The driver could not start (its checkpoint was unreadable): failed since `now`.
  void failed_to_start(model::Instant now) {
    failed_to_start_ = true;
    phase_since_ = now;
  }

  // `state` is the driver's, `status` what it reports (Driver::status()).
  void fill(SessionSnapshot& out, const model::State& state, const model::Status& status,
            model::Instant now) const;
  const SessionCounters& counters() const { return counters_; }

  // Acks (commits) waiting for the checkpoint that are remembered one by one;
  // beyond it the newest entry stands for the later ones too, so the oldest's
  // age stays exact.
  static constexpr std::size_t unsaved_max = 64;

 private:
  void count(const model::Effect& effect);
  void note_commits(model::Instant now, const model::Progress& progress);

  SessionCounters counters_;
  std::size_t phase_before_ = 0;  // Phase::index() of the step being taken
  bool attempt_before_ = false;   // that phase was an attempt (connecting .. refreshing auth)
  bool connected_ = false;        // the step being taken emitted a Connect
  bool failed_to_start_ = false;
  model::Instant phase_since_;
  std::uint32_t last_attempt_ = 0;
  std::optional<LastError> last_error_;
  std::uint32_t outage_failures_ = 0;
  model::Instant outage_since_;
  // Commits not durable yet, oldest first: (delivery id, when it became committable).
  std::array<std::pair<std::uint64_t, model::Instant>, unsaved_max> unsaved_{};
  std::size_t unsaved_head_ = 0;
  std::size_t unsaved_size_ = 0;
  std::uint64_t committable_seen_ = 0;
};

}  // namespace tether::io
