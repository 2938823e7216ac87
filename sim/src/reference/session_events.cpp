// The streaming-session reference: what each event makes due (a failure and its
// count, a terminal state, a close, a Connect, which effects may appear),
// derived from the reference's own model before it looks at the step's effects.

#include <algorithm>
#include <tether/model/names.hpp>

#include "session_impl.hpp"

namespace tether::sim::session_reference {

namespace {

m::Reason reason_of_close(m::CloseCause cause) {
  switch (cause) {
    case m::CloseCause::clean_close:
      return m::Reason::clean_close;
    case m::CloseCause::unexpected_eof:
      return m::Reason::unexpected_eof;
    case m::CloseCause::transport_error:
      return m::Reason::transport_error;
    case m::CloseCause::protocol_error:
      return m::Reason::protocol_error;
    case m::CloseCause::unrecoverable:
      return m::Reason::unrecoverable;
  }
  return m::Reason::transport_error;
}

}  // namespace

void Model::expect_failure(Ctx& ctx, Failure f) const {
  if (f.n > 0) f.give_up = give_up_reason(f.n, ctx.now);
  ctx.failure = f;
}

void Model::expect_terminal(Ctx& ctx, TermKind kind, m::Reason reason) {
  ctx.terminal = Terminal{kind, reason};
}

// An open, confirmed stream ended: healthy long sessions start counting afresh;
// a session shorter than short_session_ms never resets the count.
void Model::end_stream(Ctx& ctx, m::Reason reason, bool clean) {
  const bool short_session = is_short(ctx.now);
  if (healthy(ctx.now) && !short_session) {
    outage_since = ctx.now;
    expect_failure(ctx, Failure{reason, clean ? 0U : 1U});
    return;
  }
  expect_failure(ctx, Failure{reason, inc_failures(failures), short_session});
}

// The attempt or connection that just ended: how many failures, and is it short?
Failure Model::attempt_failure(m::Reason reason, m::Instant now) const {
  const bool short_session = conn == Conn::open && is_short(now);
  return Failure{reason, inc_failures(failures), short_session};
}

void Model::cursor_too_old(Ctx& ctx, Failure f) {
  ctx.too_old = true;
  ctx.must_close = true;
  switch (cfg.resume.too_old) {
    case m::TooOldPolicy::fail:
      expect_terminal(ctx, TermKind::failed, m::Reason::cursor_too_old);
      return;
    case m::TooOldPolicy::resync_from_oldest:
      override_from = Override::oldest;
      break;
    case m::TooOldPolicy::resume_from_live:
      override_from = Override::live;
      break;
  }
  override_ambiguous = Override::none;
  f.reason = m::Reason::cursor_resync;
  expect_failure(ctx, f);
}

void Model::refresh_failed(Ctx& ctx) {
  refreshing = false;
  if (cfg.auth.on_refresh_failure == m::RefreshFailure::terminal) {
    expect_terminal(ctx, TermKind::failed, m::Reason::auth_refresh_failed);
  } else {
    expect_failure(ctx, Failure{m::Reason::auth_refresh_failed, inc_failures(failures)});
  }
}

void Model::commit(std::uint64_t id, const Position& cursor, m::Instant now) {
  if (id <= committable) return;
  committable = id;
  if (id >= commit_base) {
    if (commit_cursor.size() <= id - commit_base) commit_cursor.resize(id - commit_base + 1);
    commit_cursor[id - commit_base] = cursor;
  }
  if (!unsaved_since) unsaved_since = now;
}

void Model::plan(const m::Event& event, Ctx& ctx) {
  std::visit(Overload{
                 [&](const m::Started& e) { plan_started(e, ctx); },
                 [&](const m::StopRequested&) {
                   plan_ends(TermKind::stopped, m::Reason::stop_requested, ctx);
                 },
                 [&](const m::Tick&) { plan_tick(ctx); },
                 [&](const m::ConnectionOpened&) { plan_opened(ctx); },
                 [&](const m::ConnectionClosed& e) { plan_closed(e, ctx); },
                 [&](const m::ServerRejected& e) { plan_rejected(e, ctx); },
                 [&](const m::BytesReceived&) { plan_bytes(ctx); },
                 [&](const m::FrameReceived& e) { plan_frame(e, ctx); },
                 [&](const m::CursorExpired&) { plan_expired(ctx); },
                 [&](const m::ReplayFinished&) {
                   if (cfg.resume.mode != m::StreamMode::replay_only || !started) {
                     ctx.quiet = true;
                     return;
                   }
                   plan_ends(TermKind::stopped, m::Reason::replay_complete, ctx);
                 },
                 [&](const m::DeliveryAcked& e) { plan_acked(e, ctx); },
                 [&](const m::AuthRefreshed& e) { plan_refreshed(e, ctx); },
                 [&](const m::AuthRefreshFailed& e) { plan_refresh_failed(e, ctx); },
                 [&](const m::CheckpointSaved& e) { plan_saved(e, ctx); },
                 [&](const m::CheckpointSaveFailed& e) { plan_save_failed(e, ctx); },
                 [&](const m::NetworkRestored&) { plan_restored(ctx); },
             },
             event);
}

void Model::plan_ends(TermKind kind, m::Reason reason, Ctx& ctx) {
  expect_terminal(ctx, kind, reason);
  ctx.must_close = conn != Conn::none;
}

void Model::plan_started(const m::Started& e, Ctx& ctx) {
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
  position_after.assign(1, After{Position::of(position), position_is_start});
  after_base = 0;
  commit_cursor.assign(1, std::nullopt);
  commit_base = 0;
  expires_at = e.token_expires_at;
  credentials_at = ctx.now;
  ctx.connect = ConnectKind::start;
}

void Model::plan_tick(Ctx& ctx) {
  ctx.early_tick = !deadline_before || ctx.now < *deadline_before;
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
    plan_tick_open(ctx);
  } else if (refreshing) {
    if (ms_between(refresh_at, ctx.now) >= cfg.auth.refresh_timeout_ms)
      refresh_failed(ctx);  // still out
  } else if (backing_off && ctx.now >= backoff_until) {
    const auto why =
        backoff_failures > 0 ? give_up_reason(backoff_failures, ctx.now) : std::nullopt;
    if (why) {
      expect_terminal(ctx, TermKind::gave_up, *why);
    } else {
      ctx.backoff_due = true;
    }
  }
}

void Model::plan_tick_open(Ctx& ctx) {
  // Due refresh_ahead_ms before expiry, but not before half the lifetime.
  ctx.expiring_refresh_ok = cfg.auth.has_provider && expires_at &&
                            ms_between(ctx.now, *expires_at) <= cfg.auth.refresh_ahead_ms &&
                            ctx.now.ms >= credentials_at.ms / 2 + expires_at->ms / 2;
  if (cfg.heartbeat && ms_between(last_rx_at, ctx.now) >= heartbeat_budget_ms()) {
    end_stream(ctx, m::Reason::heartbeat_timeout, false);
    ctx.must_close = true;
  }
}

void Model::plan_opened(Ctx& ctx) {
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
}

void Model::plan_bytes(Ctx& ctx) {
  ctx.allowed = bit<m::ReportStatus>();
  if (conn != Conn::open) {
    ctx.quiet = true;
    return;
  }
  confirmed = true;
  last_rx_at = ctx.now;
}

void Model::plan_closed(const m::ConnectionClosed& e, Ctx& ctx) {
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

void Model::plan_rejected(const m::ServerRejected& e, Ctx& ctx) {
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
    // Retry-After is a hint on 429 and 503 only (docs/state-machine.md).
    f.reason = m::Reason::rate_limited;
    f.retry_after_ms = e.retry_after_ms;
    return expect_failure(ctx, f);
  }
  if (status >= 500 && status <= 599) return expect_failure(ctx, f);
  expect_terminal(ctx, TermKind::failed, m::Reason::http_status);
}

void Model::plan_frame(const m::FrameReceived& e, Ctx& ctx) {
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
    commit(delivered, after_delivery(delivered).cursor, ctx.now);
}

void Model::plan_expired(Ctx& ctx) {
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
    return cursor_too_old(ctx,
                          Failure{m::Reason::cursor_resync, inc_failures(failures), short_session});
  }
  cursor_too_old(ctx, attempt_failure(m::Reason::cursor_resync, ctx.now));
}

void Model::plan_acked(const m::DeliveryAcked& e, Ctx& ctx) {
  ctx.allowed = bit<m::SaveCheckpoint>();
  if (cfg.resume.commit != m::CommitPolicy::on_ack || e.delivery_id == 0 ||
      e.delivery_id > delivered) {
    ctx.quiet = true;
    return;
  }
  commit(e.delivery_id, Position::of(e.cursor), ctx.now);
}

void Model::plan_refreshed(const m::AuthRefreshed& e, Ctx& ctx) {
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
}

void Model::plan_refresh_failed(const m::AuthRefreshFailed& e, Ctx& ctx) {
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

void Model::plan_saved(const m::CheckpointSaved& e, Ctx& ctx) {
  ctx.quiet = true;
  if (e.delivery_id <= requested && e.delivery_id > durable) {
    durable = e.delivery_id;
    // The next save takes the commits that waited for this one (or for a
    // healed disk).
    ctx.quiet = false;
    ctx.allowed = bit<m::SaveCheckpoint>();
    save_failures_in_row = 0;
  }
}

void Model::plan_save_failed(const m::CheckpointSaveFailed& e, Ctx& ctx) {
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
  save_retry_not_before = m::Instant{add_sat(ctx.now.ms, save_retry_wait_ms())};
}

void Model::plan_restored(Ctx& ctx) {
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
}

}  // namespace tether::sim::session_reference
