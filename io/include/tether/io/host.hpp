#pragma once
// What the driver loop (<tether/io/reducer_loop.hpp>) needs from the thing that
// runs it (an Asio runner, the simulator, a test): one timer, and a way to run
// blocking work off the strand.
#include <cstdint>
#include <functional>
#include <optional>
#include <tether/model/time.hpp>

namespace tether::io {

// What a blocking call is: for a host that schedules, meters or simulates
// them (the simulator gives each kind its own simulated duration).
enum class Blocking : std::uint8_t {
  start,               // load the checkpoint, then fetch the first credentials
  checkpoint_save,     // CheckpointStore::save
  credential_refresh,  // AuthProvider::refresh
  resource_acquire,    // a wait-for-resource acquisition (WaitDriver's ResourceAcquirer)
};

class Host {
 public:
  // Blocking work (a checkpoint write, an auth refresh) returns the completion
  // to run back on the strand.
  using Completion = std::move_only_function<void()>;
  using Work = std::move_only_function<Completion()>;

  virtual ~Host() = default;
  // Call the loop's on_timer() (Driver::on_timer(), ReducerLoop::on_timer())
  // at or after `deadline` (nullopt: disarm). A new call replaces the
  // previous deadline.
  virtual void arm_timer(std::optional<model::Instant> deadline) = 0;
  // Run `work` off the strand, then its completion on the strand. Calls run
  // one at a time, in the order offloaded.
  virtual void offload(Work work, Blocking kind) = 0;
};

}  // namespace tether::io
