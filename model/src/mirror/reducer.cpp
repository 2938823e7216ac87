#include <algorithm>
#include <memory>
#include <tether/model/mirror/reducer.hpp>
#include <tether/model/step_in_place.hpp>
#include <utility>

namespace tether::model::mirror {

namespace {

// The status a running mirror renders at `now`. `previous` keeps `stream_since`
// stable while the health does not change.
Status status_at(const Config& config, const Running& running, Instant now,
                 const Status& previous) {
  Status status;
  const Instant heard = running.last_push_at.value_or(running.started_at);
  const Instant silent_at = after(heard, config.heartbeat.budget_ms());
  if (now >= silent_at) {
    status.stream = StreamHealth::degraded;
    status.stream_since = silent_at;
  } else if (running.last_push_at) {
    status.stream = StreamHealth::live;
    status.stream_since = *running.last_push_at;
  } else {
    status.stream = StreamHealth::starting;
    status.stream_since = running.started_at;
  }
  if (status.stream == previous.stream) status.stream_since = previous.stream_since;
  if (!running.last_poll_as_of)
    status.backfill = Backfill::none;
  else if (elapsed_ms(*running.last_poll_as_of, now) < config.stale_after_ms)
    status.backfill = Backfill::warm;
  else
    status.backfill = Backfill::cold;
  return status;
}

// One transition's working set.
class Reducer {
 public:
  Reducer(State& state, Effects& effects, Instant now)
      : state_(state), effects_(effects), config_(*state.config), now_(now) {}

  void on(const Started&) {}  // handled before dispatch
  void on(const StopRequested&) {
    state_.phase = Stopped{};
    report(Status{StreamHealth::stopped, state_.status.backfill, now_});
  }
  void on(const Tick&) {}  // the catch-up before dispatch is all a Tick does
  void on(const ValuePushed& e) {
    heard_push();
    write(e.key, std::string_view(e.value), Source::push, now_);
  }
  void on(const RemovalPushed& e) {
    heard_push();
    write(e.key, std::nullopt, Source::push, now_);
  }
  void on(const HeartbeatReceived&) { heard_push(); }
  void on(const ValuePolled& e) {
    write(e.key, std::string_view(e.value), Source::poll, heard_poll(e.observed_at));
  }
  void on(const RemovalPolled& e) {
    write(e.key, std::nullopt, Source::poll, heard_poll(e.observed_at));
  }
  void on(const PollCompleted& e) { heard_poll(e.observed_at); }

  // Reports the status at now_ if it changed (a no-op unless running).
  void refresh_status() {
    if (const auto* running = std::get_if<Running>(&state_.phase))
      report(status_at(config_, *running, now_, state_.status));
  }

 private:
  void report(const Status& status) {
    if (status == state_.status) return;
    state_.status = status;
    effects_.push_back(ReportStatus{status});
  }

  // Only push traffic proves the stream alive. (Handlers run only while
  // Running: run() filters Idle and Stopped first.)
  Running& running() { return *std::get_if<Running>(&state_.phase); }
  void heard_push() { running().last_push_at = now_; }

  // Any poll event is backfill activity (applied or not). Returns its as-of time.
  Instant heard_poll(Instant observed_at) {
    const Instant as_of = earliest(observed_at, now_);  // a snapshot cannot come from the future
    Running& phase = running();
    phase.last_poll_as_of = phase.last_poll_as_of ? latest(*phase.last_poll_as_of, as_of) : as_of;
    return as_of;
  }

  void ignore(IgnoreCause cause) { effects_.push_back(WriteIgnored{cause}); }

  // A poll is older than the entry if its snapshot predates it; on a tie a push wins.
  static bool older(const Entry& entry, Source source, Instant as_of) {
    if (source == Source::push) return false;  // pushes are live: never older
    return as_of < entry.written_at || (as_of == entry.written_at && entry.source == Source::push);
  }

  static Change change_of(const std::optional<std::string>& before,
                          std::optional<std::string_view> after) {
    if (after && !before) return Change::added;
    if (!after && before) return Change::removed;
    if (after && before && *after != *before) return Change::modified;
    return Change::refreshed;
  }

  void write(std::string_view key, std::optional<std::string_view> value, Source source,
             Instant as_of) {
    if (key.size() > config_.key_bytes_max) return ignore(IgnoreCause::key_too_large);
    if (value && value->size() > config_.value_bytes_max)
      return ignore(IgnoreCause::value_too_large);
    auto it = state_.entries.find(key);
    if (it == state_.entries.end()) {
      if (state_.entries.size() >= config_.keys_max) return ignore(IgnoreCause::full);
      it = state_.entries.emplace(std::string(key), Entry{std::nullopt, source, as_of}).first;
    } else if (older(it->second, source, as_of)) {
      return ignore(IgnoreCause::older_than_entry);
    }
    Entry& entry = it->second;
    const Change change = change_of(entry.value, value);
    if (value)
      entry.value = std::string(*value);
    else
      entry.value.reset();
    entry.source = source;
    entry.written_at = as_of;
    effects_.push_back(ValueChanged{change, source});
  }

  State& state_;
  Effects& effects_;
  const Config& config_;
  Instant now_;
};

}  // namespace

std::expected<State, ConfigError> make(const Config& config) {
  if (auto checked = validate(config); !checked) return std::unexpected(checked.error());
  State state;
  state.config = std::make_shared<const Config>(config);
  state.phase = Idle{};
  return state;
}

Effects transition_in_place(State& state, const Event& event) noexcept {
  Effects effects;
  if (is_terminal(state)) return effects;  // terminal and quiet
  const bool idle = std::holds_alternative<Idle>(state.phase);
  if (idle && !std::holds_alternative<Started>(event) &&
      !std::holds_alternative<StopRequested>(event))
    return effects;                                   // before Started
  state.clock = latest(state.clock, time_of(event));  // time never runs backwards here
  Reducer reducer(state, effects, state.clock);
  if (idle && std::holds_alternative<Started>(event)) {
    state.phase = Running{state.clock, std::nullopt, std::nullopt};
    reducer.refresh_status();
    return effects;
  }
  reducer.refresh_status();  // what happened at a deadline nobody ticked, first
  std::visit([&](const auto& e) { reducer.on(e); }, event);
  reducer.refresh_status();
  return effects;
}

Step transition(State state, const Event& event) noexcept {
  return step_in_place<Step>(std::move(state), event, &transition_in_place);
}

std::optional<Instant> next_deadline(const State& state) noexcept {
  const auto* running = std::get_if<Running>(&state.phase);
  if (running == nullptr) return std::nullopt;
  const Config& config = *state.config;
  std::optional<Instant> deadline;
  const auto consider = [&](Instant t) { deadline = deadline ? earliest(*deadline, t) : t; };
  // heartbeat budget: push silent for the budget makes the stream degraded
  if (state.status.stream != StreamHealth::degraded)
    consider(
        after(running->last_push_at.value_or(running->started_at), config.heartbeat.budget_ms()));
  // backfill cold: the newest poll snapshot reaches stale_after_ms
  if (state.status.backfill == Backfill::warm && running->last_poll_as_of)
    consider(after(*running->last_poll_as_of, config.stale_after_ms));
  return deadline;
}

Freshness freshness_of(const State& state, std::string_view key, Instant now) {
  const Entry* entry = find(state, key);
  if (entry == nullptr) return Freshness::never;
  return elapsed_ms(entry->written_at, now) < state.config->stale_after_ms ? Freshness::fresh
                                                                           : Freshness::stale;
}

const Entry* find(const State& state, std::string_view key) {
  const auto it = state.entries.find(key);
  return it == state.entries.end() ? nullptr : &it->second;
}

}  // namespace tether::model::mirror
