#pragma once
// PLACEHOLDER (i10-record): the lead's <tether/io/runner_config.hpp> replaces
// this file when main is merged.
#include <tether/io/config.hpp>
#include <tether/io/runner.hpp>

namespace tether::io {

Config config_of(const RunnerOptions& options);

}  // namespace tether::io
