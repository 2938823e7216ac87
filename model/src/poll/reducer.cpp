#include <tether/model/backoff.hpp>
#include <tether/model/overload.hpp>
#include <tether/model/poll/reducer.hpp>
#include <tether/model/saturating.hpp>
#include <tether/model/step_in_place.hpp>
#include <utility>

namespace tether::model::poll {

namespace {

// One transition's working set over a Polling phase. Branching lives in the
// handlers; the helpers below them are the shared mechanisms.
class Reducer {
 public:
  Reducer(State& state, Polling& polling, Effects& effects, Instant now)
      : state_(state), polling_(polling), config_(*state.config), effects_(effects), now_(now) {}

  void on(const Tick&);
  void on(const PollSucceeded& e);
  void on(const PollFailed& e);

 private:
  // The endpoint's poll in flight, or nullptr if there is none to answer.
  InFlight* in_flight(std::size_t endpoint) {
    if (endpoint >= polling_.endpoints.size()) return nullptr;
    return std::get_if<InFlight>(&polling_.endpoints[endpoint].activity);
  }

  void report(std::size_t endpoint, const Status& status) {
    EndpointState& ep = polling_.endpoints[endpoint];
    if (ep.status == status) return;  // quiet: only changes are reported
    ep.status = status;
    effects_.push_back(ReportStatus{endpoint, status});
  }

  void succeed(std::size_t endpoint, const Snapshot& snapshot);
  void quiet(std::size_t endpoint, ErrorClass cls, std::uint16_t http_status);
  void back_off(std::size_t endpoint, std::uint16_t http_status);
  // A poll ended without a failure: the cadence resumes, and the failure count
  // resets once nothing is failing.
  void healthy(std::size_t endpoint) {
    EndpointState& ep = polling_.endpoints[endpoint];
    const Instant issued_at = std::get<InFlight>(ep.activity).issued_at;
    ep.activity = Waiting{after(issued_at, config_.endpoints[endpoint].cadence_ms)};
    ep.failing = false;
    ep.previous_delay_ms = 0;
    bool any_failing = false;
    for (const EndpointState& other : polling_.endpoints)
      any_failing = any_failing || other.failing;
    if (!any_failing) polling_.failures = 0;
  }

  State& state_;
  Polling& polling_;
  const Config& config_;
  Effects& effects_;
  Instant now_;
};

void Reducer::on(const Tick&) {
  for (std::size_t i = 0; i < polling_.endpoints.size(); ++i) {
    const auto* w = std::get_if<Waiting>(&polling_.endpoints[i].activity);
    if (w == nullptr || w->due_at > now_) continue;
    effects_.push_back(Poll{i, false});
    polling_.endpoints[i].activity = InFlight{now_, polling_.escalations, false};
  }
}

void Reducer::on(const PollSucceeded& e) {
  if (in_flight(e.endpoint) == nullptr) return;
  const EndpointState& ep = polling_.endpoints[e.endpoint];
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
    effects_.push_back(Poll{e.endpoint, true});
    return;
  }
  if (cls == ErrorClass::not_served || cls == ErrorClass::unauthorised)
    return quiet(e.endpoint, cls, e.http_status);
  back_off(e.endpoint, e.http_status);
}

void Reducer::succeed(std::size_t endpoint, const Snapshot& snapshot) {
  EndpointState& ep = polling_.endpoints[endpoint];
  const Changes changes = diff(ep.snapshot ? *ep.snapshot : Snapshot{}, snapshot);
  for (const Change& c : changes) {
    switch (c.kind) {
      case ChangeKind::added:
        effects_.push_back(Added{endpoint, c.key, c.value});
        break;
      case ChangeKind::modified:
        effects_.push_back(Modified{endpoint, c.key, c.value});
        break;
      case ChangeKind::removed:
        effects_.push_back(Removed{endpoint, c.key, c.value});
        break;
    }
  }
  ep.snapshot = snapshot;
  healthy(endpoint);
  report(endpoint, Status{Health::ok, 0, 0, {}});
}

void Reducer::quiet(std::size_t endpoint, ErrorClass cls, std::uint16_t http_status) {
  healthy(endpoint);
  const Health h = cls == ErrorClass::not_served ? Health::not_served : Health::unauthorised;
  report(endpoint, Status{h, http_status, 0, {}});
}

// The session backs off once per wave of failures: a failure raises the count
// only if nobody raised it since this poll was sent.
void Reducer::back_off(std::size_t endpoint, std::uint16_t http_status) {
  EndpointState& ep = polling_.endpoints[endpoint];
  const InFlight flight = std::get<InFlight>(ep.activity);
  if (polling_.failures == 0 || flight.escalations_seen == polling_.escalations) {
    polling_.failures = saturating_inc(polling_.failures);
    polling_.escalations += 1;
  }
  const std::int64_t delay_ms = draw_delay(as_policy(config_.endpoints[endpoint].backoff),
                                           polling_.failures, ep.previous_delay_ms, state_.prng)
                                    .delay_ms;
  ep.failing = true;
  const Instant due = after(now_, delay_ms);
  ep.activity = Waiting{due};
  report(endpoint, Status{Health::backing_off, http_status, polling_.failures, due});
}

void stop(State& state, Effects& effects, StopReason reason) {
  state.phase = Stopped{reason};
  effects.push_back(ReportStopped{reason});
}

void run(State& state, const Event& event, Effects& effects) {
  if (is_terminal(state)) return;  // sticky and quiet
  if (std::holds_alternative<StopRequested>(event))
    return stop(state, effects, StopReason::stop_requested);
  if (std::holds_alternative<ReceiverGone>(event))
    return stop(state, effects, StopReason::receiver_gone);
  if (const auto* e = std::get_if<Started>(&event)) {
    if (!std::holds_alternative<Idle>(state.phase)) return;  // started twice: no-op
    Polling polling{{}, 0, 0};
    polling.endpoints.reserve(state.config->endpoints.size());
    for (std::size_t i = 0; i < state.config->endpoints.size(); ++i)
      polling.endpoints.push_back(EndpointState{Waiting{e->now}, std::nullopt, false, 0, {}});
    state.phase = std::move(polling);
    Reducer(state, std::get<Polling>(state.phase), effects, e->now).on(Tick{e->now});
    return;
  }
  auto* polling = std::get_if<Polling>(&state.phase);
  if (polling == nullptr) return;  // Idle: nothing was polled, nothing to tick
  std::visit(Overload{
                 [&](const Tick& e) { Reducer(state, *polling, effects, e.now).on(e); },
                 [&](const PollSucceeded& e) { Reducer(state, *polling, effects, e.now).on(e); },
                 [&](const PollFailed& e) { Reducer(state, *polling, effects, e.now).on(e); },
                 [](const auto&) {},
             },
             event);
}

}  // namespace

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

bool is_terminal(const State& state) { return std::holds_alternative<Stopped>(state.phase); }

std::expected<State, ConfigError> make(const Config& config) {
  if (auto ok = validate(config); !ok) return std::unexpected(ok.error());
  return State{std::make_shared<const Config>(config), Idle{}, Prng(config.seed)};
}

Effects transition_in_place(State& state, const Event& event) noexcept {
  Effects effects;
  run(state, event, effects);
  return effects;
}

Step transition(State state, const Event& event) noexcept {
  return step_in_place<Step>(std::move(state), event, &transition_in_place);
}

std::optional<Instant> next_deadline(const State& state) noexcept {
  const auto* polling = std::get_if<Polling>(&state.phase);
  if (polling == nullptr) return std::nullopt;
  std::optional<Instant> deadline;
  for (const EndpointState& ep : polling->endpoints)
    if (const auto* w = std::get_if<Waiting>(&ep.activity))
      deadline = deadline ? earliest(*deadline, w->due_at) : w->due_at;
  return deadline;
}

}  // namespace tether::model::poll
