#include <algorithm>
#include <array>
#include <exception>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <tether/io/config.hpp>
#include <tether/model/presets.hpp>
#include <tether/sim/scenario_json.hpp>
#include <utility>

namespace tether::sim {

namespace {

using Json = nlohmann::ordered_json;

// --- enum names -----------------------------------------------------------------

template <typename E>
struct EnumName {
  E value;
  std::string_view name;
};

constexpr std::array<EnumName<model::CommitPolicy>, 2> commit_names{{
    {model::CommitPolicy::on_ack, "on_ack"},
    {model::CommitPolicy::on_next_delivery, "on_next_delivery"},
}};
constexpr std::array<EnumName<model::TooOldPolicy>, 3> too_old_names{{
    {model::TooOldPolicy::fail, "fail"},
    {model::TooOldPolicy::resync_from_oldest, "resync_from_oldest"},
    {model::TooOldPolicy::resume_from_live, "resume_from_live"},
}};
constexpr std::array<EnumName<model::GapDetection>, 2> gap_names{{
    {model::GapDetection::strict, "strict"},
    {model::GapDetection::relaxed, "relaxed"},
}};
constexpr std::array<EnumName<model::RefreshFailure>, 2> refresh_failure_names{{
    {model::RefreshFailure::terminal, "terminal"},
    {model::RefreshFailure::backoff, "backoff"},
}};

template <typename E, std::size_t N>
std::string known_list(const std::array<EnumName<E>, N>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + std::string(n.name);
  return out;
}

std::string preset_list() {
  std::string out;
  for (const auto& p : model::presets::all())
    out += (out.empty() ? "" : ", ") + std::string(p.name);
  return out;
}

bool preset_known(std::string_view name) {
  const auto all = model::presets::all();
  return std::any_of(all.begin(), all.end(), [&](const auto& p) { return p.name == name; });
}

std::optional<FaultKind> fault_kind_named(std::string_view name) {
  for (std::size_t k = 0; k < fault_kind_count; ++k) {
    const auto kind = static_cast<FaultKind>(k);
    if (name_of(kind) == name) return kind;
  }
  return std::nullopt;
}

std::string fault_kind_list() {
  std::string out;
  for (std::size_t k = 0; k < fault_kind_count; ++k)
    out += (out.empty() ? "" : ", ") + std::string(name_of(static_cast<FaultKind>(k)));
  return out;
}

// --- reading ----------------------------------------------------------------------

std::string join(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

// Reads fields of one JSON object at `path`; the first error wins.
class Reader {
 public:
  Reader(const Json& object, std::string path, std::optional<ScenarioError>& error)
      : object_(object), path_(std::move(path)), error_(error) {}

  bool fail(std::string_view key, std::string reason) {
    if (!error_) error_ = ScenarioError{join(path_, key), std::nullopt, std::move(reason)};
    return false;
  }

  // Every key must be one of `known`.
  bool only(std::initializer_list<std::string_view> known) {
    for (const auto& item : object_.items()) {
      if (std::find(known.begin(), known.end(), item.key()) == known.end())
        return fail(item.key(), "unknown field");
    }
    return true;
  }

  const Json* find(std::string_view key) const {
    const auto it = object_.find(std::string(key));
    return it == object_.end() ? nullptr : &*it;
  }

  bool require(std::string_view key) {
    return find(key) != nullptr || fail(key, "missing required field");
  }

  // An integer in [lo, hi]; absent keeps `out`.
  bool integer(std::string_view key, std::int64_t& out, std::int64_t lo, std::int64_t hi,
               std::string_view what) {
    const Json* j = find(key);
    if (!j) return true;
    if (j->is_number_unsigned()) {
      const auto v = j->get<std::uint64_t>();
      if (v > static_cast<std::uint64_t>(hi)) return fail(key, std::string(what));
      out = static_cast<std::int64_t>(v);
    } else if (j->is_number_integer()) {
      const auto v = j->get<std::int64_t>();
      if (v < lo || v > hi) return fail(key, std::string(what));
      out = v;
    } else {
      return fail(key, std::string(what));
    }
    if (out < lo) return fail(key, std::string(what));
    return true;
  }

  bool ms(std::string_view key, Ms& out, Ms lo = 0) {
    const std::string what =
        lo == 0 ? "expected a non-negative integer (at most 1000000000000)"
                : "expected an integer in [" + std::to_string(lo) + ", 1000000000000]";
    return integer(key, out, lo, scenario_ms_max, what);
  }
  bool ms(std::string_view key, std::optional<Ms>& out) {
    if (!find(key)) return true;
    Ms v = 0;
    if (!ms(key, v)) return false;
    out = v;
    return true;
  }

  bool u32(std::string_view key, std::uint32_t& out, std::uint32_t lo, std::uint32_t hi) {
    std::int64_t v = out;
    if (!integer(key, v, lo, hi,
                 "expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]"))
      return false;
    out = static_cast<std::uint32_t>(v);
    return true;
  }
  bool u32(std::string_view key, std::optional<std::uint32_t>& out) {
    if (!find(key)) return true;
    std::uint32_t v = 0;
    if (!u32(key, v, 0, std::numeric_limits<std::uint32_t>::max())) return false;
    out = v;
    return true;
  }

  bool u64(std::string_view key, std::uint64_t& out) {
    const Json* j = find(key);
    if (!j) return true;
    if (j->is_number_unsigned())
      out = j->get<std::uint64_t>();
    else
      return fail(key, "expected a non-negative integer (at most 18446744073709551615)");
    return true;
  }

  bool boolean(std::string_view key, bool& out) {
    const Json* j = find(key);
    if (!j) return true;
    if (!j->is_boolean()) return fail(key, "expected true or false");
    out = j->get<bool>();
    return true;
  }
  bool boolean(std::string_view key, std::optional<bool>& out) {
    if (!find(key)) return true;
    bool v = false;
    if (!boolean(key, v)) return false;
    out = v;
    return true;
  }

  bool string(std::string_view key, std::string& out) {
    const Json* j = find(key);
    if (!j) return true;
    if (!j->is_string()) return fail(key, "expected a string");
    out = j->get<std::string>();
    return true;
  }

  template <typename E, std::size_t N>
  bool enumeration(std::string_view key, std::optional<E>& out,
                   const std::array<EnumName<E>, N>& names) {
    const Json* j = find(key);
    if (!j) return true;
    if (!j->is_string()) return fail(key, "expected a string (one of " + known_list(names) + ")");
    const auto& s = j->get_ref<const std::string&>();
    for (const auto& n : names) {
      if (n.name == s) {
        out = n.value;
        return true;
      }
    }
    return fail(key, "unknown value \"" + s + "\" (one of " + known_list(names) + ")");
  }

 private:
  const Json& object_;
  std::string path_;
  std::optional<ScenarioError>& error_;
};

bool read_overrides(const Json& j, Overrides& o, std::optional<ScenarioError>& error) {
  Reader r(j, "overrides", error);
  return r.only({"heartbeat_interval_ms", "heartbeat_slack_ms", "confirm_timeout_ms", "commit",
                 "checkpoint_every_events", "checkpoint_every_ms", "too_old", "auth_provider",
                 "on_refresh_failure", "give_up_attempts_max", "budget_tokens_max",
                 "budget_refill_ms_per_token", "delay_ms_max", "gaps"}) &&
         r.ms("heartbeat_interval_ms", o.heartbeat_interval_ms) &&
         r.ms("heartbeat_slack_ms", o.heartbeat_slack_ms) &&
         r.ms("confirm_timeout_ms", o.confirm_timeout_ms) &&
         r.enumeration("commit", o.commit, commit_names) &&
         r.u32("checkpoint_every_events", o.checkpoint_every_events) &&
         r.ms("checkpoint_every_ms", o.checkpoint_every_ms) &&
         r.enumeration("too_old", o.too_old, too_old_names) &&
         r.boolean("auth_provider", o.auth_provider) &&
         r.enumeration("on_refresh_failure", o.on_refresh_failure, refresh_failure_names) &&
         r.u32("give_up_attempts_max", o.give_up_attempts_max) &&
         r.u32("budget_tokens_max", o.budget_tokens_max) &&
         r.ms("budget_refill_ms_per_token", o.budget_refill_ms_per_token) &&
         r.ms("delay_ms_max", o.delay_ms_max) && r.enumeration("gaps", o.gaps, gap_names);
}

bool read_world(const Json& j, WorldParams& w, std::optional<ScenarioError>& error) {
  Reader r(j, "world", error);
  return r.only({"append_every_ms",
                 "retention_ms",
                 "heartbeat_every_ms",
                 "connection_ms_max",
                 "too_old_in_band",
                 "auth",
                 "token_lifetime_ms",
                 "app_knows_expiry",
                 "latency_ms_min",
                 "latency_ms_max",
                 "ack_delay_ms",
                 "store_write_ms",
                 "refresh_ms",
                 "notify_network_restored",
                 "opaque_ids",
                 "filter_skip_every",
                 "resume_overlap",
                 "replay_end_sequence",
                 "server_error_retry_after_ms",
                 "status_after_open",
                 "id_bytes",
                 "id_bytes_max",
                 "id_reset_every",
                 "request_hook",
                 "request_hook_delay_ms_max",
                 "request_hook_fail_every",
                 "tether_watch"}) &&
         r.ms("append_every_ms", w.append_every_ms, 1) && r.ms("retention_ms", w.retention_ms) &&
         r.ms("heartbeat_every_ms", w.heartbeat_every_ms) &&
         r.ms("connection_ms_max", w.connection_ms_max) &&
         r.boolean("too_old_in_band", w.too_old_in_band) && r.boolean("auth", w.auth) &&
         r.ms("token_lifetime_ms", w.token_lifetime_ms) &&
         r.boolean("app_knows_expiry", w.app_knows_expiry) &&
         r.ms("latency_ms_min", w.latency_ms_min) && r.ms("latency_ms_max", w.latency_ms_max) &&
         r.ms("ack_delay_ms", w.ack_delay_ms) && r.ms("store_write_ms", w.store_write_ms) &&
         r.ms("refresh_ms", w.refresh_ms) &&
         r.boolean("notify_network_restored", w.notify_network_restored) &&
         r.boolean("opaque_ids", w.opaque_ids) && r.u64("filter_skip_every", w.filter_skip_every) &&
         r.u64("resume_overlap", w.resume_overlap) &&
         r.u64("replay_end_sequence", w.replay_end_sequence) &&
         r.ms("server_error_retry_after_ms", w.server_error_retry_after_ms) &&
         r.boolean("status_after_open", w.status_after_open) && r.u64("id_bytes", w.id_bytes) &&
         r.u64("id_bytes_max", w.id_bytes_max) && r.u64("id_reset_every", w.id_reset_every) &&
         r.boolean("request_hook", w.request_hook) &&
         r.ms("request_hook_delay_ms_max", w.request_hook_delay_ms_max) &&
         r.u64("request_hook_fail_every", w.request_hook_fail_every) &&
         r.boolean("tether_watch", w.tether_watch);
}

bool read_fault(const Json& j, const std::string& path, Fault& f,
                std::optional<ScenarioError>& error) {
  Reader r(j, path, error);
  if (!r.only({"kind", "client", "at_ms", "duration_ms", "param"}) || !r.require("kind") ||
      !r.require("at_ms"))
    return false;
  const Json& kind = *r.find("kind");
  if (!kind.is_string())
    return r.fail("kind", "expected a string (one of " + fault_kind_list() + ")");
  const auto k = fault_kind_named(kind.get_ref<const std::string&>());
  if (!k)
    return r.fail("kind", "unknown fault kind \"" + kind.get<std::string>() + "\" (one of " +
                              fault_kind_list() + ")");
  f.kind = *k;
  if (const Json* c = r.find("client"); c && c->is_string()) {
    if (c->get_ref<const std::string&>() != "all")
      return r.fail("client", "expected a client index or \"all\"");
    f.client = all_clients;
  } else if (c) {
    std::uint32_t index = 0;
    if (!r.u32("client", index, 0, scenario_clients_max - 1)) return false;
    f.client = index;
  }
  return r.ms("at_ms", f.at_ms) && r.ms("duration_ms", f.duration_ms) && r.ms("param", f.param);
}

// "config": a tether-config/1 object (its "format" may be left out), read by
// io::parse_config, so a scenario states a configuration exactly as a
// configuration file does and with the same checks. Only the session's
// configuration is simulated; the shell's and the other reducers' sections are
// accepted and ignored. Its "seed" is what it is in production: the jitter
// seed every process uses (Scenario::fixed_seed).
bool read_config(const Json& j, Scenario& s, std::optional<ScenarioError>& error) {
  Json doc = j;
  if (!doc.contains("format")) doc["format"] = io::config_format;
  const auto parsed = io::parse_config(doc.dump());
  if (!parsed) {
    const io::ConfigFileError& e = parsed.error();
    error = ScenarioError{e.field.empty() ? std::string("config") : "config." + e.field,
                          std::nullopt, e.reason};
    return false;
  }
  s.config = parsed->session;
  s.fixed_seed = parsed->seed;
  s.label = parsed->preset.empty() ? "custom" : parsed->preset;
  return true;
}

// The form before tether-config/1: a preset name and up to 14 overrides.
bool read_preset_form(Reader& r, Scenario& s, std::optional<ScenarioError>& error) {
  std::string preset = "aviso";
  if (!r.string("preset", preset)) return false;
  if (!preset_known(preset))
    return r.fail("preset", "unknown preset \"" + preset + "\" (one of " + preset_list() + ")");
  Overrides overrides;
  if (const Json* o = r.find("overrides")) {
    if (!o->is_object()) return r.fail("overrides", "expected an object");
    if (!read_overrides(*o, overrides, error)) return false;
  }
  const auto config = make_config(preset, overrides);
  if (auto ok = model::validate(*config); !ok)
    return r.fail("overrides", "the configuration is invalid: " + std::string(ok.error().field) +
                                   " " + std::string(ok.error().reason));
  s.config = *config;
  s.label = preset;
  return true;
}

bool read_faults(const Json& faults, Reader& r, Scenario& s, std::optional<ScenarioError>& error) {
  if (!faults.is_array()) return r.fail("faults", "expected an array");
  if (faults.size() > scenario_faults_max)
    return r.fail("faults", "more than " + std::to_string(scenario_faults_max) + " faults");
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const std::string path = "faults[" + std::to_string(i) + "]";
    const Json& f = faults[i];
    if (!f.is_object()) {
      error = ScenarioError{path, std::nullopt, "expected an object"};
      return false;
    }
    Fault fault{FaultKind::partition};
    if (!read_fault(f, path, fault, error)) return false;
    s.faults.push_back(fault);
  }
  return true;
}

// "fixed_seed", or the config's "seed": one fixed seed, stated once.
bool read_fixed_seed(Reader& r, Scenario& s) {
  if (r.find("fixed_seed") == nullptr) return true;
  if (s.fixed_seed)
    return r.fail("fixed_seed",
                  "the fixed seed is given twice (here and as config.seed): give one");
  std::uint64_t seed = 0;
  if (!r.u64("fixed_seed", seed)) return false;
  s.fixed_seed = seed;
  return true;
}

bool read_scenario(const Json& j, Scenario& s, std::optional<ScenarioError>& error) {
  Reader r(j, "", error);
  if (!r.only({"format", "label", "config", "preset", "seed", "fixed_seed", "clients", "safety_ms",
               "liveness_ms", "overrides", "world", "faults"}) ||
      !r.require("format"))
    return false;
  const Json& format = *r.find("format");
  if (!format.is_string() || format.get_ref<const std::string&>() != scenario_format)
    return r.fail("format", "expected \"" + std::string(scenario_format) + "\"");
  if (const Json* c = r.find("config")) {
    if (r.find("preset") != nullptr)
      return r.fail("preset", "give either config or preset (+ overrides), not both");
    if (r.find("overrides") != nullptr)
      return r.fail("overrides", "give either config or preset + overrides, not both");
    if (!c->is_object())
      return r.fail("config", "expected an object (a tether-config/1 configuration)");
    if (!read_config(*c, s, error)) return false;
  } else if (!read_preset_form(r, s, error)) {
    return false;
  }
  if (!r.string("label", s.label) || !r.u64("seed", s.seed) ||
      !r.u32("clients", s.clients, 1, scenario_clients_max) || !r.ms("safety_ms", s.safety_ms, 1) ||
      !r.ms("liveness_ms", s.liveness_ms) || !read_fixed_seed(r, s))
    return false;
  if (const Json* w = r.find("world")) {
    if (!w->is_object()) return r.fail("world", "expected an object");
    if (!read_world(*w, s.world, error)) return false;
  }
  if (const Json* faults = r.find("faults")) return read_faults(*faults, r, s, error);
  return true;
}

// Nesting deeper than the limit is refused before nlohmann builds anything.
std::optional<std::size_t> too_deep_at(std::string_view json) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > scenario_depth_max) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

ScenarioError syntax_error(std::size_t byte, std::string reason) {
  return ScenarioError{"", byte, std::move(reason)};
}

std::expected<Scenario, ScenarioError> parse_unguarded(std::string_view json) {
  if (json.size() > scenario_bytes_max)
    return std::unexpected(syntax_error(
        scenario_bytes_max, "input longer than " + std::to_string(scenario_bytes_max) + " bytes"));
  if (const auto at = too_deep_at(json))
    return std::unexpected(
        syntax_error(*at, "nesting deeper than " + std::to_string(scenario_depth_max)));
  Json doc;
  try {
    doc = Json::parse(json.begin(), json.end());
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." -> "line 1, column 2:
    // ..."
    if (const auto at = what.find("parse error at "); at != std::string::npos)
      what.erase(0, at + 15);
    else if (const auto close = what.find("] "); close != std::string::npos)
      what.erase(0, close + 2);
    return std::unexpected(syntax_error(e.byte, what));
  }
  if (!doc.is_object())
    return std::unexpected(ScenarioError{"(document)", std::nullopt, "expected a JSON object"});
  Scenario s;
  std::optional<ScenarioError> error;
  if (!read_scenario(doc, s, error)) return std::unexpected(std::move(*error));
  if (auto ok = check_scenario(s); !ok) return std::unexpected(std::move(ok.error()));
  return s;
}

// --- writing ------------------------------------------------------------------------

// Every field of the session's configuration, as io::to_json writes it. The
// other sections (shell, poll, wait, mirror) are left out: a scenario
// simulates the session only, and their defaults would only look meaningful.
// The fixed seed, if any, is written once, as "fixed_seed".
Json config_json(const model::SessionConfig& c) {
  io::Config config;
  config.session = c;
  Json j = Json::parse(io::to_json(config, true));
  for (const char* key : {"shell", "poll", "wait", "mirror"}) j.erase(key);
  return j;
}

Json world_json(const WorldParams& w) {
  Json j = Json::object();
  j["append_every_ms"] = w.append_every_ms;
  j["retention_ms"] = w.retention_ms;
  j["heartbeat_every_ms"] = w.heartbeat_every_ms;
  j["connection_ms_max"] = w.connection_ms_max;
  j["too_old_in_band"] = w.too_old_in_band;
  j["auth"] = w.auth;
  j["token_lifetime_ms"] = w.token_lifetime_ms;
  j["app_knows_expiry"] = w.app_knows_expiry;
  j["latency_ms_min"] = w.latency_ms_min;
  j["latency_ms_max"] = w.latency_ms_max;
  j["ack_delay_ms"] = w.ack_delay_ms;
  j["store_write_ms"] = w.store_write_ms;
  j["refresh_ms"] = w.refresh_ms;
  j["notify_network_restored"] = w.notify_network_restored;
  if (w.opaque_ids) j["opaque_ids"] = true;  // omitted when off: older files stay the same
  if (w.filter_skip_every > 0) j["filter_skip_every"] = w.filter_skip_every;
  if (w.resume_overlap > 0) j["resume_overlap"] = w.resume_overlap;
  if (w.replay_end_sequence > 0) j["replay_end_sequence"] = w.replay_end_sequence;
  // Omitted when off, as above: files written before these existed stay the same.
  if (w.server_error_retry_after_ms > 0)
    j["server_error_retry_after_ms"] = w.server_error_retry_after_ms;
  if (w.status_after_open) j["status_after_open"] = true;
  if (w.id_bytes > 0) j["id_bytes"] = w.id_bytes;
  if (w.id_bytes_max > 0) j["id_bytes_max"] = w.id_bytes_max;
  if (w.id_reset_every > 0) j["id_reset_every"] = w.id_reset_every;
  if (w.request_hook) {
    j["request_hook"] = true;
    j["request_hook_delay_ms_max"] = w.request_hook_delay_ms_max;
    j["request_hook_fail_every"] = w.request_hook_fail_every;
  }
  if (w.tether_watch) j["tether_watch"] = true;
  return j;
}

Json fault_json(const Fault& f) {
  Json j = Json::object();
  j["kind"] = name_of(f.kind);
  if (f.client == all_clients)
    j["client"] = "all";
  else
    j["client"] = f.client;
  j["at_ms"] = f.at_ms;
  j["duration_ms"] = f.duration_ms;
  j["param"] = f.param;
  return j;
}

}  // namespace

std::string ScenarioError::message() const {
  if (byte_offset && field.empty()) return "byte " + std::to_string(*byte_offset) + ": " + reason;
  return field + ": " + reason;
}

std::expected<Scenario, ScenarioError> parse_scenario(std::string_view json) {
  try {
    return parse_unguarded(json);
  } catch (const std::exception& e) {
    return std::unexpected(
        ScenarioError{"(document)", std::nullopt, std::string("cannot read: ") + e.what()});
  } catch (...) {
    return std::unexpected(ScenarioError{"(document)", std::nullopt, "cannot read"});
  }
}

// Ids the server sends are held in memory per event: bounded, well above any
// client limit (model::Token::capacity).
constexpr std::uint64_t world_id_bytes_max = 65536;

std::expected<void, ScenarioError> check_scenario(const Scenario& s) {
  const auto bad = [](std::string field, std::string reason) {
    return std::unexpected(ScenarioError{std::move(field), std::nullopt, std::move(reason)});
  };
  if (s.clients < 1 || s.clients > scenario_clients_max)
    return bad("clients",
               "expected an integer in [1, " + std::to_string(scenario_clients_max) + "]");
  if (s.safety_ms < 1) return bad("safety_ms", "expected a positive integer");
  if (s.world.append_every_ms < 1)
    return bad("world.append_every_ms", "expected a positive integer");
  if (s.world.latency_ms_min < 0)
    return bad("world.latency_ms_min", "expected a non-negative integer");
  if (s.world.latency_ms_max < s.world.latency_ms_min)
    return bad("world.latency_ms_max", "must be at least world.latency_ms_min (" +
                                           std::to_string(s.world.latency_ms_min) + ")");
  if (s.faults.size() > scenario_faults_max)
    return bad("faults", "more than " + std::to_string(scenario_faults_max) + " faults");
  for (std::size_t i = 0; i < s.faults.size(); ++i) {
    const Fault& f = s.faults[i];
    const std::string path = "faults[" + std::to_string(i) + "].";
    if (static_cast<std::size_t>(f.kind) >= fault_kind_count)
      return bad(path + "kind", "unknown fault kind");
    if (f.client != all_clients && f.client >= s.clients)
      return bad(path + "client",
                 "client " + std::to_string(f.client) +
                     " is not in the fleet (clients: " + std::to_string(s.clients) + ")");
    if (f.at_ms < 0 || f.at_ms >= s.safety_ms)
      return bad(path + "at_ms",
                 "must be in the safety phase [0, " + std::to_string(s.safety_ms) + ")");
    if (f.duration_ms < 0) return bad(path + "duration_ms", "expected a non-negative integer");
    if (f.param < 0) return bad(path + "param", "expected a non-negative integer");
    if (f.kind == FaultKind::stop && f.param > 2)
      return bad(path + "param",
                 "a stop is 0 (from outside), 1 or 2 (inside a delivery callback, after or before "
                 "its ack)");
    if (f.kind == FaultKind::network_changed && f.param > 1)
      return bad(path + "param",
                 "a network change is 0, or 1 (the open connection went silently dead first)");
    if (f.kind == FaultKind::loss && f.param > 1000)
      return bad(path + "param", "loss is in permille: expected [0, 1000]");
    if (f.kind == FaultKind::server_errors && (f.param < 500 || f.param > 599))
      return bad(path + "param", "expected an HTTP status in [500, 599]");
  }
  if (auto ok = model::validate(s.config); !ok)
    return bad("config." + std::string(ok.error().field), std::string(ok.error().reason));
  if (s.world.replay_end_sequence > 0 && s.config.resume.mode != model::StreamMode::replay_only)
    return bad("world.replay_end_sequence",
               "a replay that ends needs config resume.mode = \"replay_only\"");
  if (s.world.status_after_open && s.config.connect.confirm_timeout_ms <= 0)
    return bad("world.status_after_open",
               "a status that comes after the opening needs config connect.confirm_timeout_ms > 0");
  if (s.world.id_bytes > 0 && !s.world.opaque_ids)
    return bad("world.id_bytes", "needs world.opaque_ids = true");
  if (s.world.id_bytes > world_id_bytes_max)
    return bad("world.id_bytes", "expected at most " + std::to_string(world_id_bytes_max));
  if (s.world.id_bytes_max > model::Token::capacity)
    return bad("world.id_bytes_max", "expected at most " + std::to_string(model::Token::capacity) +
                                         " (model::Token::capacity; 0: that default)");
  if (s.world.id_reset_every > 0 && !s.world.opaque_ids)
    return bad("world.id_reset_every",
               "needs world.opaque_ids = true (a stream without ids has none to reset)");
  return {};
}

std::string to_json(const Scenario& s) {
  Json j = Json::object();
  j["format"] = scenario_format;
  j["label"] = s.label;
  j["config"] = config_json(s.config);
  j["seed"] = s.seed;
  if (s.fixed_seed)
    j["fixed_seed"] = *s.fixed_seed;  // omitted when unset: older files stay the same
  j["clients"] = s.clients;
  j["safety_ms"] = s.safety_ms;
  j["liveness_ms"] = s.liveness_ms;
  j["world"] = world_json(s.world);
  j["faults"] = Json::array();
  for (const Fault& f : s.faults) j["faults"].push_back(fault_json(f));
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace tether::sim
