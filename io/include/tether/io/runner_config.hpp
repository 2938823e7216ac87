#pragma once
// Between a tether-config/1 Config and RunnerOptions: the policy part of a
// runner's options (session, seed, shell options) comes from the file; the
// URL, credentials, checkpoint store and recording stay with the caller.
//
//   auto config = tether::io::load_config("policy.json");   // names the field on error
//   if (!config) die(config.error().message());
//   tether::io::RunnerOptions options = tether::io::runner_options(*config);
//   options.url = "https://example.com/sub/orders";
//   options.store = ...;
//   auto runner = tether::io::Runner::start(std::move(options), callbacks);
#include <tether/io/config.hpp>
#include <tether/io/runner_options.hpp>

namespace tether::io {

// `config` as validated by parse_config / validate(Config).
RunnerOptions runner_options(const Config& config);

// The shell options of `options`, all of them (headers included).
ShellConfig shell_of(const RunnerOptions& options);

// The policy part of `options` as a Config (preset empty, poll/wait/mirror at
// their defaults): what a recording's header states. Without the extra
// headers, the POST body template and a WebSocket subprotocol other than
// nchan's: they may carry credentials.
Config config_of(const RunnerOptions& options);

// "" (none), "id", "id-suffix" or "json:FIELD": what SequenceExtractor::parse reads.
std::string sequence_spec(const std::optional<SequenceExtractor>& sequence);

}  // namespace tether::io
