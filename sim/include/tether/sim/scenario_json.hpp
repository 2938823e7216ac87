#pragma once
// Scenario files: a Scenario as JSON, and back.
//
//   {
//     "format": "tether-scenario/1",          // required, exactly this
//     "label": "my policy",                   // display only
//     "config": { "preset": "aviso",          // a tether-config/1 configuration
//                 "backoff": { "delay_ms_initial": 1113 } },  // (io/config.hpp)
//     "seed": 11, "clients": 1,
//     "fixed_seed": 42,                       // optional: one jitter seed for every process
//     "safety_ms": 120000, "liveness_ms": 0,
//     "world": { "append_every_ms": 500, ... }, // WorldParams, by field name
//     "faults": [ { "kind": "partition", "client": 0,   // or "all"
//                   "at_ms": 20000, "duration_ms": 40000, "param": 0 } ]
//   }
//
// "config" states the session's configuration exactly as a configuration file
// does (its "format" may be left out) and is read by io::parse_config, with the
// same checks; the sections other than the session's (shell, poll, wait,
// mirror) are accepted and not simulated. The label defaults to the config's
// preset, else "custom". The config's "seed" means what it means in
// production, one jitter seed for every process: it is Scenario::fixed_seed,
// which "fixed_seed" states too (in either form); giving both is an error.
//
// The form before tether-config/1 is still read, unchanged: "preset" (default
// "aviso") plus "overrides" (only the overridden fields of sim::Overrides), the
// resume start at sequence 0; the label is the preset's name. A file holds one
// form or the other, never both.
//
// Every field but "format" is optional and defaults to Scenario{}'s value (a
// fault needs "kind" and "at_ms"). Field names are those of the C++ structs,
// enum values those of the C++ enumerators, fault kinds those of name_of.
//
// parse_scenario never throws: untrusted bytes become a Scenario or a
// ScenarioError naming the field path ("faults[3].at_ms",
// "config.backoff.delay_ms_max") or, for a JSON syntax error, the byte offset.
// Unknown fields, unknown presets and unknown fault kinds are errors, and so is
// anything run_session() could not execute (a fault after the safety phase, a client
// index beyond the fleet, an invalid configuration, a filtered stream with
// strict gap detection).
//
// to_json writes every field, the session's configuration in full as "config"
// (every field of its sections; the shell, poll, wait and mirror sections left
// out, and no "seed": the fixed seed is "fixed_seed", written only when set)
// with "label", so to_json(*parse_scenario(to_json(s))) == to_json(s) for
// every valid s, and a file in the old form comes back in the new one.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <tether/sim/scenario.hpp>

namespace tether::sim {

inline constexpr std::string_view scenario_format = "tether-scenario/1";

// Limits (a limit on everything): inputs beyond them are errors.
inline constexpr std::size_t scenario_bytes_max = 1 << 20;
inline constexpr std::size_t scenario_depth_max = 16;  // nesting of [ and {
inline constexpr std::size_t scenario_faults_max = 4096;
inline constexpr std::uint32_t scenario_clients_max = 1024;
inline constexpr Ms scenario_ms_max = 1'000'000'000'000;  // every *_ms field and param

struct ScenarioError {
  std::string field;                       // "faults[3].at_ms"; empty for syntax errors
  std::optional<std::size_t> byte_offset;  // syntax errors: where the parser stopped
  std::string reason;                      // "expected a non-negative integer"

  // "faults[3].at_ms: expected a non-negative integer", or
  // "byte 17: JSON syntax error: ..." for syntax errors.
  std::string message() const;
};

std::expected<Scenario, ScenarioError> parse_scenario(std::string_view json);

// Whether run_session() can execute `scenario` as written (the checks parse_scenario
// applies after reading the fields; shrink uses it on its candidates).
std::expected<void, ScenarioError> check_scenario(const Scenario& scenario);

// Pretty-printed (two-space indent), ending in a newline.
std::string to_json(const Scenario& scenario);

}  // namespace tether::sim
