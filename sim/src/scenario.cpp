#include <algorithm>
#include <tether/model/backoff.hpp>
#include <tether/model/presets.hpp>
#include <tether/sim/scenario.hpp>

namespace tether::sim {

std::optional<model::SessionConfig> make_config(std::string_view preset, const Overrides& o) {
  std::optional<model::SessionConfig> found;
  for (const auto& named : model::presets::all())
    if (named.name == preset) found = named.make();
  if (!found) return std::nullopt;
  model::SessionConfig& c = *found;
  c.resume.start = model::Cursor::at_sequence(0);
  if (o.heartbeat_interval_ms) {
    if (*o.heartbeat_interval_ms <= 0) {
      c.heartbeat.reset();
    } else {
      model::HeartbeatPolicy h = c.heartbeat.value_or(model::HeartbeatPolicy{});
      h.interval_ms = *o.heartbeat_interval_ms;
      c.heartbeat = h;
    }
  }
  if (o.heartbeat_slack_ms && c.heartbeat) c.heartbeat->slack_ms = *o.heartbeat_slack_ms;
  if (o.confirm_timeout_ms) c.connect.confirm_timeout_ms = *o.confirm_timeout_ms;
  if (o.commit) c.resume.commit = *o.commit;
  if (o.checkpoint_every_events) c.resume.checkpoint_every_events = *o.checkpoint_every_events;
  if (o.checkpoint_every_ms) c.resume.checkpoint_every_ms = *o.checkpoint_every_ms;
  if (o.too_old) c.resume.too_old = *o.too_old;
  if (o.auth_provider) c.auth.has_provider = *o.auth_provider;
  if (o.on_refresh_failure) c.auth.on_refresh_failure = *o.on_refresh_failure;
  if (o.give_up_attempts_max) c.give_up.attempts_max = *o.give_up_attempts_max;
  if (o.budget_tokens_max) c.budget.tokens_max = *o.budget_tokens_max;
  if (o.budget_refill_ms_per_token) c.budget.refill_ms_per_token = *o.budget_refill_ms_per_token;
  if (o.gaps) c.resume.gaps = *o.gaps;
  if (o.delay_ms_max)
    c.backoff.delay_ms_max = std::max(*o.delay_ms_max, c.backoff.delay_ms_initial);
  return found;
}

model::SessionConfig default_config() { return make_config("aviso", {}).value(); }

std::string_view name_of(FaultKind kind) {
  switch (kind) {
    case FaultKind::partition:
      return "partition";
    case FaultKind::partition_to_server:
      return "partition_to_server";
    case FaultKind::partition_to_client:
      return "partition_to_client";
    case FaultKind::half_open:
      return "half_open";
    case FaultKind::reset:
      return "reset";
    case FaultKind::loss:
      return "loss";
    case FaultKind::slow_link:
      return "slow_link";
    case FaultKind::server_restart:
      return "server_restart";
    case FaultKind::rate_limit:
      return "rate_limit";
    case FaultKind::server_errors:
      return "server_errors";
    case FaultKind::auth_revoked:
      return "auth_revoked";
    case FaultKind::token_expiry:
      return "token_expiry";
    case FaultKind::refresh_failing:
      return "refresh_failing";
    case FaultKind::store_failing:
      return "store_failing";
    case FaultKind::crash:
      return "crash";
    case FaultKind::suspend:
      return "suspend";
    case FaultKind::stop:
      return "stop";
    case FaultKind::torn_write:
      return "torn_write";
    case FaultKind::pause:
      return "pause";
    case FaultKind::network_changed:
      return "network_changed";
    case FaultKind::restart:
      return "restart";
  }
  return "unknown";
}

Ms liveness_bound_ms(const model::SessionConfig& c, const Scenario& s) {
  const model::BackoffPolicy& b = c.backoff;
  Ms hint_ms = 0;
  for (const Fault& f : s.faults)
    if (f.kind == FaultKind::rate_limit)
      hint_ms = std::max<Ms>(hint_ms, f.param);
    else if (f.kind == FaultKind::server_errors)
      hint_ms = std::max(hint_ms, s.world.server_error_retry_after_ms);
  if (b.honour_retry_after)
    hint_ms = std::min(hint_ms, b.hint_ms_max);
  else
    hint_ms = 0;
  // The widest draw, moved above the highest floor (model::floored).
  const Ms floor_ms = std::max(b.short_session_delay_ms_min, hint_ms);
  const model::DelayBounds cap = model::floored(model::jitter_envelope(b, UINT32_MAX), floor_ms);
  Ms delay_ms = std::max({cap.delay_ms_max, b.clean_close_delay_ms, floor_ms});
  if (c.budget.tokens_max > 0) delay_ms += c.budget.refill_ms_per_token;
  Ms connect_ms = c.connect.timeout_ms;
  if (c.connect.timeout_tracks_backoff) connect_ms = std::max(connect_ms, b.delay_ms_max);
  const Ms round_trip_ms = 2 * s.world.latency_ms_max;
  const Ms heartbeat_ms = c.heartbeat ? c.heartbeat->budget_ms() : 0;
  const Ms catch_up_ms = 5000 + 2 * s.world.append_every_ms;
  return 2 * (delay_ms + connect_ms + round_trip_ms + s.world.refresh_ms) + heartbeat_ms +
         c.connect.confirm_timeout_ms + c.auth.refresh_timeout_ms + catch_up_ms;
}

}  // namespace tether::sim
