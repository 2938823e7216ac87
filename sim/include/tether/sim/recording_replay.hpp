#pragma once
// Replaying a recorded session exactly (<tether/model/event_log.hpp>): every
// recorded event goes through a fresh reducer of the given configuration (the
// recording's own, see tether-sim replay --events), each step's effects are
// compared with the recorded ones (format 2), and each @state line with the
// replayed state. The first difference is named (step, line, time, event, what
// differed) and the replay stops there: what follows it would no longer be the
// recorded session. A format-1 log has nothing to compare: it simply replays.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <tether/model/config.hpp>
#include <tether/model/event_log.hpp>
#include <tether/model/state.hpp>
#include <tether/sim/operator_summary.hpp>

namespace tether::sim {

struct ReplayOptions {
  bool keep_trace_text = false;  // the per-event trace (sim::Trace), for --trace
};

struct Divergence {
  std::size_t step = 0;  // 1-based step; for a @state line, the steps before it
  std::size_t line = 0;  // the line in the recording
  model::Instant at{};   // the event's time (a @state line: the last event's)
  std::string when;      // `at` as the summary shows it (ISO-8601 UTC, or "t=... ms")
  std::string event;     // the event line (encode_event), or "@state"
  std::string what;      // what differed, recorded and replayed, several lines
};

struct ReplayResult {
  std::string error;      // the configuration is invalid: nothing was replayed
  std::size_t steps = 0;  // steps replayed (up to and with the divergent one)
  std::size_t effects_checked = 0;
  std::size_t states_checked = 0;
  std::optional<Divergence> divergence;
  model::State state;  // after the last step replayed
  std::uint64_t trace_hash = 0;
  std::string trace;    // with keep_trace_text
  std::string summary;  // OperatorSummary::text() of the steps replayed

  bool ok() const { return error.empty() && !divergence; }
};

// `config.seed` is the seed to replay with (the recording's @seed, normally).
ReplayResult replay_recording(const model::Recording& recording, const model::SessionConfig& config,
                              const ReplayOptions& options = {});

// "DIVERGED at step 12 (line 17, 2026-12-07T10:00:05.500Z): 5500 Tick\n  recorded effects: ..."
std::string describe(const Divergence& d);

}  // namespace tether::sim
