#include <algorithm>
#include <tether/sim/reference/mirror.hpp>
#include <utility>
#include <variant>

namespace tether::sim {

namespace mirror = model::mirror;

namespace {
std::string num(std::int64_t v) { return std::to_string(v); }
std::string num_of(auto e) { return std::to_string(static_cast<int>(e)); }
}  // namespace

MirrorReference::MirrorReference(const mirror::Config& config, std::vector<Violation>& sink)
    : config_(config), sink_(&sink) {}

void MirrorReference::flag(RuleOf<mirror_rules> rule, std::string message, Ms at_ms) {
  sink_->push_back(Violation{rule.rule.guarantee, rule.rule.name, std::move(message), at_ms, 0});
}

void MirrorReference::step(const mirror::State& after, const mirror::Event& e,
                           const mirror::Effects& effects, std::optional<Ms> probe_ms) {
  now_ms_ = mirror::time_of(e).ms;
  if (stopped_) {
    if (!effects.empty()) flag("not-quiet", "effects after stop");
    return;
  }
  if (!started_ && !std::holds_alternative<mirror::Started>(e) &&
      !std::holds_alternative<mirror::StopRequested>(e)) {
    if (!effects.empty()) flag("not-quiet", "effects before Started");
    return;
  }
  clock_ = std::max(clock_, now_ms_);
  wrote_.reset();
  std::visit([this](const auto& x) { on(x); }, e);
  judge_effects(effects);
  if (stopped_) {
    if (reported_.stream != mirror::StreamHealth::stopped) flag("stop", "stop was not reported");
    return;
  }
  judge_status();
  judge_entries(after, probe_ms);
  if (std::holds_alternative<mirror::Tick>(e)) {
    const std::optional<model::Instant> d = mirror::next_deadline(after);
    if (d && d->ms <= clock_)
      flag("deadline-not-ahead",
           "a Tick at " + num(clock_) + " ms left a deadline at " + num(d->ms));
  }
}

// Between two steps nothing is fed, so nothing may fall due: through at_ms the
// status the application holds is still the truth. A deadline whose Tick came
// late (or never) shows here, not at any step.
void MirrorReference::idle_until(Ms at_ms) {
  if (!started_ || stopped_ || at_ms <= clock_) return;
  if (reported_.stream != health_at(at_ms))
    flag("status-late",
         "at " + num(at_ms) + " ms the stream is " + num_of(health_at(at_ms)) +
             ", the application holds " + num_of(reported_.stream) + " (no Tick at its deadline)",
         at_ms);
  if (reported_.backfill != backfill_at(at_ms))
    flag("status-late",
         "at " + num(at_ms) + " ms the backfill is " + num_of(backfill_at(at_ms)) +
             ", the application holds " + num_of(reported_.backfill) + " (no Tick at its deadline)",
         at_ms);
}

// --- the recomputation ------------------------------------------------------------

void MirrorReference::on(const mirror::Started&) {
  if (!started_) started_at_ = clock_;
  started_ = true;
}
void MirrorReference::on(const mirror::StopRequested&) { stopped_ = true; }
void MirrorReference::on(const mirror::ValuePushed& e) {
  last_push_ = clock_;
  write(e.key, e.value, mirror::Source::push, clock_);
}
void MirrorReference::on(const mirror::RemovalPushed& e) {
  last_push_ = clock_;
  write(e.key, std::nullopt, mirror::Source::push, clock_);
}
void MirrorReference::on(const mirror::HeartbeatReceived&) { last_push_ = clock_; }
void MirrorReference::on(const mirror::ValuePolled& e) {
  ++tally_.polled_values;
  write(e.key, e.value, mirror::Source::poll, polled(e.observed_at));
}
void MirrorReference::on(const mirror::RemovalPolled& e) {
  write(e.key, std::nullopt, mirror::Source::poll, polled(e.observed_at));
}
void MirrorReference::on(const mirror::PollCompleted& e) { polled(e.observed_at); }

// A snapshot is never dated after its arrival.
Ms MirrorReference::polled(model::Instant observed_at) {
  const Ms as_of = std::min(observed_at.ms, clock_);
  last_poll_ = std::max(last_poll_.value_or(as_of), as_of);
  return as_of;
}

// A write applies unless it breaks a limit or, from a poll, is older than the
// entry (a tie goes to the poll only over a poll).
void MirrorReference::write(const std::string& key, const std::optional<std::string>& value,
                            mirror::Source source, Ms as_of) {
  wrote_ = false;
  if (key.size() > config_.key_bytes_max || (value && value->size() > config_.value_bytes_max))
    return;
  const auto it = want_.find(key);
  if (it == want_.end() && want_.size() >= config_.keys_max) return;
  if (it != want_.end() && source == mirror::Source::poll) {
    const bool newer = as_of > it->second.as_of ||
                       (as_of == it->second.as_of && it->second.source == mirror::Source::poll);
    if (!newer) return;
  }
  want_[key] = Expected{value, source, as_of};
  wrote_ = true;
}

mirror::StreamHealth MirrorReference::health_at(Ms at_ms) const {
  const Ms heard = last_push_.value_or(started_at_);
  return at_ms - heard >= config_.heartbeat.budget_ms() ? mirror::StreamHealth::degraded
         : last_push_                                   ? mirror::StreamHealth::live
                                                        : mirror::StreamHealth::starting;
}

mirror::Backfill MirrorReference::backfill_at(Ms at_ms) const {
  if (!last_poll_) return mirror::Backfill::none;
  return at_ms - *last_poll_ < config_.stale_after_ms ? mirror::Backfill::warm
                                                      : mirror::Backfill::cold;
}

// --- the judging -------------------------------------------------------------------

// Statuses only on change; one write outcome per write event, the recomputed one.
void MirrorReference::judge_effects(const mirror::Effects& effects) {
  int outcomes = 0;
  for (const mirror::Effect& x : effects) {
    if (const auto* st = std::get_if<mirror::ReportStatus>(&x)) {
      if (st->status == reported_) flag("status-unchanged", "a ReportStatus that changed nothing");
      reported_ = st->status;
      continue;
    }
    ++outcomes;
    const bool changed = std::holds_alternative<mirror::ValueChanged>(x);
    if (!wrote_ || *wrote_ != changed)
      flag("write-outcome", "the write's outcome differs from the recomputation");
    if (const auto* ig = std::get_if<mirror::WriteIgnored>(&x);
        ig != nullptr && ig->cause == mirror::IgnoreCause::older_than_entry)
      ++tally_.polls_older_than_entry;
  }
  if (outcomes != (wrote_ ? 1 : 0)) flag("write-outcome", "a write without exactly one outcome");
}

// The status the application holds is the truth at now, from pushes alone
// (however warm backfill keeps the values) and from the polls.
void MirrorReference::judge_status() {
  const Ms budget = config_.heartbeat.budget_ms();
  const Ms heard = last_push_.value_or(started_at_);
  const mirror::StreamHealth health = health_at(clock_);
  if (reported_.stream != health)
    flag("health-not-truth", "stream reported " + num_of(reported_.stream) + ", push silent " +
                                 num(clock_ - heard) + " ms, budget " + num(budget));
  if (health == mirror::StreamHealth::degraded && reported_.stream_since.ms != heard + budget)
    flag("health-not-truth", "degraded since the wrong instant");
  if (reported_.backfill != backfill_at(clock_))
    flag("backfill-not-truth", "backfill status differs from the polls");
}

void MirrorReference::judge_entries(const mirror::State& after, std::optional<Ms> probe_ms) {
  if (after.entries.size() != want_.size())
    flag("entries", "the mirror holds other keys than recomputed");
  for (const auto& [key, want] : want_) judge_entry(after, key, want, probe_ms);
  static constexpr std::string_view never_written = "never-written";
  if (!want_.contains(never_written) &&
      mirror::freshness_of(after, never_written, model::Instant{clock_}) !=
          mirror::Freshness::never)
    flag("never", "a key never written is not Never");
}

// The entry as recomputed, and freshness_of at now and at both sides of its
// threshold.
void MirrorReference::judge_entry(const mirror::State& after, const std::string& key,
                                  const Expected& want, std::optional<Ms> probe_ms) {
  const mirror::Entry* got = mirror::find(after, key);
  if (got == nullptr || got->value != want.value || got->written_at.ms != want.as_of ||
      got->source != want.source) {
    flag("entries", "entry " + key + " differs from the recomputation");
    return;
  }
  const Ms stale = config_.stale_after_ms;
  const Ms edge = want.as_of + stale;
  const auto judge_at = [&](Ms q) {
    const mirror::Freshness f = mirror::freshness_of(after, key, model::Instant{q});
    if (q >= edge && f == mirror::Freshness::fresh)
      flag("fresh-past-threshold", "Fresh past the threshold for " + key);
    if (f != (q - want.as_of < stale ? mirror::Freshness::fresh : mirror::Freshness::stale))
      flag("freshness",
           "freshness of " + key + " at " + num(q) + " ms differs from the recomputation");
    return f;
  };
  if (judge_at(clock_) == mirror::Freshness::fresh) ++tally_.fresh_answers;
  for (const Ms q : {edge - 1, edge, edge + 1}) judge_at(q);
  if (probe_ms) judge_at(*probe_ms);
}

}  // namespace tether::sim
