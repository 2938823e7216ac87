// The streaming-session reference: the policy's formulas, re-derived from the
// SessionConfig (config.hpp's documented rules), never asked of the reducer,
// but for where a jittered delay may fall: model::jitter_envelope, the one
// jitter rule (its table is pinned with literal numbers by
// tests/model/backoff.cpp and tests/sim/reference_session.cpp).

#include <algorithm>
#include <cmath>
#include <tether/model/backoff.hpp>
#include <tether/model/names.hpp>
#include <utility>

#include "session_impl.hpp"

namespace tether::sim::session_reference {

std::int64_t Model::budget_cap() const {
  return mul_sat(static_cast<std::int64_t>(config.budget.tokens_max),
                 config.budget.refill_ms_per_token);
}

// c(n) = min(delay_ms_max, delay_ms_initial * multiplier^(n-1)), computed in long
// double, widened by a millisecond either side for the reducer's rounding.
Range Model::ceiling(std::uint64_t n) const {
  const std::int64_t cap = backoff().delay_ms_max;
  const long double exact =
      static_cast<long double>(backoff().delay_ms_initial) *
      std::pow(static_cast<long double>(backoff().multiplier), static_cast<long double>(n - 1));
  const auto cap_ld = static_cast<long double>(cap);
  if (!(exact < cap_ld)) return {exact < cap_ld + 1.0L ? cap - 1 : cap, cap};
  const auto whole = static_cast<std::int64_t>(std::floor(exact));
  return {std::max<std::int64_t>(0, whole - 1), std::min(cap, whole + 1)};
}

// Jitter bounds for failure n >= 1: the envelope, as the previous draw
// decorrelated jitter depends on is taken before the floors, unseen here.
Range Model::jitter(std::uint64_t n) const {
  const model::DelayBounds j = model::jitter_envelope(
      backoff(), static_cast<std::uint32_t>(std::min<std::uint64_t>(n, kFailuresMax)));
  return {j.delay_ms_min, j.delay_ms_max};
}

// Server hints: Retry-After (429/503) and the last SSE retry, clamped to hint_ms_max.
std::int64_t Model::hint_floor(const std::optional<std::int64_t>& retry_after_ms) const {
  std::int64_t hint = 0;
  if (backoff().honour_retry_after && retry_after_ms) hint = std::max(hint, *retry_after_ms);
  if (backoff().honour_sse_retry) hint = std::max(hint, sse_hint_ms);
  return std::min(hint, backoff().hint_ms_max);
}

Range Model::connect_timeout() const {
  const std::int64_t t = config.connect.timeout_ms;
  if (!config.connect.timeout_tracks_backoff) return {t, t};
  const Range c = ceiling(inc_failures(failures));
  return {std::max(t, c.lo), std::max(t, c.hi)};
}

std::int64_t Model::heartbeat_budget_ms() const {
  const model::HeartbeatPolicy& h = *config.heartbeat;
  return std::max(mul_sat(h.interval_ms, h.interval_multiple), add_sat(h.interval_ms, h.slack_ms));
}

bool Model::is_short(model::Instant now) const {
  return ms_between(opened_at, now) < backoff().short_session_ms;
}

bool Model::healthy(model::Instant now) const {
  if (!confirmed) return false;
  if (backoff().reset_on == model::ResetOn::first_frame) return delivered_since_open;
  return ms_between(opened_at, now) >= backoff().stable_ms;
}

std::optional<model::Reason> Model::give_up_reason(std::uint64_t n, model::Instant now) const {
  if (config.give_up.attempts_max > 0 && n >= config.give_up.attempts_max)
    return model::Reason::attempts_exhausted;
  if (config.give_up.outage_ms_max > 0 &&
      ms_between(outage_since, now) >= config.give_up.outage_ms_max)
    return model::Reason::outage_too_long;
  return std::nullopt;
}

void Model::refill(model::Instant now) {
  budget = std::min(budget_cap(),
                    add_sat(budget, std::max<std::int64_t>(0, ms_between(budget_at, now))));
  budget_at = now;
}

// The wait before retrying a failed save: checkpoint_retry_ms_min * 2^(n-1)
// for n failures in a row, capped at checkpoint_retry_ms_max.
std::int64_t Model::save_retry_wait_ms() const {
  std::int64_t wait_ms = config.resume.checkpoint_retry_ms_min;
  for (std::uint64_t i = 1;
       i < save_failures_in_row && wait_ms < config.resume.checkpoint_retry_ms_max; ++i)
    wait_ms = mul_sat(wait_ms, 2);
  return std::min(wait_ms, config.resume.checkpoint_retry_ms_max);
}

// The windows: a save never names a delivery before the last one saved (that
// is a finding of its own), so what lies below it is dropped, in chunks (an
// erase per step would copy the window each time).
const Model::After& Model::after_delivery(std::uint64_t id) const {
  if (id < after_base || id - after_base >= position_after.size())
    broken("checkpoint", "checkpoint of delivery " + num(id) + ", before the last one saved (" +
                             num(last_save) + ")");
  return position_after[id - after_base];
}

const std::optional<Position>* Model::commit_cursor_of(std::uint64_t id) const {
  if (id < commit_base || id - commit_base >= commit_cursor.size()) return nullptr;
  return &commit_cursor[id - commit_base];
}

void Model::trim_windows() {
  constexpr std::uint64_t chunk = 64;
  if (last_save >= after_base + chunk && last_save - after_base <= position_after.size()) {
    const auto drop = static_cast<std::ptrdiff_t>(last_save - after_base);
    position_after.erase(position_after.begin(), position_after.begin() + drop);
    after_base = last_save;
  }
  if (last_save >= commit_base + chunk && last_save - commit_base <= commit_cursor.size()) {
    const auto drop = static_cast<std::ptrdiff_t>(last_save - commit_base);
    commit_cursor.erase(commit_cursor.begin(), commit_cursor.begin() + drop);
    commit_base = last_save;
  }
}

// ---------------------------------------------------------------- text

std::string num(std::int64_t v) { return std::to_string(v); }
std::string num(std::uint64_t v) { return std::to_string(v); }

std::string text(const model::Cursor& c) {
  switch (c.kind) {
    case model::CursorKind::none:
      return "none";
    case model::CursorKind::sequence:
      return "seq:" + num(c.sequence);
    case model::CursorKind::token:
      return "tok:" + std::string(c.token.view()) +
             (c.has_sequence ? "/" + num(c.sequence) : std::string());
    case model::CursorKind::start_time:
      return "time:" + num(c.start_time_ms);
  }
  return "?";
}

std::string text(const Position& p) {
  switch (p.kind) {
    case model::CursorKind::none:
      return "none";
    case model::CursorKind::sequence:
      return "seq:" + num(p.sequence);
    case model::CursorKind::token:
      return "tok:" + p.token + (p.has_sequence ? "/" + num(p.sequence) : std::string());
    case model::CursorKind::start_time:
      return "time:" + num(p.start_time_ms);
  }
  return "?";
}

std::string text(const model::Status& s) {
  return "status(" + std::string(model::name_of(s.kind)) + "," +
         std::string(model::name_of(s.reason)) + ",failures=" + num(std::uint64_t{s.failures}) +
         ",at=" + num(s.next_attempt_at.ms) + ",http=" + num(std::uint64_t{s.http_status}) + ")";
}

void broken(SessionRule rule, std::string what) { throw Broken{rule.rule, std::move(what)}; }
void broken_by(const Rule& rule, std::string what) { throw Broken{rule, std::move(what)}; }

const Rule& rule_of_unexpected(const model::Effect& effect) {
  static constexpr Rule connect = SessionRule("connect-without-reason").rule;
  static constexpr Rule close = SessionRule("heartbeat").rule;
  static constexpr Rule frame = SessionRule("frame-release").rule;
  static constexpr Rule gap = SessionRule("gap").rule;
  static constexpr Rule save = SessionRule("checkpoint").rule;
  static constexpr Rule refresh = SessionRule("auth-refresh").rule;
  static constexpr Rule status = SessionRule("status").rule;
  return std::visit(Overload{
                        [](const model::Connect&) -> const Rule& { return connect; },
                        [](const model::CloseConnection&) -> const Rule& { return close; },
                        [](const model::Deliver&) -> const Rule& { return frame; },
                        [](const model::DiscardFrame&) -> const Rule& { return frame; },
                        [](const model::ReportGap&) -> const Rule& { return gap; },
                        [](const model::SaveCheckpoint&) -> const Rule& { return save; },
                        [](const model::RefreshAuth&) -> const Rule& { return refresh; },
                        [](const model::ReportStatus&) -> const Rule& { return status; },
                    },
                    effect);
}

}  // namespace tether::sim::session_reference
