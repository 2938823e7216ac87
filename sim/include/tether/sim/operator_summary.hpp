#pragma once
// What happened in a recorded session, in plain words for an operator: when the
// stream was down and why, every reconnect attempt and how long it waited,
// credential refreshes, gaps, and how the session ended. Built step by step from
// the recorded events and the effects the reducer produced for them (a replay,
// <tether/sim/recording_replay.hpp>), so it reads the reducer's own decisions
// instead of guessing from the events.
//
// Times are ISO-8601 UTC (2026-12-07T10:00:03.100Z) when the recording has a
// wall-clock anchor (format 2), else monotonic milliseconds from the recording's
// clock ("t=3100 ms").
//
//   summary (times UTC)
//     session      2026-12-07T10:00:00.000Z to 2026-12-07T10:00:09.512Z (9.5 s), 57 events
//     delivered    35 events; checkpoint durable through delivery 35
//     outages      1 (800 ms in all)
//       #1 2026-12-07T10:00:03.100Z to 2026-12-07T10:00:03.900Z (800 ms): the connection ended
//       without a close (unexpected_eof)
//          attempt 1 at 2026-12-07T10:00:03.350Z after a 250 ms wait: failed: could not connect
//          (transport_error) attempt 2 at 2026-12-07T10:00:03.850Z after a 500 ms wait: connected
//     reconnects   2 attempts, waits 250 ms to 500 ms
//     refreshes    none
//     gaps         none
//     final state  stopped: the application asked to stop (stop_requested)

#include <cstdint>
#include <optional>
#include <string>
#include <tether/model/effect.hpp>
#include <tether/model/event.hpp>
#include <tether/model/event_log.hpp>
#include <tether/model/state.hpp>
#include <vector>

namespace tether::sim {

class OperatorSummary {
 public:
  // `clock`: the recording's wall-clock anchor (nullopt: monotonic times).
  explicit OperatorSummary(std::optional<model::WallClockAnchor> clock) : clock_(clock) {}

  // One replayed step: the event and the effects the reducer produced for it.
  void step(const model::Event& event, const model::Effects& effects);

  // The summary so far; `final_state` is the state after the last step.
  // `diverged`: the replay stopped at a divergence (said in the summary).
  std::string text(const model::State& final_state, bool diverged = false) const;

  // "2026-12-07T10:00:03.100Z" (or "t=3100 ms" without an anchor).
  std::string time(model::Instant at) const;

  // Plain words for a status reason ("the connection ended without a close").
  static std::string_view words(model::Reason reason);
  // "850 ms", "2.5 s", "3 min 12 s", "2 h 5 min".
  static std::string duration(std::int64_t ms);

  struct Attempt {
    model::Instant at;
    std::uint32_t number = 0;             // Connect::attempt
    std::optional<std::int64_t> wait_ms;  // the backoff before it (nullopt: none announced)
    std::string outcome;                  // "connected", "failed: ...", "" while pending
  };
  struct Outage {
    model::Instant start;
    std::optional<model::Instant> end;  // nullopt: not over when the recording ends
    model::Reason cause = model::Reason::none;
    std::uint16_t http_status = 0;
    bool before_first_connection = false;
    std::string ended_by;               // "connected", or how the session ended; "" while open
    std::vector<std::size_t> attempts;  // indices into reconnects()
  };
  struct Refresh {
    model::Instant at;
    model::RefreshCause cause;
    std::string outcome;  // "", "succeeded", "failed"
  };
  struct Gap {
    model::Instant at;
    model::ReportGap gap;
  };

  const std::vector<Outage>& outages() const { return outages_; }
  const std::vector<Attempt>& reconnects() const { return reconnects_; }
  const std::vector<Refresh>& refreshes() const { return refreshes_; }
  const std::vector<Gap>& gaps() const { return gaps_; }

 private:
  void on_status(model::Instant now, const model::Status& status);
  void on_connect(model::Instant now, const model::Connect& connect);
  std::string attempt_line(const Attempt& a) const;
  void outage_rows(std::string& out, bool diverged) const;
  std::string reconnects_text() const;
  std::string reason_text(model::Reason reason, std::uint16_t http_status) const;

  std::optional<model::WallClockAnchor> clock_;
  std::optional<model::Instant> first_;
  model::Instant last_{};
  std::uint64_t events_ = 0;
  std::uint64_t delivered_ = 0;
  std::uint64_t save_failures_ = 0;
  std::uint64_t connects_ = 0;
  bool streamed_ = false;
  model::StatusKind kind_ = model::StatusKind::idle;
  std::optional<std::int64_t> announced_wait_ms_;  // from the last backing_off status
  std::vector<Outage> outages_;
  std::vector<Attempt> reconnects_;
  std::optional<std::size_t> pending_attempt_;  // index into reconnects_
  std::vector<Refresh> refreshes_;
  std::vector<Gap> gaps_;
};

}  // namespace tether::sim
