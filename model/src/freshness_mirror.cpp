#include <algorithm>
#include <tether/model/freshness_mirror.hpp>
#include <tether/model/presets.hpp>
#include <utility>

namespace tether::model::mirror {

namespace {

// The status a running mirror renders at `now`. `previous` keeps `stream_since`
// stable while the health does not change.
MirrorStatus status_at(const MirrorConfig& cfg, const Running& r, Instant now,
                       const MirrorStatus& previous) {
  MirrorStatus st;
  const Instant heard = r.last_push_at.value_or(r.started_at);
  const Instant silent_at = after(heard, cfg.heartbeat.budget_ms());
  if (now >= silent_at) {
    st.stream = StreamHealth::degraded;
    st.stream_since = silent_at;
  } else if (r.last_push_at) {
    st.stream = StreamHealth::live;
    st.stream_since = *r.last_push_at;
  } else {
    st.stream = StreamHealth::starting;
    st.stream_since = r.started_at;
  }
  if (st.stream == previous.stream) st.stream_since = previous.stream_since;
  if (!r.last_poll_as_of)
    st.backfill = Backfill::none;
  else if (elapsed_ms(*r.last_poll_as_of, now) < cfg.stale_after_ms)
    st.backfill = Backfill::warm;
  else
    st.backfill = Backfill::cold;
  return st;
}

// One transition's working set.
class Reducer {
 public:
  Reducer(MirrorState& s, Effects& out, Instant now)
      : s_(s), out_(out), cfg_(*s.config), now_(now) {}

  void on(const Started&) {}  // handled before dispatch
  void on(const StopRequested&) {
    s_.phase = Stopped{};
    report(MirrorStatus{StreamHealth::stopped, s_.status.backfill, now_});
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
    if (const auto* r = std::get_if<Running>(&s_.phase))
      report(status_at(cfg_, *r, now_, s_.status));
  }

 private:
  void report(const MirrorStatus& st) {
    if (st == s_.status) return;
    s_.status = st;
    out_.push_back(ReportStatus{st});
  }

  // Only push traffic proves the stream alive. (Handlers run only while
  // Running: run() filters Idle and Stopped first.)
  Running& running() { return *std::get_if<Running>(&s_.phase); }
  void heard_push() { running().last_push_at = now_; }

  // Any poll event is backfill activity (applied or not). Returns its as-of time.
  Instant heard_poll(Instant observed_at) {
    const Instant as_of = earliest(observed_at, now_);  // a snapshot cannot come from the future
    Running& r = running();
    r.last_poll_as_of = r.last_poll_as_of ? latest(*r.last_poll_as_of, as_of) : as_of;
    return as_of;
  }

  void ignore(IgnoreCause cause) { out_.push_back(WriteIgnored{cause}); }

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
    if (key.size() > cfg_.key_bytes_max) return ignore(IgnoreCause::key_too_large);
    if (value && value->size() > cfg_.value_bytes_max) return ignore(IgnoreCause::value_too_large);
    auto it = s_.entries.find(key);
    if (it == s_.entries.end()) {
      if (s_.entries.size() >= cfg_.keys_max) return ignore(IgnoreCause::full);
      it = s_.entries.emplace(std::string(key), Entry{std::nullopt, source, as_of}).first;
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
    out_.push_back(ValueChanged{change, source});
  }

  MirrorState& s_;
  Effects& out_;
  const MirrorConfig& cfg_;
  Instant now_;
};

void run(MirrorState& state, const Event& event, Effects& out) {
  if (std::holds_alternative<Stopped>(state.phase)) return;  // terminal and quiet
  const bool idle = std::holds_alternative<Idle>(state.phase);
  if (idle && !std::holds_alternative<Started>(event) &&
      !std::holds_alternative<StopRequested>(event))
    return;                                           // before Started
  state.clock = latest(state.clock, time_of(event));  // time never runs backwards here
  Reducer r(state, out, state.clock);
  if (idle && std::holds_alternative<Started>(event)) {
    state.phase = Running{state.clock, std::nullopt, std::nullopt};
    r.refresh_status();
    return;
  }
  r.refresh_status();  // what happened at a deadline nobody ticked, first
  std::visit([&](const auto& e) { r.on(e); }, event);
  r.refresh_status();
}

}  // namespace

std::expected<void, ConfigError> validate(const MirrorConfig& config) {
  if (config.stale_after_ms <= 0 || config.stale_after_ms > duration_ms_max)
    return std::unexpected(ConfigError{"stale_after_ms", "must be in [1, 2^61 - 1]"});
  // The heartbeat means what it means for a session: same field names and limits.
  SessionConfig as_session;
  as_session.heartbeat = config.heartbeat;
  if (auto r = model::validate(as_session); !r) return r;
  if (config.keys_max == 0) return std::unexpected(ConfigError{"keys_max", "must be >= 1"});
  if (config.key_bytes_max == 0)
    return std::unexpected(ConfigError{"key_bytes_max", "must be >= 1"});
  return {};
}

std::expected<MirrorState, ConfigError> make_mirror(const MirrorConfig& config) {
  if (auto r = validate(config); !r) return std::unexpected(r.error());
  MirrorState s;
  s.config = std::make_shared<const MirrorConfig>(config);
  s.phase = Idle{};
  return s;
}

Step transition(MirrorState state, const Event& event) noexcept {
  Step step{std::move(state), {}};
  run(step.state, event, step.effects);
  return step;
}

std::optional<Instant> next_deadline(const MirrorState& s) noexcept {
  const auto* r = std::get_if<Running>(&s.phase);
  if (r == nullptr) return std::nullopt;
  const MirrorConfig& cfg = *s.config;
  std::optional<Instant> d;
  const auto consider = [&](Instant t) { d = d ? earliest(*d, t) : t; };
  // heartbeat budget: push silent for the budget makes the stream degraded
  if (s.status.stream != StreamHealth::degraded)
    consider(after(r->last_push_at.value_or(r->started_at), cfg.heartbeat.budget_ms()));
  // backfill cold: the newest poll snapshot reaches stale_after_ms
  if (s.status.backfill == Backfill::warm && r->last_poll_as_of)
    consider(after(*r->last_poll_as_of, cfg.stale_after_ms));
  return d;
}

Freshness freshness_of(const MirrorState& state, std::string_view key, Instant now) {
  const Entry* e = find(state, key);
  if (e == nullptr) return Freshness::never;
  return elapsed_ms(e->written_at, now) < state.config->stale_after_ms ? Freshness::fresh
                                                                       : Freshness::stale;
}

const Entry* find(const MirrorState& state, std::string_view key) {
  const auto it = state.entries.find(key);
  return it == state.entries.end() ? nullptr : &it->second;
}

}  // namespace tether::model::mirror
