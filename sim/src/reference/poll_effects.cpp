// The polling reducer's reference oracle: each effect in order (polls, changes,
// statuses), then where the endpoint that answered must stand (its status, its
// backoff, its mirror).
#include <span>
#include <string>
#include <string_view>
#include <tether/model/backoff.hpp>
#include <tether/sim/reference/poll.hpp>
#include <variant>

namespace tether::sim {

namespace {

namespace poll = model::poll;

std::string_view name_of(poll::ChangeKind kind) {
  switch (kind) {
    case poll::ChangeKind::added:
      return "Added";
    case poll::ChangeKind::modified:
      return "Modified";
    case poll::ChangeKind::removed:
      return "Removed";
  }
  return "?";
}

}  // namespace

void PollReference::effect(const poll::Effect& x, const poll::Event& event) {
  if (const auto* p = std::get_if<poll::Poll>(&x)) return on_poll(*p, event);
  if (const auto* a = std::get_if<poll::Added>(&x))
    return on_change(a->endpoint, poll::ChangeKind::added, a->key, a->value, event);
  if (const auto* m = std::get_if<poll::Modified>(&x))
    return on_change(m->endpoint, poll::ChangeKind::modified, m->key, m->value, event);
  if (const auto* r = std::get_if<poll::Removed>(&x))
    return on_change(r->endpoint, poll::ChangeKind::removed, r->key, r->value, event);
  if (const auto* s = std::get_if<poll::ReportStatus>(&x)) return on_status(*s);
  flag("stop", "ReportStopped without StopRequested or ReceiverGone", 0);
}

// A scheduled poll: at Started or a Tick, of an endpoint with nothing in
// flight, once it is due. A retry comes only from on_retry().
void PollReference::on_poll(const poll::Poll& p, const poll::Event& event) {
  if (p.retry_in_tick)
    return flag("retry", "a retry that does not answer a first 503 of its endpoint", p.endpoint);
  if (p.endpoint >= endpoints_.size())
    return flag("cadence", "a poll of an endpoint that does not exist", p.endpoint);
  Endpoint& e = endpoints_[p.endpoint];
  if (!std::holds_alternative<poll::Tick>(event) && !std::holds_alternative<poll::Started>(event))
    flag("cadence", "a scheduled poll outside Started or a Tick", p.endpoint);
  if (e.in_flight) {
    flag("cadence", "two requests in flight for one endpoint (a burst)", p.endpoint);
  } else if (now_ < e.due) {
    flag("cadence",
         "polled at " + std::to_string(now_.ms) + " ms, " + std::to_string(e.due.ms - now_.ms) +
             " ms before it was due at " + std::to_string(e.due.ms) + " ms (" +
             (e.failing ? std::string("the backoff's end")
                        : "cadence " + std::to_string(config_.endpoints[p.endpoint].cadence_ms) +
                              " ms after the last poll was issued") +
             ")",
         p.endpoint);
  }
  e.in_flight = true;
  e.retry_out = false;
  e.issued_at = now_;
  e.escalations_seen = escalations_;
}

// A change: only in a successful poll of its own endpoint, and it must fit the
// application's mirror.
void PollReference::on_change(std::size_t endpoint, poll::ChangeKind kind, const std::string& key,
                              const std::string& value, const poll::Event& event) {
  const std::string what = std::string(name_of(kind)) + " \"" + key + "\"";
  if (outcome_ != Outcome::success || endpoint != answered_) {
    const bool failed =
        std::holds_alternative<poll::PollFailed>(event) || outcome_ == Outcome::failure;
    return flag(
        "no-removed",
        what + (failed ? " after a failed poll" : " outside a successful poll of its endpoint"),
        endpoint);
  }
  Map& mirror = endpoints_[endpoint].mirror;
  const auto it = mirror.find(key);
  switch (kind) {
    case poll::ChangeKind::added:
      if (it != mirror.end()) return flag("mirror", what + ", which the application has", endpoint);
      mirror.emplace(key, value);
      return;
    case poll::ChangeKind::modified:
      if (it == mirror.end() || it->second == value)
        return flag("mirror", what + ", which the application lacks or holds unchanged", endpoint);
      it->second = value;
      return;
    case poll::ChangeKind::removed:
      if (it == mirror.end() || it->second != value)
        return flag("mirror", what + ", which the application does not hold with that value",
                    endpoint);
      mirror.erase(it);
      return;
  }
}

// A status: only for the endpoint that answered, once in the step, and never
// the one reported last.
void PollReference::on_status(const poll::ReportStatus& r) {
  if (r.endpoint >= endpoints_.size())
    return flag("status", "a status of an endpoint that does not exist", r.endpoint);
  Endpoint& e = endpoints_[r.endpoint];
  if (e.reported && *e.reported == r.status)
    flag("quiet", "the same status reported twice in a row", r.endpoint);
  if (r.endpoint != answered_)
    flag("status", "a status for an endpoint that had no result in the step", r.endpoint);
  else if (++statuses_ > 1)
    flag("status", "two statuses in one step", r.endpoint);
  e.reported = r.status;
}

// Where the endpoint that answered stands: the status of its outcome, and after
// a failure the policy's count and a delay within its jitter envelope.
void PollReference::judge_status() {
  if (answered_ >= endpoints_.size()) return;
  Endpoint& e = endpoints_[answered_];
  const std::optional<poll::Status>& st = e.reported;
  switch (outcome_) {
    case Outcome::success:
      if (!st || st->health != poll::Health::ok)
        flag("status", "a success must leave the status ok", answered_);
      return;
    case Outcome::quiet: {
      const poll::Health want =
          http_status_ == 404 ? poll::Health::not_served : poll::Health::unauthorised;
      if (!st || st->health != want || st->http_status != http_status_)
        flag("status",
             "a " + std::to_string(http_status_) + " must leave the status " +
                 (http_status_ == 404 ? "not_served" : "unauthorised") + " with its status",
             answered_);
      return;
    }
    case Outcome::failure:
      if (!st || st->health != poll::Health::backing_off || st->http_status != http_status_) {
        e.due = now_;
        return flag(
            "status",
            "a failure must report backing_off with its status " + std::to_string(http_status_),
            answered_);
      }
      judge_backoff(answered_, *st);
      e.due = st->next_attempt_at;
      return;
    default:
      return;
  }
}

void PollReference::judge_backoff(std::size_t endpoint, const poll::Status& st) {
  if (st.failures != failures_)
    return flag("escalation",
                "backing off with failure count " + std::to_string(st.failures) +
                    ", the policy's count is " + std::to_string(failures_) +
                    " (one escalation per wave of failures)",
                endpoint);
  const model::DelayBounds b =
      model::jitter_envelope(poll::as_policy(config_.endpoints[endpoint].backoff), failures_);
  const std::int64_t d = st.next_attempt_at.ms - now_.ms;
  if (d < b.delay_ms_min || d > b.delay_ms_max)
    flag("escalation",
         "backoff " + std::to_string(d) + " ms after failure " + std::to_string(failures_) +
             " outside [" + std::to_string(b.delay_ms_min) + ", " + std::to_string(b.delay_ms_max) +
             "]",
         endpoint);
}

// After a success the mirror is the endpoint's last snapshot (a 304 keeps it).
void PollReference::judge_mirror(std::size_t endpoint) {
  const Endpoint& e = endpoints_[endpoint];
  const std::span<const poll::Entry> entries =
      e.polled ? e.polled->entries() : std::span<const poll::Entry>{};
  bool same = entries.size() == e.mirror.size();
  auto it = e.mirror.begin();
  for (std::size_t i = 0; same && i < entries.size(); ++i, ++it)
    same = it->first == entries[i].key && it->second == entries[i].value;
  if (!same)
    flag("mirror",
         "the application's mirror (" + std::to_string(e.mirror.size()) +
             " keys) is not the endpoint's last snapshot (" + std::to_string(entries.size()) +
             " keys)",
         endpoint);
}

}  // namespace tether::sim
