#include <algorithm>
#include <tether/model/backoff.hpp>
#include <tether/model/give_up.hpp>
#include <tether/model/overload.hpp>
#include <tether/model/saturating.hpp>
#include <tether/model/session.hpp>
#include <utility>

namespace tether::model {

namespace {

// The wait before retrying a failed save: min * 2^(failures - 1), capped.
std::int64_t checkpoint_retry_ms(const ResumePolicy& policy, std::uint32_t failures) {
  std::int64_t delay = policy.checkpoint_retry_ms_min;
  for (std::uint32_t i = 1; i < failures && delay < policy.checkpoint_retry_ms_max; ++i) delay *= 2;
  return std::min(delay, policy.checkpoint_retry_ms_max);
}

Reason reason_of(CloseCause cause) {
  switch (cause) {
    case CloseCause::clean_close:
      return Reason::clean_close;
    case CloseCause::unexpected_eof:
      return Reason::unexpected_eof;
    case CloseCause::transport_error:
      return Reason::transport_error;
    case CloseCause::protocol_error:
      return Reason::protocol_error;
    case CloseCause::unrecoverable:
      return Reason::unrecoverable;
  }
  return Reason::transport_error;
}

// One transition's working set. Branching lives in the handlers; the helpers
// below them are the shared mechanisms (attempts, failures, commits, phases).
class Reducer {
 public:
  Reducer(State& s, Effects& out, Instant now) : s_(s), out_(out), cfg_(*s.config), now_(now) {}

  void on(const Started& e);
  void on(const StopRequested&);
  void on(const Tick&);
  void on(const ConnectionOpened&);
  void on(const ConnectionClosed& e);
  void on(const ServerRejected& e);
  void on(const BytesReceived&);
  void on(const FrameReceived& e);
  void on(const CursorExpired&);
  void on(const ReplayFinished&);
  void on(const DeliveryAcked& e);
  void on(const AuthRefreshed& e);
  void on(const AuthRefreshFailed&);
  void on(const CheckpointSaved& e);
  void on(const CheckpointSaveFailed& e);
  void on(const NetworkRestored&);
  void on(const PauseRequested&);
  void on(const ResumeRequested&);
  void on(const ReconnectRequested& e);

 private:
  // --- phases and status
  void enter(const Phase& phase) {
    s_.phase = phase;
    const Status st = status_of(phase);
    if (st != s_.status) {
      s_.status = st;
      out_.push_back(ReportStatus{st});
    }
  }
  bool connection_open() const {
    return std::holds_alternative<Connecting>(s_.phase) ||
           std::holds_alternative<Confirming>(s_.phase) ||
           std::holds_alternative<Streaming>(s_.phase);
  }
  // Every terminal state flushes what may be saved and closes what is open.
  void finish(const Phase& terminal, bool close) {
    if (close) out_.push_back(CloseConnection{});
    maybe_save(/*force=*/true);
    enter(terminal);
  }

  // --- attempts
  std::int64_t connect_timeout_ms(std::uint32_t failures) const {
    std::int64_t t = cfg_.connect.timeout_ms;
    if (cfg_.connect.timeout_tracks_backoff)
      t = std::max(t, ceiling_ms(cfg_.backoff, saturating_inc(failures)));
    return t;
  }
  // The retry budget is a credit of refill time (GCRA): a token is
  // refill_ms_per_token of credit, the bucket holds tokens_max of them. Exact
  // integer milliseconds: no rounding (tokens_max <= 10^6, refill <= 10^12 ms).
  std::int64_t budget_cap_ms() const {
    return static_cast<std::int64_t>(cfg_.budget.tokens_max) * cfg_.budget.refill_ms_per_token;
  }
  void refill_budget() {
    const std::int64_t dt =
        std::max<std::int64_t>(0, elapsed_ms(s_.backoff.budget_updated_at, now_));
    s_.backoff.budget_credit_ms =
        std::min(budget_cap_ms(), s_.backoff.budget_credit_ms + std::min(dt, budget_cap_ms()));
    s_.backoff.budget_updated_at = now_;
  }
  // The earliest instant at which the budget holds a whole token.
  Instant budget_ready_at() {
    if (cfg_.budget.tokens_max == 0) return now_;
    refill_budget();
    const std::int64_t missing = cfg_.budget.refill_ms_per_token - s_.backoff.budget_credit_ms;
    return missing <= 0 ? now_ : after(now_, missing);
  }
  // A backoff is over: the give-up policy has the last word before an attempt.
  void attempt_unless_given_up(std::uint32_t failures) {
    if (failures > 0) {
      if (auto why = give_up_reason(failures)) return finish(GaveUp{*why, failures}, false);
    }
    begin_attempt(failures, false);
  }
  void begin_attempt(std::uint32_t failures, bool fresh_credentials) {
    if (failures > 0 && cfg_.budget.tokens_max > 0) {
      refill_budget();
      s_.backoff.budget_credit_ms =
          std::max<std::int64_t>(0, s_.backoff.budget_credit_ms - cfg_.budget.refill_ms_per_token);
    }
    Connect c{saturating_inc(failures), ResumeFrom::server_default, {}};
    if (s_.progress.resume_override != ResumeFrom::cursor) {
      c.from = s_.progress.resume_override;
    } else if (s_.progress.resume.kind != CursorKind::none) {
      c.from = ResumeFrom::cursor;
      c.cursor = s_.progress.resume;
    }
    out_.push_back(c);
    enter(Connecting{failures, after(now_, connect_timeout_ms(failures)), fresh_credentials});
  }

  // --- failures
  struct Failure {
    Failure(Reason r, std::uint32_t n, bool short_s = false, std::uint16_t status = 0,
            std::optional<std::int64_t> retry_after = std::nullopt)
        : reason(r),
          failures(n),
          short_session(short_s),
          http_status(status),
          retry_after_ms(retry_after) {}
    Reason reason;
    std::uint32_t failures;  // including this one (0: not a failure, e.g. clean close)
    bool short_session;
    std::uint16_t http_status;
    std::optional<std::int64_t> retry_after_ms;
  };
  std::int64_t delay_for(const Failure& f) {
    const BackoffPolicy& b = cfg_.backoff;
    std::int64_t hint = 0;
    if (b.honour_retry_after && f.retry_after_ms)
      hint = std::max<std::int64_t>(hint, *f.retry_after_ms);
    if (b.honour_sse_retry) hint = std::max(hint, s_.backoff.server_retry_ms);
    std::int64_t floor_ms = std::min(hint, b.hint_ms_max);
    if (f.short_session) floor_ms = std::max(floor_ms, b.short_session_delay_ms_min);
    if (f.failures == 0) return std::max(b.clean_close_delay_ms, floor_ms);
    // The floors move the jittered delay above them (backoff.hpp: floored).
    const DelayDraw draw = draw_delay(b, f.failures, s_.backoff.previous_delay_ms, s_.prng);
    return floored_delay_ms(draw.delay_ms, draw.bounds, floor_ms);
  }
  std::optional<Reason> give_up_reason(std::uint32_t failures) const {
    const auto limit = give_up_limit(cfg_.give_up, failures, s_.backoff.outage_since, now_);
    if (!limit) return std::nullopt;
    return *limit == GiveUpLimit::attempts ? Reason::attempts_exhausted : Reason::outage_too_long;
  }
  // The connection (if any) is gone: give up, or back off and try again.
  void fail(const Failure& f) {
    if (f.failures > 0) {
      if (auto why = give_up_reason(f.failures)) {
        finish(GaveUp{*why, f.failures}, false);
        return;
      }
    }
    Instant until = after(now_, delay_for(f));
    if (f.failures > 0) until = latest(until, budget_ready_at_until(until));
    enter(BackingOff{f.failures, until, f.reason, f.http_status});
    if (until <= now_) begin_attempt(f.failures, false);
  }
  Instant budget_ready_at_until(Instant until) {
    if (cfg_.budget.tokens_max == 0) return until;
    const Instant ready = budget_ready_at();
    return latest(until, ready);
  }
  void fail_attempt(std::uint32_t failures_before, Reason reason, bool short_session = false) {
    fail(Failure{reason, saturating_inc(failures_before), short_session});
  }
  bool is_short(Instant opened_at) const {
    return elapsed_ms(opened_at, now_) < cfg_.backoff.short_session_ms;
  }
  // How a stream's end counts: healthy long sessions start counting afresh;
  // short ones keep escalating so a connect-then-drop server cannot drive a hot
  // loop. Returns the failures before this one, and whether it was short.
  // A stable period that has passed counts even if its Tick has not come yet.
  bool proved_healthy(const Streaming& st) const {
    return st.healthy || (cfg_.backoff.reset_on == ResetOn::stable_period &&
                          elapsed_ms(st.opened_at, now_) >= cfg_.backoff.stable_ms);
  }
  std::pair<std::uint32_t, bool> stream_end_count(const Streaming& st) {
    const bool short_session = is_short(st.opened_at);
    if (proved_healthy(st) && !short_session) {
      s_.backoff.outage_since = now_;
      s_.backoff.previous_delay_ms = 0;
      return {0, false};
    }
    return {st.failures, short_session};
  }
  void end_stream(Streaming st, Reason reason, bool clean) {
    const auto [before, short_session] = stream_end_count(st);
    if (clean && before == 0 && !short_session && proved_healthy(st)) {
      fail(Failure{reason, 0});  // a clean close of a healthy stream is not a failure
      return;
    }
    fail(Failure{reason, saturating_inc(before), short_session});
  }

  // --- commits and checkpoints
  void commit(std::uint64_t delivery_id, const Cursor& cursor) {
    Progress& p = s_.progress;
    if (delivery_id <= p.committable_id) return;
    p.committable_id = delivery_id;
    p.committable_cursor = cursor;
    if (!p.unsaved_since) p.unsaved_since = now_;
    maybe_save(false);
  }
  void maybe_save(bool force) {
    Progress& p = s_.progress;
    if (p.committable_id <= p.save_requested_id) return;
    if (p.save_retry_at) {
      if (!force && now_ < *p.save_retry_at) return;  // a failed save waits its turn
      force = true;                                   // the retry is due whatever the batching says
      p.save_retry_at.reset();
    } else if (!force && p.save_requested_id > p.durable_id) {
      // One save in flight at a time (a retry probing a failing disk, or a
      // batch): the next one, asked when it completes, takes every commit made
      // meanwhile. A store slower than the commit rate must not queue writes
      // without bound; only the final flush of a stop does not wait.
      return;
    }
    // Paused: no batching (a paused process may be suspended or killed); the
    // one-in-flight rule and a failed save's backoff still hold.
    if (std::holds_alternative<Paused>(s_.phase)) force = true;
    const bool by_count =
        p.committable_id - p.save_requested_id >= cfg_.resume.checkpoint_every_events;
    const bool by_time = cfg_.resume.checkpoint_every_ms > 0 && p.unsaved_since &&
                         elapsed_ms(*p.unsaved_since, now_) >= cfg_.resume.checkpoint_every_ms;
    if (!(force || by_count || by_time)) return;
    out_.push_back(SaveCheckpoint{p.committable_id, p.committable_cursor});
    p.save_requested_id = p.committable_id;
    p.unsaved_since.reset();
  }

  // --- auth
  // Asks a refresh, numbered; the caller checks that none is out.
  void ask_refresh(RefreshCause cause) {
    AuthMemory& a = s_.auth;
    a.refresh_asked = a.refresh_asked == UINT32_MAX ? 1 : a.refresh_asked + 1;  // 0 stays "none"
    a.refresh_out = a.refresh_asked;
    a.proactive_in_flight = cause == RefreshCause::expiring;
    out_.push_back(RefreshAuth{cause, a.refresh_out});
  }
  // An answer answers the refresh out when it names it (or names none: a
  // recording made before requests were numbered); any other is stale.
  bool answers_refresh_out(std::uint32_t request) const {
    return s_.auth.refresh_out != 0 && (request == 0 || request == s_.auth.refresh_out);
  }
  void refresh_answered() {
    s_.auth.refresh_out = 0;
    s_.auth.proactive_in_flight = false;
  }
  void refresh_failed(const RefreshingAuth& r);

  // --- frames
 public:
  void deliver(Streaming& st, const FrameReceived& e);

 private:
  void wake_backoff(const BackingOff& b);
  void reconnect(std::uint32_t failures, Reason why);
  std::uint32_t failures_at_pause(Paused& paused);
  void begin(const Started& e);
  void on_rejected_auth(Connecting c);
  void on_cursor_too_old(std::uint32_t failures_before, bool close, bool short_session = false);
  void tick_streaming(Streaming st);

  State& s_;
  Effects& out_;
  const SessionConfig& cfg_;
  Instant now_;
};

void Reducer::on(const Started& e) {
  if (auto* paused = std::get_if<Paused>(&s_.phase); paused != nullptr && !paused->started) {
    // Paused before it started: it starts paused (the outage clock from now).
    begin(e);
    paused->started = true;
    paused->since = now_;
    paused->not_before = now_;
    return;
  }
  if (!std::holds_alternative<Idle>(s_.phase)) return;
  begin(e);
  begin_attempt(0, false);
}

// The session's memory at its start: the resume cursor, credentials, clocks, budget.
void Reducer::begin(const Started& e) {
  Progress& p = s_.progress;
  if (e.checkpoint && e.checkpoint->kind != CursorKind::none) {
    p.resume = *e.checkpoint;
    if (e.checkpoint->has_sequence) p.last_sequence = e.checkpoint->sequence;
  } else {
    p.resume = cfg_.resume.start;
    if (p.resume.has_sequence) p.last_sequence = p.resume.sequence;
  }
  s_.auth.expires_at = e.token_expires_at;
  s_.auth.received_at = now_;
  s_.backoff.outage_since = now_;
  s_.backoff.budget_credit_ms = budget_cap_ms();
  s_.backoff.budget_updated_at = now_;
}

void Reducer::on(const StopRequested&) {
  if (is_terminal(s_)) return;
  finish(Stopped{Reason::stop_requested}, connection_open());
}

void Reducer::on(const Tick&) {
  // Checkpoint batching by time applies in every live phase.
  if (!std::holds_alternative<Idle>(s_.phase)) maybe_save(false);
  std::visit(Overload{
                 [&](const Connecting& c) {
                   if (now_ < c.deadline) return;
                   out_.push_back(CloseConnection{});
                   fail_attempt(c.failures, Reason::connect_timeout);
                 },
                 [&](const Confirming& c) {
                   if (now_ < c.deadline) return;
                   out_.push_back(CloseConnection{});
                   fail_attempt(c.failures, Reason::confirm_timeout, is_short(c.opened_at));
                 },
                 [&](const Streaming& st) { tick_streaming(st); },
                 [&](const BackingOff& b) {
                   if (now_ >= b.until) attempt_unless_given_up(b.failures);
                 },
                 [&](const RefreshingAuth& r) {
                   // Given up, not answered: the refresh stays out (see AuthMemory).
                   if (now_ >= r.deadline) refresh_failed(r);
                 },
                 [](const auto&) {},
             },
             s_.phase);
}

void Reducer::tick_streaming(Streaming st) {
  if (!st.healthy && cfg_.backoff.reset_on == ResetOn::stable_period &&
      elapsed_ms(st.opened_at, now_) >= cfg_.backoff.stable_ms) {
    st.healthy = true;
    s_.phase = st;
  }
  if (cfg_.auth.has_provider && s_.auth.expires_at && s_.auth.refresh_out == 0 &&
      now_ >= proactive_refresh_at(s_.auth, *s_.auth.expires_at, cfg_.auth.refresh_ahead_ms)) {
    ask_refresh(RefreshCause::expiring);
  }
  if (cfg_.heartbeat && elapsed_ms(st.last_rx_at, now_) >= cfg_.heartbeat->budget_ms()) {
    out_.push_back(CloseConnection{});
    end_stream(st, Reason::heartbeat_timeout, false);
  }
}

void Reducer::on(const ConnectionOpened&) {
  const auto* c = std::get_if<Connecting>(&s_.phase);
  if (c == nullptr) return;
  if (cfg_.connect.confirm_timeout_ms > 0) {
    enter(Confirming{c->failures, now_, after(now_, cfg_.connect.confirm_timeout_ms),
                     c->fresh_credentials});
  } else {
    enter(Streaming{c->failures, now_, now_, false});
  }
}

void Reducer::on(const ConnectionClosed& e) {
  const Reason reason = reason_of(e.cause);
  if (e.cause == CloseCause::unrecoverable && connection_open()) {
    finish(Failed{Reason::unrecoverable, 0}, false);  // the transport already closed it
    return;
  }
  std::visit(
      Overload{
          [&](const Connecting& c) { fail_attempt(c.failures, reason); },
          [&](const Confirming& c) { fail_attempt(c.failures, reason, is_short(c.opened_at)); },
          [&](const Streaming& st) { end_stream(st, reason, e.cause == CloseCause::clean_close); },
          [](const auto&) {},
      },
      s_.phase);
}

void Reducer::on_rejected_auth(Connecting c) {
  out_.push_back(CloseConnection{});
  if (!cfg_.auth.has_provider) {
    finish(Failed{Reason::unauthorized, 401}, false);
  } else if (c.fresh_credentials) {
    finish(Failed{Reason::rejected_after_refresh, 401}, false);
  } else {
    // A refresh already out (proactive, or one that timed out and has not
    // answered yet) answers this 401 too: one at a time.
    if (s_.auth.refresh_out == 0) ask_refresh(RefreshCause::rejected);
    enter(RefreshingAuth{c.failures, after(now_, cfg_.auth.refresh_timeout_ms)});
  }
}

void Reducer::on_cursor_too_old(std::uint32_t failures_before, bool close, bool short_session) {
  Progress& p = s_.progress;
  if (close) out_.push_back(CloseConnection{});
  std::optional<std::uint64_t> from;
  if (p.last_sequence) from = *p.last_sequence + 1;
  out_.push_back(ReportGap{from, std::nullopt, GapCause::cursor_too_old});
  switch (cfg_.resume.too_old) {
    case TooOldPolicy::fail:
      finish(Failed{Reason::cursor_too_old, 0}, false);
      return;
    case TooOldPolicy::resync_from_oldest:
      p.resume_override = ResumeFrom::oldest;
      break;
    case TooOldPolicy::resume_from_live:
      p.resume_override = ResumeFrom::live;
      break;
  }
  p.resyncing = true;
  fail_attempt(failures_before, Reason::cursor_resync, short_session);
}

void Reducer::on(const ServerRejected& e) {
  std::uint32_t failures = 0;
  bool short_session = false;  // an answer on an opened (confirming) connection
  if (const auto* c = std::get_if<Connecting>(&s_.phase)) {
    failures = c->failures;
    if (e.http_status == 401) return on_rejected_auth(*c);
  } else if (const auto* cf = std::get_if<Confirming>(&s_.phase)) {
    failures = cf->failures;
    short_session = is_short(cf->opened_at);
    if (e.http_status == 401)
      return on_rejected_auth(Connecting{failures, now_, cf->fresh_credentials});
  } else {
    return;  // a status only answers an attempt
  }
  const std::uint16_t status = e.http_status;
  if (status == 410) return on_cursor_too_old(failures, true, short_session);
  out_.push_back(CloseConnection{});
  const std::uint32_t n = saturating_inc(failures);
  if (status == 429 || status == 503)
    return fail(Failure{Reason::rate_limited, n, short_session, status, e.retry_after_ms});
  if (status >= 500 && status <= 599)
    return fail(Failure{Reason::server_error, n, short_session, status, std::nullopt});
  finish(Failed{Reason::http_status, status}, false);
}

void Reducer::on(const BytesReceived&) {
  if (auto* st = std::get_if<Streaming>(&s_.phase)) {
    st->last_rx_at = now_;
  } else if (const auto* c = std::get_if<Confirming>(&s_.phase)) {
    enter(Streaming{c->failures, c->opened_at, now_, false});
  }
}

void Reducer::on(const FrameReceived& e) {
  if (auto* st = std::get_if<Streaming>(&s_.phase)) {
    deliver(*st, e);
  } else if (const auto* c = std::get_if<Confirming>(&s_.phase)) {
    enter(Streaming{c->failures, c->opened_at, now_, false});
    deliver(std::get<Streaming>(s_.phase), e);
  } else {
    out_.push_back(DiscardFrame{e.frame_ref, e.sequence, DiscardReason::not_streaming});
  }
}

// The hot path: dedupe, gap check, deliver, commit. No allocation.
void Reducer::deliver(Streaming& st, const FrameReceived& e) {
  Progress& p = s_.progress;
  st.last_rx_at = now_;
  if (e.retry_ms && *e.retry_ms >= 0) s_.backoff.server_retry_ms = *e.retry_ms;
  if (e.sequence && p.last_sequence) {
    const std::uint64_t last = *p.last_sequence;
    if (*e.sequence <= last) {
      out_.push_back(DiscardFrame{e.frame_ref, e.sequence, DiscardReason::duplicate});
      return;
    }
    if (*e.sequence > last + 1 && !p.resyncing && cfg_.resume.gaps == GapDetection::strict)
      out_.push_back(ReportGap{last + 1, *e.sequence - 1, GapCause::missing});
  }
  if (cfg_.backoff.reset_on == ResetOn::first_frame) st.healthy = true;
  p.resyncing = false;
  p.resume_override = ResumeFrom::cursor;
  // on_next_delivery: this arrival proves the previous delivery was handled.
  if (cfg_.resume.commit == CommitPolicy::on_next_delivery && p.delivered_id > 0)
    commit(p.delivered_id, p.resume);
  p.delivered_id += 1;
  // The resume cursor becomes this frame's position, written in place (the
  // hot path). A frame with neither id nor sequence cannot move it. An empty
  // id resets the token (SSE `id:` with no value): the cursor keeps only the
  // frame's sequence, or becomes none, so no stale id is ever sent again.
  Cursor& r = p.resume;
  const bool has_token = e.id && !e.id->empty();
  if (has_token) {
    r.kind = CursorKind::token;
    r.token = *e.id;
  } else if (e.sequence) {
    r.kind = CursorKind::sequence;
    r.token.clear();
  } else if (e.id) {
    r = Cursor{};
  }
  if (has_token || e.sequence) {
    r.has_sequence = e.sequence.has_value();
    r.sequence = e.sequence.value_or(0);
    r.start_time_ms = 0;
  }
  if (e.sequence) p.last_sequence = e.sequence;
  out_.push_back(Deliver{p.delivered_id, e.sequence, e.frame_ref});
}

void Reducer::on(const CursorExpired&) {
  if (const auto* c = std::get_if<Connecting>(&s_.phase)) {
    on_cursor_too_old(c->failures, true);
  } else if (const auto* cf = std::get_if<Confirming>(&s_.phase)) {
    on_cursor_too_old(cf->failures, true, is_short(cf->opened_at));
  } else if (const auto* st = std::get_if<Streaming>(&s_.phase)) {
    const auto [before, short_session] = stream_end_count(*st);
    on_cursor_too_old(before, true, short_session);
  }
}

void Reducer::on(const ReplayFinished&) {
  if (cfg_.resume.mode != StreamMode::replay_only || is_terminal(s_)) return;
  if (std::holds_alternative<Idle>(s_.phase)) return;
  if (const auto* p = std::get_if<Paused>(&s_.phase); p != nullptr && !p->started) return;
  finish(Stopped{Reason::replay_complete}, connection_open());
}

void Reducer::on(const DeliveryAcked& e) {
  if (cfg_.resume.commit != CommitPolicy::on_ack || is_terminal(s_)) return;
  if (e.delivery_id == 0 || e.delivery_id > s_.progress.delivered_id)
    return;  // not delivered: ignore
  commit(e.delivery_id, e.cursor);
}

void Reducer::on(const AuthRefreshed& e) {
  if (is_terminal(s_)) return;
  // Whatever it answers, the driver holds these credentials now.
  s_.auth.expires_at = e.expires_at;
  s_.auth.received_at = now_;
  if (!answers_refresh_out(e.request)) return;  // stale: never taken for another request's answer
  refresh_answered();
  if (const auto* r = std::get_if<RefreshingAuth>(&s_.phase))
    return begin_attempt(r->failures, true);
  // The late answer of a refresh whose timeout entered this backoff: what the
  // backoff waits for has come, so the retry with fresh credentials it would
  // have been goes now (the failure stays counted; the give-up policy has the
  // last word). Waiting out the backoff would let a token shorter than it
  // expire unused, every time.
  const auto* b = std::get_if<BackingOff>(&s_.phase);
  if (b == nullptr || b->reason != Reason::auth_refresh_failed) return;
  if (auto why = give_up_reason(b->failures)) return finish(GaveUp{*why, b->failures}, false);
  begin_attempt(b->failures, true);
}

void Reducer::on(const AuthRefreshFailed& e) {
  if (is_terminal(s_) || !answers_refresh_out(e.request)) return;
  refresh_answered();
  const auto* r = std::get_if<RefreshingAuth>(&s_.phase);
  if (r == nullptr) {
    // A proactive refresh failed (or a timed-out one, late): forget the expiry
    // so it is not retried in a loop; a 401 will take the reactive path.
    s_.auth.expires_at.reset();
    return;
  }
  refresh_failed(*r);
}

// A refresh a 401 waits for failed, or timed out (auth.refresh_timeout_ms).
void Reducer::refresh_failed(const RefreshingAuth& r) {
  if (cfg_.auth.on_refresh_failure == RefreshFailure::terminal) {
    finish(Failed{Reason::auth_refresh_failed, 401}, false);
    return;
  }
  fail_attempt(r.failures, Reason::auth_refresh_failed);
}

void Reducer::on(const CheckpointSaved& e) {
  Progress& p = s_.progress;
  if (e.delivery_id <= p.save_requested_id && e.delivery_id > p.durable_id) {
    p.durable_id = e.delivery_id;
    p.save_failures = 0;
    maybe_save(false);  // commits that waited for this save (or for the retry)
  }
}

void Reducer::on(const CheckpointSaveFailed& e) {
  Progress& p = s_.progress;
  // Only the newest request matters: a failure of one that a newer request
  // already superseded needs nothing (retrying it would multiply writes).
  if (e.delivery_id <= p.durable_id || e.delivery_id != p.save_requested_id) return;
  // Ask again after a backoff (or at the final flush), never at once: the
  // next attempt would most likely meet the same full or read-only disk.
  p.save_requested_id = p.durable_id;
  if (!p.unsaved_since) p.unsaved_since = now_;
  p.save_failures = saturating_inc(p.save_failures);
  p.save_retry_at = after(now_, checkpoint_retry_ms(cfg_.resume, p.save_failures));
}

void Reducer::on(const NetworkRestored&) {
  if (const auto* b = std::get_if<BackingOff>(&s_.phase)) wake_backoff(*b);
}

// A backoff cut short (the network is back, or changed): the next attempt
// within uniform[0, restored_delay_ms_max], never later than it was.
void Reducer::wake_backoff(const BackingOff& b) {
  // A session past its give-up limit ends now rather than at the backoff's end.
  if (b.failures > 0) {
    if (auto why = give_up_reason(b.failures)) return finish(GaveUp{*why, b.failures}, false);
  }
  const Instant woken = after(now_, s_.prng.uniform(0, cfg_.backoff.restored_delay_ms_max));
  Instant until = earliest(b.until, woken);
  // The retry budget still applies, but a restore never postpones an attempt.
  if (b.failures > 0) until = earliest(b.until, budget_ready_at_until(until));
  BackingOff next = b;
  next.until = until;
  enter(next);  // renders the new attempt time
  if (until <= now_) begin_attempt(next.failures, false);
}

// What a pause keeps of the phase it interrupts: its failure count (an open
// stream's as its end would count it, without counting a failure), and a
// backoff's end, reason and status.
std::uint32_t Reducer::failures_at_pause(Paused& paused) {
  return std::visit(Overload{
                        [](const Connecting& c) { return c.failures; },
                        [](const Confirming& c) { return c.failures; },
                        [&](const Streaming& st) { return stream_end_count(st).first; },
                        [&](const BackingOff& b) {
                          paused.not_before = b.until;
                          paused.reason = b.reason;
                          paused.http_status = b.http_status;
                          return b.failures;
                        },
                        [](const RefreshingAuth& r) { return r.failures; },
                        [&](const Idle&) {
                          paused.started = false;
                          return std::uint32_t{0};
                        },
                        [](const auto&) { return std::uint32_t{0}; },
                    },
                    s_.phase);
}

// Closes what is open and flushes what may be saved; a refresh out stays out
// (its answer still brings credentials).
void Reducer::on(const PauseRequested&) {
  if (std::holds_alternative<Paused>(s_.phase)) return;
  Paused paused{0, now_, now_, Reason::pause_requested, 0, true};
  paused.failures = failures_at_pause(paused);
  if (connection_open()) out_.push_back(CloseConnection{});
  s_.phase = paused;  // unbatched from here: the flush below saves every commit
  maybe_save(false);
  enter(paused);
}

void Reducer::on(const ResumeRequested&) {
  const auto* p = std::get_if<Paused>(&s_.phase);
  if (p == nullptr) return;
  const Paused paused = *p;
  if (!paused.started) return enter(Idle{});  // Started has not come: it connects then
  // The time paused is no outage: the outage clock moves forward by it.
  if (s_.backoff.outage_since)
    s_.backoff.outage_since =
        after(*s_.backoff.outage_since, std::max<std::int64_t>(0, elapsed_ms(paused.since, now_)));
  if (paused.failures > 0) {
    if (auto why = give_up_reason(paused.failures))
      return finish(GaveUp{*why, paused.failures}, false);
  }
  Instant until = latest(paused.not_before, now_);
  if (paused.failures > 0) until = budget_ready_at_until(until);
  if (until <= now_) return begin_attempt(paused.failures, false);
  enter(BackingOff{paused.failures, until, paused.reason, paused.http_status});
}

void Reducer::on(const ReconnectRequested& e) {
  const Reason why =
      e.why == ReconnectWhy::network_changed ? Reason::network_changed : Reason::restart_requested;
  std::visit(Overload{
                 [&](const Connecting& c) { reconnect(c.failures, why); },
                 [&](const Confirming& c) { reconnect(c.failures, why); },
                 [&](const Streaming& st) { reconnect(stream_end_count(st).first, why); },
                 [&](const BackingOff& b) { wake_backoff(b); },
                 // RefreshingAuth: nothing is open, and the attempt goes as soon
                 // as the credentials come. Idle, Paused: nothing to reconnect.
                 [](const auto&) {},
             },
             s_.phase);
}

// The application dropped the connection: not a failure (the count stays as
// it was, a healthy stream's is forgotten), and the next attempt within
// uniform[0, restored_delay_ms_max] (a fleet told at once must not come back
// in lockstep), subject to the retry budget after failures, and to the
// give-up limits when it is due.
void Reducer::reconnect(std::uint32_t failures, Reason why) {
  out_.push_back(CloseConnection{});
  Instant until = after(now_, s_.prng.uniform(0, cfg_.backoff.restored_delay_ms_max));
  if (failures > 0) until = budget_ready_at_until(until);
  enter(BackingOff{failures, until, why, 0});
  if (until <= now_) attempt_unless_given_up(failures);
}

}  // namespace

Instant proactive_refresh_at(const AuthMemory& auth, Instant expires_at,
                             std::int64_t refresh_ahead_ms) {
  const Instant ahead{expires_at.ms - refresh_ahead_ms};
  const Instant halfway{auth.received_at.ms / 2 + expires_at.ms / 2};  // halves: no overflow
  return latest(ahead, halfway);
}

bool is_terminal(const State& state) {
  return std::holds_alternative<Stopped>(state.phase) ||
         std::holds_alternative<GaveUp>(state.phase) || std::holds_alternative<Failed>(state.phase);
}

Status status_of(const Phase& phase) {
  return std::visit(
      Overload{
          [](const Idle&) { return Status{}; },
          [](const Connecting& c) {
            return Status{StatusKind::connecting, Reason::none, c.failures, {}, 0};
          },
          [](const Confirming& c) {
            return Status{StatusKind::connecting, Reason::none, c.failures, {}, 0};
          },
          [](const Streaming&) {
            return Status{StatusKind::streaming, Reason::none, 0, {}, 0};
          },
          [](const BackingOff& b) {
            return Status{StatusKind::backing_off, b.reason, b.failures, b.until, b.http_status};
          },
          [](const RefreshingAuth& r) {
            return Status{StatusKind::refreshing_auth, Reason::none, r.failures, {}, 401};
          },
          [](const Paused& p) {
            return Status{StatusKind::paused, Reason::pause_requested, p.failures, {}, 0};
          },
          [](const Stopped& x) {
            return Status{StatusKind::stopped, x.reason, 0, {}, 0};
          },
          [](const GaveUp& x) {
            return Status{StatusKind::gave_up, x.reason, x.failures, {}, 0};
          },
          [](const Failed& x) {
            return Status{StatusKind::failed, x.reason, 0, {}, x.http_status};
          },
      },
      phase);
}

std::expected<State, ConfigError> make(const SessionConfig& config) {
  if (auto ok = validate(config); !ok) return std::unexpected(ok.error());
  State s{std::make_shared<const SessionConfig>(config),
          Idle{},
          Prng(config.seed),
          Status{},
          {},
          {},
          {}};
  return s;
}

namespace {
void run(State& state, const Event& event, Effects& out) {
  // The hot path first: a frame on an open stream, without the general dispatch.
  if (const auto* frame = std::get_if<FrameReceived>(&event)) {
    if (auto* st = std::get_if<Streaming>(&state.phase)) {
      Reducer(state, out, frame->now).deliver(*st, *frame);
      return;
    }
  }
  if (is_terminal(state)) return;  // sticky
  std::visit([&](const auto& e) { Reducer(state, out, e.now).on(e); }, event);
}
}  // namespace

Step transition(State state, const Event& event) noexcept {
  Step step{std::move(state), {}};
  run(step.state, event, step.effects);
  return step;
}

Effects transition_in_place(State& state, const Event& event) noexcept {
  Effects out;
  run(state, event, out);
  return out;
}

std::optional<Instant> next_deadline(const State& s) noexcept {
  const SessionConfig& cfg = *s.config;
  std::optional<Instant> d;
  const auto consider = [&](Instant t) { d = d ? earliest(*d, t) : t; };
  std::visit(
      Overload{
          [&](const Connecting& c) { consider(c.deadline); },
          [&](const Confirming& c) { consider(c.deadline); },
          [&](const BackingOff& b) { consider(b.until); },
          [&](const RefreshingAuth& r) { consider(r.deadline); },
          [&](const Streaming& st) {
            // half-open: no byte within the heartbeat budget
            if (cfg.heartbeat) consider(after(st.last_rx_at, cfg.heartbeat->budget_ms()));
            // stable period: the connection earns a failure-count reset
            if (!st.healthy && cfg.backoff.reset_on == ResetOn::stable_period)
              consider(after(st.opened_at, cfg.backoff.stable_ms));
            // proactive refresh: ahead of the known token expiry
            if (cfg.auth.has_provider && s.auth.expires_at && s.auth.refresh_out == 0)
              consider(proactive_refresh_at(s.auth, *s.auth.expires_at, cfg.auth.refresh_ahead_ms));
          },
          [](const auto&) {},
      },
      s.phase);
  const bool live = !is_terminal(s) && !std::holds_alternative<Idle>(s.phase);
  // A batch waits for the save in flight (a retry's, or the previous batch's):
  // its completion asks for the next.
  const bool saving = s.progress.save_requested_id > s.progress.durable_id;
  if (live && s.progress.save_retry_at) {
    // a failed save's retry
    consider(*s.progress.save_retry_at);
  } else if (live && !saving && s.progress.unsaved_since && cfg.resume.checkpoint_every_ms > 0) {
    // checkpoint batch: the first unsaved commit has waited long enough
    consider(after(*s.progress.unsaved_since, cfg.resume.checkpoint_every_ms));
  }
  return d;
}

}  // namespace tether::model
