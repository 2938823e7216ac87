// The polling reducer's reference oracle: the step, what its event means, the
// failure count, the deadline and stop (the effects are in poll_effects.cpp).
#include <algorithm>
#include <string>
#include <tether/sim/reference/poll.hpp>
#include <utility>
#include <variant>

namespace tether::sim {

namespace {

namespace poll = model::poll;

constexpr std::size_t violations_max = 20;

std::string show(const std::optional<model::Instant>& t) {
  return t ? std::to_string(t->ms) + " ms" : std::string("none");
}

}  // namespace

PollReference::PollReference(const poll::Config& config)
    : config_(config), endpoints_(config.endpoints.size()) {}

std::optional<model::Instant> PollReference::due_at(std::size_t endpoint) const {
  if (!started_ || stopped_ || endpoint >= endpoints_.size() || endpoints_[endpoint].in_flight)
    return std::nullopt;
  return endpoints_[endpoint].due;
}

void PollReference::flag(RuleOf<poll_rules> rule, std::string message, std::size_t endpoint) {
  if (violations_.size() < violations_max)
    violations_.push_back(Violation{rule.rule.guarantee, rule.rule.name, std::move(message), at_ms_,
                                    static_cast<std::uint32_t>(endpoint)});
}

void PollReference::step(const poll::Event& event, const poll::Effects& effects,
                         const poll::State& after) {
  step(event, effects, after, poll::time_of(event).ms);
}

void PollReference::step(const poll::Event& event, const poll::Effects& effects,
                         const poll::State& after, Ms at_ms) {
  now_ = poll::time_of(event);
  at_ms_ = at_ms;
  outcome_ = Outcome::none;
  answered_ = endpoints_.size();
  statuses_ = 0;
  if (stopped_) {
    if (!effects.empty()) flag("stop", "effects after the session stopped", 0);
    if (!poll::is_terminal(after)) flag("stop", "the state left Stopped", 0);
    return;
  }
  if (std::holds_alternative<poll::StopRequested>(event) ||
      std::holds_alternative<poll::ReceiverGone>(event))
    return on_stop(event, effects, after);
  bool ignored = false;
  if (const auto* s = std::get_if<poll::Started>(&event)) {
    ignored = started_;
    if (!started_)
      for (Endpoint& e : endpoints_) e.due = s->now;  // Started polls every endpoint
    started_ = true;
  } else if (!started_) {
    if (!effects.empty()) flag("ignored", "effects before Started", 0);
    return judge_deadline(after, false);
  } else if (!std::holds_alternative<poll::Tick>(event)) {
    on_result(event);
    ignored = outcome_ == Outcome::stray;
  }
  if (ignored) {
    if (!effects.empty())
      flag("ignored",
           outcome_ == Outcome::stray ? "a result with no poll in flight had effects"
                                      : "a second Started had effects",
           outcome_ == Outcome::stray ? answered_ : 0);
    return judge_deadline(after, false);
  }
  if (outcome_ == Outcome::retry) {
    on_retry(effects);
    return judge_deadline(after, false);
  }
  settle_outcome();
  for (const poll::Effect& x : effects) effect(x, event);
  judge_status();
  if (outcome_ == Outcome::success) judge_mirror(answered_);
  judge_deadline(after, outcome_ == Outcome::none);
}

// What a result means, by the rules (never the reducer's classify()): a poll
// in flight answered, or a stray.
void PollReference::on_result(const poll::Event& event) {
  if (const auto* ok = std::get_if<poll::PollSucceeded>(&event)) {
    answered_ = ok->endpoint;
    if (answered_ >= endpoints_.size() || !endpoints_[answered_].in_flight) {
      outcome_ = Outcome::stray;
      return;
    }
    Endpoint& e = endpoints_[answered_];
    if (ok->snapshot) e.polled = *ok->snapshot;
    outcome_ = e.polled ? Outcome::success : Outcome::failure;
    http_status_ = 304;  // the failure's, when a 304 had no earlier snapshot to keep
    return;
  }
  const auto& f = std::get<poll::PollFailed>(event);
  answered_ = f.endpoint;
  if (answered_ >= endpoints_.size() || !endpoints_[answered_].in_flight) {
    outcome_ = Outcome::stray;
    return;
  }
  http_status_ = f.http_status;
  if (http_status_ == 503 && !endpoints_[answered_].retry_out)
    outcome_ = Outcome::retry;
  else if (http_status_ == 404 || http_status_ == 401)
    outcome_ = Outcome::quiet;
  else
    outcome_ = Outcome::failure;
}

// The poll is over. After a success or a quiet error the endpoint is due a
// cadence after the poll was issued, and the count resets once nothing is
// failing; a failure raises the count once per wave (only if nothing raised
// it since this poll was sent), and its due time is the backoff's
// (judge_status, from the status it reports).
void PollReference::settle_outcome() {
  if (outcome_ != Outcome::success && outcome_ != Outcome::quiet && outcome_ != Outcome::failure)
    return;
  Endpoint& e = endpoints_[answered_];
  e.in_flight = false;
  if (outcome_ == Outcome::failure) {
    e.failing = true;
    if (failures_ == 0 || e.escalations_seen == escalations_) {
      if (failures_ != UINT32_MAX) failures_ += 1;
      escalations_ += 1;
    }
    return;
  }
  e.failing = false;
  e.due = model::after(e.issued_at, config_.endpoints[answered_].cadence_ms);
  if (std::none_of(endpoints_.begin(), endpoints_.end(),
                   [](const Endpoint& x) { return x.failing; }))
    failures_ = 0;
}

void PollReference::on_retry(const poll::Effects& effects) {
  const auto* p = effects.size() == 1 ? std::get_if<poll::Poll>(&effects[0]) : nullptr;
  if (p == nullptr || p->endpoint != answered_ || !p->retry_in_tick)
    flag("retry",
         "a first 503 must be retried at once with Poll{" + std::to_string(answered_) +
             ", retry_in_tick}, and nothing else (" + std::to_string(effects.size()) + " effects)",
         answered_);
  endpoints_[answered_].retry_out = true;
}

// next_deadline() is the earliest due time of an endpoint with no poll in
// flight; after a Tick or the first Started, no endpoint is left due.
void PollReference::judge_deadline(const poll::State& after, bool scheduling) {
  std::optional<model::Instant> want;
  if (started_)
    for (const Endpoint& e : endpoints_)
      if (!e.in_flight) want = want ? model::earliest(*want, e.due) : e.due;
  const std::optional<model::Instant> got = poll::next_deadline(after);
  if (got != want)
    flag("deadline",
         "next_deadline " + show(got) + ", expected " + show(want) +
             " (the earliest due time of an endpoint with no poll in flight)",
         0);
  if (!scheduling) return;
  for (std::size_t i = 0; i < endpoints_.size(); ++i)
    if (!endpoints_[i].in_flight && endpoints_[i].due <= now_)
      flag("cadence",
           "a Tick at " + std::to_string(now_.ms) + " ms left the endpoint unpolled, due at " +
               std::to_string(endpoints_[i].due.ms) + " ms",
           i);
}

// StopRequested or ReceiverGone, in any phase: one ReportStopped with its
// reason, then a terminal state with no deadline.
void PollReference::on_stop(const poll::Event& event, const poll::Effects& effects,
                            const poll::State& after) {
  stopped_ = true;
  const bool asked = std::holds_alternative<poll::StopRequested>(event);
  const poll::StopReason want =
      asked ? poll::StopReason::stop_requested : poll::StopReason::receiver_gone;
  const auto* r = effects.size() == 1 ? std::get_if<poll::ReportStopped>(&effects[0]) : nullptr;
  if (r == nullptr || r->reason != want)
    flag("stop",
         std::string(asked ? "StopRequested" : "ReceiverGone") +
             " must report exactly one ReportStopped{" +
             (asked ? "stop_requested" : "receiver_gone") + "} (" + std::to_string(effects.size()) +
             " effects)",
         0);
  if (!poll::is_terminal(after) || poll::next_deadline(after))
    flag("stop", "a stop must leave a terminal state with no deadline", 0);
}

}  // namespace tether::sim
