#include <cmath>
#include <tether/model/config.hpp>
#include <tether/model/time.hpp>

namespace tether::model {

namespace {
using Result = std::expected<void, ConfigError>;

Result fail(std::string_view field, std::string_view reason) {
  return std::unexpected(ConfigError{field, reason});
}

bool is_fraction(double f) { return std::isfinite(f) && f >= 0.0 && f <= 1.0; }

// Every duration is in [lo, duration_ms_max] (2^61 - 1 ms), so deadline
// arithmetic on Instants cannot overflow.
bool in(std::int64_t v, std::int64_t lo, std::int64_t hi = duration_ms_max) {
  return v >= lo && v <= hi;
}

constexpr std::string_view kNonNegative = "must be in [0, 2^61 - 1]";
constexpr std::string_view kPositive = "must be in [1, 2^61 - 1]";

Result validate_heartbeat(const HeartbeatPolicy& h) {
  // budget_ms() multiplies: interval * multiple must stay below duration_ms_max.
  if (!in(h.interval_ms, 1, duration_ms_max / 64))
    return fail("heartbeat.interval_ms", "must be in [1, 2^55 - 1]");
  if (!in(h.interval_multiple, 1, 64))
    return fail("heartbeat.interval_multiple", "must be in [1, 64]");
  if (!in(h.slack_ms, 0, duration_ms_max / 2))
    return fail("heartbeat.slack_ms", "must be in [0, 2^60 - 1]");
  return {};
}

Result validate_connect_auth(const SessionConfig& c) {
  if (c.budget.tokens_max > 1000000) return fail("budget.tokens_max", "must be in [0, 10^6]");
  if (!in(c.budget.refill_ms_per_token, 1, 1000000000000))
    return fail("budget.refill_ms_per_token", "must be in [1, 10^12]");
  if (!in(c.connect.timeout_ms, 1)) return fail("connect.timeout_ms", kPositive);
  if (!in(c.connect.confirm_timeout_ms, 0)) return fail("connect.confirm_timeout_ms", kNonNegative);
  if (c.heartbeat)
    if (auto r = validate_heartbeat(*c.heartbeat); !r) return r;
  if (!in(c.auth.refresh_ahead_ms, 0)) return fail("auth.refresh_ahead_ms", kNonNegative);
  if (!in(c.auth.refresh_timeout_ms, 1)) return fail("auth.refresh_timeout_ms", kPositive);
  return {};
}

Result validate_resume(const ResumePolicy& r) {
  if (r.mode == StreamMode::replay_only && r.start.kind == CursorKind::none)
    return fail("resume.start", "replay_only needs a start cursor");
  if (r.start.kind == CursorKind::start_time && !in(r.start.start_time_ms, 0))
    return fail("resume.start.start_time_ms", kNonNegative);
  if (r.checkpoint_every_events == 0) return fail("resume.checkpoint_every_events", "must be >= 1");
  if (!in(r.checkpoint_every_ms, 0)) return fail("resume.checkpoint_every_ms", kNonNegative);
  if (!in(r.checkpoint_retry_ms_min, 1)) return fail("resume.checkpoint_retry_ms_min", kPositive);
  if (!in(r.checkpoint_retry_ms_max, r.checkpoint_retry_ms_min))
    return fail("resume.checkpoint_retry_ms_max",
                "must be in [resume.checkpoint_retry_ms_min, 2^61 - 1]");
  return {};
}
}  // namespace

std::expected<void, ConfigError> validate(const BackoffPolicy& b) {
  if (!in(b.delay_ms_initial, 1)) return fail("backoff.delay_ms_initial", kPositive);
  if (!std::isfinite(b.multiplier) || b.multiplier < 1.0 || b.multiplier > 1000.0)
    return fail("backoff.multiplier", "must be a finite number in [1, 1000]");
  if (!in(b.delay_ms_max, b.delay_ms_initial))
    return fail("backoff.delay_ms_max", "must be in [backoff.delay_ms_initial, 2^61 - 1]");
  if (!is_fraction(b.jitter_fraction)) return fail("backoff.jitter_fraction", "must be in [0, 1]");
  if (!in(b.stable_ms, 0)) return fail("backoff.stable_ms", kNonNegative);
  if (b.reset_on == ResetOn::stable_period && b.stable_ms <= 0)
    return fail("backoff.stable_ms", "must be > 0 when reset_on is stable_period");
  if (!in(b.short_session_ms, 0)) return fail("backoff.short_session_ms", kNonNegative);
  if (!in(b.short_session_delay_ms_min, 0))
    return fail("backoff.short_session_delay_ms_min", kNonNegative);
  if (!in(b.clean_close_delay_ms, 0)) return fail("backoff.clean_close_delay_ms", kNonNegative);
  if (!in(b.hint_ms_max, 0)) return fail("backoff.hint_ms_max", kNonNegative);
  if (!in(b.restored_delay_ms_max, 0)) return fail("backoff.restored_delay_ms_max", kNonNegative);
  return {};
}

std::expected<void, ConfigError> validate(const GiveUpPolicy& g) {
  if (!in(g.outage_ms_max, 0)) return fail("give_up.outage_ms_max", kNonNegative);
  return {};
}

std::expected<void, ConfigError> validate(const SessionConfig& config) {
  if (auto r = validate(config.backoff); !r) return r;
  if (auto r = validate(config.give_up); !r) return r;
  if (auto r = validate_connect_auth(config); !r) return r;
  return validate_resume(config.resume);
}

std::expected<void, ConfigError> validate(const HeartbeatPolicy& heartbeat) {
  return validate_heartbeat(heartbeat);
}

}  // namespace tether::model
