// PLACEHOLDER (i10-record): a minimal stand-in for the lead's tether-config/1
// codec (io/src/config.cpp) so the recording work can be tested before it
// lands. Deleted when main is merged.
#include <tether/io/config.hpp>
#include <tether/io/runner_config.hpp>

#include <nlohmann/json.hpp>

#include <tether/model/names.hpp>
#include <tether/model/presets.hpp>

namespace tether::io {

namespace {

using nlohmann::json;

template <class F>
void each_field(model::SessionConfig& c, F f) {
  f("backoff", "delay_ms_initial", c.backoff.delay_ms_initial);
  f("backoff", "multiplier", c.backoff.multiplier);
  f("backoff", "delay_ms_max", c.backoff.delay_ms_max);
  f("backoff", "jitter_fraction", c.backoff.jitter_fraction);
  f("backoff", "stable_ms", c.backoff.stable_ms);
  f("backoff", "short_session_ms", c.backoff.short_session_ms);
  f("backoff", "short_session_delay_ms_min", c.backoff.short_session_delay_ms_min);
  f("backoff", "clean_close_delay_ms", c.backoff.clean_close_delay_ms);
  f("backoff", "hint_ms_max", c.backoff.hint_ms_max);
  f("backoff", "honour_retry_after", c.backoff.honour_retry_after);
  f("backoff", "honour_sse_retry", c.backoff.honour_sse_retry);
  f("backoff", "restored_delay_ms_max", c.backoff.restored_delay_ms_max);
  f("give_up", "attempts_max", c.give_up.attempts_max);
  f("give_up", "outage_ms_max", c.give_up.outage_ms_max);
  f("budget", "tokens_max", c.budget.tokens_max);
  f("budget", "refill_ms_per_token", c.budget.refill_ms_per_token);
  f("connect", "timeout_ms", c.connect.timeout_ms);
  f("connect", "timeout_tracks_backoff", c.connect.timeout_tracks_backoff);
  f("connect", "confirm_timeout_ms", c.connect.confirm_timeout_ms);
  f("auth", "has_provider", c.auth.has_provider);
  f("auth", "refresh_ahead_ms", c.auth.refresh_ahead_ms);
  f("auth", "refresh_timeout_ms", c.auth.refresh_timeout_ms);
  f("resume", "checkpoint_every_events", c.resume.checkpoint_every_events);
  f("resume", "checkpoint_every_ms", c.resume.checkpoint_every_ms);
  f("resume", "checkpoint_retry_ms_min", c.resume.checkpoint_retry_ms_min);
  f("resume", "checkpoint_retry_ms_max", c.resume.checkpoint_retry_ms_max);
}

template <class E>
void enum_field(json& j, const char* section, const char* key, E& e, bool write) {
  if (write) {
    j[section][key] = static_cast<int>(e);
  } else if (j.contains(section) && j[section].contains(key)) {
    e = static_cast<E>(j[section][key].get<int>());
  }
}

void enums(json& j, model::SessionConfig& c, bool write) {
  if (write) {
    j["backoff"]["jitter"] = std::string(model::name_of(c.backoff.jitter));
    j["resume"]["gaps"] = c.resume.gaps == model::GapDetection::strict ? "strict" : "relaxed";
  } else {
    if (j.contains("backoff") && j["backoff"].contains("jitter")) {
      const auto name = j["backoff"]["jitter"].get<std::string>();
      for (int i = 0; i < 6; ++i)
        if (model::name_of(static_cast<model::JitterKind>(i)) == name) c.backoff.jitter = static_cast<model::JitterKind>(i);
    }
    if (j.contains("resume") && j["resume"].contains("gaps"))
      c.resume.gaps = j["resume"]["gaps"] == "strict" ? model::GapDetection::strict : model::GapDetection::relaxed;
  }
  enum_field(j, "backoff", "reset_on", c.backoff.reset_on, write);
  enum_field(j, "auth", "on_refresh_failure", c.auth.on_refresh_failure, write);
  enum_field(j, "resume", "mode", c.resume.mode, write);
  enum_field(j, "resume", "commit", c.resume.commit, write);
  enum_field(j, "resume", "too_old", c.resume.too_old, write);
}

}  // namespace

std::string ConfigFileError::message() const { return (file.empty() ? "" : file + ": ") + field + ": " + reason; }

std::expected<Config, ConfigFileError> preset_config(std::string_view name) {
  for (const auto& p : model::presets::all()) {
    if (p.name == name) {
      Config c;
      c.preset = std::string(name);
      c.session = p.make();
      return c;
    }
  }
  return std::unexpected(ConfigFileError{"preset", 0, 0, "unknown preset", {}});
}

std::string to_json(const Config& config, bool compact) {
  json j;
  j["format"] = config_format;
  j["preset"] = config.preset;
  model::SessionConfig s = config.session;
  each_field(s, [&](const char* section, const char* key, auto& v) { j[section][key] = v; });
  enums(j, s, true);
  if (s.heartbeat) {
    j["heartbeat"] = {{"interval_ms", s.heartbeat->interval_ms}, {"interval_multiple", s.heartbeat->interval_multiple},
                      {"slack_ms", s.heartbeat->slack_ms}};
  } else {
    j["heartbeat"] = nullptr;
  }
  if (config.seed) j["seed"] = *config.seed;
  else j["seed"] = nullptr;
  j["shell"]["sequence"] = config.shell.sequence;
  json headers = json::array();
  for (const auto& [n, v] : config.shell.http.headers) headers.push_back({{"name", n}, {"value", v}});
  j["shell"]["http"]["headers"] = headers;
  return compact ? j.dump() : j.dump(2) + "\n";
}

std::expected<Config, ConfigFileError> parse_config(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::unexpected(ConfigFileError{"", 1, 1, "JSON syntax error", {}});
  Config c;
  if (j.contains("preset") && !j["preset"].get<std::string>().empty()) {
    auto base = preset_config(j["preset"].get<std::string>());
    if (!base) return std::unexpected(base.error());
    c = *base;
  }
  each_field(c.session, [&](const char* section, const char* key, auto& v) {
    if (j.contains(section) && j[section].contains(key)) v = j[section][key].get<std::remove_reference_t<decltype(v)>>();
  });
  enums(j, c.session, false);
  if (j.contains("heartbeat")) {
    if (j["heartbeat"].is_null()) c.session.heartbeat.reset();
    else c.session.heartbeat = model::HeartbeatPolicy{j["heartbeat"]["interval_ms"], j["heartbeat"]["interval_multiple"],
                                                     j["heartbeat"]["slack_ms"]};
  }
  if (j.contains("seed") && !j["seed"].is_null()) c.seed = j["seed"].get<std::uint64_t>();
  if (auto ok = model::validate(c.session); !ok)
    return std::unexpected(ConfigFileError{std::string(ok.error().field), 0, 0, std::string(ok.error().reason), {}});
  return c;
}

Config config_of(const RunnerOptions& options) {
  Config c;
  c.session = options.config;
  c.seed = options.seed;
  c.shell.http = options.http;
  return c;
}

}  // namespace tether::io
