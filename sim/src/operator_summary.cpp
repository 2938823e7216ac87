#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <limits>
#include <tether/model/names.hpp>
#include <tether/sim/operator_summary.hpp>
#include <type_traits>
#include <variant>

namespace tether::sim {

namespace {

bool terminal(model::StatusKind k) {
  return k == model::StatusKind::stopped || k == model::StatusKind::gave_up ||
         k == model::StatusKind::failed;
}

// Days since 1970-01-01 to a civil date (proleptic Gregorian), for any int64
// day count (H. Hinnant's algorithm, written out from its description).
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& mo, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<std::uint64_t>(z - era * 146097);
  const std::uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::uint64_t mp = (5 * doy + 2) / 153;
  d = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  mo = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<std::int64_t>(yoe) + era * 400 + (mo <= 2 ? 1 : 0);
}

// "  label        value\n": labels in a column of 13.
void add_row(std::string& out, std::string_view label, const std::string& value) {
  out += "  ";
  out += label;
  out.append(label.size() < 13 ? 13 - label.size() : 1, ' ');
  out += value;
  out += '\n';
}

std::string iso8601(std::int64_t unix_ms) {
  // Floor division, so times before 1970 still print correctly.
  const std::int64_t ms_per_day = 86'400'000;
  std::int64_t days = unix_ms / ms_per_day;
  std::int64_t rem = unix_ms % ms_per_day;
  if (rem < 0) {
    rem += ms_per_day;
    --days;
  }
  std::int64_t y = 0;
  unsigned mo = 0;
  unsigned d = 0;
  civil_from_days(days, y, mo, d);
  std::array<char, 64> buf{};
  std::snprintf(buf.data(), buf.size(), "%04" PRId64 "-%02u-%02uT%02d:%02d:%02d.%03dZ", y, mo, d,
                static_cast<int>(rem / 3'600'000), static_cast<int>(rem / 60'000 % 60),
                static_cast<int>(rem / 1000 % 60), static_cast<int>(rem % 1000));
  return buf.data();
}

}  // namespace

std::string OperatorSummary::time(model::Instant at) const {
  if (!clock_) return "t=" + std::to_string(at.ms) + " ms";
  return iso8601(clock_->unix_ms_of(at));
}

std::string OperatorSummary::duration(std::int64_t ms) {
  std::array<char, 64> buf{};
  if (ms < 0)
    return "-" + duration(ms == std::numeric_limits<std::int64_t>::min()
                              ? std::numeric_limits<std::int64_t>::max()
                              : -ms);
  if (ms < 1000) {
    std::snprintf(buf.data(), buf.size(), "%" PRId64 " ms", ms);
  } else if (ms < 60'000) {
    std::snprintf(buf.data(), buf.size(), "%.1f s", static_cast<double>(ms) / 1000.0);
  } else if (ms < 3'600'000) {
    std::snprintf(buf.data(), buf.size(), "%" PRId64 " min %" PRId64 " s", ms / 60'000,
                  ms / 1000 % 60);
  } else {
    std::snprintf(buf.data(), buf.size(), "%" PRId64 " h %" PRId64 " min", ms / 3'600'000,
                  ms / 60'000 % 60);
  }
  return buf.data();
}

std::string_view OperatorSummary::words(model::Reason reason) {
  switch (reason) {
    case model::Reason::none:
      return "no reason given";
    case model::Reason::connect_timeout:
      return "the connection attempt timed out";
    case model::Reason::confirm_timeout:
      return "the server accepted the connection but sent nothing in time";
    case model::Reason::transport_error:
      return "a network error (refused, reset, DNS or TLS)";
    case model::Reason::unexpected_eof:
      return "the connection ended without a close";
    case model::Reason::protocol_error:
      return "the server sent something malformed";
    case model::Reason::clean_close:
      return "the server closed the stream";
    case model::Reason::heartbeat_timeout:
      return "nothing arrived for too long (a silent, half-open connection)";
    case model::Reason::server_error:
      return "a server error";
    case model::Reason::rate_limited:
      return "the server asked to slow down (rate limited)";
    case model::Reason::auth_refresh_failed:
      return "the credentials could not be refreshed";
    case model::Reason::cursor_resync:
      return "the resume position was too old, resuming elsewhere";
    case model::Reason::stop_requested:
      return "the application asked to stop";
    case model::Reason::replay_complete:
      return "the replay reached its end";
    case model::Reason::attempts_exhausted:
      return "too many failed attempts in a row";
    case model::Reason::outage_too_long:
      return "the outage lasted too long";
    case model::Reason::unauthorized:
      return "the server refused the credentials";
    case model::Reason::rejected_after_refresh:
      return "the server refused even freshly refreshed credentials";
    case model::Reason::http_status:
      return "the server refused the request";
    case model::Reason::cursor_too_old:
      return "the resume position is no longer on the server";
    case model::Reason::unrecoverable:
      return "an error that retrying would repeat";
    case model::Reason::checkpoint_unreadable:
      return "the checkpoint could not be read";
    case model::Reason::pause_requested:
      return "the application paused the session";
    case model::Reason::network_changed:
      return "the host's network changed: reconnecting";
    case model::Reason::restart_requested:
      return "the application asked for a new connection";
  }
  return "an unknown reason";
}

std::string OperatorSummary::reason_text(model::Reason reason, std::uint16_t http_status) const {
  std::string s(words(reason));
  if (http_status != 0) s += ", HTTP " + std::to_string(http_status);
  s += " (";
  s += model::name_of(reason);
  s += ')';
  return s;
}

void OperatorSummary::step(const model::Event& event, const model::Effects& effects) {
  const model::Instant now = model::time_of(event);
  if (!first_) first_ = now;
  last_ = now;
  ++events_;
  if (std::holds_alternative<model::AuthRefreshed>(event) ||
      std::holds_alternative<model::AuthRefreshFailed>(event)) {
    const bool ok = std::holds_alternative<model::AuthRefreshed>(event);
    for (auto it = refreshes_.rbegin(); it != refreshes_.rend(); ++it) {
      if (it->outcome.empty()) {
        it->outcome = ok ? "succeeded" : "failed";
        break;
      }
    }
  } else if (std::holds_alternative<model::CheckpointSaveFailed>(event)) {
    ++save_failures_;
  }
  for (const model::Effect& effect : effects) {
    std::visit(
        [&](const auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, model::Connect>)
            on_connect(now, e);
          else if constexpr (std::is_same_v<T, model::Deliver>)
            ++delivered_;
          else if constexpr (std::is_same_v<T, model::ReportGap>)
            gaps_.push_back(Gap{now, e});
          else if constexpr (std::is_same_v<T, model::RefreshAuth>)
            refreshes_.push_back(Refresh{now, e.cause, {}});
          else if constexpr (std::is_same_v<T, model::ReportStatus>)
            on_status(now, e.status);
        },
        effect);
  }
}

void OperatorSummary::on_connect(model::Instant now, const model::Connect& connect) {
  ++connects_;
  const std::optional<std::int64_t> wait = announced_wait_ms_;
  announced_wait_ms_.reset();
  if (connects_ == 1) return;  // the session's first connection is not a reconnect
  reconnects_.push_back(Attempt{now, connect.attempt, wait, {}});
  pending_attempt_ = reconnects_.size() - 1;
  if (!outages_.empty() && outages_.back().ended_by.empty())
    outages_.back().attempts.push_back(*pending_attempt_);
}

void OperatorSummary::on_status(model::Instant now, const model::Status& s) {
  const model::StatusKind before = kind_;
  kind_ = s.kind;
  const bool open = !outages_.empty() && outages_.back().ended_by.empty();
  auto settle = [&](std::string outcome) {
    if (pending_attempt_) reconnects_[*pending_attempt_].outcome = std::move(outcome);
    pending_attempt_.reset();
  };
  auto open_outage = [&] {
    Outage o;
    o.before_first_connection = !streamed_;
    o.start = streamed_ ? now : first_.value_or(now);
    o.cause = s.reason;
    o.http_status = s.http_status;
    outages_.push_back(std::move(o));
  };
  if (s.kind == model::StatusKind::streaming) {
    settle("connected");
    if (open) {
      outages_.back().end = now;
      outages_.back().ended_by = "connected";
    }
    streamed_ = true;
    return;
  }
  if (terminal(s.kind)) {
    settle("abandoned: the session ended");
    if (open) {
      outages_.back().end = now;
      outages_.back().ended_by = "the session " + std::string(model::name_of(s.kind)) + ": " +
                                 reason_text(s.reason, s.http_status);
    }
    return;
  }
  if (s.kind == model::StatusKind::backing_off) {
    announced_wait_ms_ = model::elapsed_ms(now, s.next_attempt_at);
    settle("failed: " + reason_text(s.reason, s.http_status));
  } else if (s.kind == model::StatusKind::refreshing_auth) {
    settle("refused the credentials" +
           (s.http_status != 0 ? " (HTTP " + std::to_string(s.http_status) + ")" : std::string()) +
           "; refreshing them");
  }
  // An outage: the stream was up and is not any more, or the first connection failed.
  const bool stream_lost = before == model::StatusKind::streaming;
  const bool first_failed = !streamed_ && s.kind != model::StatusKind::connecting;
  if (!open && (stream_lost || first_failed))
    open_outage();
  else if (open && outages_.back().cause == model::Reason::none) {
    outages_.back().cause = s.reason;
    outages_.back().http_status = s.http_status;
  }
}

std::string OperatorSummary::attempt_line(const Attempt& a) const {
  std::string s = "attempt " + std::to_string(a.number) + " at " + time(a.at);
  s += a.wait_ms ? " after a " + duration(*a.wait_ms) + " wait" : std::string(" at once");
  s += ": ";
  s += a.outcome.empty() ? "no outcome before the recording ends" : a.outcome;
  return s;
}

void OperatorSummary::outage_rows(std::string& out, bool diverged) const {
  std::int64_t down_ms = 0;
  for (const Outage& o : outages_) down_ms += model::elapsed_ms(o.start, o.end.value_or(last_));
  add_row(out, "outages",
          outages_.empty()
              ? std::string("none")
              : std::to_string(outages_.size()) + " (" + duration(down_ms) + " in all)");
  for (std::size_t i = 0; i < outages_.size(); ++i) {
    const Outage& o = outages_[i];
    const model::Instant end = o.end.value_or(last_);
    out += "    #" + std::to_string(i + 1) + " " + time(o.start) + " to " + time(end) + " (" +
           duration(model::elapsed_ms(o.start, end)) +
           "): " + (o.before_first_connection ? "could not connect: " : "") +
           reason_text(o.cause, o.http_status) + "\n";
    for (const std::size_t a : o.attempts) out += "       " + attempt_line(reconnects_[a]) + "\n";
    if (o.ended_by.empty())
      out += diverged ? "       not over where the replay stopped\n"
                      : "       not over when the recording ends\n";
    else if (o.ended_by != "connected")
      out += "       ended when " + o.ended_by + "\n";
  }
}

std::string OperatorSummary::reconnects_text() const {
  if (reconnects_.empty()) return "none";
  std::optional<std::int64_t> lo;
  std::optional<std::int64_t> hi;
  for (const Attempt& a : reconnects_) {
    if (!a.wait_ms) continue;
    lo = std::min(lo.value_or(*a.wait_ms), *a.wait_ms);
    hi = std::max(hi.value_or(*a.wait_ms), *a.wait_ms);
  }
  std::string s = std::to_string(reconnects_.size()) + " attempt(s)";
  if (lo) s += ", waits " + duration(*lo) + (*lo == *hi ? "" : " to " + duration(*hi));
  return s;
}

std::string OperatorSummary::text(const model::State& final_state, bool diverged) const {
  std::string out = diverged ? "summary up to the divergence" : "summary";
  out += clock_ ? " (times UTC)\n" : " (times on the recording's monotonic clock)\n";
  auto row = [&out](std::string_view label, const std::string& value) {
    add_row(out, label, value);
  };
  if (!first_) {
    row("session", "no events");
  } else {
    row("session", time(*first_) + " to " + time(last_) + " (" +
                       duration(model::elapsed_ms(*first_, last_)) + "), " +
                       std::to_string(events_) + " events");
  }
  std::string delivered = std::to_string(delivered_) +
                          " events; checkpoint durable through delivery " +
                          std::to_string(final_state.progress.durable_id);
  if (save_failures_ > 0)
    delivered += "; " + std::to_string(save_failures_) + " checkpoint save(s) failed";
  row("delivered", delivered);

  outage_rows(out, diverged);
  row("reconnects", reconnects_text());

  if (refreshes_.empty()) {
    row("refreshes", "none");
  } else {
    row("refreshes", std::to_string(refreshes_.size()));
    for (const Refresh& r : refreshes_)
      out += "    " + time(r.at) + ": " +
             (r.cause == model::RefreshCause::rejected ? "the server refused the credentials"
                                                       : "the credentials were about to expire") +
             "; refresh " + (r.outcome.empty() ? "unanswered when the recording ends" : r.outcome) +
             "\n";
  }

  if (gaps_.empty()) {
    row("gaps", "none");
  } else {
    row("gaps", std::to_string(gaps_.size()));
    for (const Gap& g : gaps_) {
      auto seq = [](std::optional<std::uint64_t> v) {
        return v ? std::to_string(*v) : std::string("?");
      };
      out += "    " + time(g.at) + ": events " + seq(g.gap.from_sequence) + " to " +
             seq(g.gap.to_sequence) +
             (g.gap.cause == model::GapCause::missing ? " never arrived"
                                                      : " are no longer on the server") +
             "\n";
    }
  }

  const model::Status& st = final_state.status;
  std::string final_text(model::name_of(st.kind));
  if (st.reason != model::Reason::none) final_text += ": " + reason_text(st.reason, st.http_status);
  if (diverged)
    final_text += " (where the replay stopped)";
  else if (!terminal(st.kind))
    final_text += " (the recording ends before the session did)";
  row("final state", final_text);
  return out;
}

}  // namespace tether::sim
