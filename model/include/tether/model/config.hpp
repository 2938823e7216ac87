#pragma once
// Everything a session's behaviour depends on. Every seed system's behaviour is
// a value of SessionConfig (see presets.hpp), never a code path.

#include <cstdint>
#include <expected>
#include <optional>
#include <string_view>
#include <tether/model/cursor.hpp>

namespace tether::model {

// Where a jittered delay falls, uniform over whole milliseconds (the exact
// table, with its rounding, is model::jitter_bounds in backoff.hpp).
enum class JitterKind : std::uint8_t {
  none,          // delay = ceiling
  full,          // uniform [0, ceiling), i.e. [0, ceiling - 1]
  equal,         // uniform [ceiling/2, ceiling]
  decorrelated,  // uniform [initial, 3 * previous delay], capped at delay_ms_max
  proportional,  // uniform [ceiling - s, ceiling + s], s = floor(ceiling * f)
  upward,        // uniform [ceiling, ceiling + s]  (client-go's wait.Jitter)
};

// When a connection counts as healthy, which resets the failure count.
enum class ResetOn : std::uint8_t {
  first_frame,    // the first delivered frame proves the stream works
  stable_period,  // the connection stayed open for `stable_ms`
};

struct BackoffPolicy {
  std::int64_t delay_ms_initial = 1000;
  double multiplier = 2.0;  // ceiling(n) = min(delay_ms_max, initial * multiplier^(n-1))
  std::int64_t delay_ms_max = 30000;
  JitterKind jitter = JitterKind::full;
  double jitter_fraction = 0.0;  // proportional / upward only, in [0, 1]
  ResetOn reset_on = ResetOn::first_frame;
  std::int64_t stable_ms = 0;  // reset_on == stable_period only
  // Short-session guard: a connection that ends within `short_session_ms` of
  // opening never resets the failure count, and the next delay is at least
  // `short_session_delay_ms_min`, so accept-then-drop cannot cause a hot loop.
  std::int64_t short_session_ms = 1000;
  std::int64_t short_session_delay_ms_min = 1000;
  // Delay after a clean server close of a healthy, long-enough session.
  std::int64_t clean_close_delay_ms = 0;
  // Server hints (HTTP Retry-After on 429/503, SSE `retry:`) are a floor on the
  // delay, clamped to this ceiling so a hostile hint cannot park the client.
  std::int64_t hint_ms_max = 300000;
  bool honour_retry_after = true;
  bool honour_sse_retry = true;
  // "Network restored" cuts a backoff short to uniform [0, restored_delay_ms_max];
  // a reconnect the application asks (network changed, restart) comes within it.
  std::int64_t restored_delay_ms_max = 1000;
};

// Ending in GaveUp (distinct from Failed): 0 means "no limit".
struct GiveUpPolicy {
  std::uint32_t attempts_max = 0;  // consecutive failed attempts
  std::int64_t outage_ms_max = 0;  // time since the stream was last healthy
};

// Token bucket over connection attempts that follow a failure; 0 tokens = off.
struct RetryBudget {
  std::uint32_t tokens_max = 0;
  std::int64_t refill_ms_per_token = 1000;
};

struct ConnectPolicy {
  std::int64_t timeout_ms = 10000;
  // gRPC: the connect deadline is max(timeout_ms, current backoff ceiling).
  bool timeout_tracks_backoff = false;
  // 0: the stream counts as open when the transport says so. Otherwise the
  // server must send something (a comment, a heartbeat, a frame) within this time.
  std::int64_t confirm_timeout_ms = 0;
};

// Half-open detection: any received byte counts. The budget is
// max(interval_ms * interval_multiple, interval_ms + slack_ms).
struct HeartbeatPolicy {
  std::int64_t interval_ms = 30000;
  std::int64_t interval_multiple = 3;
  std::int64_t slack_ms = 30000;

  constexpr std::int64_t budget_ms() const {
    const std::int64_t a = interval_ms * interval_multiple;
    const std::int64_t b = interval_ms + slack_ms;
    return a > b ? a : b;
  }
};

enum class RefreshFailure : std::uint8_t {
  terminal,  // a failed refresh ends the session (Failed)
  backoff,   // back off, then reconnect with the old credentials
};

struct AuthPolicy {
  bool has_provider = false;                // without one, a 401 is fatal
  std::int64_t refresh_ahead_ms = 60000;    // proactive refresh before a known expiry
  std::int64_t refresh_timeout_ms = 30000;  // an unanswered refresh counts as failed
  RefreshFailure on_refresh_failure = RefreshFailure::backoff;
};

enum class StreamMode : std::uint8_t {
  watch,        // follow the stream forever
  replay_only,  // read from the start cursor to the end, then stop cleanly
};

enum class CommitPolicy : std::uint8_t {
  on_ack,            // a delivery may be checkpointed once the application acks it
  on_next_delivery,  // delivery n may be checkpointed once delivery n+1 arrives
};

enum class GapDetection : std::uint8_t {
  strict,   // the next sequence must be last + 1, anything else is reported
  relaxed,  // filtered streams skip sequences: only going backwards is special
};

enum class TooOldPolicy : std::uint8_t {
  fail,                // report the gap, then fail
  resync_from_oldest,  // report the gap, then resume from the oldest retained event
  resume_from_live,    // report the gap, then resume from the live head
};

struct ResumePolicy {
  Cursor start;  // used only if nothing was delivered and no checkpoint loaded
  StreamMode mode = StreamMode::watch;
  CommitPolicy commit = CommitPolicy::on_ack;
  std::uint32_t checkpoint_every_events = 1;  // save after this many commits...
  std::int64_t checkpoint_every_ms = 0;  // ...or this long after the first unsaved one (0: off)
  // A failed save is retried after checkpoint_retry_ms_min, doubling with each
  // consecutive failure up to checkpoint_retry_ms_max: a full disk must not
  // turn every commit into a write attempt. The final flush of a stop is
  // always attempted.
  std::int64_t checkpoint_retry_ms_min = 1000;
  std::int64_t checkpoint_retry_ms_max = 60000;
  GapDetection gaps = GapDetection::strict;
  TooOldPolicy too_old = TooOldPolicy::fail;
};

struct SessionConfig {
  BackoffPolicy backoff;
  GiveUpPolicy give_up;
  RetryBudget budget;
  ConnectPolicy connect;
  std::optional<HeartbeatPolicy> heartbeat;  // nullopt: no half-open detection
  AuthPolicy auth;
  ResumePolicy resume;
  std::uint64_t seed = 0;  // jitter PRNG seed
};

// A configuration value that cannot work, named by its dotted field path.
struct ConfigError {
  std::string_view field;   // e.g. "backoff.multiplier"
  std::string_view reason;  // e.g. "must be >= 1"
};

std::expected<void, ConfigError> validate(const SessionConfig& config);

// The range checks of the policies the reducers share: each reducer's own
// validate() calls them, so a field means the same and is refused in the same
// words everywhere. Field paths start at the policy ("backoff.multiplier",
// "give_up.outage_ms_max", "heartbeat.interval_ms").
std::expected<void, ConfigError> validate(const BackoffPolicy& backoff);
std::expected<void, ConfigError> validate(const GiveUpPolicy& give_up);
std::expected<void, ConfigError> validate(const HeartbeatPolicy& heartbeat);

}  // namespace tether::model
