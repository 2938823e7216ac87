#include "support/event_script.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <tether/model/names.hpp>
#include <tether/model/presets.hpp>
#include <tether/sim/reference/session.hpp>
#include <utility>
#include <variant>

#include "support/describe.hpp"

namespace tether::test {

namespace model = tether::model;

namespace {

constexpr std::uint64_t kU32 = std::uint64_t{1} << 32U;
// Virtual time never passes this (about 142 000 years): far enough for every
// realistic deadline, and far from the 2^61 where after() stops adding delays.
constexpr std::int64_t kHorizonMs = std::int64_t{1} << 52U;
constexpr std::size_t kPendingSavesMax = 64;

model::Token make_token(std::string_view text) {
  auto t = model::Token::make(text.substr(0, model::Token::capacity));
  return t ? *t : model::Token{};
}

}  // namespace

// ================================================================ choices

std::int64_t ChoiceSource::between(std::int64_t lo, std::int64_t hi) {
  if (hi <= lo) return lo;
  const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
  const std::uint64_t pick =
      span == std::numeric_limits<std::uint64_t>::max() ? below(span) : below(span + 1);
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + pick);
}

std::size_t ChoiceSource::weighted(std::span<const std::uint32_t> weights) {
  std::uint64_t total = 0;
  for (const std::uint32_t w : weights) total += w;
  if (total == 0) return 0;
  std::uint64_t r = below(total);
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (r < weights[i]) return i;
    r -= weights[i];
  }
  return 0;
}

// RapidCheck's integers cluster at the ends of their range (most are 2^32 - 1,
// or tiny at small sizes), which `value % n` would turn into the same choice
// every time. A bijective mix (Wellons' lowbias32) spreads them while keeping
// 0 -> 0, so a value shrunk to 0 is still the simplest choice.
std::uint32_t VectorChoices::next() {
  if (used_ >= values_.size()) {
    exhausted_ = true;
    return 0;
  }
  std::uint32_t x = values_[used_++];
  x ^= x >> 16U;
  x *= 0x7feb352dU;
  x ^= x >> 15U;
  x *= 0x846ca68bU;
  x ^= x >> 16U;
  return x;
}

std::uint64_t VectorChoices::below(std::uint64_t n) {
  if (n <= 1) return 0;
  if (n <= kU32) return next() % n;
  const std::uint64_t hi = next();
  const std::uint64_t lo = next();
  return ((hi << 32U) | lo) % n;
}

std::uint64_t ByteChoices::below(std::uint64_t n) {
  if (n <= 1) return 0;
  std::uint64_t value = 0;
  for (std::uint64_t range = n - 1; range > 0; range >>= 8U) {
    if (used_ >= bytes_.size()) {
      exhausted_ = true;
      break;
    }
    value = (value << 8U) | bytes_[used_++];
  }
  return value % n;
}

// ================================================================ configurations

namespace {

double pick_fraction(ChoiceSource& ch) {
  constexpr std::array<double, 5> common{0.0, 0.1, 0.25, 0.5, 1.0};
  const std::uint64_t i = ch.below(common.size() + 1);
  if (i < common.size()) return common[i];
  return static_cast<double>(ch.below(1001)) / 1000.0;
}

model::Cursor draw_start(ChoiceSource& ch) {
  switch (ch.below(5)) {
    case 1:
      return model::Cursor::at_sequence(static_cast<std::uint64_t>(ch.between(0, 1000)));
    case 2: {
      const auto seq = static_cast<std::uint64_t>(ch.between(0, 1000));
      return model::Cursor::at_token(make_token("s" + std::to_string(seq)), seq);
    }
    case 3:
      return model::Cursor::at_token(make_token("start"));
    case 4:
      return model::Cursor::at_start_time(ch.between(0, std::int64_t{1} << 41U));
    default:
      return {};
  }
}

void draw_environment(ChoiceSource& ch, model::SessionConfig& c) {
  model::AuthPolicy& a = c.auth;
  a.has_provider = ch.chance(1, 2);
  switch (ch.below(4)) {
    case 0:
      a.refresh_ahead_ms = 0;
      break;
    case 1:
      a.refresh_ahead_ms = 1000;
      break;
    case 2:
      a.refresh_ahead_ms = ch.between(0, 600000);
      break;
    default:
      break;  // 60 s
  }
  if (ch.chance(1, 2)) a.refresh_timeout_ms = ch.between(1, 60000);
  a.on_refresh_failure =
      ch.chance(1, 3) ? model::RefreshFailure::terminal : model::RefreshFailure::backoff;

  model::ResumePolicy& r = c.resume;
  r.start = draw_start(ch);
  if (r.start.kind != model::CursorKind::none && ch.chance(1, 6))
    r.mode = model::StreamMode::replay_only;
  r.commit = ch.chance(1, 2) ? model::CommitPolicy::on_next_delivery : model::CommitPolicy::on_ack;
  if (ch.chance(1, 3)) r.checkpoint_every_events = static_cast<std::uint32_t>(ch.between(2, 6));
  if (ch.chance(1, 3)) r.checkpoint_every_ms = ch.between(1, 20000);
  r.gaps = ch.chance(1, 4) ? model::GapDetection::relaxed : model::GapDetection::strict;
  r.too_old = static_cast<model::TooOldPolicy>(ch.below(3));
}

// Huge values that validate() accepts: the arithmetic must not overflow.
void mutate_extreme(ChoiceSource& ch, model::SessionConfig& c, std::string& origin) {
  model::BackoffPolicy& b = c.backoff;
  switch (ch.below(9)) {
    case 0:
      b.delay_ms_max = model::duration_ms_max;
      b.hint_ms_max = model::duration_ms_max;
      b.multiplier = ch.chance(1, 2) ? 10.0 : 1e300;
      origin += " !huge-backoff";
      break;
    case 1:
      c.budget.tokens_max = static_cast<std::uint32_t>(ch.between(1, 3));
      c.budget.refill_ms_per_token = ch.between(std::int64_t{1} << 50U, std::int64_t{1} << 56U);
      origin += " !huge-refill";
      break;
    case 2:
      b.short_session_ms = std::int64_t{1} << 40U;
      b.short_session_delay_ms_min = std::int64_t{1} << 50U;
      origin += " !huge-short";
      break;
    case 3:
      b.restored_delay_ms_max = std::int64_t{1} << 55U;
      b.clean_close_delay_ms = std::int64_t{1} << 55U;
      origin += " !huge-restored";
      break;
    case 4:
      c.connect.timeout_ms = std::int64_t{1} << 55U;
      c.connect.confirm_timeout_ms = std::int64_t{1} << 55U;
      origin += " !huge-connect";
      break;
    case 5:
      c.heartbeat =
          model::HeartbeatPolicy{model::duration_ms_max / 64, 64, model::duration_ms_max / 2};
      origin += " !huge-heartbeat";
      break;
    case 6:
      c.auth.refresh_ahead_ms = std::int64_t{1} << 55U;
      c.auth.refresh_timeout_ms = std::int64_t{1} << 55U;
      origin += " !huge-auth";
      break;
    case 7:
      c.resume.checkpoint_every_ms = std::int64_t{1} << 55U;
      c.resume.checkpoint_every_events = std::numeric_limits<std::uint32_t>::max();
      origin += " !huge-checkpoint";
      break;
    default:
      c.give_up.attempts_max = std::numeric_limits<std::uint32_t>::max();
      c.give_up.outage_ms_max = std::int64_t{1} << 55U;
      origin += " !huge-give-up";
      break;
  }
}

// Values validate() must refuse.
void mutate_invalid(ChoiceSource& ch, model::SessionConfig& c, std::string& origin) {
  origin += " !invalid";
  switch (ch.below(10)) {
    case 0:
      c.backoff.multiplier = 0.5;
      break;
    case 1:
      c.backoff.delay_ms_initial = 0;
      break;
    case 2:
      c.backoff.delay_ms_max = c.backoff.delay_ms_initial - 1;
      break;
    case 3:
      c.backoff.jitter_fraction = 1.5;
      break;
    case 4:
      c.backoff.reset_on = model::ResetOn::stable_period;
      c.backoff.stable_ms = 0;
      break;
    case 5:
      c.connect.timeout_ms = 0;
      break;
    case 6:
      c.heartbeat = model::HeartbeatPolicy{0, 3, 0};
      break;
    case 7:
      c.auth.refresh_timeout_ms = 0;
      break;
    case 8:
      c.resume.checkpoint_every_events = 0;
      break;
    default:
      c.budget.tokens_max = 1;
      c.budget.refill_ms_per_token = 0;
      break;
  }
}

void mutate(ChoiceSource& ch, model::SessionConfig& c, std::string& origin) {
  model::BackoffPolicy& b = c.backoff;
  switch (ch.below(11)) {
    case 0:
      b.jitter = static_cast<model::JitterKind>(ch.below(6));
      b.jitter_fraction = pick_fraction(ch);
      origin += " +jitter";
      break;
    case 1: {
      constexpr std::array<double, 6> multipliers{1.0, 1.5, 1.6, 2.0, 3.0, 10.0};
      b.multiplier = multipliers[ch.below(multipliers.size())];
      b.delay_ms_initial = ch.between(1, 3000);
      b.delay_ms_max = b.delay_ms_initial + ch.between(0, 120000);
      origin += " +growth";
      break;
    }
    case 2:
      if (ch.chance(1, 2)) {
        b.reset_on = model::ResetOn::stable_period;
        b.stable_ms = ch.between(1, 200000);
      } else {
        b.reset_on = model::ResetOn::first_frame;
      }
      origin += " +reset";
      break;
    case 3:
      b.short_session_ms = ch.between(0, 10000);
      b.short_session_delay_ms_min = ch.between(0, 10000);
      origin += " +short";
      break;
    case 4:
      b.clean_close_delay_ms = ch.between(0, 5000);
      origin += " +clean";
      break;
    case 5:
      b.hint_ms_max = ch.between(0, 600000);
      b.honour_retry_after = !ch.chance(1, 4);
      b.honour_sse_retry = !ch.chance(1, 4);
      origin += " +hints";
      break;
    case 6:
      b.restored_delay_ms_max = ch.between(0, 5000);
      origin += " +restored";
      break;
    case 7:
      c.give_up.attempts_max = static_cast<std::uint32_t>(ch.below(8));
      c.give_up.outage_ms_max = ch.chance(1, 2) ? 0 : ch.between(1000, 600000);
      origin += " +give-up";
      break;
    case 8:
      c.budget.tokens_max = static_cast<std::uint32_t>(ch.below(5));
      c.budget.refill_ms_per_token = ch.between(1, 60000);
      origin += " +budget";
      break;
    case 9:
      c.connect.timeout_ms = ch.between(1, 30000);
      c.connect.timeout_tracks_backoff = ch.chance(1, 3);
      c.connect.confirm_timeout_ms = ch.chance(1, 2) ? 0 : ch.between(1, 10000);
      origin += " +connect";
      break;
    default:
      if (ch.chance(1, 3)) {
        c.heartbeat.reset();
      } else {
        c.heartbeat =
            model::HeartbeatPolicy{ch.between(1, 60000), ch.between(1, 4), ch.between(0, 60000)};
      }
      origin += " +heartbeat";
      break;
  }
}

}  // namespace

DrawnConfig draw_config(ChoiceSource& ch, const DrawOptions& options) {
  const auto all = model::presets::all();
  const std::size_t index = options.preset ? *options.preset % all.size()
                                           : static_cast<std::size_t>(ch.below(all.size()));
  DrawnConfig drawn{all[index].make(), std::string(all[index].name)};
  model::SessionConfig& c = drawn.config;
  c.seed = (ch.below(kU32) << 32U) | ch.below(kU32);
  draw_environment(ch, c);
  if (options.mutate) {
    // Mostly a few mutations, sometimes none, so the presets also run as published.
    const std::uint64_t count = ch.weighted(std::array<std::uint32_t, 5>{3, 4, 3, 2, 1});
    for (std::uint64_t i = 0; i < count; ++i) mutate(ch, c, drawn.origin);
  }
  if (options.extreme && ch.chance(1, 20)) mutate_extreme(ch, c, drawn.origin);
  if (options.extreme && ch.chance(1, 30)) mutate_invalid(ch, c, drawn.origin);
  return drawn;
}

// ================================================================ the driver model

EventScript::EventScript(ChoiceSource& choices, const model::SessionConfig& config,
                         std::size_t events_max)
    : choices_(choices), config_(config), events_max_(events_max) {
  // Swarm testing: each run weighs the kinds differently and disables some.
  for (std::uint32_t& w : weights_)
    w = choices_.chance(1, 4) ? 0 : static_cast<std::uint32_t>(1 + choices_.below(8));
  weights_[tick] = std::max<std::uint32_t>(weights_[tick], 2);
  weights_[stop] = choices_.chance(1, 3) ? 1 : 0;
  strays_ = choices_.chance(1, 3);
  fatal_4xx_ = choices_.chance(1, 2);
  for (std::uint32_t& w : advance_weights_) w = static_cast<std::uint32_t>(choices_.below(5));
  advance_weights_[1] = std::max<std::uint32_t>(advance_weights_[1], 1);
  advance_weights_[5] = std::min<std::uint32_t>(advance_weights_[5], 1);
  frame_style_ = static_cast<std::uint32_t>(choices_.below(5));
}

bool EventScript::plausible(Kind kind, const Where& where) const {
  switch (kind) {
    case tick:
      return true;
    case opened:
      return where.connecting;
    case closed:
      return where.connecting || where.confirming || where.streaming;
    case rejected:
      return where.connecting || where.confirming;
    case bytes:
    case frame:
      return where.confirming || where.streaming;
    case expired:
      return where.connecting || where.confirming || where.streaming;
    case replay_finished:
      return where.streaming && config_.resume.mode == model::StreamMode::replay_only;
    case acked:
      return position_after_.size() > 1;
    case refreshed:
    case refresh_failed:
      return !pending_refreshes_.empty();
    case saved:
    case save_failed:
      return !pending_saves_.empty();
    case restored:
      return where.backing_off;
    case pause:
      return !where.paused;
    case resume:
      return where.paused;
    case reconnect:
      return where.connecting || where.confirming || where.streaming || where.backing_off;
    case stop:
      return true;
    case kinds_count:
      break;
  }
  return false;
}

std::uint32_t EventScript::weight(Kind kind, const Where& where) const {
  const std::uint32_t w = weights_[kind];
  if (w == 0) return 0;
  if (kind == stop || where.terminal) return w;
  if (!plausible(kind, where)) {
    // The network can come back at any time; other strays only in some runs.
    if (kind == restored || kind == reconnect) return w;
    return strays_ ? 1 : 0;
  }
  // The application's lifecycle: a pause or a reconnect now and then, and a
  // resume soon after a pause.
  if (kind == pause || kind == reconnect) return w;
  // Rarer outcomes: an in-band "cursor too old" (rarer still when it is fatal), a
  // status after the stream opened.
  if (kind == expired) return config_.resume.too_old == model::TooOldPolicy::fail ? 1 : w;
  if (kind == rejected && where.confirming) return w;
  return w * 8;
}

std::int64_t EventScript::advance_ms() {
  switch (choices_.weighted(advance_weights_)) {
    case 0:
      return 0;
    case 1:
      return choices_.between(1, 20);
    case 2:
      return choices_.between(20, 1000);
    case 3:
      return choices_.between(1000, 60000);
    case 4:
      return choices_.between(60000, 3600000);
    default:
      return choices_.between(3600000, 1000000000);
  }
}

std::optional<model::Event> EventScript::next(const model::State& state) {
  if (!started_) {
    // Now and then the application pauses before the session has started.
    if (!paused_before_start_ && choices_.chance(1, 30)) {
      paused_before_start_ = true;
      ++produced_;
      return model::PauseRequested{now_};
    }
    started_ = true;
    ++produced_;
    return make_started();
  }
  if (produced_ >= events_max_ || choices_.exhausted()) return std::nullopt;
  if (model::is_terminal(state) && after_terminal_++ >= 3) return std::nullopt;
  ++produced_;

  const Where where{
      .terminal = model::is_terminal(state),
      .connecting = std::holds_alternative<model::Connecting>(state.phase),
      .confirming = std::holds_alternative<model::Confirming>(state.phase),
      .streaming = std::holds_alternative<model::Streaming>(state.phase),
      .backing_off = std::holds_alternative<model::BackingOff>(state.phase),
      .paused = std::holds_alternative<model::Paused>(state.phase),
  };
  std::array<std::uint32_t, kinds_count> w{};
  for (std::size_t k = 0; k < kinds_count; ++k) w[k] = weight(static_cast<Kind>(k), where);
  const auto kind = static_cast<Kind>(choices_.weighted(w));

  const std::optional<model::Instant> deadline = model::next_deadline(state);
  const bool reachable = deadline && deadline->ms <= kHorizonMs;
  if (kind == tick) {
    if (reachable && *deadline > now_ && choices_.chance(7, 10)) {
      now_ = *deadline;  // the driver's timer fired on time
    } else if (reachable && *deadline > now_ && choices_.chance(1, 3)) {
      now_.ms = std::max(now_.ms, deadline->ms - choices_.between(1, 5));  // a little early
    } else {
      now_.ms = std::min(kHorizonMs, now_.ms + advance_ms());
    }
    return model::Tick{now_};
  }
  // An overdue deadline: a driver usually ticks before anything else.
  if (deadline && *deadline <= now_ && choices_.chance(1, 2)) return model::Tick{now_};
  const model::Instant target{std::min(kHorizonMs, now_.ms + advance_ms())};
  if (reachable && *deadline > now_ && *deadline <= target && choices_.chance(3, 4)) {
    now_ = *deadline;  // the timer fires before the event arrives
    return model::Tick{now_};
  }
  now_ = std::max(now_, target);
  return make(kind);
}

// The request an auth answer names: the oldest pending (answers come in
// order), now and then a stale or bogus one the reducer must not take for it,
// or none (0: a recording made before requests were numbered).
std::uint32_t EventScript::refresh_answer() {
  const std::uint32_t roll = static_cast<std::uint32_t>(choices_.below(20));
  if (roll == 0 && answered_refresh_ != 0)
    return answered_refresh_;  // a duplicate of the last answer
  if (roll == 1)
    return pending_refreshes_.empty() ? 7 : pending_refreshes_.back() + 1;  // never asked
  const std::uint32_t request = pending_refreshes_.empty() ? 0 : pending_refreshes_.front();
  if (!pending_refreshes_.empty()) pending_refreshes_.erase(pending_refreshes_.begin());
  answered_refresh_ = request;
  return roll == 2 ? 0 : request;
}

model::Event EventScript::make(Kind kind) {
  switch (kind) {
    case opened:
      return model::ConnectionOpened{now_};
    case closed:
      return model::ConnectionClosed{now_, static_cast<model::CloseCause>(choices_.below(4))};
    case rejected:
      return make_rejected();
    case bytes:
      return model::BytesReceived{now_};
    case frame:
      return make_frame();
    case expired:
      return model::CursorExpired{now_};
    case replay_finished:
      return model::ReplayFinished{now_};
    case acked:
      return make_ack();
    case refreshed: {
      std::optional<model::Instant> expires;
      if (choices_.chance(1, 2))
        expires = model::Instant{now_.ms + choices_.between(-1000, 600000)};
      return model::AuthRefreshed{now_, expires, refresh_answer()};
    }
    case refresh_failed:
      return model::AuthRefreshFailed{now_, refresh_answer()};
    case saved:
    case save_failed: {
      std::uint64_t id = 0;
      if (pending_saves_.empty() || choices_.chance(1, 20)) {
        const std::uint64_t top = pending_saves_.empty() ? 4 : pending_saves_.back() * 2 + 2;
        id = choices_.below(top + 1);  // bogus, or an answer the reducer must tolerate
      } else {
        const std::size_t i = choices_.chance(4, 5)
                                  ? 0
                                  : static_cast<std::size_t>(choices_.below(pending_saves_.size()));
        id = pending_saves_[i];
        pending_saves_.erase(pending_saves_.begin() + static_cast<std::ptrdiff_t>(i));
      }
      if (kind == saved) return model::CheckpointSaved{now_, id};
      return model::CheckpointSaveFailed{now_, id};
    }
    case restored:
      return model::NetworkRestored{now_};
    case pause:
      return model::PauseRequested{now_};
    case resume:
      return model::ResumeRequested{now_};
    case reconnect:
      return model::ReconnectRequested{now_, choices_.chance(1, 2)
                                                 ? model::ReconnectWhy::network_changed
                                                 : model::ReconnectWhy::restart};
    case stop:
      return model::StopRequested{now_};
    case tick:
    case kinds_count:
      break;
  }
  return model::Tick{now_};
}

model::Event EventScript::make_started() {
  switch (choices_.below(10)) {
    case 7:
    case 8:
      now_.ms = choices_.between(0, std::int64_t{1} << 40U);
      break;
    case 9:
      now_.ms = -choices_.between(1, std::int64_t{1} << 40U);
      break;
    default:
      now_.ms = 0;
      break;
  }
  std::optional<model::Cursor> checkpoint;
  switch (choices_.below(10)) {
    case 4:
    case 5:
      checkpoint =
          model::Cursor::at_sequence(static_cast<std::uint64_t>(choices_.between(0, 1000)));
      break;
    case 6: {
      const auto seq = static_cast<std::uint64_t>(choices_.between(0, 1000));
      checkpoint = model::Cursor::at_token(token_for(seq), seq);
      break;
    }
    case 7:
      checkpoint = model::Cursor::at_token(make_token("cp"));
      break;
    case 8:
      checkpoint = model::Cursor{};
      break;
    case 9:
      checkpoint = model::Cursor::at_start_time(choices_.between(0, std::int64_t{1} << 41U));
      break;
    default:
      break;
  }
  std::optional<model::Instant> expires;
  if (choices_.chance(3, 10)) expires = model::Instant{now_.ms + choices_.between(0, 600000)};
  position_ = checkpoint && checkpoint->kind != model::CursorKind::none ? *checkpoint
                                                                        : config_.resume.start;
  position_after_.assign(1, position_);
  server_seq_ = position_.has_sequence ? position_.sequence
                                       : static_cast<std::uint64_t>(choices_.between(0, 1000));
  return model::Started{now_, checkpoint, expires};
}

model::Token EventScript::token_for(std::uint64_t n) {
  if (choices_.chance(1, 50)) return make_token(std::string(model::Token::capacity, 'x'));
  return make_token("e" + std::to_string(n));
}

model::Event EventScript::make_frame() {
  const std::uint64_t ref = ++frame_ref_;
  const auto mostly = [&](bool usual) {
    return usual ? choices_.chance(19, 20) : choices_.chance(1, 20);
  };
  bool with_seq = frame_style_ == 4 ? choices_.chance(1, 2) : mostly(frame_style_ <= 1);
  bool with_id =
      frame_style_ == 4 ? choices_.chance(1, 2) : mostly(frame_style_ == 1 || frame_style_ == 2);
  std::optional<std::uint64_t> seq;
  if (with_seq) {
    const std::uint64_t s = server_seq_;
    switch (choices_.below(20)) {
      case 14:
      case 15:
        seq = s - std::min<std::uint64_t>(s, choices_.below(3));
        break;  // duplicate
      case 16:
      case 17:
        seq = s + 2 + choices_.below(19);
        break;  // a few lost
      case 18:
        seq = s + 1000 + choices_.below(1000000);
        break;  // many lost
      case 19:
        seq = choices_.below(4);
        break;  // server restarted
      default:
        seq = s + 1;
        break;
    }
    server_seq_ = std::max(server_seq_, *seq);
  }
  std::optional<model::Token> id;
  if (with_id) id = token_for(seq.value_or(ref));
  std::optional<std::int64_t> retry;
  if (choices_.chance(1, 10)) {
    switch (choices_.below(4)) {
      case 0:
        retry = choices_.between(0, 5000);
        break;
      case 1:
        retry = 0;
        break;
      case 2:
        retry = choices_.between(1000000, 10000000000);
        break;
      default:
        retry = -choices_.between(1, 1000);
        break;
    }
  }
  if (frames_.size() <= ref) frames_.resize(ref + 1);
  frames_[ref] = FrameInfo{seq, id};
  return model::FrameReceived{now_, seq, id, retry, ref};
}

model::Event EventScript::make_rejected() {
  // Outcomes that end the session are kept rarer, so most scripts run long.
  constexpr std::array<std::uint16_t, 9> statuses{401, 503, 429, 500, 410, 502, 404, 400, 403};
  const bool fatal_401 = !config_.auth.has_provider;
  const bool fatal_410 = config_.resume.too_old == model::TooOldPolicy::fail;
  const std::uint32_t other_4xx = fatal_4xx_ ? 1 : 0;
  const std::array<std::uint32_t, 9> weights{
      fatal_401 ? 1U : 12U, 8, 8, 6, fatal_410 ? 1U : 4U, 4, other_4xx, other_4xx, other_4xx};
  const std::uint16_t status = statuses[choices_.weighted(weights)];
  std::optional<std::int64_t> retry_after;
  if (choices_.chance(1, status == 429 || status == 503 ? 2 : 10)) {
    switch (choices_.below(5)) {
      case 0:
        retry_after = choices_.between(0, 3000);
        break;
      case 1:
        retry_after = choices_.between(3000, 120000);
        break;
      case 2:
        retry_after = choices_.between(1000000, 1000000000000);
        break;
      case 3:
        retry_after = -1;
        break;
      default:
        retry_after = 0;
        break;
    }
  }
  return model::ServerRejected{now_, status, retry_after};
}

model::Event EventScript::make_ack() {
  const std::uint64_t delivered = position_after_.size() - 1;
  if (delivered == 0 || choices_.chance(1, 10)) {
    const std::uint64_t id = choices_.chance(1, 2) ? 0 : delivered + 1 + choices_.below(5);
    return model::DeliveryAcked{now_, id, random_cursor()};
  }
  const std::uint64_t id = choices_.chance(3, 5) ? delivered : 1 + choices_.below(delivered);
  return model::DeliveryAcked{now_, id, position_after_[id]};
}

model::Cursor EventScript::random_cursor() {
  return model::Cursor::at_sequence(static_cast<std::uint64_t>(choices_.between(0, 1000000)));
}

void EventScript::observe(const model::Step& step) {
  for (const model::Effect& effect : step.effects) {
    if (const auto* c = std::get_if<model::Connect>(&effect)) {
      // The simulated server resumes where it was asked to.
      const std::uint64_t last = delivered_seq_.value_or(server_seq_);
      if (c->from == model::ResumeFrom::cursor && c->cursor.has_sequence) {
        server_seq_ = c->cursor.sequence;
      } else if (c->from == model::ResumeFrom::oldest) {
        server_seq_ = last + 5;  // history before the oldest retained event is gone
      } else if (c->from == model::ResumeFrom::live) {
        server_seq_ = last + 500;
      }
    } else if (const auto* d = std::get_if<model::Deliver>(&effect)) {
      const FrameInfo info = d->frame_ref < frames_.size() ? frames_[d->frame_ref] : FrameInfo{};
      if (info.id) {
        position_ = info.sequence ? model::Cursor::at_token(*info.id, *info.sequence)
                                  : model::Cursor::at_token(*info.id);
      } else if (info.sequence) {
        position_ = model::Cursor::at_sequence(*info.sequence);
      }
      position_after_.push_back(position_);
      if (info.sequence) delivered_seq_ = info.sequence;
    } else if (const auto* s = std::get_if<model::SaveCheckpoint>(&effect)) {
      if (pending_saves_.size() >= kPendingSavesMax) pending_saves_.erase(pending_saves_.begin());
      pending_saves_.push_back(s->delivery_id);
    } else if (const auto* r = std::get_if<model::RefreshAuth>(&effect)) {
      if (pending_refreshes_.size() >= kPendingSavesMax)
        pending_refreshes_.erase(pending_refreshes_.begin());
      pending_refreshes_.push_back(r->request);
    }
  }
}

// ================================================================ runs

namespace {

// One checked step; nullopt when it broke something (run.violation says what).
// `shadow` follows the same events through transition_in_place(), which must be
// indistinguishable from transition(): same effects, phase, PRNG, status and
// next deadline at every step.
std::optional<model::Step> checked_step(SessionRun& run, sim::SessionReference& oracle,
                                        const model::State& state, model::State& shadow,
                                        const model::Event& event) {
  run.events.push_back(event);
  ++run.steps;
  const auto prefix = [&] {
    return "step " + std::to_string(run.steps) + " (" + std::string(model::name_of(event)) +
           " in " + std::string(model::name_of(state.phase)) + "): ";
  };
  append(run.trace, event);
  run.trace += " -> ";
  GuardedStep guarded = guarded_transition(state, event);
  if (!guarded.step) {
    run.trace += "threw\n";
    run.violation = prefix() + "transition threw: " + guarded.exception;
    return std::nullopt;
  }
  const model::Step& step = *guarded.step;
  append(run.trace, step.effects);
  run.trace += '\n';
  if (auto broken = oracle.check(event, state.phase, step.state, step.effects)) {
    run.violation = prefix() + "[" + std::string(sim::name(broken->guarantee)) + "/" +
                    std::string(broken->rule) + "] " + broken->message;
    return std::nullopt;
  }
  const model::Effects in_place = model::transition_in_place(shadow, event);
  if (!same_effects(in_place, step.effects) || shadow.phase.index() != step.state.phase.index() ||
      !(shadow.prng == step.state.prng) || !(shadow.status == step.state.status) ||
      model::next_deadline(shadow) != model::next_deadline(step.state)) {
    run.violation = prefix() +
                    "transition_in_place() differs from transition(): " + describe(in_place) +
                    " phase " + std::string(model::name_of(shadow.phase));
    return std::nullopt;
  }
  return std::move(guarded.step);
}

}  // namespace

std::optional<SessionRun> run_random_session(ChoiceSource& choices, const RunOptions& options) {
  DrawnConfig drawn = draw_config(choices, options.draw);
  auto made = model::make(drawn.config);
  if (!made) return std::nullopt;
  SessionRun run;
  run.config = drawn.config;
  run.origin = std::move(drawn.origin);
  run.events.reserve(std::min<std::size_t>(options.events_max, 4096));
  run.trace.reserve(std::min<std::size_t>(options.events_max, 4096) * 160);
  sim::SessionReference oracle(run.config);
  EventScript script(choices, run.config, options.events_max);
  model::State state = std::move(*made);
  model::State shadow = state;
  while (const auto event = script.next(state)) {
    auto step = checked_step(run, oracle, state, shadow, *event);
    if (!step) break;
    script.observe(*step);
    state = std::move(step->state);
  }
  return run;
}

SessionRun replay_session(const model::SessionConfig& config,
                          std::span<const model::Event> events) {
  SessionRun run;
  run.config = config;
  run.events.reserve(events.size());
  run.trace.reserve(events.size() * 160);
  auto made = model::make(config);
  if (!made) {
    run.violation = "invalid configuration: " + std::string(made.error().field);
    return run;
  }
  sim::SessionReference oracle(config);
  model::State state = std::move(*made);
  model::State shadow = state;
  for (const model::Event& event : events) {
    auto step = checked_step(run, oracle, state, shadow, event);
    if (!step) break;
    state = std::move(step->state);
  }
  return run;
}

std::string format_failure(const SessionRun& run, std::size_t tail) {
  std::string out = run.violation.value_or("no violation");
  out += "\nconfig: ";
  out += run.origin;
  out += "\n  ";
  append(out, run.config);
  out += "\nsteps: " + std::to_string(run.steps) + ", last ones:\n";
  std::size_t start = run.trace.size();
  for (std::size_t lines = 0; start > 0 && lines <= tail;) {
    --start;
    if (run.trace[start] == '\n' && start + 1 != run.trace.size()) ++lines;
  }
  if (start > 0) ++start;
  out.append(run.trace, start);
  return out;
}

}  // namespace tether::test
