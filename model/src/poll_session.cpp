#include <cmath>
#include <string_view>
#include <tether/model/backoff.hpp>
#include <tether/model/overload.hpp>
#include <tether/model/poll_session.hpp>
#include <tether/model/saturating.hpp>
#include <utility>

namespace tether::model::poll {

namespace {

using Result = std::expected<void, ConfigError>;

Result fail(std::string_view field, std::string_view reason) {
  return std::unexpected(ConfigError{field, reason});
}

Result validate_backoff(const PollBackoff& b) {
  if (b.delay_ms_initial <= 0 || b.delay_ms_initial > poll_ms_max)
    return fail("endpoints[].backoff.delay_ms_initial", "must be in [1, 10^12]");
  if (!std::isfinite(b.multiplier) || b.multiplier < 1.0 || b.multiplier > 1000.0)
    return fail("endpoints[].backoff.multiplier", "must be a finite number in [1, 1000]");
  if (b.delay_ms_max < b.delay_ms_initial)
    return fail("endpoints[].backoff.delay_ms_max",
                "must be >= endpoints[].backoff.delay_ms_initial");
  if (b.delay_ms_max > poll_ms_max)
    return fail("endpoints[].backoff.delay_ms_max", "must be <= 10^12");
  if (!std::isfinite(b.jitter_fraction) || b.jitter_fraction < 0.0 || b.jitter_fraction > 1.0)
    return fail("endpoints[].backoff.jitter_fraction", "must be in [0, 1]");
  return {};
}

// One transition's working set over a Polling phase. Branching lives in the
// handlers; the helpers below them are the shared mechanisms.
class Reducer {
 public:
  Reducer(PollState& s, Polling& p, PollEffects& out, Instant now)
      : s_(s), p_(p), cfg_(*s.config), out_(out), now_(now) {}

  void on(const Tick&);
  void on(const PollSucceeded& e);
  void on(const PollFailed& e);

 private:
  // The endpoint's poll in flight, or nullptr if there is none to answer.
  InFlight* in_flight(std::size_t endpoint) {
    if (endpoint >= p_.endpoints.size()) return nullptr;
    return std::get_if<InFlight>(&p_.endpoints[endpoint].activity);
  }

  void report(std::size_t endpoint, const EndpointStatus& status) {
    EndpointState& ep = p_.endpoints[endpoint];
    if (ep.status == status) return;  // quiet: only changes are reported
    ep.status = status;
    out_.push_back(ReportStatus{endpoint, status});
  }

  void succeed(std::size_t endpoint, const Snapshot& snapshot);
  void quiet(std::size_t endpoint, ErrorClass cls, std::uint16_t http_status);
  void back_off(std::size_t endpoint, std::uint16_t http_status);
  // A poll ended without a failure: the cadence resumes, and the failure count
  // resets once nothing is failing.
  void healthy(std::size_t endpoint) {
    EndpointState& ep = p_.endpoints[endpoint];
    const Instant issued_at = std::get<InFlight>(ep.activity).issued_at;
    ep.activity = Waiting{after(issued_at, cfg_.endpoints[endpoint].cadence_ms)};
    ep.failing = false;
    ep.previous_delay_ms = 0;
    bool any_failing = false;
    for (const EndpointState& other : p_.endpoints) any_failing = any_failing || other.failing;
    if (!any_failing) p_.failures = 0;
  }

  PollState& s_;
  Polling& p_;
  const PollConfig& cfg_;
  PollEffects& out_;
  Instant now_;
};

void Reducer::on(const Tick&) {
  for (std::size_t i = 0; i < p_.endpoints.size(); ++i) {
    const auto* w = std::get_if<Waiting>(&p_.endpoints[i].activity);
    if (w == nullptr || w->due_at > now_) continue;
    out_.push_back(Poll{i, false});
    p_.endpoints[i].activity = InFlight{now_, p_.escalations, false};
  }
}

void Reducer::on(const PollSucceeded& e) {
  if (in_flight(e.endpoint) == nullptr) return;
  const EndpointState& ep = p_.endpoints[e.endpoint];
  if (e.snapshot) return succeed(e.endpoint, *e.snapshot);
  if (ep.snapshot) return succeed(e.endpoint, *ep.snapshot);  // 304: the previous one holds
  // 304 with nothing to keep: the driver and the server disagree on what we hold.
  back_off(e.endpoint, 304);
}

void Reducer::on(const PollFailed& e) {
  InFlight* f = in_flight(e.endpoint);
  if (f == nullptr) return;
  const ErrorClass cls = classify(e.http_status);
  if (cls == ErrorClass::transient && !f->retried) {
    f->retried = true;
    out_.push_back(Poll{e.endpoint, true});
    return;
  }
  if (cls == ErrorClass::not_served || cls == ErrorClass::unauthorised)
    return quiet(e.endpoint, cls, e.http_status);
  back_off(e.endpoint, e.http_status);
}

void Reducer::succeed(std::size_t endpoint, const Snapshot& snapshot) {
  EndpointState& ep = p_.endpoints[endpoint];
  const Changes changes = diff(ep.snapshot ? *ep.snapshot : Snapshot{}, snapshot);
  for (const Change& c : changes) {
    switch (c.kind) {
      case ChangeKind::added:
        out_.push_back(Added{endpoint, c.key, c.value});
        break;
      case ChangeKind::modified:
        out_.push_back(Modified{endpoint, c.key, c.value});
        break;
      case ChangeKind::removed:
        out_.push_back(Removed{endpoint, c.key, c.value});
        break;
    }
  }
  ep.snapshot = snapshot;
  healthy(endpoint);
  report(endpoint, EndpointStatus{Health::ok, 0, 0, {}});
}

void Reducer::quiet(std::size_t endpoint, ErrorClass cls, std::uint16_t http_status) {
  healthy(endpoint);
  const Health h = cls == ErrorClass::not_served ? Health::not_served : Health::unauthorised;
  report(endpoint, EndpointStatus{h, http_status, 0, {}});
}

// The session backs off once per wave of failures: a failure raises the count
// only if nobody raised it since this poll was sent.
void Reducer::back_off(std::size_t endpoint, std::uint16_t http_status) {
  EndpointState& ep = p_.endpoints[endpoint];
  const InFlight flight = std::get<InFlight>(ep.activity);
  if (p_.failures == 0 || flight.escalations_seen == p_.escalations) {
    p_.failures = saturating_inc(p_.failures);
    p_.escalations += 1;
  }
  const std::int64_t delay_ms = sample_delay_ms(as_policy(cfg_.endpoints[endpoint].backoff),
                                                p_.failures, ep.previous_delay_ms, s_.prng);
  ep.previous_delay_ms = delay_ms;
  ep.failing = true;
  const Instant due = after(now_, delay_ms);
  ep.activity = Waiting{due};
  report(endpoint, EndpointStatus{Health::backing_off, http_status, p_.failures, due});
}

void stop(PollState& s, PollEffects& out, StopReason reason) {
  s.phase = Stopped{reason};
  out.push_back(ReportStopped{reason});
}

void run(PollState& s, const PollEvent& event, PollEffects& out) {
  if (is_terminal(s)) return;  // sticky and quiet
  if (std::holds_alternative<StopRequested>(event)) return stop(s, out, StopReason::stop_requested);
  if (std::holds_alternative<ReceiverGone>(event)) return stop(s, out, StopReason::receiver_gone);
  if (const auto* e = std::get_if<Started>(&event)) {
    if (!std::holds_alternative<Idle>(s.phase)) return;  // started twice: no-op
    Polling p{{}, 0, 0};
    p.endpoints.reserve(s.config->endpoints.size());
    for (std::size_t i = 0; i < s.config->endpoints.size(); ++i)
      p.endpoints.push_back(EndpointState{Waiting{e->now}, std::nullopt, false, 0, {}});
    s.phase = std::move(p);
    Reducer(s, std::get<Polling>(s.phase), out, e->now).on(Tick{e->now});
    return;
  }
  auto* p = std::get_if<Polling>(&s.phase);
  if (p == nullptr) return;  // Idle: nothing was polled, nothing to tick
  std::visit(Overload{
                 [&](const Tick& e) { Reducer(s, *p, out, e.now).on(e); },
                 [&](const PollSucceeded& e) { Reducer(s, *p, out, e.now).on(e); },
                 [&](const PollFailed& e) { Reducer(s, *p, out, e.now).on(e); },
                 [](const auto&) {},
             },
             event);
}

}  // namespace

std::expected<void, ConfigError> validate(const PollConfig& config) {
  if (config.endpoints.empty()) return fail("endpoints", "must list at least one endpoint");
  if (config.endpoints.size() > endpoints_max)
    return fail("endpoints", "must list at most 64 endpoints");
  for (std::size_t i = 0; i < config.endpoints.size(); ++i) {
    const EndpointConfig& e = config.endpoints[i];
    if (e.name.empty()) return fail("endpoints[].name", "must not be empty");
    for (std::size_t j = 0; j < i; ++j)
      if (config.endpoints[j].name == e.name) return fail("endpoints[].name", "must be unique");
    if (e.cadence_ms <= 0 || e.cadence_ms > poll_ms_max)
      return fail("endpoints[].cadence_ms", "must be in [1, 10^12]");
    if (auto r = validate_backoff(e.backoff); !r) return r;
  }
  return {};
}

Instant time_of(const PollEvent& event) {
  return std::visit([](const auto& e) { return e.now; }, event);
}

ErrorClass classify(std::uint16_t http_status) {
  switch (http_status) {
    case 404:
      return ErrorClass::not_served;
    case 401:
      return ErrorClass::unauthorised;
    case 503:
      return ErrorClass::transient;
    default:
      return ErrorClass::failure;
  }
}

bool is_terminal(const PollState& state) { return std::holds_alternative<Stopped>(state.phase); }

std::expected<PollState, ConfigError> make_poll_session(const PollConfig& config,
                                                        std::uint64_t seed) {
  if (auto ok = validate(config); !ok) return std::unexpected(ok.error());
  return PollState{std::make_shared<const PollConfig>(config), Idle{}, Prng(seed)};
}

PollStep transition(PollState state, const PollEvent& event) noexcept {
  PollStep step{std::move(state), {}};
  run(step.state, event, step.effects);
  return step;
}

PollEffects transition_in_place(PollState& state, const PollEvent& event) noexcept {
  PollEffects out;
  run(state, event, out);
  return out;
}

std::optional<Instant> next_deadline(const PollState& state) noexcept {
  const auto* p = std::get_if<Polling>(&state.phase);
  if (p == nullptr) return std::nullopt;
  std::optional<Instant> d;
  for (const EndpointState& ep : p->endpoints)
    if (const auto* w = std::get_if<Waiting>(&ep.activity))
      d = d ? earliest(*d, w->due_at) : w->due_at;
  return d;
}

}  // namespace tether::model::poll
