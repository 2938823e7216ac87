#pragma once
// What the driver needs from the thing that runs it (the Asio runner, or a
// test): one timer, and a way to run blocking work off the strand.
#include <functional>
#include <optional>

#include <tether/model/time.hpp>

namespace tether::io {

class Host {
 public:
  // Blocking work (a checkpoint write, an auth refresh) returns the completion
  // to run back on the strand.
  using Completion = std::move_only_function<void()>;
  using Work = std::move_only_function<Completion()>;

  virtual ~Host() = default;
  // Call Driver::on_timer() at or after `deadline` (nullopt: disarm). A new
  // call replaces the previous deadline.
  virtual void arm_timer(std::optional<model::Instant> deadline) = 0;
  // Run `work` off the strand, then its completion on the strand.
  virtual void offload(Work work) = 0;
};

}  // namespace tether::io
