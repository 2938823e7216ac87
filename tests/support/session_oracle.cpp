#include "support/session_oracle.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <tether/model/backoff.hpp>
#include <tether/model/names.hpp>

namespace tether::test {

namespace m = tether::model;

namespace {

template <class... F>
struct Overload : F... {
  using F::operator()...;
};
template <class... F>
Overload(F...) -> Overload<F...>;  // clang 16 has no CTAD for aggregates

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::uint64_t kFailuresMax = std::numeric_limits<std::uint32_t>::max();

std::int64_t add_sat(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? kMax : kMin;
  return r;
}
std::int64_t sub_sat(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? kMax : kMin;
  return r;
}
std::int64_t mul_sat(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) return (a < 0) == (b < 0) ? kMax : kMin;
  return r;
}
// Milliseconds from `from` to `to`, saturating.
std::int64_t ms_between(m::Instant from, m::Instant to) { return sub_sat(to.ms, from.ms); }
std::uint64_t inc_failures(std::uint64_t n) { return n >= kFailuresMax ? kFailuresMax : n + 1; }

// ---------------------------------------------------------------- text

// Numbers go through a stack buffer: traces are built on every step, and a
// temporary string per number would dominate the fuzzer's time under ASan.
template <class Int>
void put_int(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}
void put(std::string& out, std::int64_t v) { put_int(out, v); }
void put(std::string& out, std::uint64_t v) { put_int(out, v); }
void put(std::string& out, std::uint32_t v) { put_int(out, v); }
void put(std::string& out, std::uint16_t v) { put_int(out, v); }
void put(std::string& out, std::string_view v) { out.append(v); }
template <class T>
void put_opt(std::string& out, const std::optional<T>& v) {
  if (v) {
    put(out, *v);
  } else {
    out += '-';
  }
}
void put(std::string& out, m::Instant t) { put(out, t.ms); }

// ---------------------------------------------------------------- the model

// Where the documented backoff formula may land, in whole milliseconds.
struct Range {
  std::int64_t lo;
  std::int64_t hi;
};

enum class Conn : std::uint8_t { none, attempting, open };
enum class Override : std::uint8_t { none, oldest, live };
enum class TermKind : std::uint8_t { stopped, gave_up, failed };
// refresh: the retry with fresh credentials; late_refresh: the same, when the
// refresh answers after its timeout entered a backoff (which it ends).
enum class ConnectKind : std::uint8_t { none, start, refresh, late_refresh };

struct Failure {
  Failure(m::Reason r, std::uint64_t count, bool short_s = false) : reason(r), n(count), short_session(short_s) {}
  m::Reason reason;
  std::uint64_t n;  // failure count including this one (0: a clean close of a healthy stream)
  bool short_session = false;
  std::optional<std::int64_t> retry_after_ms;
  std::uint16_t http_status = 0;
  std::optional<m::Reason> give_up;  // the policy says stop instead of backing off
};

struct Terminal {
  TermKind kind;
  m::Reason reason;
};

struct Gap {
  std::optional<std::uint64_t> from;
  std::optional<std::uint64_t> to;
};

// What one step must (or may) do, derived before looking at its effects.
struct Ctx {
  const m::Event* event = nullptr;
  m::Instant now{};
  bool quiet = false;       // an event the session must ignore: no effects at all
  bool early_tick = false;  // a Tick before next_deadline(): no effects at all
  std::uint32_t allowed = ~0U;  // bit per Effect alternative that may appear
  std::optional<Failure> failure;
  bool failure_optional = false;  // a deadline inside the rounding tolerance
  bool backed_off = false;        // the failure's backing_off status was seen
  std::optional<Terminal> terminal;
  bool must_close = false;
  bool refresh_rejected = false;
  ConnectKind connect = ConnectKind::none;
  bool backoff_due = false;  // a Tick at or after the reported next attempt time
  bool restore = false;      // NetworkRestored while backing off
  bool restore_reported = false;
  const m::FrameReceived* frame = nullptr;
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
  if constexpr (std::is_same_v<E, std::variant_alternative_t<I, m::Effect>>) {
    return I;
  } else {
    return effect_index<E, I + 1>();
  }
}
template <class E>
constexpr std::uint32_t bit() {
  return 1U << effect_index<E>();
}

struct Broken {
  std::string what;
};

[[noreturn]] void broken(std::string what) { throw Broken{std::move(what)}; }

m::Reason reason_of_close(m::CloseCause cause) {
  switch (cause) {
    case m::CloseCause::clean_close: return m::Reason::clean_close;
    case m::CloseCause::unexpected_eof: return m::Reason::unexpected_eof;
    case m::CloseCause::transport_error: return m::Reason::transport_error;
    case m::CloseCause::protocol_error: return m::Reason::protocol_error;
    case m::CloseCause::unrecoverable: return m::Reason::unrecoverable;
  }
  return m::Reason::transport_error;
}

m::StatusKind kind_of_phase(const m::Phase& phase) {
  return std::visit(Overload{
                        [](const m::Idle&) { return m::StatusKind::idle; },
                        [](const m::Connecting&) { return m::StatusKind::connecting; },
                        [](const m::Confirming&) { return m::StatusKind::connecting; },
                        [](const m::Streaming&) { return m::StatusKind::streaming; },
                        [](const m::BackingOff&) { return m::StatusKind::backing_off; },
                        [](const m::RefreshingAuth&) { return m::StatusKind::refreshing_auth; },
                        [](const m::Stopped&) { return m::StatusKind::stopped; },
                        [](const m::GaveUp&) { return m::StatusKind::gave_up; },
                        [](const m::Failed&) { return m::StatusKind::failed; },
                    },
                    phase);
}

bool phase_is_terminal(const m::Phase& p) {
  return std::holds_alternative<m::Stopped>(p) || std::holds_alternative<m::GaveUp>(p) ||
         std::holds_alternative<m::Failed>(p);
}

void put_status(std::string& out, const m::Status& s) {
  out += '(';
  put(out, m::name_of(s.kind));
  out += ',';
  put(out, m::name_of(s.reason));
  out += ",failures=";
  put(out, s.failures);
  out += ",at=";
  put(out, s.next_attempt_at);
  out += ",http=";
  put(out, s.http_status);
  out += ')';
}

std::string status_text(const m::Status& s) {
  std::string out = "status";
  put_status(out, s);
  return out;
}

}  // namespace

// ================================================================ the oracle

struct SessionOracle::Impl {
  explicit Impl(const m::SessionConfig& config) : cfg(config) {}

  const m::SessionConfig cfg;

  bool started = false;
  bool terminal = false;

  // The connection, as the effects and events describe it.
  Conn conn = Conn::none;
  bool confirmed = false;  // bytes arrived since opening (or no confirmation needed)
  bool delivered_since_open = false;
  bool attempt_fresh = false;  // this attempt was made with credentials refreshed after a 401
  m::Instant attempt_at{};
  m::Instant opened_at{};
  m::Instant last_rx_at{};
  std::uint64_t failures = 0;  // consecutive failed attempts before the current / next attempt

  bool refreshing = false;  // a RefreshAuth{rejected} is out
  m::Instant refresh_at{};
  std::optional<m::Instant> expires_at;
  m::Instant credentials_at{};  // when the current credentials arrived
  // One refresh out at a time, whatever its cause, until it answers (a
  // timeout gives up waiting, the call stays out); answers name it.
  std::uint32_t refresh_out = 0;   // 0: none
  std::uint32_t refresh_last = 0;  // the newest request number

  // Backoff in progress (reported by a backing_off status).
  bool backing_off = false;
  std::uint64_t backoff_failures = 0;
  m::Reason backoff_reason = m::Reason::none;
  m::Instant backoff_from{};        // when the failure happened
  std::int64_t backoff_lower_ms = 0;  // the least delay the policy allows
  m::Instant backoff_until{};       // the reported next attempt time
  bool backoff_cut = false;         // NetworkRestored shortened it
  m::Instant outage_since{};        // since the stream was last healthy
  std::int64_t sse_hint_ms = 0;     // last SSE `retry:` seen (0: none)
  // Exact token bucket, in milliseconds of refill (one token = refill_ms_per_token).
  std::int64_t budget = 0;
  m::Instant budget_at{};

  // Deliveries.
  std::uint64_t delivered = 0;
  std::optional<std::uint64_t> last_seq;
  m::Cursor position;          // where a reconnect resumes
  bool position_is_start = true;  // still the configured start (nothing loaded or delivered)
  struct After {
    m::Cursor cursor;
    bool is_start;
  };
  std::vector<After> position_after;  // [delivery id] -> position after it; [0] initial
  Override override_from = Override::none;
  Override override_ambiguous = Override::none;  // a position-less delivery after a resync
  bool gap_open = false;  // a cursor_too_old gap not yet followed by a sequenced delivery
  std::optional<std::uint64_t> gap_open_from;

  // Checkpoints.
  std::uint64_t committable = 0;
  std::vector<std::optional<m::Cursor>> commit_cursor;  // on_ack: [id] -> cursor of the committing ack
  std::uint64_t requested = 0;  // highest save asked for and not since failed
  std::uint64_t durable = 0;
  bool save_while_saving = false;  // this step asked a save while one was in flight
  std::uint64_t last_save = 0;
  bool save_failed_since_save = false;
  // After a failed save: how many in a row, and the earliest instant the
  // policy allows the retry (min * 2^(n-1), capped), computed here.
  std::uint64_t save_failures_in_row = 0;
  std::optional<m::Instant> save_retry_not_before;
  bool early_save = false;  // this step saved before save_retry_not_before
  std::optional<m::Instant> unsaved_since;
  std::optional<m::Cursor> saved_floor;  // loaded checkpoint, then every saved cursor

  m::Status reported{};

  // ------------------------------------------------------------ policy formulas

  const m::BackoffPolicy& bp() const { return cfg.backoff; }
  bool budget_on() const { return cfg.budget.tokens_max > 0; }
  std::int64_t budget_cap() const {
    return mul_sat(static_cast<std::int64_t>(cfg.budget.tokens_max), cfg.budget.refill_ms_per_token);
  }

  // c(n) = min(delay_ms_max, delay_ms_initial * multiplier^(n-1)), computed in long
  // double, widened by a millisecond either side for the reducer's rounding.
  Range ceiling(std::uint64_t n) const {
    const std::int64_t cap = bp().delay_ms_max;
    const long double exact = static_cast<long double>(bp().delay_ms_initial) *
                              std::pow(static_cast<long double>(bp().multiplier),
                                       static_cast<long double>(n - 1));
    const auto cap_ld = static_cast<long double>(cap);
    if (!(exact < cap_ld)) return {exact < cap_ld + 1.0L ? cap - 1 : cap, cap};
    const auto whole = static_cast<std::int64_t>(std::floor(exact));
    return {std::max<std::int64_t>(0, whole - 1), std::min(cap, whole + 1)};
  }
  // Jitter bounds for failure n >= 1: the one rule, model::jitter_envelope (its
  // table is pinned by tests/model/backoff.cpp); the envelope, as the previous
  // draw decorrelated jitter depends on is taken before the floors, unseen here.
  Range jitter(std::uint64_t n) const {
    const m::DelayBounds j =
        m::jitter_envelope(bp(), static_cast<std::uint32_t>(std::min<std::uint64_t>(n, kFailuresMax)));
    return {j.delay_ms_min, j.delay_ms_max};
  }
  // Server hints: Retry-After (429/503) and the last SSE retry, clamped to hint_ms_max.
  std::int64_t hint_floor(const std::optional<std::int64_t>& retry_after_ms) const {
    std::int64_t hint = 0;
    if (bp().honour_retry_after && retry_after_ms) hint = std::max(hint, *retry_after_ms);
    if (bp().honour_sse_retry) hint = std::max(hint, sse_hint_ms);
    return std::min(hint, bp().hint_ms_max);
  }
  Range connect_timeout() const {
    const std::int64_t t = cfg.connect.timeout_ms;
    if (!cfg.connect.timeout_tracks_backoff) return {t, t};
    const Range c = ceiling(inc_failures(failures));
    return {std::max(t, c.lo), std::max(t, c.hi)};
  }
  std::int64_t heartbeat_budget_ms() const {
    const m::HeartbeatPolicy& h = *cfg.heartbeat;
    return std::max(mul_sat(h.interval_ms, h.interval_multiple), add_sat(h.interval_ms, h.slack_ms));
  }
  bool is_short(m::Instant now) const { return ms_between(opened_at, now) < bp().short_session_ms; }
  bool healthy(m::Instant now) const {
    if (!confirmed) return false;
    if (bp().reset_on == m::ResetOn::first_frame) return delivered_since_open;
    return ms_between(opened_at, now) >= bp().stable_ms;
  }
  std::optional<m::Reason> give_up_reason(std::uint64_t n, m::Instant now) const {
    if (cfg.give_up.attempts_max > 0 && n >= cfg.give_up.attempts_max) return m::Reason::attempts_exhausted;
    if (cfg.give_up.outage_ms_max > 0 && ms_between(outage_since, now) >= cfg.give_up.outage_ms_max)
      return m::Reason::outage_too_long;
    return std::nullopt;
  }
  void refill(m::Instant now) {
    budget = std::min(budget_cap(), add_sat(budget, std::max<std::int64_t>(0, ms_between(budget_at, now))));
    budget_at = now;
  }

  // ------------------------------------------------------------ expectations

  void expect_failure(Ctx& ctx, Failure f) {
    if (f.n > 0) f.give_up = give_up_reason(f.n, ctx.now);
    ctx.failure = f;
  }
  void expect_terminal(Ctx& ctx, TermKind kind, m::Reason reason) { ctx.terminal = Terminal{kind, reason}; }

  // An open, confirmed stream ended: healthy long sessions start counting afresh;
  // a session shorter than short_session_ms never resets the count.
  void end_stream(Ctx& ctx, m::Reason reason, bool clean) {
    const bool short_session = is_short(ctx.now);
    if (healthy(ctx.now) && !short_session) {
      outage_since = ctx.now;
      expect_failure(ctx, Failure{reason, clean ? 0U : 1U});
      return;
    }
    expect_failure(ctx, Failure{reason, inc_failures(failures), short_session});
  }
  // The attempt or connection that just ended: how many failures, and is it short?
  Failure attempt_failure(m::Reason reason, m::Instant now) const {
    const bool short_session = conn == Conn::open && is_short(now);
    return Failure{reason, inc_failures(failures), short_session};
  }
  void cursor_too_old(Ctx& ctx, Failure f) {
    ctx.too_old = true;
    ctx.must_close = true;
    switch (cfg.resume.too_old) {
      case m::TooOldPolicy::fail: expect_terminal(ctx, TermKind::failed, m::Reason::cursor_too_old); return;
      case m::TooOldPolicy::resync_from_oldest: override_from = Override::oldest; break;
      case m::TooOldPolicy::resume_from_live: override_from = Override::live; break;
    }
    override_ambiguous = Override::none;
    f.reason = m::Reason::cursor_resync;
    expect_failure(ctx, f);
  }
  void refresh_failed(Ctx& ctx) {
    refreshing = false;
    if (cfg.auth.on_refresh_failure == m::RefreshFailure::terminal) {
      expect_terminal(ctx, TermKind::failed, m::Reason::auth_refresh_failed);
    } else {
      expect_failure(ctx, Failure{m::Reason::auth_refresh_failed, inc_failures(failures)});
    }
  }
  void commit(std::uint64_t id, const m::Cursor& cursor, m::Instant now) {
    if (id <= committable) return;
    committable = id;
    if (commit_cursor.size() <= id) commit_cursor.resize(id + 1);
    commit_cursor[id] = cursor;
    if (!unsaved_since) unsaved_since = now;
  }

  void plan(const m::Event& event, const m::State& before, Ctx& ctx) {
    std::visit(Overload{
                   [&](const m::Started& e) { plan_started(e, ctx); },
                   [&](const m::StopRequested&) {
                     expect_terminal(ctx, TermKind::stopped, m::Reason::stop_requested);
                     ctx.must_close = conn != Conn::none;
                   },
                   [&](const m::Tick&) { plan_tick(before, ctx); },
                   [&](const m::ConnectionOpened&) {
                     ctx.allowed = bit<m::ReportStatus>();
                     if (conn != Conn::attempting) {
                       ctx.quiet = true;
                       return;
                     }
                     conn = Conn::open;
                     opened_at = ctx.now;
                     last_rx_at = ctx.now;
                     confirmed = cfg.connect.confirm_timeout_ms == 0;
                     delivered_since_open = false;
                   },
                   [&](const m::ConnectionClosed& e) { plan_closed(e, ctx); },
                   [&](const m::ServerRejected& e) { plan_rejected(e, ctx); },
                   [&](const m::BytesReceived&) {
                     ctx.allowed = bit<m::ReportStatus>();
                     if (conn != Conn::open) {
                       ctx.quiet = true;
                       return;
                     }
                     confirmed = true;
                     last_rx_at = ctx.now;
                   },
                   [&](const m::FrameReceived& e) { plan_frame(e, ctx); },
                   [&](const m::CursorExpired&) { plan_expired(ctx); },
                   [&](const m::ReplayFinished&) {
                     if (cfg.resume.mode != m::StreamMode::replay_only || !started) {
                       ctx.quiet = true;
                       return;
                     }
                     expect_terminal(ctx, TermKind::stopped, m::Reason::replay_complete);
                     ctx.must_close = conn != Conn::none;
                   },
                   [&](const m::DeliveryAcked& e) {
                     ctx.allowed = bit<m::SaveCheckpoint>();
                     if (cfg.resume.commit != m::CommitPolicy::on_ack || e.delivery_id == 0 ||
                         e.delivery_id > delivered) {
                       ctx.quiet = true;
                       return;
                     }
                     commit(e.delivery_id, e.cursor, ctx.now);
                   },
                   [&](const m::AuthRefreshed& e) {
                     // The driver holds these credentials, whatever they answer.
                     expires_at = e.expires_at;
                     credentials_at = ctx.now;
                     ctx.quiet = true;
                     if (!answers_refresh_out(e.request)) return;  // stale: credentials only
                     refresh_out = 0;
                     if (refreshing) {
                       ctx.quiet = false;
                       ctx.connect = ConnectKind::refresh;
                     } else if (backing_off && backoff_reason == m::Reason::auth_refresh_failed) {
                       // Late: the answer of the refresh whose timeout entered this backoff.
                       ctx.quiet = false;
                       if (const auto why = give_up_reason(backoff_failures, ctx.now)) {
                         expect_terminal(ctx, TermKind::gave_up, *why);
                       } else {
                         ctx.connect = ConnectKind::late_refresh;
                       }
                     }
                   },
                   [&](const m::AuthRefreshFailed& e) {
                     if (!answers_refresh_out(e.request)) {
                       ctx.quiet = true;
                       return;
                     }
                     refresh_out = 0;
                     if (!refreshing) {
                       expires_at.reset();
                       ctx.quiet = true;
                       return;
                     }
                     refresh_failed(ctx);
                   },
                   [&](const m::CheckpointSaved& e) {
                     ctx.quiet = true;
                     if (e.delivery_id <= requested && e.delivery_id > durable) {
                       durable = e.delivery_id;
                       // The next save takes the commits that waited for this
                       // one (or for a healed disk).
                       ctx.quiet = false;
                       ctx.allowed = bit<m::SaveCheckpoint>();
                       save_failures_in_row = 0;
                     }
                   },
                   [&](const m::CheckpointSaveFailed& e) {
                     ctx.allowed = bit<m::SaveCheckpoint>();
                     // Only a failure of the newest request needs a retry.
                     if (e.delivery_id <= durable || e.delivery_id != requested) {
                       ctx.quiet = true;
                       return;
                     }
                     requested = durable;
                     save_failed_since_save = true;
                     if (!unsaved_since) unsaved_since = ctx.now;
                     save_failures_in_row = inc_failures(save_failures_in_row);
                     std::int64_t wait_ms = cfg.resume.checkpoint_retry_ms_min;
                     for (std::uint64_t i = 1; i < save_failures_in_row; ++i)
                       wait_ms = std::min(mul_sat(wait_ms, 2), cfg.resume.checkpoint_retry_ms_max);
                     save_retry_not_before = m::Instant{add_sat(ctx.now.ms, std::min(wait_ms, cfg.resume.checkpoint_retry_ms_max))};
                   },
                   [&](const m::NetworkRestored&) {
                     if (!backing_off) {
                       ctx.quiet = true;
                       return;
                     }
                     // Past the give-up limit a restore ends the session at once.
                     if (backoff_failures > 0) {
                       if (const auto why = give_up_reason(backoff_failures, ctx.now)) {
                         expect_terminal(ctx, TermKind::gave_up, *why);
                         return;
                       }
                     }
                     ctx.restore = true;
                     ctx.allowed = bit<m::ReportStatus>() | bit<m::Connect>();
                   },
               },
               event);
  }

  void plan_started(const m::Started& e, Ctx& ctx) {
    if (started) {
      ctx.quiet = true;
      return;
    }
    started = true;
    outage_since = ctx.now;
    budget = budget_cap();
    budget_at = ctx.now;
    const bool loaded = e.checkpoint && e.checkpoint->kind != m::CursorKind::none;
    position = loaded ? *e.checkpoint : cfg.resume.start;
    position_is_start = !loaded;
    if (loaded) saved_floor = *e.checkpoint;
    if (position.has_sequence) last_seq = position.sequence;
    position_after.assign(1, After{position, position_is_start});
    commit_cursor.assign(1, std::nullopt);
    expires_at = e.token_expires_at;
    credentials_at = ctx.now;
    ctx.connect = ConnectKind::start;
  }

  void plan_tick(const m::State& before, Ctx& ctx) {
    const std::optional<m::Instant> due = m::next_deadline(before);
    ctx.early_tick = !due || ctx.now < *due;
    if (conn == Conn::attempting) {
      const Range t = connect_timeout();
      const std::int64_t waited = ms_between(attempt_at, ctx.now);
      if (waited >= t.lo) {
        expect_failure(ctx, attempt_failure(m::Reason::connect_timeout, ctx.now));
        ctx.failure_optional = waited < t.hi;
        ctx.must_close = true;
      }
    } else if (conn == Conn::open && !confirmed) {
      if (ms_between(opened_at, ctx.now) >= cfg.connect.confirm_timeout_ms) {
        expect_failure(ctx, attempt_failure(m::Reason::confirm_timeout, ctx.now));
        ctx.must_close = true;
      }
    } else if (conn == Conn::open) {
      // Due refresh_ahead_ms before expiry, but not before half the lifetime.
      ctx.expiring_refresh_ok = cfg.auth.has_provider && expires_at &&
                                ms_between(ctx.now, *expires_at) <= cfg.auth.refresh_ahead_ms &&
                                ctx.now.ms >= credentials_at.ms / 2 + expires_at->ms / 2;
      if (cfg.heartbeat && ms_between(last_rx_at, ctx.now) >= heartbeat_budget_ms()) {
        end_stream(ctx, m::Reason::heartbeat_timeout, false);
        ctx.must_close = true;
      }
    } else if (refreshing) {
      if (ms_between(refresh_at, ctx.now) >= cfg.auth.refresh_timeout_ms) refresh_failed(ctx);  // still out
    } else if (backing_off && ctx.now >= backoff_until) {
      const auto why = backoff_failures > 0 ? give_up_reason(backoff_failures, ctx.now) : std::nullopt;
      if (why) {
        expect_terminal(ctx, TermKind::gave_up, *why);
      } else {
        ctx.backoff_due = true;
      }
    }
  }

  void plan_closed(const m::ConnectionClosed& e, Ctx& ctx) {
    if (conn == Conn::none) {
      ctx.quiet = true;
      return;
    }
    const m::Reason reason = reason_of_close(e.cause);
    if (e.cause == m::CloseCause::unrecoverable) {
      expect_terminal(ctx, TermKind::failed, m::Reason::unrecoverable);
    } else if (conn == Conn::open && confirmed) {
      end_stream(ctx, reason, e.cause == m::CloseCause::clean_close);
    } else {
      expect_failure(ctx, attempt_failure(reason, ctx.now));
    }
    conn = Conn::none;  // the event itself says the connection is gone
  }

  void plan_rejected(const m::ServerRejected& e, Ctx& ctx) {
    // A status answers an attempt: connecting, or open but not yet confirmed.
    if (!(conn == Conn::attempting || (conn == Conn::open && !confirmed))) {
      ctx.quiet = true;
      return;
    }
    ctx.must_close = true;
    const std::uint16_t status = e.http_status;
    if (status == 401) {
      if (!cfg.auth.has_provider) {
        expect_terminal(ctx, TermKind::failed, m::Reason::unauthorized);
      } else if (attempt_fresh) {
        expect_terminal(ctx, TermKind::failed, m::Reason::rejected_after_refresh);
      } else {
        ctx.refresh_rejected = true;
      }
      return;
    }
    Failure f = attempt_failure(m::Reason::server_error, ctx.now);
    if (status == 410) return cursor_too_old(ctx, f);
    f.http_status = status;
    if (status == 429 || status == 503) {
      f.reason = m::Reason::rate_limited;
      f.retry_after_ms = e.retry_after_ms;
      return expect_failure(ctx, f);
    }
    if (status >= 500 && status <= 599) return expect_failure(ctx, f);
    expect_terminal(ctx, TermKind::failed, m::Reason::http_status);
  }

  void plan_frame(const m::FrameReceived& e, Ctx& ctx) {
    ctx.frame = &e;
    if (conn != Conn::open) {
      ctx.allowed = bit<m::DiscardFrame>();
      return;
    }
    ctx.frame_open = true;
    ctx.allowed = bit<m::ReportStatus>() | bit<m::ReportGap>() | bit<m::SaveCheckpoint>() |
                  bit<m::Deliver>() | bit<m::DiscardFrame>();
    confirmed = true;
    last_rx_at = ctx.now;
    if (e.retry_ms && *e.retry_ms >= 0) sse_hint_ms = *e.retry_ms;
    const bool duplicate = e.sequence && last_seq && *e.sequence <= *last_seq;
    // on_next_delivery: this arrival proves the previous delivery was handled.
    if (!duplicate && cfg.resume.commit == m::CommitPolicy::on_next_delivery && delivered > 0)
      commit(delivered, position_after[delivered].cursor, ctx.now);
  }

  void plan_expired(Ctx& ctx) {
    if (conn == Conn::none) {
      ctx.quiet = true;
      return;
    }
    if (conn == Conn::open && confirmed) {
      const bool short_session = is_short(ctx.now);
      if (healthy(ctx.now) && !short_session) {
        outage_since = ctx.now;
        return cursor_too_old(ctx, Failure{m::Reason::cursor_resync, 1});
      }
      return cursor_too_old(ctx, Failure{m::Reason::cursor_resync, inc_failures(failures), short_session});
    }
    cursor_too_old(ctx, attempt_failure(m::Reason::cursor_resync, ctx.now));
  }

  // ------------------------------------------------------------ effects, in order

  void walk(const m::Effects& effects, Ctx& ctx) {
    for (const m::Effect& effect : effects) {
      const auto b = 1U << effect.index();
      if ((ctx.allowed & b) == 0)
        broken("unexpected " + describe(effect) + " for this event");
      std::visit(Overload{
                     [&](const m::Connect& c) { on_connect(c, ctx); },
                     [&](const m::CloseConnection&) {
                       ++ctx.closes;
                       conn = Conn::none;
                     },
                     [&](const m::Deliver& d) { on_deliver(d, ctx); },
                     [&](const m::DiscardFrame& d) { on_discard(d, ctx); },
                     [&](const m::ReportGap& g) { on_gap(g, ctx); },
                     [&](const m::SaveCheckpoint& s) { on_save(s, ctx.now); },
                     [&](const m::RefreshAuth& r) {
                       number_refresh(r);
                       on_refresh(r, ctx);
                     },
                     [&](const m::ReportStatus& r) { on_status(r.status, ctx); },
                 },
                 effect);
    }
  }

  void on_connect(const m::Connect& c, Ctx& ctx) {
    if (ctx.terminal) broken("Connect in a step that ends the session");
    if (conn != Conn::none) broken("Connect while a connection is still open");
    std::uint64_t expected = 0;
    bool after_failure = false;
    if (ctx.connect == ConnectKind::start) {
      expected = 1;
    } else if (ctx.connect == ConnectKind::refresh) {
      expected = inc_failures(failures);
    } else if (ctx.connect == ConnectKind::late_refresh) {
      expected = inc_failures(backoff_failures);  // the backoff's count, as after it
    } else if (backing_off && (ctx.backoff_due || ctx.restore || ctx.backed_off)) {
      if (ctx.now < backoff_until) broken("Connect before the reported next attempt time");
      if (!backoff_cut && ms_between(backoff_from, ctx.now) < backoff_lower_ms) {
        broken("attempt " + std::to_string(ms_between(backoff_from, ctx.now)) +
               " ms after the failure; the policy requires at least " + std::to_string(backoff_lower_ms) +
               " ms");
      }
      expected = inc_failures(backoff_failures);
      after_failure = backoff_failures > 0;
    } else {
      broken("Connect without a reason (not started, not refreshed, not after a backoff)");
    }
    if (c.attempt != expected)
      broken("Connect.attempt is " + std::to_string(c.attempt) + ", expected " + std::to_string(expected));
    check_resume(c);
    if (after_failure && budget_on()) {
      refill(ctx.now);
      if (budget < cfg.budget.refill_ms_per_token)
        broken("attempt after a failure without a whole retry-budget token (" + std::to_string(budget) +
               " of " + std::to_string(cfg.budget.refill_ms_per_token) + " ms of refill)");
      budget -= cfg.budget.refill_ms_per_token;
    }
    conn = Conn::attempting;
    attempt_at = ctx.now;
    failures = expected - 1;
    attempt_fresh = ctx.connect == ConnectKind::refresh || ctx.connect == ConnectKind::late_refresh;
    backing_off = false;
    refreshing = false;
    ctx.connected = true;
  }

  void check_resume(const m::Connect& c) const {
    const auto by_position = [&] {
      if (position.kind == m::CursorKind::none) return c.from == m::ResumeFrom::server_default;
      return c.from == m::ResumeFrom::cursor && c.cursor == position;
    };
    const auto by_override = [&](Override o) {
      return c.from == (o == Override::oldest ? m::ResumeFrom::oldest : m::ResumeFrom::live);
    };
    bool ok = false;
    if (override_from != Override::none) {
      ok = by_override(override_from);
    } else if (override_ambiguous != Override::none) {
      ok = by_override(override_ambiguous) || by_position();
    } else {
      ok = by_position();
    }
    if (!ok) {
      std::string want;
      append(want, position);
      broken("Connect resumes from " + std::string(m::name_of(c.from)) + " " + describe(c.cursor) +
             "; expected the last delivered position " + want +
             (override_from != Override::none ? " (or the resync override)" : ""));
    }
  }

  void on_deliver(const m::Deliver& d, Ctx& ctx) {
    if (!ctx.frame || !ctx.frame_open) broken("Deliver without a frame on an open stream");
    if (ctx.releases++ > 0) broken("a frame released twice");
    const m::FrameReceived& f = *ctx.frame;
    if (d.frame_ref != f.frame_ref || d.sequence != f.sequence) broken("Deliver does not match its frame");
    if (d.delivery_id != delivered + 1)
      broken("delivery id " + std::to_string(d.delivery_id) + " after " + std::to_string(delivered));
    if (f.sequence && last_seq) {
      const std::uint64_t s = *f.sequence;
      const std::uint64_t last = *last_seq;
      if (s <= last) broken("duplicate delivered: sequence " + std::to_string(s) + " after " + std::to_string(last));
      if (s > last + 1 && cfg.resume.gaps == m::GapDetection::strict) {
        const bool told = ctx.pending_gap && ctx.pending_gap->from == last + 1 && ctx.pending_gap->to == s - 1;
        const bool resync = gap_open && (!gap_open_from || *gap_open_from <= last + 1);
        if (!told && !resync)
          broken("silent gap: sequence " + std::to_string(s) + " delivered after " + std::to_string(last) +
                 " without a ReportGap for [" + std::to_string(last + 1) + ", " + std::to_string(s - 1) + "]");
      }
    }
    if (ctx.pending_gap) {
      const bool matches = f.sequence && last_seq && ctx.pending_gap->from == *last_seq + 1 &&
                           ctx.pending_gap->to == *f.sequence - 1;
      if (!matches) broken("reported gap does not match the jump it precedes");
      ctx.pending_gap.reset();
    }
    delivered = d.delivery_id;
    if (f.sequence) {
      last_seq = f.sequence;
      gap_open = false;
    }
    if (f.id || f.sequence) {
      // An empty id is a reset (WHATWG): the position keeps only the sequence.
      const bool token = f.id && !f.id->empty();
      position = token ? (f.sequence ? m::Cursor::at_token(*f.id, *f.sequence) : m::Cursor::at_token(*f.id))
                 : f.sequence ? m::Cursor::at_sequence(*f.sequence)
                              : m::Cursor{};
      position_is_start = false;
      override_from = Override::none;
      override_ambiguous = Override::none;
    } else if (override_from != Override::none) {
      override_ambiguous = override_from;  // resume from there again, or from the position: both fine
      override_from = Override::none;
    }
    position_after.push_back(After{position, position_is_start});
    delivered_since_open = true;
  }

  void on_discard(const m::DiscardFrame& d, Ctx& ctx) {
    if (!ctx.frame) broken("DiscardFrame without a frame");
    if (ctx.releases++ > 0) broken("a frame released twice");
    const m::FrameReceived& f = *ctx.frame;
    if (d.frame_ref != f.frame_ref || d.sequence != f.sequence) broken("DiscardFrame does not match its frame");
    if (!ctx.frame_open) {
      if (d.reason != m::DiscardReason::not_streaming) broken("frame on no open stream discarded as duplicate");
      return;
    }
    if (d.reason != m::DiscardReason::duplicate) broken("frame on an open stream discarded as not_streaming");
    if (!(f.sequence && last_seq && *f.sequence <= *last_seq))
      broken("a new frame (not a duplicate) was discarded: an event lost without a gap report");
  }

  void on_gap(const m::ReportGap& g, Ctx& ctx) {
    if (g.cause == m::GapCause::missing) {
      if (cfg.resume.gaps != m::GapDetection::strict) broken("missing-gap report under relaxed gap detection");
      if (!ctx.frame_open || ctx.pending_gap) broken("missing-gap report without a frame to deliver");
      ctx.pending_gap = Gap{g.from_sequence, g.to_sequence};
      return;
    }
    if (!ctx.too_old || ctx.too_old_reported) broken("cursor_too_old gap without an expired cursor");
    ctx.too_old_reported = true;
    if (g.from_sequence && last_seq && *g.from_sequence > *last_seq + 1)
      broken("cursor_too_old gap starts after the last known sequence + 1");
    if (!g.to_sequence) {
      gap_open = true;
      gap_open_from = g.from_sequence;
    }
  }

  void on_save(const m::SaveCheckpoint& s, m::Instant now) {
    const std::uint64_t id = s.delivery_id;
    if (save_retry_not_before && now < *save_retry_not_before) early_save = true;
    save_retry_not_before.reset();
    if (id == 0 || id > committable)
      broken("checkpoint of delivery " + std::to_string(id) + " ahead of the commit policy (committable: " +
             std::to_string(committable) + ")");
    m::Cursor expected;
    if (cfg.resume.commit == m::CommitPolicy::on_ack) {
      if (id >= commit_cursor.size() || !commit_cursor[id])
        broken("checkpoint of delivery " + std::to_string(id) + ", which no ack committed");
      expected = *commit_cursor[id];
    } else {
      expected = position_after[id].cursor;
    }
    // On restart an empty checkpoint falls back to the configured start, so while
    // the position still is that start, saving "none" is the same checkpoint.
    const bool equivalent = cfg.resume.commit == m::CommitPolicy::on_next_delivery &&
                            position_after[id].is_start && s.cursor.kind == m::CursorKind::none;
    if (!(s.cursor == expected) && !equivalent)
      broken("checkpoint of delivery " + std::to_string(id) + " saves cursor " + describe(s.cursor) +
             ", but that delivery's cursor is " + describe(expected));
    if (id < last_save || (id == last_save && !save_failed_since_save))
      broken("checkpoint moved backwards or repeated: " + std::to_string(id) + " after " +
             std::to_string(last_save));
    if (id < durable) broken("re-requested checkpoint older than the durable one");
    if (requested > durable) save_while_saving = true;  // allowed for the final flush only
    if (saved_floor) {
      if (saved_floor->kind != m::CursorKind::none && s.cursor.kind == m::CursorKind::none)
        broken("checkpoint regressed to an empty cursor after " + describe(*saved_floor));
      if (saved_floor->has_sequence && s.cursor.has_sequence && s.cursor.sequence < saved_floor->sequence)
        broken("checkpoint sequence moved backwards: " + describe(s.cursor) + " after " + describe(*saved_floor));
    }
    last_save = id;
    requested = std::max(requested, id);
    save_failed_since_save = false;
    if (id >= committable) unsaved_since.reset();
    if (s.cursor.kind != m::CursorKind::none) saved_floor = s.cursor;
  }

  void on_refresh(const m::RefreshAuth& r, Ctx& ctx) {
    if (!cfg.auth.has_provider) broken("RefreshAuth without an auth provider");
    if (r.cause == m::RefreshCause::rejected) {
      if (!ctx.refresh_rejected) broken("RefreshAuth{rejected} without a 401 that allows one");
      if (ctx.rejected_refreshes++ > 0) broken("two refreshes for one rejected attempt");
      return;
    }
    if (!ctx.expiring_refresh_ok) broken("proactive RefreshAuth before the token's refresh-ahead window");
  }
  // Every RefreshAuth: none while one is out (even one given up at its
  // timeout), numbered 1, 2, 3, ...
  void number_refresh(const m::RefreshAuth& r) {
    if (refresh_out != 0)
      broken("RefreshAuth #" + std::to_string(r.request) + " while #" + std::to_string(refresh_out) + " is out");
    const std::uint32_t want = refresh_last == UINT32_MAX ? 1 : refresh_last + 1;
    if (r.request != want)
      broken("RefreshAuth numbered " + std::to_string(r.request) + ", expected " + std::to_string(want));
    refresh_out = refresh_last = r.request;
  }
  bool answers_refresh_out(std::uint32_t request) const {
    return refresh_out != 0 && (request == 0 || request == refresh_out);
  }

  void on_status(const m::Status& st, Ctx& ctx) {
    if (st.kind == m::StatusKind::backing_off) {
      if (ctx.failure && !ctx.backed_off) {
        check_backoff(st, ctx);
      } else if (ctx.restore && backing_off && !ctx.restore_reported) {
        check_restore(st, ctx);
      } else {
        broken("backing_off status without a failure");
      }
    }
    reported = st;
  }

  void check_backoff(const m::Status& st, Ctx& ctx) {
    const Failure& f = *ctx.failure;
    if (f.give_up)
      broken("backed off although the give-up policy says " + std::string(m::name_of(*f.give_up)));
    ctx.backed_off = true;
    if (st.failures != f.n)
      broken("failure count " + std::to_string(st.failures) + ", expected " + std::to_string(f.n) +
             (f.short_session ? " (a short session never resets the count)" : ""));
    if (st.reason != f.reason)
      broken("backoff reason " + std::string(m::name_of(st.reason)) + ", expected " +
             std::string(m::name_of(f.reason)));
    if (f.http_status != 0 && st.http_status != f.http_status) broken("backoff status lost the HTTP status");
    const std::int64_t delay = ms_between(ctx.now, st.next_attempt_at);
    const std::int64_t hint = hint_floor(f.retry_after_ms);
    std::int64_t lower = 0;
    std::int64_t upper = 0;
    if (f.n == 0) {
      lower = upper = std::max(bp().clean_close_delay_ms, hint);
    } else {
      // The one floor rule (backoff.hpp: floored): a floor moves the jitter's
      // spread above it, never flattens it.
      const Range j = jitter(f.n);
      const std::int64_t floor = std::max(f.short_session ? bp().short_session_delay_ms_min : 0, hint);
      const m::DelayBounds b = m::floored(m::DelayBounds{j.lo, j.hi}, floor);
      lower = b.delay_ms_min;
      upper = b.delay_ms_max;
    }
    // after() saturates far in the future: compare against the saturated bound.
    lower = std::min(lower, ms_between(ctx.now, m::after(ctx.now, lower)));
    upper = std::min(upper, ms_between(ctx.now, m::after(ctx.now, upper)));
    const bool budget_may_delay = f.n > 0 && budget_on();
    if (delay < lower || (!budget_may_delay && delay > upper)) {
      broken("backoff delay " + std::to_string(delay) + " ms for failure " + std::to_string(f.n) + " outside [" +
             std::to_string(lower) + ", " + (budget_may_delay ? std::string("budget") : std::to_string(upper)) +
             "]" + (f.short_session ? " (short session)" : "") + " hint floor " + std::to_string(hint));
    }
    backing_off = true;
    backoff_failures = f.n;
    backoff_reason = f.reason;
    backoff_from = ctx.now;
    backoff_lower_ms = lower;
    backoff_until = st.next_attempt_at;
    backoff_cut = false;
    failures = f.n;
  }

  void check_restore(const m::Status& st, Ctx& ctx) {
    ctx.restore_reported = true;
    if (st.failures != backoff_failures || st.reason != backoff_reason)
      broken("network restored changed the backoff's failure count or reason");
    const m::Instant until = st.next_attempt_at;
    if (until < ctx.now) broken("network restored moved the next attempt into the past");
    if (until > std::max(backoff_until, ctx.now))
      broken("network restored postponed the next attempt from " + std::to_string(backoff_until.ms) + " to " +
             std::to_string(until.ms));
    if (!budget_on() && ms_between(ctx.now, until) > bp().restored_delay_ms_max)
      broken("network restored left the next attempt more than restored_delay_ms_max away");
    backoff_until = until;
    backoff_cut = true;
  }

  // ------------------------------------------------------------ after the effects

  void settle(const m::Event& event, const m::Step& step, Ctx& ctx) {
    const m::Phase& phase = step.state.phase;
    const bool now_terminal = phase_is_terminal(phase);
    if (ctx.quiet && !step.effects.empty()) broken("an event the session must ignore had effects");
    if (ctx.early_tick && !step.effects.empty()) broken("a Tick before next_deadline() had effects");
    if (step.effects.size() >= m::effects_max) broken("effects filled to capacity: some may have been dropped");

    // The failure this event caused, if any.
    bool happened = true;
    if (ctx.failure) {
      const Failure& f = *ctx.failure;
      if (ctx.failure_optional && !ctx.backed_off && !now_terminal) happened = false;
      if (!happened) {
        // The connect deadline fell inside the rounding tolerance and did not fire.
      } else if (f.give_up) {
        if (!std::holds_alternative<m::GaveUp>(phase) ||
            std::get<m::GaveUp>(phase).reason != *f.give_up)
          broken("failure " + std::to_string(f.n) + " should give up (" + std::string(m::name_of(*f.give_up)) +
                 "), phase is " + std::string(m::name_of(phase)));
      } else if (!ctx.backed_off && !ctx.terminal) {
        broken("a failure (" + std::string(m::name_of(f.reason)) + ") did not back off; phase is " +
               std::string(m::name_of(phase)));
      }
    }
    if (ctx.terminal) check_terminal(*ctx.terminal, phase);
    if (ctx.refresh_rejected) {
      // A refresh already out (proactive, or timed out unanswered) answers the 401: no second one.
      const int wanted = ctx.refresh_was_out ? 0 : 1;
      if (ctx.rejected_refreshes != wanted || !std::holds_alternative<m::RefreshingAuth>(phase))
        broken(ctx.refresh_was_out ? "a 401 while a refresh is out must wait for it (RefreshingAuth), not ask again"
                                : "a 401 with an auth provider must refresh once and wait (RefreshingAuth)");
      refreshing = true;
      refresh_at = ctx.now;
    }
    if (ctx.must_close && happened && ctx.closes == 0) broken("the connection was not closed");
    if (ctx.frame && ctx.releases != 1) broken("a frame was neither delivered nor discarded");
    if (ctx.too_old && !ctx.too_old_reported && happened) broken("cursor too old without a gap report");
    if (ctx.pending_gap) broken("a gap was reported without the delivery it precedes");
    if ((ctx.connect != ConnectKind::none || ctx.backoff_due) && !ctx.connected)
      broken("no Connect although one is due");
    if (ctx.restore && !ctx.restore_reported && !ctx.connected && !budget_on() &&
        ms_between(ctx.now, backoff_until) > bp().restored_delay_ms_max)
      broken("network restored did not cut the backoff");

    if (save_while_saving && !now_terminal)
      broken("a checkpoint save was asked while another is in flight (a slow store would queue writes)");
    save_while_saving = false;
    if (now_terminal) {
      if (!ctx.terminal && !(ctx.failure && ctx.failure->give_up))
        broken("unexpected terminal state " + std::string(m::name_of(phase)));
      if (committable > requested)
        broken("entered " + std::string(m::name_of(phase)) + " without flushing committable delivery " +
               std::to_string(committable) + " (saved up to " + std::to_string(requested) + ")");
      if (conn != Conn::none) broken("entered a terminal state with the connection open");
      terminal = true;
    } else if (early_save) {
      broken("a failed checkpoint save was retried before its backoff (checkpoint_retry_ms_min)");
    } else if (save_retry_not_before || requested > durable) {
      // A failed save waits for its retry, and any save in flight (a retry or
      // a batch) for its outcome; batching resumes after it.
      if (save_retry_not_before && std::holds_alternative<m::Tick>(event) && ctx.now >= *save_retry_not_before)
        broken("a failed checkpoint save was not retried when its backoff ended");
      check_phase(phase);
    } else {
      if (committable > requested && committable - requested >= cfg.resume.checkpoint_every_events)
        broken("checkpoint batching: " + std::to_string(committable - requested) +
               " commits unsaved, limit " + std::to_string(cfg.resume.checkpoint_every_events));
      if (std::holds_alternative<m::Tick>(event) && cfg.resume.checkpoint_every_ms > 0 && unsaved_since &&
          committable > requested && ms_between(*unsaved_since, ctx.now) >= cfg.resume.checkpoint_every_ms)
        broken("checkpoint batching: a commit waited longer than checkpoint_every_ms");
      check_phase(phase);
    }
    check_status(phase);
    if (std::holds_alternative<m::Tick>(event)) check_tick(step, ctx);
  }

  void check_terminal(const Terminal& t, const m::Phase& phase) const {
    const bool kind_ok = (t.kind == TermKind::stopped && std::holds_alternative<m::Stopped>(phase)) ||
                         (t.kind == TermKind::gave_up && std::holds_alternative<m::GaveUp>(phase)) ||
                         (t.kind == TermKind::failed && std::holds_alternative<m::Failed>(phase));
    const m::Reason reason = std::visit(Overload{
                                            [](const m::Stopped& s) { return s.reason; },
                                            [](const m::GaveUp& g) { return g.reason; },
                                            [](const m::Failed& f) { return f.reason; },
                                            [](const auto&) { return m::Reason::none; },
                                        },
                                        phase);
    if (!kind_ok || reason != t.reason)
      broken("expected a terminal state with reason " + std::string(m::name_of(t.reason)) + ", phase is " +
             std::string(m::name_of(phase)) + " (" + std::string(m::name_of(reason)) + ")");
  }

  void check_phase(const m::Phase& phase) const {
    bool ok = false;
    std::string_view want;
    if (!started) {
      ok = std::holds_alternative<m::Idle>(phase);
      want = "Idle";
    } else if (conn == Conn::attempting) {
      ok = std::holds_alternative<m::Connecting>(phase);
      want = "Connecting";
    } else if (conn == Conn::open) {
      ok = confirmed ? std::holds_alternative<m::Streaming>(phase) : std::holds_alternative<m::Confirming>(phase);
      want = confirmed ? "Streaming" : "Confirming";
    } else if (refreshing) {
      ok = std::holds_alternative<m::RefreshingAuth>(phase);
      want = "RefreshingAuth";
    } else if (backing_off) {
      ok = std::holds_alternative<m::BackingOff>(phase);
      want = "BackingOff";
    }
    if (!ok)
      broken("phase is " + std::string(m::name_of(phase)) + ", but the events and effects say " +
             std::string(want.empty() ? "nothing is pending" : want));
  }

  void check_status(const m::Phase& phase) const {
    const m::StatusKind kind = kind_of_phase(phase);
    bool ok = reported.kind == kind;
    if (const auto* b = std::get_if<m::BackingOff>(&phase)) {
      ok = ok && reported.next_attempt_at == b->until && reported.failures == b->failures &&
           reported.reason == b->reason;
    } else if (const auto* s = std::get_if<m::Stopped>(&phase)) {
      ok = ok && reported.reason == s->reason;
    } else if (const auto* g = std::get_if<m::GaveUp>(&phase)) {
      ok = ok && reported.reason == g->reason;
    } else if (const auto* f = std::get_if<m::Failed>(&phase)) {
      ok = ok && reported.reason == f->reason;
    }
    if (!ok)
      broken("last reported " + status_text(reported) + " does not describe phase " +
             std::string(m::name_of(phase)));
  }

  void check_tick(const m::Step& step, const Ctx& ctx) const {
    if (const auto next = m::next_deadline(step.state); next && *next < ctx.now)
      broken("next_deadline() " + std::to_string(next->ms) + " is in the past after a Tick at " +
             std::to_string(ctx.now.ms));
    const m::Step again = m::transition(step.state, m::Tick{ctx.now});
    if (!again.effects.empty()) broken("a second Tick at the same instant had effects: " + describe(again.effects));
  }

  std::optional<std::string> check(const m::Event& event, const m::State& before, const m::Step& step) {
    Ctx ctx;
    early_save = false;
    ctx.event = &event;
    ctx.now = m::time_of(event);
    ctx.refresh_was_out = refresh_out != 0;
    try {
      if (terminal) {
        if (!step.effects.empty()) broken("effects after a terminal state");
        if (step.state.phase.index() != before.phase.index()) broken("left a terminal state");
        return std::nullopt;
      }
      if (phase_is_terminal(before.phase)) broken("the reducer was terminal before the oracle saw it end");
      plan(event, before, ctx);
      walk(step.effects, ctx);
      settle(event, step, ctx);
    } catch (const Broken& b) {
      return b.what;
    }
    return std::nullopt;
  }
};

SessionOracle::SessionOracle(const m::SessionConfig& config) : impl_(std::make_unique<Impl>(config)) {}
SessionOracle::~SessionOracle() = default;
SessionOracle::SessionOracle(SessionOracle&&) noexcept = default;
SessionOracle& SessionOracle::operator=(SessionOracle&&) noexcept = default;

std::optional<std::string> SessionOracle::check(const m::Event& event, const m::State& before,
                                                const m::Step& step) {
  return impl_->check(event, before, step);
}

GuardedStep guarded_transition(m::State state, const m::Event& event) {
  GuardedStep out;
  try {
    out.step = m::transition(std::move(state), event);
  } catch (const std::exception& e) {
    out.exception = e.what();
  } catch (...) {
    out.exception = "an exception not derived from std::exception";
  }
  if (!out.step && out.exception.empty()) out.exception = "unknown";
  return out;
}

// ================================================================ text

void append(std::string& out, const m::Cursor& c) {
  switch (c.kind) {
    case m::CursorKind::none: out += "none"; break;
    case m::CursorKind::sequence:
      out += "seq:";
      put(out, c.sequence);
      break;
    case m::CursorKind::token:
      out += "tok:";
      out.append(c.token.view());
      if (c.has_sequence) {
        out += '/';
        put(out, c.sequence);
      }
      break;
    case m::CursorKind::start_time:
      out += "time:";
      put(out, c.start_time_ms);
      break;
  }
}

void append(std::string& out, const m::Event& event) {
  put(out, m::name_of(event));
  out += '@';
  put(out, m::time_of(event));
  std::visit(Overload{
                 [&](const m::Started& e) {
                   out += "(checkpoint=";
                   if (e.checkpoint) {
                     append(out, *e.checkpoint);
                   } else {
                     out += '-';
                   }
                   out += ",expires=";
                   if (e.token_expires_at) {
                     put(out, *e.token_expires_at);
                   } else {
                     out += '-';
                   }
                   out += ')';
                 },
                 [&](const m::ConnectionClosed& e) {
                   out += '(';
                   put(out, m::name_of(e.cause));
                   out += ')';
                 },
                 [&](const m::ServerRejected& e) {
                   out += '(';
                   put(out, e.http_status);
                   out += ",retry_after=";
                   put_opt(out, e.retry_after_ms);
                   out += ')';
                 },
                 [&](const m::FrameReceived& e) {
                   out += "(seq=";
                   put_opt(out, e.sequence);
                   out += ",id=";
                   if (e.id) {
                     out.append(e.id->view());
                   } else {
                     out += '-';
                   }
                   out += ",retry=";
                   put_opt(out, e.retry_ms);
                   out += ",ref=";
                   put(out, e.frame_ref);
                   out += ')';
                 },
                 [&](const m::DeliveryAcked& e) {
                   out += "(id=";
                   put(out, e.delivery_id);
                   out += ',';
                   append(out, e.cursor);
                   out += ')';
                 },
                 [&](const m::AuthRefreshed& e) {
                   out += "(expires=";
                   if (e.expires_at) {
                     put(out, *e.expires_at);
                   } else {
                     out += '-';
                   }
                   out += ')';
                 },
                 [&](const m::CheckpointSaved& e) {
                   out += "(id=";
                   put(out, e.delivery_id);
                   out += ')';
                 },
                 [&](const m::CheckpointSaveFailed& e) {
                   out += "(id=";
                   put(out, e.delivery_id);
                   out += ')';
                 },
                 [](const auto&) {},
             },
             event);
}

void append(std::string& out, const m::Effect& effect) {
  put(out, m::name_of(effect));
  std::visit(Overload{
                 [&](const m::Connect& c) {
                   out += "(attempt=";
                   put(out, c.attempt);
                   out += ',';
                   put(out, m::name_of(c.from));
                   if (c.from == m::ResumeFrom::cursor) {
                     out += ',';
                     append(out, c.cursor);
                   }
                   out += ')';
                 },
                 [&](const m::Deliver& d) {
                   out += "(id=";
                   put(out, d.delivery_id);
                   out += ",seq=";
                   put_opt(out, d.sequence);
                   out += ",ref=";
                   put(out, d.frame_ref);
                   out += ')';
                 },
                 [&](const m::DiscardFrame& d) {
                   out += "(ref=";
                   put(out, d.frame_ref);
                   out += ",seq=";
                   put_opt(out, d.sequence);
                   out += ',';
                   put(out, m::name_of(d.reason));
                   out += ')';
                 },
                 [&](const m::ReportGap& g) {
                   out += "(";
                   put_opt(out, g.from_sequence);
                   out += "..";
                   put_opt(out, g.to_sequence);
                   out += ',';
                   put(out, m::name_of(g.cause));
                   out += ')';
                 },
                 [&](const m::SaveCheckpoint& s) {
                   out += "(id=";
                   put(out, s.delivery_id);
                   out += ',';
                   append(out, s.cursor);
                   out += ')';
                 },
                 [&](const m::RefreshAuth& r) {
                   out += '(';
                   put(out, m::name_of(r.cause));
                   out += ')';
                 },
                 [&](const m::ReportStatus& r) { put_status(out, r.status); },
                 [](const m::CloseConnection&) {},
             },
             effect);
}

bool same_effects(const m::Effects& a, const m::Effects& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].index() != b[i].index()) return false;
    const bool same = std::visit(
        Overload{
            [&](const m::Connect& x) {
              const auto& y = std::get<m::Connect>(b[i]);
              return x.attempt == y.attempt && x.from == y.from && x.cursor == y.cursor;
            },
            [](const m::CloseConnection&) { return true; },
            [&](const m::Deliver& x) {
              const auto& y = std::get<m::Deliver>(b[i]);
              return x.delivery_id == y.delivery_id && x.sequence == y.sequence && x.frame_ref == y.frame_ref;
            },
            [&](const m::DiscardFrame& x) {
              const auto& y = std::get<m::DiscardFrame>(b[i]);
              return x.frame_ref == y.frame_ref && x.sequence == y.sequence && x.reason == y.reason;
            },
            [&](const m::ReportGap& x) {
              const auto& y = std::get<m::ReportGap>(b[i]);
              return x.from_sequence == y.from_sequence && x.to_sequence == y.to_sequence && x.cause == y.cause;
            },
            [&](const m::SaveCheckpoint& x) {
              const auto& y = std::get<m::SaveCheckpoint>(b[i]);
              return x.delivery_id == y.delivery_id && x.cursor == y.cursor;
            },
            [&](const m::RefreshAuth& x) { return x.cause == std::get<m::RefreshAuth>(b[i]).cause; },
            [&](const m::ReportStatus& x) { return x.status == std::get<m::ReportStatus>(b[i]).status; },
        },
        a[i]);
    if (!same) return false;
  }
  return true;
}

void append(std::string& out, const m::Effects& effects) {
  out += '[';
  bool first = true;
  for (const m::Effect& e : effects) {
    if (!first) out += ' ';
    first = false;
    append(out, e);
  }
  out += ']';
}

void append(std::string& out, const m::SessionConfig& c) {
  const m::BackoffPolicy& b = c.backoff;
  out += "backoff{initial=";
  put(out, b.delay_ms_initial);
  out += ",x";
  out += std::to_string(b.multiplier);
  out += ",max=";
  put(out, b.delay_ms_max);
  out += ",jitter=";
  put(out, m::name_of(b.jitter));
  out += '/';
  out += std::to_string(b.jitter_fraction);
  out += b.reset_on == m::ResetOn::first_frame ? ",reset=first_frame" : ",reset=stable:";
  if (b.reset_on == m::ResetOn::stable_period) put(out, b.stable_ms);
  out += ",short=";
  put(out, b.short_session_ms);
  out += '/';
  put(out, b.short_session_delay_ms_min);
  out += ",clean=";
  put(out, b.clean_close_delay_ms);
  out += ",hint_max=";
  put(out, b.hint_ms_max);
  out += b.honour_retry_after ? ",ra" : ",no-ra";
  out += b.honour_sse_retry ? ",sse" : ",no-sse";
  out += ",restored=";
  put(out, b.restored_delay_ms_max);
  out += "} give_up{";
  put(out, c.give_up.attempts_max);
  out += ',';
  put(out, c.give_up.outage_ms_max);
  out += "} budget{";
  put(out, c.budget.tokens_max);
  out += ',';
  put(out, c.budget.refill_ms_per_token);
  out += "} connect{";
  put(out, c.connect.timeout_ms);
  out += c.connect.timeout_tracks_backoff ? ",tracks" : "";
  out += ",confirm=";
  put(out, c.connect.confirm_timeout_ms);
  out += "} heartbeat{";
  if (c.heartbeat) {
    put(out, c.heartbeat->interval_ms);
    out += 'x';
    put(out, c.heartbeat->interval_multiple);
    out += '+';
    put(out, c.heartbeat->slack_ms);
  } else {
    out += "off";
  }
  out += "} auth{";
  out += c.auth.has_provider ? "provider" : "none";
  out += ",ahead=";
  put(out, c.auth.refresh_ahead_ms);
  out += ",timeout=";
  put(out, c.auth.refresh_timeout_ms);
  out += c.auth.on_refresh_failure == m::RefreshFailure::terminal ? ",terminal" : ",backoff";
  out += "} resume{start=";
  append(out, c.resume.start);
  out += c.resume.mode == m::StreamMode::watch ? ",watch" : ",replay_only";
  out += c.resume.commit == m::CommitPolicy::on_ack ? ",on_ack" : ",on_next_delivery";
  out += ",every=";
  put(out, c.resume.checkpoint_every_events);
  out += '/';
  put(out, c.resume.checkpoint_every_ms);
  out += c.resume.gaps == m::GapDetection::strict ? ",strict" : ",relaxed";
  switch (c.resume.too_old) {
    case m::TooOldPolicy::fail: out += ",too_old=fail"; break;
    case m::TooOldPolicy::resync_from_oldest: out += ",too_old=oldest"; break;
    case m::TooOldPolicy::resume_from_live: out += ",too_old=live"; break;
  }
  out += "} seed=";
  put(out, c.seed);
}

}  // namespace tether::test
