#include "support/describe.hpp"

#include <charconv>
#include <cstdint>
#include <exception>
#include <string_view>
#include <tether/model/effects_hash.hpp>
#include <tether/model/event_log.hpp>
#include <tether/model/names.hpp>
#include <tether/model/overload.hpp>
#include <utility>
#include <variant>

namespace tether::test {

namespace model = tether::model;

namespace {

// ---------------------------------------------------------------- text

// Numbers go through a stack buffer: traces are built on every step, and a
// temporary string per number would dominate the fuzzer's time under ASan.
template <class Int>
void put_int(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}
void put(std::string& out, std::int64_t v) { put_int(out, v); }
void put(std::string& out, std::uint64_t v) { put_int(out, v); }
void put(std::string& out, std::uint32_t v) { put_int(out, v); }
void put(std::string& out, std::string_view v) { out.append(v); }

}  // namespace

GuardedStep guarded_transition(model::State state, const model::Event& event) {
  GuardedStep out;
  try {
    out.step = model::transition(std::move(state), event);
  } catch (const std::exception& e) {
    out.exception = e.what();
  } catch (...) {
    out.exception = "an exception not derived from std::exception";
  }
  if (!out.step && out.exception.empty()) out.exception = "unknown";
  return out;
}

// ================================================================ text

// Events and effects are written by the one event printer, the event log's
// encoder (<tether/model/event_log.hpp>, <tether/model/effects_hash.hpp>):
// the text a recording holds and the simulator's trace shows.
void append(std::string& out, const model::Event& event) { model::append_event(out, event); }
void append(std::string& out, const model::Effect& effect) { model::append_effect(out, effect); }

void append(std::string& out, const model::Cursor& c) {
  switch (c.kind) {
    case model::CursorKind::none:
      out += "none";
      break;
    case model::CursorKind::sequence:
      out += "seq:";
      put(out, c.sequence);
      break;
    case model::CursorKind::token:
      out += "tok:";
      out.append(c.token.view());
      if (c.has_sequence) {
        out += '/';
        put(out, c.sequence);
      }
      break;
    case model::CursorKind::start_time:
      out += "time:";
      put(out, c.start_time_ms);
      break;
  }
}

bool same_effects(const model::Effects& a, const model::Effects& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].index() != b[i].index()) return false;
    const bool same = std::visit(
        model::Overload{
            [&](const model::Connect& x) {
              const auto& y = std::get<model::Connect>(b[i]);
              return x.attempt == y.attempt && x.from == y.from && x.cursor == y.cursor;
            },
            [](const model::CloseConnection&) { return true; },
            [&](const model::Deliver& x) {
              const auto& y = std::get<model::Deliver>(b[i]);
              return x.delivery_id == y.delivery_id && x.sequence == y.sequence &&
                     x.frame_ref == y.frame_ref;
            },
            [&](const model::DiscardFrame& x) {
              const auto& y = std::get<model::DiscardFrame>(b[i]);
              return x.frame_ref == y.frame_ref && x.sequence == y.sequence && x.reason == y.reason;
            },
            [&](const model::ReportGap& x) {
              const auto& y = std::get<model::ReportGap>(b[i]);
              return x.from_sequence == y.from_sequence && x.to_sequence == y.to_sequence &&
                     x.cause == y.cause;
            },
            [&](const model::SaveCheckpoint& x) {
              const auto& y = std::get<model::SaveCheckpoint>(b[i]);
              return x.delivery_id == y.delivery_id && x.cursor == y.cursor;
            },
            [&](const model::RefreshAuth& x) {
              return x.cause == std::get<model::RefreshAuth>(b[i]).cause;
            },
            [&](const model::ReportStatus& x) {
              return x.status == std::get<model::ReportStatus>(b[i]).status;
            },
        },
        a[i]);
    if (!same) return false;
  }
  return true;
}

void append(std::string& out, const model::Effects& effects) {
  out += '[';
  model::append_effects(out, effects);
  out += ']';
}

namespace {
void append_backoff(std::string& out, const model::BackoffPolicy& b) {
  out += "backoff{initial=";
  put(out, b.delay_ms_initial);
  out += ",x";
  out += std::to_string(b.multiplier);
  out += ",max=";
  put(out, b.delay_ms_max);
  out += ",jitter=";
  put(out, model::name_of(b.jitter));
  out += '/';
  out += std::to_string(b.jitter_fraction);
  out += b.reset_on == model::ResetOn::first_frame ? ",reset=first_frame" : ",reset=stable:";
  if (b.reset_on == model::ResetOn::stable_period) put(out, b.stable_ms);
  out += ",short=";
  put(out, b.short_session_ms);
  out += '/';
  put(out, b.short_session_delay_ms_min);
  out += ",clean=";
  put(out, b.clean_close_delay_ms);
  out += ",hint_max=";
  put(out, b.hint_ms_max);
  out += b.honour_retry_after ? ",ra" : ",no-ra";
  out += b.honour_sse_retry ? ",sse" : ",no-sse";
  out += ",restored=";
  put(out, b.restored_delay_ms_max);
  out += '}';
}
}  // namespace

void append(std::string& out, const model::SessionConfig& c) {
  append_backoff(out, c.backoff);
  out += " give_up{";
  put(out, c.give_up.attempts_max);
  out += ',';
  put(out, c.give_up.outage_ms_max);
  out += "} budget{";
  put(out, c.budget.tokens_max);
  out += ',';
  put(out, c.budget.refill_ms_per_token);
  out += "} connect{";
  put(out, c.connect.timeout_ms);
  out += c.connect.timeout_tracks_backoff ? ",tracks" : "";
  out += ",confirm=";
  put(out, c.connect.confirm_timeout_ms);
  out += "} heartbeat{";
  if (c.heartbeat) {
    put(out, c.heartbeat->interval_ms);
    out += 'x';
    put(out, c.heartbeat->interval_multiple);
    out += '+';
    put(out, c.heartbeat->slack_ms);
  } else {
    out += "off";
  }
  out += "} auth{";
  out += c.auth.has_provider ? "provider" : "none";
  out += ",ahead=";
  put(out, c.auth.refresh_ahead_ms);
  out += ",timeout=";
  put(out, c.auth.refresh_timeout_ms);
  out += c.auth.on_refresh_failure == model::RefreshFailure::terminal ? ",terminal" : ",backoff";
  out += "} resume{start=";
  append(out, c.resume.start);
  out += c.resume.mode == model::StreamMode::watch ? ",watch" : ",replay_only";
  out += c.resume.commit == model::CommitPolicy::on_ack ? ",on_ack" : ",on_next_delivery";
  out += ",every=";
  put(out, c.resume.checkpoint_every_events);
  out += '/';
  put(out, c.resume.checkpoint_every_ms);
  out += c.resume.gaps == model::GapDetection::strict ? ",strict" : ",relaxed";
  switch (c.resume.too_old) {
    case model::TooOldPolicy::fail:
      out += ",too_old=fail";
      break;
    case model::TooOldPolicy::resync_from_oldest:
      out += ",too_old=oldest";
      break;
    case model::TooOldPolicy::resume_from_live:
      out += ",too_old=live";
      break;
  }
  out += "} seed=";
  put(out, c.seed);
}

}  // namespace tether::test
