#pragma once
// The clock the driver reads when an input arrives. Injected so that driver
// tests run in virtual time; the runner uses SteadyClock.
#include <chrono>
#include <cstdint>
#include <tether/model/time.hpp>

namespace tether::io {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic: never goes backwards (the model's Instant).
  virtual model::Instant now() = 0;
  // Wall time in unix milliseconds, only for Retry-After HTTP-dates and for
  // turning a credential's absolute expiry into an Instant.
  virtual std::int64_t unix_now_ms() = 0;
};

// std::chrono::steady_clock in milliseconds since this object was made (small
// numbers read better in traces), and system_clock for wall time.
class SteadyClock final : public Clock {
 public:
  SteadyClock() : origin_(std::chrono::steady_clock::now()) {}
  model::Instant now() override {
    const auto since = std::chrono::steady_clock::now() - origin_;
    return model::Instant{std::chrono::duration_cast<std::chrono::milliseconds>(since).count()};
  }
  std::int64_t unix_now_ms() override {
    const auto since = std::chrono::system_clock::now().time_since_epoch();
    return std::chrono::duration_cast<std::chrono::milliseconds>(since).count();
  }
  // The steady_clock time point of an Instant (for arming a real timer).
  std::chrono::steady_clock::time_point at(model::Instant instant) const {
    return origin_ + std::chrono::milliseconds(instant.ms);
  }

 private:
  std::chrono::steady_clock::time_point origin_;
};

}  // namespace tether::io
