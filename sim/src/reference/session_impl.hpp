#pragma once
// The streaming-session reference's model of a session (private to
// sim/src/reference/session*.cpp; <tether/sim/reference/session.hpp> says what
// it checks). One concept per source: session_policy.cpp (the policy's
// formulas), session_events.cpp (what an event makes due), session_effects.cpp
// (each effect, in order), session.cpp (after the effects, and the class).

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <tether/model/overload.hpp>
#include <tether/model/saturating.hpp>
#include <tether/model/session.hpp>
#include <tether/sim/violation.hpp>
#include <type_traits>
#include <variant>
#include <vector>

namespace tether::sim::session_reference {
using model::Overload;

inline constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
inline constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
inline constexpr std::uint64_t kFailuresMax = std::numeric_limits<std::uint32_t>::max();

using model::add_sat;
using model::mul_sat;
using model::sub_sat;
// Milliseconds from `from` to `to`, saturating.
inline std::int64_t ms_between(model::Instant from, model::Instant to) {
  return sub_sat(to.ms, from.ms);
}
inline std::uint64_t inc_failures(std::uint64_t n) {
  return n >= kFailuresMax ? kFailuresMax : n + 1;
}

// A rule of session_rules, named by a string literal (checked at compile time).
using SessionRule = RuleOf<session_rules>;

// A finding: thrown by the checks, caught once per step by Impl::check (a rule
// broken is the rare path; the checks build no text unless one is).
struct Broken {
  Rule rule;
  std::string what;
};
[[noreturn]] void broken(SessionRule rule, std::string what);
[[noreturn]] void broken_by(const Rule& rule, std::string what);
// The rule an effect breaks when nothing in the step allows it.
const Rule& rule_of_unexpected(const model::Effect& effect);

// Text for findings only.
std::string text(const model::Cursor& cursor);
std::string text(const model::Status& status);
std::string num(std::int64_t v);
std::string num(std::uint64_t v);

// A cursor kept per delivery, compactly: a model::Cursor holds its token's
// bytes inline (a kilobyte), so a window of them would be large allocations
// (and page faults) in a long run; this one holds the token in a string
// (no allocation for a short one).
struct Position {
  std::string token;
  std::uint64_t sequence = 0;
  std::int64_t start_time_ms = 0;
  model::CursorKind kind = model::CursorKind::none;
  bool has_sequence = false;

  static Position of(const model::Cursor& c) {
    return Position{std::string(c.token.view()), c.sequence, c.start_time_ms, c.kind,
                    c.has_sequence};
  }
  // model::Cursor's equality, field by field.
  bool same_as(const model::Cursor& c) const {
    return kind == c.kind && has_sequence == c.has_sequence && sequence == c.sequence &&
           start_time_ms == c.start_time_ms && token == c.token.view();
  }
};
std::string text(const Position& position);

// Where the documented backoff formula may land, in whole milliseconds.
struct Range {
  std::int64_t lo;
  std::int64_t hi;
};

enum class Connection : std::uint8_t { none, attempting, open };
enum class Override : std::uint8_t { none, oldest, live };
enum class TerminalKind : std::uint8_t { stopped, gave_up, failed };
// refresh: the retry with fresh credentials; late_refresh: the same, when the
// refresh answers after its timeout entered a backoff (which it ends).
// resume: the attempt a ResumeRequested makes when nothing holds it back.
enum class ConnectKind : std::uint8_t { none, start, refresh, late_refresh, resume };

struct Failure {
  Failure(model::Reason why, std::uint64_t failures, bool short_lived = false)
      : reason(why), count(failures), short_session(short_lived) {}
  model::Reason reason;
  std::uint64_t count;  // failure count including this one (0: a clean close of a healthy stream)
  bool short_session = false;
  std::optional<std::int64_t> retry_after_ms;
  std::uint16_t http_status = 0;
  std::optional<model::Reason> give_up;  // the policy says stop instead of backing off
};

struct Terminal {
  TerminalKind kind;
  model::Reason reason;
};

struct Gap {
  std::optional<std::uint64_t> from;
  std::optional<std::uint64_t> to;
};

// What one step must (or may) do, derived before looking at its effects.
struct Ctx {
  const model::Event* event = nullptr;
  model::Instant now{};
  bool quiet = false;           // an event the session must ignore: no effects at all
  bool early_tick = false;      // a Tick before next_deadline(): no effects at all
  std::uint32_t allowed = ~0U;  // bit per Effect alternative that may appear
  std::optional<Failure> failure;
  bool failure_optional = false;  // a deadline inside the rounding tolerance
  bool backed_off = false;        // the failure's backing_off status was seen
  std::optional<Terminal> terminal;
  bool must_close = false;
  bool refresh_rejected = false;
  ConnectKind connect = ConnectKind::none;
  bool backoff_due = false;  // a Tick at or after the reported next attempt time
  bool restore = false;      // NetworkRestored (or a reconnect) while backing off
  bool restore_reported = false;
  bool pause = false;  // PauseRequested: close, flush, and report paused
  // ReconnectRequested dropped the connection: a backoff within
  // restored_delay_ms_max, with this count and reason, not counted as a failure.
  std::optional<Failure> reconnect;
  bool reconnect_reported = false;
  // ResumeRequested: connect once this is due, else back off until it.
  std::optional<model::Instant> resume_due;
  bool resume_reported = false;
  const model::FrameReceived* frame = nullptr;
  bool frame_open = false;
  std::optional<Gap> pending_gap;  // a `missing` gap waiting for its Deliver
  bool too_old = false;
  bool too_old_reported = false;
  bool expiring_refresh_ok = false;
  bool connected = false;
  int closes = 0;
  int releases = 0;
  int rejected_refreshes = 0;
  bool refresh_was_out = false;  // a refresh was out before this step
};

// The bit of Effect alternative E in Ctx::allowed.
template <class E, std::size_t I = 0>
constexpr std::size_t effect_index() {
  if constexpr (std::is_same_v<E, std::variant_alternative_t<I, model::Effect>>) {
    return I;
  } else {
    return effect_index<E, I + 1>();
  }
}
template <class E>
constexpr std::uint32_t bit() {
  return 1U << effect_index<E>();
}

inline bool phase_is_terminal(const model::Phase& p) {
  return std::holds_alternative<model::Stopped>(p) || std::holds_alternative<model::GaveUp>(p) ||
         std::holds_alternative<model::Failed>(p);
}

// The session as the events it was fed and the effects it emitted describe it.
struct Model {
  explicit Model(const model::SessionConfig& session) : config(session) {}

  const model::SessionConfig config;

  bool started = false;
  bool terminal = false;
  // next_deadline() of the state after the previous step, i.e. of the state
  // before this one: the reference sees every step of a lifetime, so it needs
  // no copy of the state before (an early Tick is judged against it).
  std::optional<model::Instant> deadline_before;

  // The connection, as the effects and events describe it.
  Connection connection = Connection::none;
  bool confirmed = false;  // bytes arrived since opening (or no confirmation needed)
  bool delivered_since_open = false;
  bool attempt_fresh = false;  // this attempt was made with credentials refreshed after a 401
  model::Instant attempt_at{};
  model::Instant opened_at{};
  model::Instant last_rx_at{};
  std::uint64_t failures = 0;  // consecutive failed attempts before the current / next attempt

  bool refreshing = false;  // a RefreshAuth{rejected} is out
  model::Instant refresh_at{};
  std::optional<model::Instant> expires_at;
  model::Instant credentials_at{};  // when the current credentials arrived
  // One refresh out at a time, whatever its cause, until it answers (a
  // timeout gives up waiting, the call stays out); answers name it.
  std::uint32_t refresh_out = 0;   // 0: none
  std::uint32_t refresh_last = 0;  // the newest request number

  // Backoff in progress (reported by a backing_off status).
  bool backing_off = false;
  std::uint64_t backoff_failures = 0;
  model::Reason backoff_reason = model::Reason::none;
  model::Instant backoff_from{};      // when the failure happened
  std::int64_t backoff_lower_ms = 0;  // the least delay the policy allows
  model::Instant backoff_until{};     // the reported next attempt time
  bool backoff_cut = false;           // NetworkRestored shortened it
  model::Instant outage_since{};      // since the stream was last healthy
  // Paused: no connection until a resume; the outage clock stands still.
  bool paused = false;
  bool paused_unstarted = false;  // paused before Started: a resume returns to Idle
  model::Instant paused_at{};
  std::uint64_t paused_failures = 0;
  bool paused_backoff = false;   // the pause interrupted a backoff (the backoff_* fields)
  std::int64_t sse_hint_ms = 0;  // last SSE `retry:` seen (0: none)
  // Exact token bucket, in milliseconds of refill (one token = refill_ms_per_token).
  std::int64_t budget = 0;
  model::Instant budget_at{};

  // Deliveries.
  std::uint64_t delivered = 0;
  std::optional<std::uint64_t> last_seq;
  model::Cursor position;         // where a reconnect resumes
  bool position_is_start = true;  // still the configured start (nothing loaded or delivered)
  struct After {
    Position cursor;
    bool is_start;
  };
  // The position after each delivery a save may still name: [i] is delivery
  // after_base + i (after_base 0: the initial position). Entries below what a
  // save may name again (the durable and the last saved delivery) are dropped,
  // so a long run keeps a bounded window, not a cursor per delivery.
  std::vector<After> position_after;
  std::uint64_t after_base = 0;
  Override override_from = Override::none;
  Override override_ambiguous = Override::none;  // a position-less delivery after a resync
  bool gap_open = false;  // a cursor_too_old gap not yet followed by a sequenced delivery
  std::optional<std::uint64_t> gap_open_from;

  // Checkpoints.
  std::uint64_t committable = 0;
  // on_ack: the cursor of the ack that committed each delivery a save may
  // still name: [i] is delivery commit_base + i (same window as position_after).
  std::vector<std::optional<Position>> commit_cursor;
  std::uint64_t commit_base = 0;
  std::uint64_t requested = 0;  // highest save asked for and not since failed
  std::uint64_t durable = 0;
  bool save_while_saving = false;  // this step asked a save while one was in flight
  std::uint64_t last_save = 0;
  bool save_failed_since_save = false;
  // After a failed save: how many in a row, and the earliest instant the
  // policy allows the retry (min * 2^(n-1), capped), computed here.
  std::uint64_t save_failures_in_row = 0;
  std::optional<model::Instant> save_retry_not_before;
  bool early_save = false;  // this step saved before save_retry_not_before
  std::optional<model::Instant> unsaved_since;
  std::optional<model::Cursor> saved_floor;  // loaded checkpoint, then every saved cursor

  model::Status reported{};

  // --- the policy's formulas (session_policy.cpp)
  const model::BackoffPolicy& backoff() const { return config.backoff; }
  bool budget_on() const { return config.budget.tokens_max > 0; }
  std::int64_t budget_cap() const;
  Range ceiling(std::uint64_t n) const;
  Range jitter(std::uint64_t n) const;
  std::int64_t hint_floor(const std::optional<std::int64_t>& retry_after_ms) const;
  Range connect_timeout() const;
  std::int64_t heartbeat_budget_ms() const;
  bool is_short(model::Instant now) const;
  bool healthy(model::Instant now) const;
  std::optional<model::Reason> give_up_reason(std::uint64_t n, model::Instant now) const;
  void refill(model::Instant now);
  std::int64_t save_retry_wait_ms() const;
  const After& after_delivery(std::uint64_t id) const;
  const std::optional<Position>* commit_cursor_of(std::uint64_t id) const;
  void trim_windows();

  // --- what an event makes due (session_events.cpp)
  void expect_failure(Ctx& ctx, Failure f) const;
  static void expect_terminal(Ctx& ctx, TerminalKind kind, model::Reason reason);
  void end_stream(Ctx& ctx, model::Reason reason, bool clean);
  Failure attempt_failure(model::Reason reason, model::Instant now) const;
  void cursor_too_old(Ctx& ctx, Failure f);
  void refresh_failed(Ctx& ctx);
  void commit(std::uint64_t id, const Position& cursor, model::Instant now);
  void plan(const model::Event& event, Ctx& ctx);
  void plan_started(const model::Started& e, Ctx& ctx);
  void plan_tick(Ctx& ctx);
  void plan_tick_open(Ctx& ctx);
  void plan_opened(Ctx& ctx);
  void plan_bytes(Ctx& ctx);
  void plan_closed(const model::ConnectionClosed& e, Ctx& ctx);
  void plan_rejected(const model::ServerRejected& e, Ctx& ctx);
  void plan_frame(const model::FrameReceived& e, Ctx& ctx);
  void plan_expired(Ctx& ctx);
  void plan_acked(const model::DeliveryAcked& e, Ctx& ctx);
  void plan_refreshed(const model::AuthRefreshed& e, Ctx& ctx);
  void plan_refresh_failed(const model::AuthRefreshFailed& e, Ctx& ctx);
  void plan_saved(const model::CheckpointSaved& e, Ctx& ctx);
  void plan_save_failed(const model::CheckpointSaveFailed& e, Ctx& ctx);
  void plan_restored(Ctx& ctx);
  void plan_paused(Ctx& ctx);
  void plan_resumed(Ctx& ctx);
  void plan_reconnect(const model::ReconnectRequested& e, Ctx& ctx);
  std::int64_t budget_wait_ms(std::uint64_t failures_before, model::Instant now) const;
  void plan_ends(TerminalKind kind, model::Reason reason, Ctx& ctx);

  // --- each effect, in order (session_effects.cpp)
  void walk(const model::Effects& effects, Ctx& ctx);
  void on_connect(const model::Connect& c, Ctx& ctx);
  std::uint64_t connect_number(Ctx& ctx, bool& after_failure) const;
  void spend_token(model::Instant now);
  void drain_token(model::Instant now);
  void check_resume(const model::Connect& c) const;
  void on_deliver(const model::Deliver& d, Ctx& ctx);
  void check_jump(const model::FrameReceived& f, const Ctx& ctx) const;
  void move_position(const model::FrameReceived& f);
  void on_discard(const model::DiscardFrame& d, Ctx& ctx) const;
  void on_gap(const model::ReportGap& g, Ctx& ctx);
  void on_save(const model::SaveCheckpoint& s, model::Instant now);
  void check_save_cursor(const model::SaveCheckpoint& s) const;
  void on_refresh(const model::RefreshAuth& r, Ctx& ctx) const;
  void number_refresh(const model::RefreshAuth& r);
  bool answers_refresh_out(std::uint32_t request) const;
  void on_status(const model::Status& st, Ctx& ctx);
  void check_backoff(const model::Status& st, Ctx& ctx);
  Range backoff_bounds(const Failure& f, model::Instant now) const;
  void check_restore(const model::Status& st, Ctx& ctx);
  void check_reconnect(const model::Status& st, Ctx& ctx);
  void check_resumed(const model::Status& st, Ctx& ctx);

  // --- after the effects (session.cpp)
  void settle(const model::Event& event, const model::State& after, const model::Effects& effects,
              Ctx& ctx);
  bool settle_failure(const model::Phase& phase, const Ctx& ctx) const;
  void settle_step(const Ctx& ctx, bool happened);
  void settle_saves(const model::Event& event, const model::Phase& phase, const Ctx& ctx);
  void check_terminal(const Terminal& t, const model::Phase& phase) const;
  void check_phase(const model::Phase& phase) const;
  void check_status(const model::Phase& phase) const;
  static void check_tick(const model::State& after, const Ctx& ctx);
  void check(const model::Event& event, const model::Phase& before, const model::State& after,
             const model::Effects& effects);
};

}  // namespace tether::sim::session_reference
