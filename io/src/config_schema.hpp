#pragma once
// The tether-config/1 schema, written once: each visit_* function walks one
// configuration struct field by field, and a visitor (the reader, the writer,
// the reference generator) does what it does with each field. So the file
// format, the printed configuration and docs/configuration.md cannot disagree.
//
// A visitor V provides:
//   integer(key, T& value, Range, doc)        T: any integer type
//   number(key, double& value, Range, doc)
//   boolean(key, bool& value, doc)
//   text(key, std::string& value, doc)
//   optional_text(key, std::optional<std::string>& value, doc)
//   choice(key, E& value, std::span<const Choice<E>>, doc)
//   section(key, T& value, doc, fn)             fn(V&, T&) visits T's fields
//   optional_section(key, std::optional<T>&, doc, fn)   null: absent
//   list(key, std::vector<T>&, doc, fn)
//   cursor(key, model::Cursor&, doc)
#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <tether/io/config.hpp>
#include <tether/model/time.hpp>

namespace tether::io::schema {

// The documented range of a numeric field. model::validate() (and the poll,
// wait, mirror and shell validators) enforce it; tests/io/config.cpp checks
// that every value outside it is refused with this field's name.
struct Range {
  std::int64_t lo;
  std::int64_t hi;
  std::string_view text;  // as the reference shows it; "" when the type is the range
  double lo_real = 0;     // number() fields only
  double hi_real = 0;
};

inline constexpr std::int64_t kDur = model::duration_ms_max;
inline constexpr Range kPositiveMs{1, kDur, "[1, 2^61 - 1]"};
inline constexpr Range kNonNegativeMs{0, kDur, "[0, 2^61 - 1]"};
inline constexpr Range kAnyU32{0, std::numeric_limits<std::uint32_t>::max(), ""};
inline constexpr Range kAnyU64{0, std::numeric_limits<std::int64_t>::max(), ""};
inline constexpr Range kFraction{0, 0, "[0, 1]", 0.0, 1.0};
inline constexpr Range kMultiplier{0, 0, "[1, 1000]", 1.0, 1000.0};

template <typename E>
struct Choice {
  E value;
  std::string_view name;
};

inline constexpr std::array<Choice<model::JitterKind>, 6> kJitter{{
    {model::JitterKind::none, "none"},
    {model::JitterKind::full, "full"},
    {model::JitterKind::equal, "equal"},
    {model::JitterKind::decorrelated, "decorrelated"},
    {model::JitterKind::proportional, "proportional"},
    {model::JitterKind::upward, "upward"},
}};
inline constexpr std::array<Choice<model::ResetOn>, 2> kResetOn{{
    {model::ResetOn::first_frame, "first_frame"},
    {model::ResetOn::stable_period, "stable_period"},
}};
inline constexpr std::array<Choice<model::RefreshFailure>, 2> kRefreshFailure{{
    {model::RefreshFailure::terminal, "terminal"},
    {model::RefreshFailure::backoff, "backoff"},
}};
inline constexpr std::array<Choice<model::StreamMode>, 2> kMode{{
    {model::StreamMode::watch, "watch"},
    {model::StreamMode::replay_only, "replay_only"},
}};
inline constexpr std::array<Choice<model::CommitPolicy>, 2> kCommit{{
    {model::CommitPolicy::on_ack, "on_ack"},
    {model::CommitPolicy::on_next_delivery, "on_next_delivery"},
}};
inline constexpr std::array<Choice<model::GapDetection>, 2> kGaps{{
    {model::GapDetection::strict, "strict"},
    {model::GapDetection::relaxed, "relaxed"},
}};
inline constexpr std::array<Choice<model::TooOldPolicy>, 3> kTooOld{{
    {model::TooOldPolicy::fail, "fail"},
    {model::TooOldPolicy::resync_from_oldest, "resync_from_oldest"},
    {model::TooOldPolicy::resume_from_live, "resume_from_live"},
}};

inline constexpr std::array<Choice<PostReconnect>, 2> kPostReconnect{{
    {PostReconnect::resend_body, "resend_body"},
    {PostReconnect::resume_by_get, "resume_by_get"},
}};

template <typename E, std::size_t N>
constexpr std::span<const Choice<E>> choices(const std::array<Choice<E>, N>& all) {
  return all;
}

// --- the session (model::SessionConfig) -------------------------------------

template <typename V>
void visit_backoff(V& v, model::BackoffPolicy& b) {
  v.integer("delay_ms_initial", b.delay_ms_initial, kPositiveMs,
            "Delay ceiling after the first failure.");
  v.number("multiplier", b.multiplier, kMultiplier,
           "Ceiling after failure n: min(delay_ms_max, delay_ms_initial * multiplier^(n-1)).");
  v.integer("delay_ms_max", b.delay_ms_max, Range{1, kDur, "[backoff.delay_ms_initial, 2^61 - 1]"},
            "The largest delay ceiling.");
  v.choice(
      "jitter", b.jitter, choices(kJitter),
      "none: the ceiling; full: [0, ceiling); equal: [ceiling/2, ceiling]; decorrelated: "
      "[initial, 3 * previous]; proportional: ceiling * [1-f, 1+f]; upward: ceiling * [1, 1+f].");
  v.number("jitter_fraction", b.jitter_fraction, kFraction, "f of proportional and upward jitter.");
  v.choice("reset_on", b.reset_on, choices(kResetOn),
           "When a connection counts as healthy (the failure count resets): its first frame, or "
           "after stable_ms open.");
  v.integer("stable_ms", b.stable_ms, kNonNegativeMs,
            "reset_on = stable_period: how long (> 0 then).");
  v.integer(
      "short_session_ms", b.short_session_ms, kNonNegativeMs,
      "A connection that ends sooner never resets the failure count (accept-then-drop guard).");
  v.integer("short_session_delay_ms_min", b.short_session_delay_ms_min, kNonNegativeMs,
            "The least delay after such a short session.");
  v.integer("clean_close_delay_ms", b.clean_close_delay_ms, kNonNegativeMs,
            "Delay after a clean server close of a healthy, long-enough session.");
  v.integer("hint_ms_max", b.hint_ms_max, kNonNegativeMs,
            "Server hints (Retry-After, SSE retry:) are a floor on the delay, clamped to this.");
  v.boolean("honour_retry_after", b.honour_retry_after,
            "Use HTTP Retry-After on 429/503 as a floor.");
  v.boolean("honour_sse_retry", b.honour_sse_retry, "Use the SSE retry: field as a floor.");
  v.integer("restored_delay_ms_max", b.restored_delay_ms_max, kNonNegativeMs,
            "\"Network restored\" cuts a backoff short to uniform [0, this]; a reconnect the "
            "application asks (network changed, restart) comes within it too.");
}

template <typename V>
void visit_give_up(V& v, model::GiveUpPolicy& g) {
  v.integer("attempts_max", g.attempts_max, kAnyU32,
            "Give up after this many consecutive failed attempts (0: never).");
  v.integer("outage_ms_max", g.outage_ms_max, kNonNegativeMs,
            "Give up this long after the stream was last healthy (0: never).");
}

template <typename V>
void visit_budget(V& v, model::RetryBudget& b) {
  v.integer("tokens_max", b.tokens_max, Range{0, 1000000, "[0, 10^6]"},
            "Token bucket over attempts that follow a failure (0: no budget).");
  v.integer("refill_ms_per_token", b.refill_ms_per_token, Range{1, 1000000000000, "[1, 10^12]"},
            "One token comes back this often.");
}

template <typename V>
void visit_connect(V& v, model::ConnectPolicy& c) {
  v.integer("timeout_ms", c.timeout_ms, kPositiveMs,
            "A connection attempt unanswered this long fails.");
  v.boolean("timeout_tracks_backoff", c.timeout_tracks_backoff,
            "The connect deadline is max(timeout_ms, the current backoff ceiling) (gRPC).");
  v.integer("confirm_timeout_ms", c.confirm_timeout_ms, kNonNegativeMs,
            "The server must send something within this time of opening (0: opening is enough).");
}

template <typename V>
void visit_heartbeat(V& v, model::HeartbeatPolicy& h) {
  v.integer("interval_ms", h.interval_ms, Range{1, kDur / 64, "[1, 2^55 - 1]"},
            "The server's heartbeat interval. The read-idle budget is max(interval_ms * "
            "interval_multiple, interval_ms + slack_ms): silence that long is a dead link.");
  v.integer("interval_multiple", h.interval_multiple, Range{1, 64, "[1, 64]"},
            "Missed intervals tolerated.");
  v.integer("slack_ms", h.slack_ms, Range{0, kDur / 2, "[0, 2^60 - 1]"}, "Extra time tolerated.");
}

template <typename V>
void visit_auth(V& v, model::AuthPolicy& a) {
  v.boolean("has_provider", a.has_provider,
            "Credentials can be refreshed (without a provider a 401 is fatal). The shell sets it "
            "when it has a token source.");
  v.integer("refresh_ahead_ms", a.refresh_ahead_ms, kNonNegativeMs,
            "Refresh this long before a known expiry.");
  v.integer("refresh_timeout_ms", a.refresh_timeout_ms, kPositiveMs,
            "An unanswered refresh counts as failed.");
  v.choice("on_refresh_failure", a.on_refresh_failure, choices(kRefreshFailure),
           "terminal: a failed refresh ends the session; backoff: back off, retry with the old "
           "credentials.");
}

template <typename V>
void visit_resume(V& v, model::ResumePolicy& r) {
  v.cursor("start", r.start,
           "Where the first connection starts when nothing was delivered and no checkpoint loaded: "
           "null (the server decides), {\"sequence\": N}, {\"token\": \"id\"} or "
           "{\"start_time_ms\": unix ms}.");
  v.choice("mode", r.mode, choices(kMode),
           "watch: follow forever; replay_only: read to the end, then stop.");
  v.choice("commit", r.commit, choices(kCommit),
           "on_ack: checkpoint what the application acked; on_next_delivery: delivery n once n+1 "
           "arrives.");
  v.integer("checkpoint_every_events", r.checkpoint_every_events,
            Range{1, std::numeric_limits<std::uint32_t>::max(), "[1, 2^32 - 1]"},
            "Save after this many commits...");
  v.integer("checkpoint_every_ms", r.checkpoint_every_ms, kNonNegativeMs,
            "...or this long after the first unsaved one (0: off).");
  v.integer("checkpoint_retry_ms_min", r.checkpoint_retry_ms_min, kPositiveMs,
            "A failed save is retried after this, doubling per consecutive failure...");
  v.integer("checkpoint_retry_ms_max", r.checkpoint_retry_ms_max,
            Range{1, kDur, "[resume.checkpoint_retry_ms_min, 2^61 - 1]"}, "...up to this.");
  v.choice("gaps", r.gaps, choices(kGaps),
           "strict: the next sequence must be last + 1; relaxed: filtered streams skip sequences.");
  v.choice("too_old", r.too_old, choices(kTooOld),
           "When the server no longer has the cursor: fail, resync from the oldest, or resume from "
           "live.");
}

template <typename V>
void visit_session(V& v, model::SessionConfig& s) {
  v.section("backoff", s.backoff, "Reconnect delays.", visit_backoff<V>);
  v.section("give_up", s.give_up, "When to stop retrying (ends in GaveUp).", visit_give_up<V>);
  v.section("budget", s.budget, "A retry budget shared by all reconnects.", visit_budget<V>);
  v.section("connect", s.connect, "Connection attempts.", visit_connect<V>);
  v.optional_section("heartbeat", s.heartbeat,
                     "Half-open detection (the read-idle budget); null: none.", visit_heartbeat<V>);
  v.section("auth", s.auth, "Credentials.", visit_auth<V>);
  v.section("resume", s.resume, "Cursor, checkpoints, gaps.", visit_resume<V>);
}

// --- the shell (ShellConfig) ------------------------------------------------

template <typename V>
void visit_header(V& v, std::pair<std::string, std::string>& h) {
  v.text("name", h.first,
         "Header name (no credentials: Authorization, Proxy-Authorization, Cookie are refused).");
  v.text("value", h.second, "Header value (validated: no control bytes).");
}

template <typename V>
void visit_http(V& v, HttpOptions& h) {
  v.list("headers", h.headers,
         "Extra request headers, sent on every request to the stream's origin.", visit_header<V>);
  v.integer("redirects_max", h.redirects_max, Range{0, 20, "[0, 20]"},
            "Redirects followed per attempt.");
  v.integer("header_bytes_max", h.header_bytes_max, Range{1024, 1 << 24, "[1024, 2^24]"},
            "Largest response header block.");
  v.optional_text("cursor_query_parameter", h.cursor_query_parameter,
                  "Also send the resume id as this query parameter (null: no).");
  v.boolean("cursor_header", h.cursor_header, "Send the resume id as Last-Event-ID.");
}

template <typename V>
void visit_sse_limits(V& v, SseLimits& l) {
  v.integer("line_bytes_max", l.line_bytes_max, Range{1, std::int64_t{1} << 30, "[1, 2^30]"},
            "Longest SSE line accepted.");
  v.integer("event_bytes_max", l.event_bytes_max, Range{1, std::int64_t{1} << 32, "[1, 2^32]"},
            "Largest SSE event accepted.");
}

template <typename V>
void visit_sse_signals(V& v, SseSignals& g) {
  v.text("cursor_expired_event", g.cursor_expired_event,
         "Event type by which the server says the resume cursor is older than its history (\"\": "
         "none).");
  v.text("replay_finished_event", g.replay_finished_event,
         "Event type by which the server says a replay-only stream is complete (\"\": none).");
}

template <typename V>
void visit_sse(V& v, SseOptions& s) {
  v.text("method", s.method,
         "GET; POST or REPORT (with a body) for servers that take the subscription or the "
         "cursor in the body.");
  v.text("body_template", s.body_template, "POST or REPORT body; {cursor} becomes the resume id.");
  v.text("body_content_type", s.body_content_type,
         "The body's Content-Type (a Content-Type among the extra headers wins).");
  v.choice("reconnect", s.reconnect, choices(kPostReconnect),
           "What a POST or REPORT stream's reconnect sends: resend_body (the body again, "
           "{cursor} replaced) or resume_by_get (a GET carrying the cursor; the body only when "
           "there is none).");
  v.section("limits", s.limits, "Parser limits.", visit_sse_limits<V>);
  v.section("signals", s.signals, "In-band signals.", visit_sse_signals<V>);
  v.boolean("deliver_comments", s.deliver_comments,
            "Pass each comment line's text to the application (Application::on_comment); off: "
            "a comment is liveness only. Never an event: no delivery id, no cursor move.");
}

template <typename V>
void visit_websocket(V& v, WebSocketOptions& w) {
  v.text("subprotocol", w.subprotocol, "Sec-WebSocket-Protocol to request (\"\": none).");
  v.boolean("nchan_meta_frames", w.nchan_meta_frames,
            "Frames are nchan's ws+meta.nchan (they carry ids).");
  v.integer("message_bytes_max", w.message_bytes_max, Range{1, std::int64_t{1} << 32, "[1, 2^32]"},
            "Largest WebSocket message accepted.");
}

template <typename V>
void visit_tls(V& v, TlsOptions& t) {
  v.text("ca_file", t.ca_file, "PEM file of the CAs to trust (\"\": the system's).");
  v.boolean("insecure_skip_verify_DANGEROUS", t.insecure_skip_verify_DANGEROUS,
            "Skip certificate verification: anyone on the path can read and forge the stream.");
}

template <typename V>
void visit_shell(V& v, ShellConfig& s) {
  v.text("sequence", s.sequence,
         "Sequence number source: \"\" (none), id, id-suffix or json:FIELD.");
  v.integer("id_bytes_max", s.id_bytes_max, Range{1, model::Token::capacity, "[1, 1024]"},
            "Longer resume ids end the session (the server would resend them).");
  v.boolean("auto_ack", s.auto_ack, "Ack each delivery when its callback returns.");
  v.integer("pull_queue_max", s.pull_queue_max, Range{2, 10000000, "[2, 10^7]"},
            "Pull API: queued deliveries before reading pauses.");
  v.section("http", s.http, "HTTP requests.", visit_http<V>);
  v.section("sse", s.sse, "Server-sent events.", visit_sse<V>);
  v.section("websocket", s.websocket, "WebSocket.", visit_websocket<V>);
  v.section("tls", s.tls, "TLS (always verified unless told otherwise).", visit_tls<V>);
}

// --- poll, wait, mirror -----------------------------------------------------

template <typename V>
void visit_poll_backoff(V& v, model::poll::Backoff& b) {
  v.integer("delay_ms_initial", b.delay_ms_initial,
            Range{1, model::poll::poll_ms_max, "[1, 10^12]"},
            "Delay before polling a failed endpoint again, failure count 1.");
  v.number("multiplier", b.multiplier, kMultiplier, "As backoff.multiplier (1: a fixed delay).");
  v.integer("delay_ms_max", b.delay_ms_max,
            Range{1, model::poll::poll_ms_max, "[delay_ms_initial, 10^12]"}, "The largest delay.");
  v.choice("jitter", b.jitter, choices(kJitter), "As backoff.jitter.");
  v.number("jitter_fraction", b.jitter_fraction, kFraction, "As backoff.jitter_fraction.");
}

template <typename V>
void visit_endpoint(V& v, model::poll::EndpointConfig& e) {
  v.text("name", e.name, "Unique within the session; for logs and status.");
  v.integer("cadence_ms", e.cadence_ms, Range{1, model::poll::poll_ms_max, "[1, 10^12]"},
            "Poll this often.");
  v.section("backoff", e.backoff, "After failures.", visit_poll_backoff<V>);
}

template <typename V>
void visit_poll(V& v, model::poll::Config& p) {
  v.list("endpoints", p.endpoints, "Polled endpoints (at most 64).", visit_endpoint<V>);
}

template <typename V>
void visit_wait_backoff(V& v, model::BackoffPolicy& b) {
  v.integer("delay_ms_initial", b.delay_ms_initial, kPositiveMs, "As backoff.delay_ms_initial.");
  v.number("multiplier", b.multiplier, kMultiplier, "As backoff.multiplier.");
  v.integer("delay_ms_max", b.delay_ms_max, Range{1, kDur, "[delay_ms_initial, 2^61 - 1]"},
            "As backoff.delay_ms_max.");
  v.choice("jitter", b.jitter, choices(kJitter), "As backoff.jitter.");
  v.number("jitter_fraction", b.jitter_fraction, kFraction, "As backoff.jitter_fraction.");
  v.integer("restored_delay_ms_max", b.restored_delay_ms_max, kNonNegativeMs,
            "Spread of the wake when the connection comes back.");
}

template <typename V>
void visit_wait(V& v, model::wait::Config& w) {
  v.section("backoff", w.backoff, "Delays between failed acquisitions (the delay fields only).",
            visit_wait_backoff<V>);
  v.section("give_up", w.give_up,
            "attempts_max: failed acquisitions; outage_ms_max: since last held.", visit_give_up<V>);
  v.integer("reopen_pause_ms", w.reopen_pause_ms, kNonNegativeMs, "Pause after a hold ends.");
  v.integer("acquire_timeout_ms", w.acquire_timeout_ms, kNonNegativeMs,
            "An unanswered acquisition fails after this (0: wait forever).");
}

template <typename V>
void visit_mirror(V& v, model::mirror::Config& m) {
  v.integer("stale_after_ms", m.stale_after_ms, kPositiveMs,
            "A value is fresh while younger than this.");
  v.section("heartbeat", m.heartbeat, "Push is degraded after this silence (budget as heartbeat).",
            visit_heartbeat<V>);
  v.integer("keys_max", m.keys_max,
            Range{1, std::numeric_limits<std::int64_t>::max(), "[1, 2^64 - 1]"},
            "Most keys mirrored.");
  v.integer("key_bytes_max", m.key_bytes_max,
            Range{1, std::numeric_limits<std::int64_t>::max(), "[1, 2^64 - 1]"}, "Longest key.");
  v.integer("value_bytes_max", m.value_bytes_max, kAnyU64, "Largest value.");
}

}  // namespace tether::io::schema
