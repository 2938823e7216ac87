// Fuzz target for the reducer (ngtcp2's fuzz/read_write_pkt.cc style): the input
// bytes are the choices of a driver script, decoded by ByteChoices (each choice
// takes just enough bytes for its range), so libFuzzer's mutations become other
// configurations, other outcomes and other timings. Time never goes backwards;
// which failure happens when is chosen by the input.
//
// Every step is checked by the same independent oracle as the property tests
// and the session world (sim::SessionReference, <tether/sim/reference/session.hpp>), and the run is
// replayed from scratch to check determinism. On a violation it prints what broke, the
// configuration and the last steps, then aborts, so libFuzzer saves the input as a crash.
//
// Built twice: with libFuzzer (clang, `cmake --preset fuzz`), and with
// replay_main.cpp for any compiler, which ctest runs over fuzz/corpus/transition/.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "support/event_script.hpp"

namespace {

[[noreturn]] void report(const char* what, const tether::test::SessionRun& run) {
  std::fprintf(stderr, "\ntether transition fuzz: %s\n%s\n", what,
               tether::test::format_failure(run).c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tether::test::ByteChoices choices(std::span<const std::uint8_t>(data, size));
  tether::test::RunOptions options;
  options.events_max = 1000;
  const auto run = tether::test::run_random_session(choices, options);
  if (!run) return 0;  // an invalid configuration: make refused it, as it must
  if (run->violation) report("guarantee broken", *run);
  const tether::test::SessionRun again = tether::test::replay_session(run->config, run->events);
  if (again.violation || again.trace != run->trace) report("replay differs (determinism)", again);
  return 0;
}
