// A minimal tether::io client from the installed package: the runner refuses a
// bad URL with a message, and runs (then stops) a session against a port where
// nothing listens, reporting the refused connection.
#include <chrono>
#include <cstdio>
#include <string>
#include <tether/io/runner.hpp>
#include <tether/model/presets.hpp>
#include <thread>

int main() {
  using namespace tether;
  io::RunnerOptions bad;
  bad.url = "nonsense";
  bad.config = model::presets::aviso();
  auto refused = io::Runner::start(bad, {});
  if (refused || refused.error().find("missing scheme") == std::string::npos) {
    std::fputs("consumer_io: a bad URL was not refused with a message\n", stderr);
    return 1;
  }
  io::RunnerOptions options;
  options.url = "http://127.0.0.1:1/sub/x";  // port 1: nothing listens
  options.config = model::presets::aviso();
  std::string seen;
  io::Callbacks callbacks;
  callbacks.on_diagnostic = [&seen](const io::Diagnostic& d) { seen = d.text; };
  auto runner = io::Runner::start(options, callbacks);
  if (!runner) {
    std::fprintf(stderr, "consumer_io: %s\n", runner.error().c_str());
    return 1;
  }
  // Polls for the event (a failed attempt), bounded at 30 s for a slow machine.
  for (int i = 0; i < 3000 && (*runner)->status().failures == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  (*runner)->stop();
  if ((*runner)->status().kind != model::StatusKind::stopped ||
      seen.find("connect") == std::string::npos) {
    std::fprintf(stderr, "consumer_io: expected a refused connect, then stopped (last: %s)\n",
                 seen.c_str());
    return 1;
  }
  std::puts("consumer_io: tether::io runner reports a refused connection and stops");
  return 0;
}
