// Fuzz target for the scenario-file parser: any bytes must give a Scenario or a
// ScenarioError (never a crash, never an exception), and a Scenario must
// round-trip exactly: to_json(parse(to_json(s))) == to_json(s). Scenarios are
// not run here (a run can be long); parsing is the attack surface.
//
// Built with replay_main.cpp for any compiler (ctest replays
// fuzz/corpus/scenario/), and as a libFuzzer binary with TETHER_FUZZ_LIBFUZZER.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <tether/sim/scenario_json.hpp>

namespace {

[[noreturn]] void report(const char* what, const std::string& detail) {
  std::fprintf(stderr, "\ntether scenario fuzz: %s\n%s\n", what, detail.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto parsed = tether::sim::parse_scenario(bytes);
  if (!parsed) {
    if (parsed.error().message().empty()) report("an error without a message", std::string(bytes));
    return 0;
  }
  const std::string text = tether::sim::to_json(*parsed);
  const auto again = tether::sim::parse_scenario(text);
  if (!again)
    report("to_json wrote a file parse_scenario refuses", again.error().message() + "\n" + text);
  if (tether::sim::to_json(*again) != text) report("the round trip is not exact", text);
  return 0;
}
