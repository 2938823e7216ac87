// The streaming-session reference: each effect of a step, in order, against
// what the step's event made due (session_events.cpp) and the model.

#include <algorithm>
#include <limits>
#include <tether/model/backoff.hpp>
#include <tether/model/names.hpp>

#include "session_impl.hpp"

namespace tether::sim::session_reference {

void Model::walk(const model::Effects& effects, Ctx& ctx) {
  for (const model::Effect& effect : effects) {
    const auto b = 1U << effect.index();
    if ((ctx.allowed & b) == 0)
      broken_by(rule_of_unexpected(effect),
                "unexpected " + std::string(model::name_of(effect)) + " for this event");
    std::visit(Overload{
                   [&](const model::Connect& c) { on_connect(c, ctx); },
                   [&](const model::CloseConnection&) {
                     ++ctx.closes;
                     connection = Connection::none;
                   },
                   [&](const model::Deliver& d) { on_deliver(d, ctx); },
                   [&](const model::DiscardFrame& d) { on_discard(d, ctx); },
                   [&](const model::ReportGap& g) { on_gap(g, ctx); },
                   [&](const model::SaveCheckpoint& s) { on_save(s, ctx.now); },
                   [&](const model::RefreshAuth& r) {
                     on_refresh(r, ctx);  // its cause first (auth_refresh), then its pacing (rate)
                     number_refresh(r);
                   },
                   [&](const model::ReportStatus& r) { on_status(r.status, ctx); },
               },
               effect);
  }
}

// ---------------------------------------------------------------- Connect

void Model::on_connect(const model::Connect& c, Ctx& ctx) {
  if (ctx.terminal && ctx.terminal->kind == TerminalKind::gave_up)
    broken("give-up", "Connect although the give-up policy says " +
                          std::string(model::name_of(ctx.terminal->reason)));
  if (ctx.terminal) broken("after-end", "Connect in a step that ends the session");
  if (paused) broken("paused", "Connect while paused");
  if (connection != Connection::none)
    broken("connect-overlap", "Connect while a connection is still open");
  bool after_failure = false;
  const std::uint64_t expected = connect_number(ctx, after_failure);
  if (c.attempt != expected)
    broken("failure-count",
           "Connect.attempt is " + num(std::uint64_t{c.attempt}) + ", expected " + num(expected));
  check_resume(c);
  if (after_failure && budget_on()) spend_token(ctx.now);
  // A reconnect with fresh credentials is not held back by the budget, but
  // after failures it still spends a token (what is left, if less).
  const bool refreshed =
      ctx.connect == ConnectKind::refresh || ctx.connect == ConnectKind::late_refresh;
  if (refreshed && expected > 1 && budget_on()) drain_token(ctx.now);
  connection = Connection::attempting;
  attempt_at = ctx.now;
  failures = expected - 1;
  attempt_fresh = ctx.connect == ConnectKind::refresh || ctx.connect == ConnectKind::late_refresh;
  backing_off = false;
  refreshing = false;
  ctx.connected = true;
}

// Why this Connect may come, and the attempt number it must carry.
std::uint64_t Model::connect_number(Ctx& ctx, bool& after_failure) const {
  if (ctx.connect == ConnectKind::start) return 1;
  if (ctx.connect == ConnectKind::refresh) return inc_failures(failures);
  if (ctx.connect == ConnectKind::late_refresh)
    return inc_failures(backoff_failures);  // the backoff's count
  if (ctx.connect == ConnectKind::resume) {
    // A pause never shortens the backoff it interrupted.
    if (paused_backoff && (ctx.now < backoff_until ||
                           (!backoff_cut && ms_between(backoff_from, ctx.now) < backoff_lower_ms)))
      broken("attempt-early", "a resume connected before the backoff the pause interrupted ended");
    after_failure = paused_failures > 0;
    return inc_failures(paused_failures);
  }
  if (ctx.resume_due && ctx.now < *ctx.resume_due)
    broken("attempt-early",
           "a resume connected before the backoff the pause interrupted (or a retry-budget "
           "token) allowed");
  if (!(backing_off && (ctx.backoff_due || ctx.restore || ctx.backed_off)))
    broken("connect-without-reason",
           "Connect without a reason (not started, not refreshed, not after a backoff)");
  if (ctx.now < backoff_until)
    broken("attempt-early", "Connect before the reported next attempt time");
  if (!backoff_cut && ms_between(backoff_from, ctx.now) < backoff_lower_ms)
    broken("attempt-early", "attempt " + num(ms_between(backoff_from, ctx.now)) +
                                " ms after the failure; the policy requires at least " +
                                num(backoff_lower_ms) + " ms");
  after_failure = backoff_failures > 0;
  return inc_failures(backoff_failures);
}

// The retry budget: an exact token bucket, full at the lifetime's start; every
// attempt that follows a failure needs a whole token and spends it.
void Model::spend_token(model::Instant now) {
  refill(now);
  if (budget < config.budget.refill_ms_per_token)
    broken("retry-budget", "attempt after a failure without a whole retry-budget token (" +
                               num(budget) + " of " + num(config.budget.refill_ms_per_token) +
                               " ms of refill)");
  budget -= config.budget.refill_ms_per_token;
}

void Model::drain_token(model::Instant now) {
  refill(now);
  budget = std::max<std::int64_t>(0, budget - config.budget.refill_ms_per_token);
}

void Model::check_resume(const model::Connect& c) const {
  const auto by_position = [&] {
    if (position.kind == model::CursorKind::none)
      return c.from == model::ResumeFrom::server_default;
    return c.from == model::ResumeFrom::cursor && c.cursor == position;
  };
  const auto by_override = [&](Override o) {
    return c.from == (o == Override::oldest ? model::ResumeFrom::oldest : model::ResumeFrom::live);
  };
  // A cursor that is not a token's carries no id bytes: after the stream reset
  // its id (an empty SSE `id:`), a stale id presented would resume elsewhere.
  if (c.from == model::ResumeFrom::cursor && c.cursor.kind != model::CursorKind::token &&
      !c.cursor.token.empty())
    broken("resume", "Connect resumes with the id '" + std::string(c.cursor.token.view()) +
                         "' the stream reset (an empty id: the cursor is the sequence alone)");
  bool ok = false;
  if (override_from != Override::none) {
    ok = by_override(override_from);
  } else if (override_ambiguous != Override::none) {
    ok = by_override(override_ambiguous) || by_position();
  } else {
    ok = by_position();
  }
  if (!ok)
    broken("resume", "Connect resumes from " + std::string(model::name_of(c.from)) + " " +
                         text(c.cursor) + "; expected " +
                         (override_from != Override::none
                              ? std::string(override_from == Override::oldest ? "oldest" : "live") +
                                    " (the cursor-too-old policy)"
                              : "the last delivered position " + text(position)));
}

// ---------------------------------------------------------------- frames

void Model::on_deliver(const model::Deliver& d, Ctx& ctx) {
  if (!ctx.frame || !ctx.frame_open)
    broken("frame-release", "Deliver without a frame on an open stream");
  if (ctx.releases++ > 0) broken("frame-release", "a frame released twice");
  const model::FrameReceived& f = *ctx.frame;
  if (d.frame_ref != f.frame_ref || d.sequence != f.sequence)
    broken("frame-release", "Deliver does not match its frame");
  if (d.delivery_id != delivered + 1)
    broken("duplicate", "delivery id " + num(d.delivery_id) + " after " + num(delivered));
  check_jump(f, ctx);
  if (ctx.pending_gap) {
    const bool matches = f.sequence && last_seq && ctx.pending_gap->from == *last_seq + 1 &&
                         ctx.pending_gap->to == *f.sequence - 1;
    if (!matches) broken("gap", "reported gap does not match the jump it precedes");
    ctx.pending_gap.reset();
  }
  delivered = d.delivery_id;
  if (f.sequence) {
    last_seq = f.sequence;
    gap_open = false;
  }
  move_position(f);
  delivered_since_open = true;
}

// A duplicate is never delivered; a jump is told first under strict detection.
void Model::check_jump(const model::FrameReceived& f, const Ctx& ctx) const {
  if (!f.sequence || !last_seq) return;
  const std::uint64_t s = *f.sequence;
  const std::uint64_t last = *last_seq;
  if (s <= last)
    broken("duplicate", "duplicate delivered: sequence " + num(s) + " after " + num(last));
  if (s > last + 1 && config.resume.gaps == model::GapDetection::strict) {
    const bool told =
        ctx.pending_gap && ctx.pending_gap->from == last + 1 && ctx.pending_gap->to == s - 1;
    const bool resync = gap_open && (!gap_open_from || *gap_open_from <= last + 1);
    if (!told && !resync)
      broken("gap", "silent gap: sequence " + num(s) + " delivered after " + num(last) +
                        " without a ReportGap for [" + num(last + 1) + ", " + num(s - 1) + "]");
  }
}

void Model::move_position(const model::FrameReceived& f) {
  if (f.id || f.sequence) {
    // An empty id is a reset (WHATWG): the position keeps only the sequence.
    const bool token = f.id && !f.id->empty();
    position = token        ? (f.sequence ? model::Cursor::at_token(*f.id, *f.sequence)
                                          : model::Cursor::at_token(*f.id))
               : f.sequence ? model::Cursor::at_sequence(*f.sequence)
                            : model::Cursor{};
    position_is_start = false;
    override_from = Override::none;
    override_ambiguous = Override::none;
  } else if (override_from != Override::none) {
    override_ambiguous = override_from;  // resume from there again, or from the position: both fine
    override_from = Override::none;
  }
  position_after.push_back(After{Position::of(position), position_is_start});
}

void Model::on_discard(const model::DiscardFrame& d, Ctx& ctx) const {
  if (!ctx.frame) broken("frame-release", "DiscardFrame without a frame");
  if (ctx.releases++ > 0) broken("frame-release", "a frame released twice");
  const model::FrameReceived& f = *ctx.frame;
  if (d.frame_ref != f.frame_ref || d.sequence != f.sequence)
    broken("frame-release", "DiscardFrame does not match its frame");
  if (!ctx.frame_open) {
    if (d.reason != model::DiscardReason::not_streaming)
      broken("frame-release", "frame on no open stream discarded as duplicate");
    return;
  }
  if (d.reason != model::DiscardReason::duplicate)
    broken("frame-release", "frame on an open stream discarded as not_streaming");
  if (!(f.sequence && last_seq && *f.sequence <= *last_seq))
    broken("frame-release",
           "a new frame (not a duplicate) was discarded: an event lost without a gap report");
}

void Model::on_gap(const model::ReportGap& g, Ctx& ctx) {
  if (g.cause == model::GapCause::missing) {
    if (config.resume.gaps != model::GapDetection::strict)
      broken("gap", "missing-gap report under relaxed gap detection");
    if (!ctx.frame_open || ctx.pending_gap)
      broken("gap", "missing-gap report without a frame to deliver");
    ctx.pending_gap = Gap{g.from_sequence, g.to_sequence};
    return;
  }
  if (!ctx.too_old || ctx.too_old_reported)
    broken("gap",
           "cursor_too_old gap without an expired cursor (the server did not say the cursor is too "
           "old)");
  ctx.too_old_reported = true;
  // Exactly from the first event not delivered: an earlier start invents a
  // loss of what the application has, a later one hides one.
  if (g.from_sequence && last_seq && *g.from_sequence != *last_seq + 1)
    broken("gap", "cursor_too_old gap from " + num(*g.from_sequence) + ", expected from " +
                      num(*last_seq + 1));
  if (!g.to_sequence) {
    gap_open = true;
    gap_open_from = g.from_sequence;
  }
}

// ---------------------------------------------------------------- checkpoints

void Model::on_save(const model::SaveCheckpoint& s, model::Instant now) {
  const std::uint64_t id = s.delivery_id;
  if (save_retry_not_before && now < *save_retry_not_before) early_save = true;
  save_retry_not_before.reset();
  if (id == 0 || id > committable)
    broken("checkpoint", "checkpoint of delivery " + num(id) +
                             " ahead of the commit policy (committable: " + num(committable) + ")");
  if (id < last_save || (id == last_save && !save_failed_since_save))
    broken("checkpoint",
           "checkpoint moved backwards or repeated: " + num(id) + " after " + num(last_save));
  if (id < durable) broken("checkpoint", "re-requested checkpoint older than the durable one");
  check_save_cursor(s);
  if (requested > durable) save_while_saving = true;  // allowed for the final flush only
  if (saved_floor) {
    if (saved_floor->kind != model::CursorKind::none && s.cursor.kind == model::CursorKind::none)
      broken("checkpoint", "checkpoint regressed to an empty cursor after " + text(*saved_floor));
    if (saved_floor->has_sequence && s.cursor.has_sequence &&
        s.cursor.sequence < saved_floor->sequence)
      broken("checkpoint", "checkpoint sequence moved backwards: " + text(s.cursor) + " after " +
                               text(*saved_floor));
  }
  last_save = id;
  requested = std::max(requested, id);
  save_failed_since_save = false;
  if (id >= committable) unsaved_since.reset();
  if (s.cursor.kind != model::CursorKind::none) saved_floor = s.cursor;
  trim_windows();
}

// The cursor saved is the one of the delivery it names: the committing ack's
// (on_ack), or the position after that delivery (on_next_delivery).
void Model::check_save_cursor(const model::SaveCheckpoint& s) const {
  const std::uint64_t id = s.delivery_id;
  if (s.cursor.kind != model::CursorKind::token && !s.cursor.token.empty())
    broken("resume", "checkpoint of delivery " + num(id) + " keeps the id '" +
                         std::string(s.cursor.token.view()) + "' the stream reset");
  const After& after = after_delivery(id);
  const Position* expected = &after.cursor;
  if (config.resume.commit == model::CommitPolicy::on_ack) {
    const std::optional<Position>* committed = commit_cursor_of(id);
    if (committed == nullptr || !*committed)
      broken("checkpoint", "checkpoint of delivery " + num(id) + ", which no ack committed");
    expected = &**committed;
  }
  // On restart an empty checkpoint falls back to the configured start, so while
  // the position still is that start, saving "none" is the same checkpoint.
  const bool equivalent = config.resume.commit == model::CommitPolicy::on_next_delivery &&
                          after.is_start && s.cursor.kind == model::CursorKind::none;
  if (!expected->same_as(s.cursor) && !equivalent)
    broken("checkpoint", "checkpoint of delivery " + num(id) + " saves cursor " + text(s.cursor) +
                             ", but that delivery's cursor is " + text(*expected));
}

// ---------------------------------------------------------------- auth

void Model::on_refresh(const model::RefreshAuth& r, Ctx& ctx) const {
  if (!config.auth.has_provider) broken("auth-refresh", "RefreshAuth without an auth provider");
  if (r.cause == model::RefreshCause::rejected) {
    if (!ctx.refresh_rejected)
      broken("auth-refresh", "RefreshAuth{rejected} without a 401 that allows one");
    if (ctx.rejected_refreshes++ > 0)
      broken("auth-refresh", "two refreshes for one rejected attempt");
    return;
  }
  if (!ctx.expiring_refresh_ok)
    broken("refresh-pacing",
           "proactive RefreshAuth outside the token's refresh-ahead window (or after a failed one, "
           "before new "
           "credentials)");
}

// Every RefreshAuth: none while one is out (even one given up at its
// timeout), numbered 1, 2, 3, ...
void Model::number_refresh(const model::RefreshAuth& r) {
  if (refresh_out != 0)
    broken("refresh-pacing", "RefreshAuth #" + num(std::uint64_t{r.request}) + " while #" +
                                 num(std::uint64_t{refresh_out}) + " is out");
  const std::uint32_t want = refresh_last == UINT32_MAX ? 1 : refresh_last + 1;
  if (r.request != want)
    broken("refresh-pacing", "RefreshAuth numbered " + num(std::uint64_t{r.request}) +
                                 ", expected " + num(std::uint64_t{want}));
  refresh_out = refresh_last = r.request;
}

bool Model::answers_refresh_out(std::uint32_t request) const {
  return refresh_out != 0 && (request == 0 || request == refresh_out);
}

// ---------------------------------------------------------------- status and backoff

void Model::on_status(const model::Status& st, Ctx& ctx) {
  if (st.kind == model::StatusKind::backing_off) {
    if (ctx.failure && !ctx.backed_off) {
      check_backoff(st, ctx);
    } else if (ctx.restore && backing_off && !ctx.restore_reported) {
      check_restore(st, ctx);
    } else if (ctx.reconnect && !ctx.reconnect_reported) {
      check_reconnect(st, ctx);
    } else if (ctx.resume_due && !ctx.resume_reported) {
      check_resumed(st, ctx);
    } else if (ctx.terminal && ctx.terminal->kind == TerminalKind::gave_up) {
      broken("give-up", "backed off although the give-up policy says " +
                            std::string(model::name_of(ctx.terminal->reason)));
    } else if (st.reason == model::Reason::heartbeat_timeout) {
      broken("heartbeat", "closed as silent a stream that got bytes within the heartbeat budget");
    } else {
      broken("backoff-entered", "backing_off status without a failure");
    }
  }
  if (st.kind == model::StatusKind::paused && !ctx.pause)
    broken("status", "paused status without a PauseRequested");
  reported = st;
}

void Model::check_backoff(const model::Status& st, Ctx& ctx) {
  const Failure& f = *ctx.failure;
  if (f.give_up)
    broken("give-up", "backed off although the give-up policy says " +
                          std::string(model::name_of(*f.give_up)));
  ctx.backed_off = true;
  if (st.failures != f.count)
    broken("failure-count",
           "failure count " + num(std::uint64_t{st.failures}) + ", expected " + num(f.count) +
               (f.short_session ? " (a short session never resets the count)" : ""));
  if (st.reason != f.reason)
    broken("backoff-entered", "backoff reason " + std::string(model::name_of(st.reason)) +
                                  ", expected " + std::string(model::name_of(f.reason)));
  if (f.http_status != 0 && st.http_status != f.http_status)
    broken("backoff-entered", "backoff status lost the HTTP status");
  const std::int64_t delay = ms_between(ctx.now, st.next_attempt_at);
  const Range r = backoff_bounds(f, ctx.now);
  if (delay < r.lo || delay > r.hi)
    broken("backoff-delay", "backoff delay " + num(delay) + " ms for failure " + num(f.count) +
                                " outside [" + num(r.lo) + ", " + num(r.hi) + "]" +
                                (f.short_session ? " (short session)" : "") + " hint floor " +
                                num(hint_floor(f.retry_after_ms)));
  if (const std::int64_t wait_ms = budget_wait_ms(f.count, ctx.now); delay < wait_ms)
    broken("retry-budget", "backoff delay " + num(delay) + " ms for failure " + num(f.count) +
                               ", but the retry budget holds no whole token for " + num(wait_ms) +
                               " ms");
  backing_off = true;
  backoff_failures = f.count;
  backoff_reason = f.reason;
  backoff_from = ctx.now;
  backoff_lower_ms = r.lo;
  backoff_until = st.next_attempt_at;
  backoff_cut = false;
  failures = f.count;
}

// [lo, hi] for failure f: model::jitter_envelope (clean_close_delay for a
// count of 0), floored by the short-session floor and the server's hints
// (the one floor rule, backoff.hpp: a floor moves the spread above it), hi
// raised to the retry budget's next whole token.
Range Model::backoff_bounds(const Failure& f, model::Instant now) const {
  const std::int64_t hint = hint_floor(f.retry_after_ms);
  std::int64_t lower = 0;
  std::int64_t upper = 0;
  if (f.count == 0) {
    lower = upper = std::max(backoff().clean_close_delay_ms, hint);
  } else {
    const Range j = jitter(f.count);
    const std::int64_t floor =
        std::max(f.short_session ? backoff().short_session_delay_ms_min : 0, hint);
    const model::DelayBounds b = model::floored(model::DelayBounds{j.lo, j.hi}, floor);
    lower = b.delay_ms_min;
    upper = b.delay_ms_max;
    // The attempt may also wait for a whole retry-budget token (that it
    // does is the retry budget's guarantee, checked in check_backoff).
    upper = std::max(upper, budget_wait_ms(f.count, now));
  }
  // after() saturates far in the future: compare against the saturated bound.
  lower = std::min(lower, ms_between(now, model::after(now, lower)));
  upper = std::min(upper, ms_between(now, model::after(now, upper)));
  return {lower, upper};
}

void Model::check_restore(const model::Status& st, Ctx& ctx) {
  ctx.restore_reported = true;
  if (st.failures != backoff_failures || st.reason != backoff_reason)
    broken("network-restored", "network restored changed the backoff's failure count or reason");
  const model::Instant until = st.next_attempt_at;
  if (until < ctx.now)
    broken("network-restored", "network restored moved the next attempt into the past");
  if (until > std::max(backoff_until, ctx.now))
    broken("network-restored", "network restored postponed the next attempt from " +
                                   num(backoff_until.ms) + " to " + num(until.ms));
  // uniform[0, restored_delay_ms_max], or later for a retry-budget token,
  // but never after the backoff's own end.
  const std::int64_t wait_ms = budget_wait_ms(backoff_failures, ctx.now);
  const std::int64_t delay = ms_between(ctx.now, until);
  if (delay > std::max(backoff().restored_delay_ms_max, wait_ms))
    broken("network-restored",
           "network restored left the next attempt " + num(delay) +
               " ms away, more than restored_delay_ms_max and the retry budget's " + num(wait_ms) +
               " ms");
  if (until < std::min(backoff_until, model::after(ctx.now, wait_ms)))
    broken("network-restored",
           "network restored moved the next attempt before the retry budget's next token");
  backoff_until = until;
  backoff_cut = true;
}

// A reconnect the application asked: a backoff of uniform[0,
// restored_delay_ms_max] (later only for a retry-budget token after
// failures), the count unchanged, the reason naming why; due at once, it
// attempts (or gives up) in the same step.
void Model::check_reconnect(const model::Status& st, Ctx& ctx) {
  const Failure& f = *ctx.reconnect;
  ctx.reconnect_reported = true;
  if (connection != Connection::none)
    broken("reconnect", "a reconnect backed off with the connection still open");
  if (st.failures != f.count || st.reason != f.reason)
    broken("reconnect", "a reconnect reported " + text(st) + ", expected failures " + num(f.count) +
                            " and reason " + std::string(model::name_of(f.reason)));
  const std::int64_t wait_ms = budget_wait_ms(f.count, ctx.now);
  const std::int64_t delay = ms_between(ctx.now, st.next_attempt_at);
  const std::int64_t hi = std::max(backoff().restored_delay_ms_max, wait_ms);
  if (delay < wait_ms || delay > hi)
    broken("reconnect", "a reconnect's delay " + num(delay) + " ms outside [" + num(wait_ms) +
                            ", " + num(hi) + "] (restored_delay_ms_max, the retry budget)");
  backing_off = true;
  backoff_failures = f.count;
  backoff_reason = f.reason;
  backoff_from = ctx.now;
  backoff_lower_ms = 0;
  backoff_until = st.next_attempt_at;
  backoff_cut = false;
  failures = f.count;
  if (st.next_attempt_at > ctx.now) return;
  const auto why = f.count > 0 ? give_up_reason(f.count, ctx.now) : std::nullopt;
  if (why) {
    expect_terminal(ctx, TerminalKind::gave_up, *why);
  } else {
    ctx.backoff_due = true;
  }
}

// A resume that must wait: for the rest of the backoff the pause interrupted,
// or for a retry-budget token; the interrupted backoff's reason, or
// pause_requested.
void Model::check_resumed(const model::Status& st, Ctx& ctx) {
  ctx.resume_reported = true;
  const model::Reason reason = paused_backoff ? backoff_reason : model::Reason::pause_requested;
  if (st.failures != paused_failures || st.reason != reason)
    broken("paused", "a resume backed off with " + text(st) + ", expected failures " +
                         num(paused_failures) + " and reason " +
                         std::string(model::name_of(reason)));
  if (st.next_attempt_at != *ctx.resume_due)
    broken("attempt-early", "a resume backed off until " + num(st.next_attempt_at.ms) +
                                ", expected " + num(ctx.resume_due->ms) +
                                " (the interrupted backoff's end, a retry-budget token)");
  if (!paused_backoff) {
    backoff_from = ctx.now;
    backoff_lower_ms = 0;
    backoff_cut = false;
  }
  backing_off = true;
  backoff_failures = paused_failures;
  backoff_reason = reason;
  backoff_until = st.next_attempt_at;
}

}  // namespace tether::sim::session_reference
