// Regenerates the seed corpus of the transition fuzz target:
//
//   cmake --build --preset dev --target tether_fuzz_make_seeds
//   build/dev/fuzz/tether_fuzz_make_seeds fuzz/corpus/transition
//
// Inputs are the choice bytes of tests/support/event_script.hpp, which no one
// writes by hand. So this searches: it runs many pseudo-random inputs (fixed seed,
// so the same code gives the same corpus) and keeps, for each scenario below, the
// shortest input whose run shows it and breaks no guarantee. Each seed then
// starts the fuzzer inside a behaviour that random bytes rarely reach.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "support/event_script.hpp"

namespace {

namespace test = tether::test;

bool has(const std::string& trace, std::string_view needle) {
  return trace.find(needle) != std::string::npos;
}

// A line of the trace that starts with `event` and whose effects contain `effect`.
bool step_with(const std::string& trace, std::string_view event, std::string_view effect) {
  std::size_t at = 0;
  while ((at = trace.find(event, at)) != std::string::npos) {
    if (at == 0 || trace[at - 1] == '\n') {
      const std::size_t end = trace.find('\n', at);
      if (std::string_view(trace).substr(at, end - at).find(effect) != std::string_view::npos)
        return true;
    }
    at += event.size();
  }
  return false;
}

int count(const std::string& trace, std::string_view needle) {
  int n = 0;
  for (std::size_t at = trace.find(needle); at != std::string::npos;
       at = trace.find(needle, at + 1))
    ++n;
  return n;
}

struct Scenario {
  const char* name;
  std::function<bool(const test::SessionRun&)> shows;
};

const std::vector<Scenario>& scenarios() {
  static const std::vector<Scenario> all{
      {"streaming-acked-checkpoints",
       [](const test::SessionRun& r) {
         return count(r.trace, "Deliver(") >= 12 &&
                step_with(r.trace, "DeliveryAcked@", "SaveCheckpoint(") &&
                has(r.trace, "CheckpointSaved@");
       }},
      {"auth-401-refresh-reconnect",
       [](const test::SessionRun& r) {
         return has(r.trace, "RefreshAuth(rejected)") &&
                step_with(r.trace, "AuthRefreshed@", "Connect(") && count(r.trace, "Deliver(") >= 1;
       }},
      {"auth-401-after-refresh-fails",
       [](const test::SessionRun& r) { return has(r.trace, "failed,rejected_after_refresh"); }},
      {"cursor-too-old-resync",
       [](const test::SessionRun& r) {
         return has(r.trace, "cursor_too_old)") &&
                (has(r.trace, ",oldest)") || has(r.trace, ",live)")) &&
                count(r.trace, "Deliver(") >= 2;
       }},
      {"strict-gap-reported", [](const test::SessionRun& r) { return has(r.trace, ",missing)"); }},
      {"checkpoint-save-failed-resaved",
       [](const test::SessionRun& r) {
         return step_with(r.trace, "CheckpointSaveFailed@", "SaveCheckpoint(");
       }},
      {"network-restored-cuts-backoff",
       [](const test::SessionRun& r) {
         return step_with(r.trace, "NetworkRestored@", "ReportStatus(backing_off");
       }},
      {"gave-up-attempts",
       [](const test::SessionRun& r) { return has(r.trace, "gave_up,attempts_exhausted"); }},
      {"heartbeat-timeout",
       [](const test::SessionRun& r) { return has(r.trace, "heartbeat_timeout"); }},
      {"stop-flushes-checkpoint",
       [](const test::SessionRun& r) {
         return step_with(r.trace, "StopRequested@", "SaveCheckpoint(");
       }},
      {"retry-after-and-budget",
       [](const test::SessionRun& r) {
         return r.config.budget.tokens_max > 0 && has(r.trace, "rate_limited") &&
                count(r.trace, "Connect(") >= 4;
       }},
      {"replay-complete",
       [](const test::SessionRun& r) { return has(r.trace, "stopped,replay_complete"); }},
      {"proactive-refresh-and-duplicates",
       [](const test::SessionRun& r) {
         return has(r.trace, "RefreshAuth(expiring)") && has(r.trace, "duplicate)");
       }},
  };
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus-directory>\n",
                 argc > 0 ? argv[0] : "tether_fuzz_make_seeds");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  std::vector<std::optional<std::vector<std::uint8_t>>> best(scenarios().size());

  std::mt19937_64 rng(20261122);
  constexpr int tries = 300000;
  std::vector<std::uint8_t> bytes;
  for (int i = 0; i < tries; ++i) {
    bytes.resize(16 + rng() % 1200);
    for (std::uint8_t& b : bytes) b = static_cast<std::uint8_t>(rng());
    test::ByteChoices choices(bytes);
    const auto run = test::run_random_session(choices);
    if (!run || run->violation) continue;
    for (std::size_t s = 0; s < scenarios().size(); ++s) {
      if (best[s] && best[s]->size() <= bytes.size()) continue;
      if (scenarios()[s].shows(*run)) best[s] = bytes;
    }
  }

  int written = 0;
  for (std::size_t s = 0; s < scenarios().size(); ++s) {
    if (!best[s]) {
      std::printf("%-36s not found\n", scenarios()[s].name);
      continue;
    }
    const std::filesystem::path file = dir / (std::string("seed-") + scenarios()[s].name);
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(best[s]->data()),
              static_cast<std::streamsize>(best[s]->size()));
    std::printf("%-36s %5zu bytes -> %s\n", scenarios()[s].name, best[s]->size(), file.c_str());
    ++written;
  }
  return written > 0 ? 0 : 1;
}
