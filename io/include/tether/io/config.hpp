#pragma once
// Configuration as data: the tether-config/1 JSON format. One file states every
// field of every reducer's configuration (session, poll, wait, mirror) and the
// shell's options; tether-watch runs it (--config), tether-sim simulates it
// (run --config), recordings carry it, and an application loads it with
// load_config(). docs/configuration.md lists every field, its unit, range and
// default (generated from this code: tether-config-doc).
//
//   {
//     "format": "tether-config/1",      // required, exactly this
//     "preset": "aviso",                // optional named base (model/presets.hpp)
//     "backoff": {"delay_ms_max": 60000},
//     "heartbeat": null,                // no half-open detection
//     "shell": {"sequence": "json:seq", "headers": [{"name": "X-Team", "value": "ops"}]}
//   }
//
// Sections (each optional; a field left out keeps the base's value):
// backoff, give_up, budget, connect, heartbeat, auth, resume (model::SessionConfig),
// seed, shell (ShellConfig), poll, wait, mirror. Field names are the C++ field
// names, units in the names; enum values are the C++ enumerators' names.
//
// Reading never throws and trusts nothing: unknown fields, wrong types,
// out-of-range numbers and anything model::validate() (or the poll, wait and
// mirror validators) refuses are errors naming the field path; a JSON syntax
// error names its line and column. So a file can never build a configuration
// the C++ API would refuse. Credentials never belong in a configuration:
// Authorization, Proxy-Authorization and Cookie headers are refused.
//
// to_json writes every field, so parse_config(to_json(c)) == c.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tether/io/transport_options.hpp>
#include <tether/model/config.hpp>
#include <tether/model/cursor.hpp>
#include <tether/model/mirror/config.hpp>
#include <tether/model/poll/config.hpp>
#include <tether/model/wait/config.hpp>

namespace tether::io {

inline constexpr std::string_view config_format = "tether-config/1";
inline constexpr std::size_t config_bytes_max = std::size_t{1} << 20;

// The shell's options that are policy, not secrets or per-run paths (the URL,
// tokens, checkpoint and record files stay on the command line / in code).
struct ShellConfig {
  // Where a message's sequence number comes from: "" (none), "id",
  // "id-suffix" or "json:FIELD" (SequenceExtractor::parse).
  std::string sequence;
  // Resume ids longer than this end the session; at most model::Token::capacity.
  std::size_t id_bytes_max = model::Token::capacity;
  // Ack each delivery when its callback returns (RunnerOptions::auto_ack).
  bool auto_ack = true;
  std::size_t pull_queue_max = 10000;
  HttpOptions http;  // headers: no credentials (refused)
  SseOptions sse;
  WebSocketOptions websocket;
  TlsOptions tls;
};

struct Config {
  std::string preset;            // the named base; empty: the C++ defaults
  model::SessionConfig session;  // session.seed: see `seed`
  // The jitter seed. nullopt: drawn from the OS for every session (a fleet's
  // retries spread out); fix it only to replay.
  std::optional<std::uint64_t> seed;
  ShellConfig shell;
  model::poll::Config poll;
  model::wait::Config wait;
  model::mirror::Config mirror;
};

struct ConfigFileError {
  std::string field;     // "backoff.delay_ms_max", "poll.endpoints[2].cadence_ms"; empty: syntax
  std::size_t line = 0;  // syntax errors: 1-based
  std::size_t column = 0;
  std::string reason;
  std::string file;  // load_config only

  // "[FILE: ]backoff.delay_ms_max: must be >= backoff.delay_ms_initial" or
  // "[FILE: ]line 3, column 7: JSON syntax error: ...".
  std::string message() const;
};

// What parse_config checks after reading the fields: model::validate() of the
// session, the poll (when it has endpoints), wait and mirror validators, and
// the shell's own rules. Field paths as in the file ("wait.backoff.multiplier").
std::expected<void, ConfigFileError> validate(const ShellConfig& shell);
std::expected<void, ConfigFileError> validate(const Config& config);

// A preset as a Config (preset = name, everything else the C++ defaults);
// unknown names are an error listing the known ones.
std::expected<Config, ConfigFileError> preset_config(std::string_view name);

std::expected<Config, ConfigFileError> parse_config(std::string_view json);
// Reads and parses a file (at most config_bytes_max); errors carry the file name.
std::expected<Config, ConfigFileError> load_config(const std::filesystem::path& path);

// One override, as `--set PATH=VALUE`: "backoff.delay_ms_max=60000",
// "heartbeat=null", "shell.sequence=json:seq", "resume.gaps=relaxed". VALUE is
// JSON when it parses as JSON, else a string. The result is validated whole.
std::expected<void, ConfigFileError> set_field(Config& config, std::string_view assignment);

// Every field, pretty-printed (two-space indent, ending in '\n'), or on one
// line (`compact`, for recording headers).
std::string to_json(const Config& config, bool compact = false);

// Every field of the format, for the generated reference and the tests.
struct FieldDoc {
  std::string path;           // "backoff.delay_ms_max", "poll.endpoints[].cadence_ms"
  std::string type;           // "integer", "number", "boolean", "string", "one of: a, b", ...
  std::string range = {};     // "[1, 2^61 - 1]"; empty when any value of the type is valid
  std::string fallback = {};  // the default (the C++ defaults), as JSON
  std::string doc = {};
  // The range in numbers, when `range` is not empty: integer fields use
  // lo..hi, number fields lo_real..hi_real (inclusive).
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  double lo_real = 0;
  double hi_real = 0;
};
std::span<const FieldDoc> config_fields();

}  // namespace tether::io
