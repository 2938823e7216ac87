#pragma once
// The fakes of the driver's time ports that the io unit tests share: a clock
// the test sets, and a host whose timer and offloaded work wait for the test.
#include <cstdint>
#include <deque>
#include <optional>
#include <tether/io/clock.hpp>
#include <tether/io/host.hpp>
#include <tether/model/time.hpp>
#include <utility>
#include <vector>

namespace tether::io::testing {

struct VirtualClock final : Clock {
  std::int64_t now_ms = 1000;
  model::Instant now() override { return model::Instant{now_ms}; }
  std::int64_t unix_now_ms() override { return 1'700'000'000'000 + now_ms; }
};

// The armed deadline is remembered, not run; offloaded work (checkpoint
// saves, credential refreshes, acquisitions) waits until the test runs it,
// as the strand's would.
struct ManualHost final : Host {
  std::optional<model::Instant> armed;
  int arm_calls = 0;
  std::deque<Work> queued;
  std::vector<Blocking> kinds;  // of every offload, in order
  void arm_timer(std::optional<model::Instant> deadline) override {
    armed = deadline;
    ++arm_calls;
  }
  void offload(Work work, Blocking kind) override {
    queued.push_back(std::move(work));
    kinds.push_back(kind);
  }
  void run_offloaded() {
    while (!queued.empty()) {
      Work work = std::move(queued.front());
      queued.pop_front();
      work()();
    }
  }
};

}  // namespace tether::io::testing
