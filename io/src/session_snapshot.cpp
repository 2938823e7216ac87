#include <tether/io/session_snapshot.hpp>
#include <tether/model/overload.hpp>
#include <variant>

namespace tether::io {

namespace {

model::Instant now_of(const model::Event& event) {
  return std::visit([](const auto& e) { return e.now; }, event);
}

// The phases in which an attempt is under way: its end is a failure or not.
bool is_attempt(const model::Phase& phase) {
  return std::holds_alternative<model::Connecting>(phase) ||
         std::holds_alternative<model::Confirming>(phase) ||
         std::holds_alternative<model::Streaming>(phase) ||
         std::holds_alternative<model::RefreshingAuth>(phase);
}

// An attempt ended in a status that counts: a backoff after a failure (a clean
// close of a healthy stream backs off with no failure), giving up, failing.
bool is_failure(const model::Status& status) {
  if (model::is_lifecycle(status.reason)) return false;  // the application's doing
  return (status.kind == model::StatusKind::backing_off && status.failures > 0) ||
         status.kind == model::StatusKind::gave_up || status.kind == model::StatusKind::failed;
}

std::int64_t not_negative(std::int64_t ms) { return ms < 0 ? 0 : ms; }

// The phase in the words of the statuses (model::name_of(Phase) is the
// traces' CamelCase). One overload per phase and no fallback: a new phase
// does not compile until it is named here.
std::string_view phase_name(const model::Phase& phase) {
  return std::visit(
      model::Overload{
          [](const model::Idle&) { return std::string_view("idle"); },
          [](const model::Connecting&) { return std::string_view("connecting"); },
          [](const model::Confirming&) { return std::string_view("confirming"); },
          [](const model::Streaming&) { return std::string_view("streaming"); },
          [](const model::BackingOff&) { return std::string_view("backing_off"); },
          [](const model::RefreshingAuth&) { return std::string_view("refreshing_auth"); },
          [](const model::Paused&) { return std::string_view("paused"); },
          [](const model::Stopped&) { return std::string_view("stopped"); },
          [](const model::GaveUp&) { return std::string_view("gave_up"); },
          [](const model::Failed&) { return std::string_view("failed"); },
      },
      phase);
}

}  // namespace

void age(SessionSnapshot& s, model::Instant now) {
  s.taken_at = now;
  s.phase_age_ms = not_negative(model::elapsed_ms(s.phase_since, now));
  s.next_attempt_in_ms.reset();
  if (s.status.kind == model::StatusKind::backing_off)
    s.next_attempt_in_ms = not_negative(model::elapsed_ms(now, s.status.next_attempt_at));
  s.checkpoint_lag_ms.reset();
  if (s.oldest_unsaved_at)
    s.checkpoint_lag_ms = not_negative(model::elapsed_ms(*s.oldest_unsaved_at, now));
}

void SessionStats::stepping(const model::Phase& before) {
  phase_before_ = before.index();
  attempt_before_ = is_attempt(before);
  connected_ = false;
}

void SessionStats::count(const model::Effect& effect) {
  if (const auto* connect = std::get_if<model::Connect>(&effect)) {
    if (++counters_.connection_attempts > 1) ++counters_.reconnects;
    last_attempt_ = connect->attempt;
    connected_ = true;
  } else if (std::holds_alternative<model::Deliver>(effect)) {
    ++counters_.deliveries;
  } else if (const auto* discard = std::get_if<model::DiscardFrame>(&effect)) {
    if (discard->reason == model::DiscardReason::duplicate) ++counters_.duplicates_dropped;
  } else if (const auto* gap = std::get_if<model::ReportGap>(&effect)) {
    ++counters_.gaps;
    if (gap->from_sequence && gap->to_sequence && *gap->to_sequence >= *gap->from_sequence)
      counters_.events_missed += *gap->to_sequence - *gap->from_sequence + 1;
  }
}

std::optional<SessionStats::Failure> SessionStats::stepped(const model::Event& event,
                                                           const model::Effects& effects) {
  if (std::holds_alternative<model::ConnectionOpened>(event)) ++counters_.connections_opened;
  if (std::holds_alternative<model::CheckpointSaved>(event)) ++counters_.checkpoints_saved;
  if (std::holds_alternative<model::CheckpointSaveFailed>(event))
    ++counters_.checkpoint_save_failures;
  std::optional<Failure> failure;
  for (const model::Effect& effect : effects) {
    count(effect);
    const auto* report = std::get_if<model::ReportStatus>(&effect);
    if (report != nullptr && !failure && attempt_before_ && is_failure(report->status))
      failure = Failure{report->status};
  }
  if (!failure) return std::nullopt;
  const model::Instant now = now_of(event);
  ++counters_.connection_failures;
  ++counters_.failures_by_reason[static_cast<std::size_t>(failure->status.reason)];
  if (outage_failures_ == 0) outage_since_ = now;
  if (outage_failures_ < UINT32_MAX) ++outage_failures_;
  failure->outage_failures = outage_failures_;
  failure->terminal = failure->status.kind != model::StatusKind::backing_off;
  last_error_ = LastError{now, failure->status.reason, failure->status.http_status, {}};
  return failure;
}

void SessionStats::record_error(std::uint16_t http_status, std::string_view detail) {
  if (!last_error_) return;
  if (http_status != 0) last_error_->http_status = http_status;
  last_error_->detail = detail;
}

std::optional<SessionStats::Recovery> SessionStats::executed(const model::Event& event,
                                                             const model::State& after) {
  const model::Instant now = now_of(event);
  if (after.phase.index() != phase_before_ || connected_) phase_since_ = now;
  note_commits(now, after.progress);
  const auto* streaming = std::get_if<model::Streaming>(&after.phase);
  if (outage_failures_ == 0 || streaming == nullptr || !streaming->healthy) return std::nullopt;
  const Recovery recovery{not_negative(model::elapsed_ms(outage_since_, now)), outage_failures_};
  outage_failures_ = 0;
  return recovery;
}

void SessionStats::note_commits(model::Instant now, const model::Progress& progress) {
  if (progress.committable_id > committable_seen_) {
    committable_seen_ = progress.committable_id;
    if (unsaved_size_ == unsaved_max) {
      unsaved_[(unsaved_head_ + unsaved_size_ - 1) % unsaved_max].first = committable_seen_;
    } else {
      unsaved_[(unsaved_head_ + unsaved_size_) % unsaved_max] = {committable_seen_, now};
      ++unsaved_size_;
    }
  }
  while (unsaved_size_ > 0 && unsaved_[unsaved_head_].first <= progress.durable_id) {
    unsaved_head_ = (unsaved_head_ + 1) % unsaved_max;
    --unsaved_size_;
  }
}

void SessionStats::fill(SessionSnapshot& out, const model::State& state,
                        const model::Status& status, model::Instant now) const {
  out.status = status;
  out.phase = failed_to_start_ ? std::string_view("failed") : phase_name(state.phase);
  out.phase_since = phase_since_;
  out.attempt = status.kind == model::StatusKind::backing_off ? status.failures + 1 : last_attempt_;
  out.last_error = last_error_;
  out.outage_failures = outage_failures_;
  out.outage_since.reset();
  if (outage_failures_ > 0) out.outage_since = outage_since_;
  out.counters = counters_;
  const model::Progress& p = state.progress;
  out.durable_id = p.durable_id;
  out.checkpoint_lag_deliveries =
      p.committable_id > p.durable_id ? p.committable_id - p.durable_id : 0;
  out.oldest_unsaved_at.reset();
  if (unsaved_size_ > 0) out.oldest_unsaved_at = unsaved_[unsaved_head_].second;
  age(out, now);
}

}  // namespace tether::io
