#pragma once
// Plausible driver scripts for tether's reducer, drawn from a stream of choices.
//
// A ChoiceSource is the only randomness: RapidCheck drives it with a vector of
// numbers (which it shrinks), the fuzz target with raw bytes. From it come a
// SessionConfig (a preset plus mutations) and, step by step, events that a real
// driver could send: time never goes backwards (small or large jumps, often
// exactly to next_deadline()), and outcomes answer the effects the reducer
// emitted (ConnectionOpened after Connect, CheckpointSaved after SaveCheckpoint,
// DeliveryAcked with the cursor of a delivered frame, ...). Each run weighs the
// event kinds differently and disables some (swarm testing), and a few runs also
// send stray events (a late frame, a bogus ack) that the reducer must ignore.
//
// run_random_session() puts it together with the streaming-session reference
// (sim::SessionReference, <tether/sim/reference/session.hpp>): every step is
// checked, and the run records its events and a text trace of every step's
// effects, so replay_session() can check determinism and format_failure() can
// print the one scenario that reproduces a violation.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <tether/model/session.hpp>
#include <vector>

namespace tether::test {

class ChoiceSource {
 public:
  virtual ~ChoiceSource() = default;
  // A choice in [0, n). Returns 0 when n <= 1, and once exhausted.
  virtual std::uint64_t below(std::uint64_t n) = 0;
  virtual bool exhausted() const = 0;

  // True with probability numerator / denominator (choice 0 means "yes" when numerator > 0).
  bool chance(std::uint64_t numerator, std::uint64_t denominator) {
    return below(denominator) < numerator;
  }
  // Uniform-ish in [lo, hi] (inclusive); lo when hi <= lo.
  std::int64_t between(std::int64_t lo, std::int64_t hi);
  // An index drawn with the given weights; 0 when every weight is 0.
  std::size_t weighted(std::span<const std::uint32_t> weights);
};

// RapidCheck's side: one choice per number, so shrinking the vector shortens and
// simplifies the script (0 is always the simplest choice).
class VectorChoices final : public ChoiceSource {
 public:
  explicit VectorChoices(std::vector<std::uint32_t> values) : values_(std::move(values)) {}
  std::uint64_t below(std::uint64_t n) override;
  bool exhausted() const override { return exhausted_; }

 private:
  std::uint32_t next();
  std::vector<std::uint32_t> values_;
  std::size_t used_ = 0;
  bool exhausted_ = false;
};

// The fuzzer's side: each choice consumes just enough bytes for its range.
class ByteChoices final : public ChoiceSource {
 public:
  explicit ByteChoices(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::uint64_t below(std::uint64_t n) override;
  bool exhausted() const override { return exhausted_; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t used_ = 0;
  bool exhausted_ = false;
};

struct DrawOptions {
  bool mutate = true;   // mutate the preset's backoff/connect/heartbeat/give-up/budget
  bool extreme = true;  // sometimes huge-but-valid values and invalid ones
  std::optional<std::size_t> preset;  // index into presets::all(); drawn when empty
};

struct DrawnConfig {
  model::SessionConfig config;
  std::string origin;  // e.g. "grpc +jitter +budget"
};
// A preset plus mutations. May be invalid: model::make() rejects those.
DrawnConfig draw_config(ChoiceSource& choices, const DrawOptions& options = {});

// The driver model: what a plausible driver would feed next.
class EventScript {
 public:
  EventScript(ChoiceSource& choices, const model::SessionConfig& config, std::size_t events_max);
  // The next event for a session now in `state`; nullopt when the script ends.
  std::optional<model::Event> next(const model::State& state);
  // Learns what the reducer asked for (connects, deliveries, saves, refreshes).
  void observe(const model::Step& step);

  enum Kind : std::uint8_t {
    tick,
    opened,
    closed,
    rejected,
    bytes,
    frame,
    expired,
    replay_finished,
    acked,
    refreshed,
    refresh_failed,
    saved,
    save_failed,
    restored,
    pause,
    resume,
    reconnect,
    stop,
    kinds_count,
  };

 private:
  struct FrameInfo {
    std::optional<std::uint64_t> sequence;
    std::optional<model::Token> id;
  };
  struct Where {  // the session's phase, looked up once per event
    bool terminal;
    bool connecting;
    bool confirming;
    bool streaming;
    bool backing_off;
    bool paused;
  };
  std::uint32_t weight(Kind kind, const Where& where) const;
  bool plausible(Kind kind, const Where& where) const;
  std::int64_t advance_ms();
  model::Event make(Kind kind);
  std::uint32_t refresh_answer();
  model::Event make_started();
  model::Event make_frame();
  model::Event make_rejected();
  model::Event make_ack();
  model::Cursor random_cursor();
  model::Token token_for(std::uint64_t n);

  ChoiceSource& choices_;
  model::SessionConfig config_;
  std::size_t events_max_;
  std::size_t produced_ = 0;
  std::size_t after_terminal_ = 0;
  bool started_ = false;
  bool paused_before_start_ = false;
  bool strays_ = false;     // stray events (a late frame, a bogus ack) in this run
  bool fatal_4xx_ = false;  // 400/403/404 rejections in this run
  std::uint32_t weights_[kinds_count] = {};
  std::uint32_t advance_weights_[6] = {};
  std::uint32_t frame_style_ = 0;  // 0 seq only, 1 id+seq, 2 id only, 3 bare, 4 mixed
  model::Instant now_{};
  std::uint64_t frame_ref_ = 0;
  std::uint64_t server_seq_ = 0;  // the last sequence the simulated server sent
  std::optional<std::uint64_t> delivered_seq_;
  std::vector<FrameInfo> frames_;              // [frame_ref]
  std::vector<model::Cursor> position_after_;  // [delivery id] -> cursor the app acks with
  model::Cursor position_;
  std::vector<std::uint64_t> pending_saves_;
  std::vector<std::uint32_t> pending_refreshes_;  // RefreshAuth requests not answered, oldest first
  std::uint32_t answered_refresh_ = 0;            // the last one answered
};

struct RunOptions {
  DrawOptions draw;
  std::size_t events_max = 300;
};

struct SessionRun {
  model::SessionConfig config;
  std::string origin;
  std::vector<model::Event> events;
  std::string trace;                     // one line per step: event -> effects
  std::optional<std::string> violation;  // the first broken guarantee, if any
  std::size_t steps = 0;
};

// Draws a configuration and a script from `choices` and runs it, checking every
// step with a sim::SessionReference. nullopt: the drawn configuration was invalid.
std::optional<SessionRun> run_random_session(ChoiceSource& choices, const RunOptions& options = {});

// Runs recorded events from a fresh session, checking every step.
SessionRun replay_session(const model::SessionConfig& config, std::span<const model::Event> events);

// The violation, the configuration and the last `tail` steps of the trace.
std::string format_failure(const SessionRun& run, std::size_t tail = 40);

}  // namespace tether::test
