// The streaming-session reference: what each event makes due (a failure and its
// count, a terminal state, a close, a Connect, which effects may appear),
// derived from the reference's own model before it looks at the step's effects.

#include <algorithm>
#include <tether/model/names.hpp>

#include "session_impl.hpp"

namespace tether::sim::session_reference {

namespace {

model::Reason reason_of_close(model::CloseCause cause) {
  switch (cause) {
    case model::CloseCause::clean_close:
      return model::Reason::clean_close;
    case model::CloseCause::unexpected_eof:
      return model::Reason::unexpected_eof;
    case model::CloseCause::transport_error:
      return model::Reason::transport_error;
    case model::CloseCause::protocol_error:
      return model::Reason::protocol_error;
    case model::CloseCause::unrecoverable:
      return model::Reason::unrecoverable;
  }
  return model::Reason::transport_error;
}

}  // namespace

void Model::expect_failure(Ctx& ctx, Failure f) const {
  if (f.count > 0) f.give_up = give_up_reason(f.count, ctx.now);
  ctx.failure = f;
}

void Model::expect_terminal(Ctx& ctx, TerminalKind kind, model::Reason reason) {
  ctx.terminal = Terminal{kind, reason};
}

// An open, confirmed stream ended: healthy long sessions start counting afresh;
// a session shorter than short_session_ms never resets the count.
void Model::end_stream(Ctx& ctx, model::Reason reason, bool clean) {
  const bool short_session = is_short(ctx.now);
  if (healthy(ctx.now) && !short_session) {
    outage_since = ctx.now;
    expect_failure(ctx, Failure{reason, clean ? 0U : 1U});
    return;
  }
  expect_failure(ctx, Failure{reason, inc_failures(failures), short_session});
}

// The attempt or connection that just ended: how many failures, and is it short?
Failure Model::attempt_failure(model::Reason reason, model::Instant now) const {
  const bool short_session = connection == Connection::open && is_short(now);
  return Failure{reason, inc_failures(failures), short_session};
}

void Model::cursor_too_old(Ctx& ctx, Failure f) {
  ctx.too_old = true;
  ctx.must_close = true;
  switch (config.resume.too_old) {
    case model::TooOldPolicy::fail:
      expect_terminal(ctx, TerminalKind::failed, model::Reason::cursor_too_old);
      return;
    case model::TooOldPolicy::resync_from_oldest:
      override_from = Override::oldest;
      break;
    case model::TooOldPolicy::resume_from_live:
      override_from = Override::live;
      break;
  }
  override_ambiguous = Override::none;
  f.reason = model::Reason::cursor_resync;
  expect_failure(ctx, f);
}

void Model::refresh_failed(Ctx& ctx) {
  refreshing = false;
  if (config.auth.on_refresh_failure == model::RefreshFailure::terminal) {
    expect_terminal(ctx, TerminalKind::failed, model::Reason::auth_refresh_failed);
  } else {
    expect_failure(ctx, Failure{model::Reason::auth_refresh_failed, inc_failures(failures)});
  }
}

void Model::commit(std::uint64_t id, const Position& cursor, model::Instant now) {
  if (id <= committable) return;
  committable = id;
  if (id >= commit_base) {
    if (commit_cursor.size() <= id - commit_base) commit_cursor.resize(id - commit_base + 1);
    commit_cursor[id - commit_base] = cursor;
  }
  if (!unsaved_since) unsaved_since = now;
}

void Model::plan(const model::Event& event, Ctx& ctx) {
  std::visit(Overload{
                 [&](const model::Started& e) { plan_started(e, ctx); },
                 [&](const model::StopRequested&) {
                   plan_ends(TerminalKind::stopped, model::Reason::stop_requested, ctx);
                 },
                 [&](const model::Tick&) { plan_tick(ctx); },
                 [&](const model::ConnectionOpened&) { plan_opened(ctx); },
                 [&](const model::ConnectionClosed& e) { plan_closed(e, ctx); },
                 [&](const model::ServerRejected& e) { plan_rejected(e, ctx); },
                 [&](const model::BytesReceived&) { plan_bytes(ctx); },
                 [&](const model::FrameReceived& e) { plan_frame(e, ctx); },
                 [&](const model::CursorExpired&) { plan_expired(ctx); },
                 [&](const model::ReplayFinished&) {
                   if (config.resume.mode != model::StreamMode::replay_only || !started ||
                       paused_unstarted) {
                     ctx.quiet = true;
                     return;
                   }
                   plan_ends(TerminalKind::stopped, model::Reason::replay_complete, ctx);
                 },
                 [&](const model::DeliveryAcked& e) { plan_acked(e, ctx); },
                 [&](const model::AuthRefreshed& e) { plan_refreshed(e, ctx); },
                 [&](const model::AuthRefreshFailed& e) { plan_refresh_failed(e, ctx); },
                 [&](const model::CheckpointSaved& e) { plan_saved(e, ctx); },
                 [&](const model::CheckpointSaveFailed& e) { plan_save_failed(e, ctx); },
                 [&](const model::NetworkRestored&) { plan_restored(ctx); },
                 [&](const model::PauseRequested&) { plan_paused(ctx); },
                 [&](const model::ResumeRequested&) { plan_resumed(ctx); },
                 [&](const model::ReconnectRequested& e) { plan_reconnect(e, ctx); },
             },
             event);
}

void Model::plan_ends(TerminalKind kind, model::Reason reason, Ctx& ctx) {
  expect_terminal(ctx, kind, reason);
  ctx.must_close = connection != Connection::none;
}

void Model::plan_started(const model::Started& e, Ctx& ctx) {
  if (started) {
    ctx.quiet = true;
    return;
  }
  started = true;
  outage_since = ctx.now;
  budget = budget_cap();
  budget_at = ctx.now;
  const bool loaded = e.checkpoint && e.checkpoint->kind != model::CursorKind::none;
  position = loaded ? *e.checkpoint : config.resume.start;
  position_is_start = !loaded;
  if (loaded) saved_floor = *e.checkpoint;
  if (position.has_sequence) last_seq = position.sequence;
  position_after.assign(1, After{Position::of(position), position_is_start});
  after_base = 0;
  commit_cursor.assign(1, std::nullopt);
  commit_base = 0;
  expires_at = e.token_expires_at;
  credentials_at = ctx.now;
  if (paused) {
    // Paused before it started: it starts paused, the outage clock from now.
    paused_unstarted = false;
    paused_at = ctx.now;
    ctx.quiet = true;
    return;
  }
  ctx.connect = ConnectKind::start;
}

void Model::plan_tick(Ctx& ctx) {
  ctx.early_tick = !deadline_before || ctx.now < *deadline_before;
  if (connection == Connection::attempting) {
    const Range t = connect_timeout();
    const std::int64_t waited = ms_between(attempt_at, ctx.now);
    if (waited >= t.lo) {
      expect_failure(ctx, attempt_failure(model::Reason::connect_timeout, ctx.now));
      ctx.failure_optional = waited < t.hi;
      ctx.must_close = true;
    }
  } else if (connection == Connection::open && !confirmed) {
    if (ms_between(opened_at, ctx.now) >= config.connect.confirm_timeout_ms) {
      expect_failure(ctx, attempt_failure(model::Reason::confirm_timeout, ctx.now));
      ctx.must_close = true;
    }
  } else if (connection == Connection::open) {
    plan_tick_open(ctx);
  } else if (refreshing) {
    if (ms_between(refresh_at, ctx.now) >= config.auth.refresh_timeout_ms)
      refresh_failed(ctx);  // still out
  } else if (backing_off && ctx.now >= backoff_until) {
    const auto why =
        backoff_failures > 0 ? give_up_reason(backoff_failures, ctx.now) : std::nullopt;
    if (why) {
      expect_terminal(ctx, TerminalKind::gave_up, *why);
    } else {
      ctx.backoff_due = true;
    }
  }
}

void Model::plan_tick_open(Ctx& ctx) {
  // Due refresh_ahead_ms before expiry, but not before half the lifetime.
  ctx.expiring_refresh_ok = config.auth.has_provider && expires_at &&
                            ms_between(ctx.now, *expires_at) <= config.auth.refresh_ahead_ms &&
                            ctx.now.ms >= credentials_at.ms / 2 + expires_at->ms / 2;
  if (config.heartbeat && ms_between(last_rx_at, ctx.now) >= heartbeat_budget_ms()) {
    end_stream(ctx, model::Reason::heartbeat_timeout, false);
    ctx.must_close = true;
  }
}

void Model::plan_opened(Ctx& ctx) {
  ctx.allowed = bit<model::ReportStatus>();
  if (connection != Connection::attempting) {
    ctx.quiet = true;
    return;
  }
  connection = Connection::open;
  opened_at = ctx.now;
  last_rx_at = ctx.now;
  confirmed = config.connect.confirm_timeout_ms == 0;
  delivered_since_open = false;
}

void Model::plan_bytes(Ctx& ctx) {
  ctx.allowed = bit<model::ReportStatus>();
  if (connection != Connection::open) {
    ctx.quiet = true;
    return;
  }
  confirmed = true;
  last_rx_at = ctx.now;
}

void Model::plan_closed(const model::ConnectionClosed& e, Ctx& ctx) {
  if (connection == Connection::none) {
    ctx.quiet = true;
    return;
  }
  const model::Reason reason = reason_of_close(e.cause);
  if (e.cause == model::CloseCause::unrecoverable) {
    expect_terminal(ctx, TerminalKind::failed, model::Reason::unrecoverable);
  } else if (connection == Connection::open && confirmed) {
    end_stream(ctx, reason, e.cause == model::CloseCause::clean_close);
  } else {
    expect_failure(ctx, attempt_failure(reason, ctx.now));
  }
  connection = Connection::none;  // the event itself says the connection is gone
}

void Model::plan_rejected(const model::ServerRejected& e, Ctx& ctx) {
  // A status answers an attempt: connecting, or open but not yet confirmed.
  if (!(connection == Connection::attempting || (connection == Connection::open && !confirmed))) {
    ctx.quiet = true;
    return;
  }
  ctx.must_close = true;
  const std::uint16_t status = e.http_status;
  if (status == 401) {
    if (!config.auth.has_provider) {
      expect_terminal(ctx, TerminalKind::failed, model::Reason::unauthorized);
    } else if (attempt_fresh) {
      expect_terminal(ctx, TerminalKind::failed, model::Reason::rejected_after_refresh);
    } else {
      ctx.refresh_rejected = true;
    }
    return;
  }
  Failure f = attempt_failure(model::Reason::server_error, ctx.now);
  if (status == 410) return cursor_too_old(ctx, f);
  f.http_status = status;
  if (status == 429 || status == 503) {
    // Retry-After is a hint on 429 and 503 only (docs/state-machine.md).
    f.reason = model::Reason::rate_limited;
    f.retry_after_ms = e.retry_after_ms;
    return expect_failure(ctx, f);
  }
  if (status >= 500 && status <= 599) return expect_failure(ctx, f);
  expect_terminal(ctx, TerminalKind::failed, model::Reason::http_status);
}

void Model::plan_frame(const model::FrameReceived& e, Ctx& ctx) {
  ctx.frame = &e;
  if (connection != Connection::open) {
    ctx.allowed = bit<model::DiscardFrame>();
    return;
  }
  ctx.frame_open = true;
  ctx.allowed = bit<model::ReportStatus>() | bit<model::ReportGap>() |
                bit<model::SaveCheckpoint>() | bit<model::Deliver>() | bit<model::DiscardFrame>();
  confirmed = true;
  last_rx_at = ctx.now;
  if (e.retry_ms && *e.retry_ms >= 0) sse_hint_ms = *e.retry_ms;
  const bool duplicate = e.sequence && last_seq && *e.sequence <= *last_seq;
  // on_next_delivery: this arrival proves the previous delivery was handled.
  if (!duplicate && config.resume.commit == model::CommitPolicy::on_next_delivery && delivered > 0)
    commit(delivered, after_delivery(delivered).cursor, ctx.now);
}

void Model::plan_expired(Ctx& ctx) {
  if (connection == Connection::none) {
    ctx.quiet = true;
    return;
  }
  if (connection == Connection::open && confirmed) {
    const bool short_session = is_short(ctx.now);
    if (healthy(ctx.now) && !short_session) {
      outage_since = ctx.now;
      return cursor_too_old(ctx, Failure{model::Reason::cursor_resync, 1});
    }
    return cursor_too_old(
        ctx, Failure{model::Reason::cursor_resync, inc_failures(failures), short_session});
  }
  cursor_too_old(ctx, attempt_failure(model::Reason::cursor_resync, ctx.now));
}

void Model::plan_acked(const model::DeliveryAcked& e, Ctx& ctx) {
  ctx.allowed = bit<model::SaveCheckpoint>();
  if (config.resume.commit != model::CommitPolicy::on_ack || e.delivery_id == 0 ||
      e.delivery_id > delivered) {
    ctx.quiet = true;
    return;
  }
  commit(e.delivery_id, Position::of(e.cursor), ctx.now);
}

void Model::plan_refreshed(const model::AuthRefreshed& e, Ctx& ctx) {
  // The driver holds these credentials, whatever they answer.
  expires_at = e.expires_at;
  credentials_at = ctx.now;
  ctx.quiet = true;
  if (!answers_refresh_out(e.request)) return;  // stale: credentials only
  refresh_out = 0;
  if (refreshing) {
    ctx.quiet = false;
    ctx.connect = ConnectKind::refresh;
  } else if (backing_off && backoff_reason == model::Reason::auth_refresh_failed) {
    // Late: the answer of the refresh whose timeout entered this backoff.
    ctx.quiet = false;
    if (const auto why = give_up_reason(backoff_failures, ctx.now)) {
      expect_terminal(ctx, TerminalKind::gave_up, *why);
    } else {
      ctx.connect = ConnectKind::late_refresh;
    }
  }
}

void Model::plan_refresh_failed(const model::AuthRefreshFailed& e, Ctx& ctx) {
  if (!answers_refresh_out(e.request)) {
    ctx.quiet = true;
    return;
  }
  refresh_out = 0;
  if (!refreshing) {
    // A failed proactive refresh: the expiry is forgotten, so no proactive
    // refresh is due again until new credentials arrive (a 401 takes the
    // reactive path meanwhile).
    expires_at.reset();
    ctx.quiet = true;
    return;
  }
  refresh_failed(ctx);
}

void Model::plan_saved(const model::CheckpointSaved& e, Ctx& ctx) {
  ctx.quiet = true;
  if (e.delivery_id <= requested && e.delivery_id > durable) {
    durable = e.delivery_id;
    // The next save takes the commits that waited for this one (or for a
    // healed disk).
    ctx.quiet = false;
    ctx.allowed = bit<model::SaveCheckpoint>();
    save_failures_in_row = 0;
  }
}

void Model::plan_save_failed(const model::CheckpointSaveFailed& e, Ctx& ctx) {
  ctx.allowed = bit<model::SaveCheckpoint>();
  // Only a failure of the newest request needs a retry.
  if (e.delivery_id <= durable || e.delivery_id != requested) {
    ctx.quiet = true;
    return;
  }
  requested = durable;
  save_failed_since_save = true;
  if (!unsaved_since) unsaved_since = ctx.now;
  save_failures_in_row = inc_failures(save_failures_in_row);
  save_retry_not_before = model::Instant{add_sat(ctx.now.ms, save_retry_wait_ms())};
}

void Model::plan_restored(Ctx& ctx) {
  if (!backing_off) {
    ctx.quiet = true;
    return;
  }
  // Past the give-up limit a restore ends the session at once.
  if (backoff_failures > 0) {
    if (const auto why = give_up_reason(backoff_failures, ctx.now)) {
      expect_terminal(ctx, TerminalKind::gave_up, *why);
      return;
    }
  }
  ctx.restore = true;
  ctx.allowed = bit<model::ReportStatus>() | bit<model::Connect>();
}

// Every live phase pauses (Idle too): what is open closes, the count is kept
// (an open, healthy, long-enough stream's is forgotten, as its end would), and
// a backoff interrupted is remembered with its end.
void Model::plan_paused(Ctx& ctx) {
  if (paused) {
    ctx.quiet = true;
    return;
  }
  ctx.allowed =
      bit<model::CloseConnection>() | bit<model::SaveCheckpoint>() | bit<model::ReportStatus>();
  ctx.pause = true;
  ctx.must_close = connection != Connection::none;
  paused = true;
  paused_at = ctx.now;
  paused_unstarted = !started;
  paused_backoff = backing_off;
  paused_failures = backing_off ? backoff_failures : failures;
  if (connection == Connection::open && confirmed && healthy(ctx.now) && !is_short(ctx.now)) {
    outage_since = ctx.now;
    paused_failures = 0;
  }
  if (!started) paused_failures = 0;
  backing_off = false;
  refreshing = false;
}

// The time paused is no outage; then the give-up limits, and an attempt once
// the interrupted backoff has ended and, after failures, the budget holds a
// token; else a backoff until then.
void Model::plan_resumed(Ctx& ctx) {
  if (!paused) {
    ctx.quiet = true;
    return;
  }
  paused = false;
  ctx.allowed = bit<model::ReportStatus>();
  if (paused_unstarted) {
    paused_unstarted = false;  // Idle again: Started has not come
    return;
  }
  ctx.allowed |= bit<model::Connect>() | bit<model::SaveCheckpoint>();
  outage_since = model::Instant{
      add_sat(outage_since.ms, std::max<std::int64_t>(0, ms_between(paused_at, ctx.now)))};
  failures = paused_failures;
  if (paused_failures > 0) {
    if (const auto why = give_up_reason(paused_failures, ctx.now)) {
      expect_terminal(ctx, TerminalKind::gave_up, *why);
      return;
    }
  }
  model::Instant due = ctx.now;
  if (paused_backoff) due = std::max(due, backoff_until);
  due = std::max(due, model::after(ctx.now, budget_wait_ms(paused_failures, ctx.now)));
  ctx.resume_due = due;
  if (due <= ctx.now) ctx.connect = ConnectKind::resume;
}

// How long until the budget holds a whole token, for an attempt after
// `failures_before` failures (0: the budget is not asked).
std::int64_t Model::budget_wait_ms(std::uint64_t failures_before, model::Instant now) const {
  if (failures_before == 0 || !budget_on()) return 0;
  const std::int64_t credit = std::min(
      budget_cap(), add_sat(budget, std::max<std::int64_t>(0, ms_between(budget_at, now))));
  return std::max<std::int64_t>(0, config.budget.refill_ms_per_token - credit);
}

// An open or attempting connection is dropped, not counted as a failure; a
// backoff wakes as on NetworkRestored; anything else ignores it.
void Model::plan_reconnect(const model::ReconnectRequested& e, Ctx& ctx) {
  if (connection == Connection::none) {
    if (backing_off) return plan_restored(ctx);
    ctx.quiet = true;
    return;
  }
  ctx.must_close = true;
  ctx.allowed = bit<model::CloseConnection>() | bit<model::ReportStatus>() | bit<model::Connect>() |
                bit<model::SaveCheckpoint>();
  std::uint64_t n = failures;
  if (connection == Connection::open && confirmed && healthy(ctx.now) && !is_short(ctx.now)) {
    outage_since = ctx.now;
    n = 0;
  }
  ctx.reconnect =
      Failure{e.why == model::ReconnectWhy::network_changed ? model::Reason::network_changed
                                                            : model::Reason::restart_requested,
              n};
}

}  // namespace tether::sim::session_reference
