#include <tether/model/config.hpp>

#include <cmath>

#include <tether/model/time.hpp>

namespace tether::model {

namespace {
using Result = std::expected<void, ConfigError>;

Result fail(std::string_view field, std::string_view reason) {
  return std::unexpected(ConfigError{field, reason});
}

bool is_fraction(double f) { return std::isfinite(f) && f >= 0.0 && f <= 1.0; }

Result validate_backoff(const BackoffPolicy& b) {
  if (b.delay_ms_initial <= 0) return fail("backoff.delay_ms_initial", "must be > 0");
  if (!std::isfinite(b.multiplier) || b.multiplier < 1.0)
    return fail("backoff.multiplier", "must be a finite number >= 1");
  if (b.delay_ms_max < b.delay_ms_initial)
    return fail("backoff.delay_ms_max", "must be >= backoff.delay_ms_initial");
  if (b.delay_ms_max > duration_ms_max) return fail("backoff.delay_ms_max", "is too large");
  if (!is_fraction(b.jitter_fraction)) return fail("backoff.jitter_fraction", "must be in [0, 1]");
  if (b.reset_on == ResetOn::stable_period && b.stable_ms <= 0)
    return fail("backoff.stable_ms", "must be > 0 when reset_on is stable_period");
  if (b.short_session_ms < 0) return fail("backoff.short_session_ms", "must be >= 0");
  if (b.short_session_delay_ms_min < 0)
    return fail("backoff.short_session_delay_ms_min", "must be >= 0");
  if (b.clean_close_delay_ms < 0) return fail("backoff.clean_close_delay_ms", "must be >= 0");
  if (b.hint_ms_max < 0 || b.hint_ms_max > duration_ms_max)
    return fail("backoff.hint_ms_max", "must be in [0, 2^61]");
  if (b.restored_delay_ms_max < 0) return fail("backoff.restored_delay_ms_max", "must be >= 0");
  return {};
}

Result validate_rest(const SessionConfig& c) {
  if (c.give_up.outage_ms_max < 0) return fail("give_up.outage_ms_max", "must be >= 0");
  if (c.budget.tokens_max > 1000000) return fail("budget.tokens_max", "must be <= 1000000");
  if (c.budget.tokens_max > 0 && (c.budget.refill_ms_per_token <= 0 ||
                                  c.budget.refill_ms_per_token > 1000000000000))
    return fail("budget.refill_ms_per_token",
                "must be in [1, 10^12] ms when the retry budget is on");
  if (c.connect.timeout_ms <= 0) return fail("connect.timeout_ms", "must be > 0");
  if (c.connect.confirm_timeout_ms < 0) return fail("connect.confirm_timeout_ms", "must be >= 0");
  if (c.heartbeat) {
    if (c.heartbeat->interval_ms <= 0) return fail("heartbeat.interval_ms", "must be > 0");
    if (c.heartbeat->interval_multiple < 1)
      return fail("heartbeat.interval_multiple", "must be >= 1");
    if (c.heartbeat->slack_ms < 0) return fail("heartbeat.slack_ms", "must be >= 0");
    if (c.heartbeat->interval_ms > duration_ms_max / 64 || c.heartbeat->slack_ms > duration_ms_max / 2 ||
        c.heartbeat->interval_multiple > 64)
      return fail("heartbeat", "interval, multiple or slack is too large");
  }
  if (c.auth.refresh_ahead_ms < 0) return fail("auth.refresh_ahead_ms", "must be >= 0");
  if (c.auth.refresh_timeout_ms <= 0) return fail("auth.refresh_timeout_ms", "must be > 0");
  if (c.resume.mode == StreamMode::replay_only && c.resume.start.kind == CursorKind::none)
    return fail("resume.start", "replay_only needs a start cursor");
  if (c.resume.checkpoint_every_events == 0)
    return fail("resume.checkpoint_every_events", "must be >= 1");
  if (c.resume.checkpoint_every_ms < 0) return fail("resume.checkpoint_every_ms", "must be >= 0");
  if (c.resume.checkpoint_retry_ms_min <= 0)
    return fail("resume.checkpoint_retry_ms_min", "must be > 0");
  if (c.resume.checkpoint_retry_ms_max < c.resume.checkpoint_retry_ms_min ||
      c.resume.checkpoint_retry_ms_max > duration_ms_max)
    return fail("resume.checkpoint_retry_ms_max", "must be in [resume.checkpoint_retry_ms_min, 2^61]");
  return {};
}
}  // namespace

std::expected<void, ConfigError> validate(const SessionConfig& config) {
  if (auto r = validate_backoff(config.backoff); !r) return r;
  return validate_rest(config);
}

}  // namespace tether::model
