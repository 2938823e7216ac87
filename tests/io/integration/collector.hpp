#pragma once
// Collects what a Runner reports, for the integration tests: deliveries, gaps,
// statuses and diagnostics, with waits bounded in real time.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <tether/io/runner.hpp>
#include <vector>

namespace tether::io::testing {

class Collector {
 public:
  Callbacks callbacks() {
    Callbacks c;
    c.on_delivery = [this](const Delivery& d) {
      std::lock_guard lock(mutex_);
      deliveries_.push_back(
          OwnedDelivery{d.delivery_id, d.sequence,
                        d.id ? std::optional<std::string>(std::string(*d.id)) : std::nullopt,
                        std::string(d.type), std::string(d.data)});
      changed_.notify_all();
    };
    c.on_gap = [this](const model::ReportGap& gap) {
      std::lock_guard lock(mutex_);
      gaps_.push_back(gap);
      changed_.notify_all();
    };
    c.on_status = [this](const model::Status& status) {
      std::lock_guard lock(mutex_);
      statuses_.push_back(status);
      changed_.notify_all();
    };
    c.on_diagnostic = [this](const Diagnostic& d) {
      std::lock_guard lock(mutex_);
      diagnostics_.push_back(d.text);
      changed_.notify_all();
    };
    return c;
  }

  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return pred(*this); });
  }
  bool wait_for_deliveries(std::size_t n, std::chrono::milliseconds timeout) {
    return wait([n](const Collector& c) { return c.deliveries_.size() >= n; }, timeout);
  }
  bool wait_for_diagnostic(std::string_view text, std::chrono::milliseconds timeout) {
    return wait(
        [text](const Collector& c) {
          for (const auto& d : c.diagnostics_)
            if (d.find(text) != std::string::npos) return true;
          return false;
        },
        timeout);
  }

  std::vector<OwnedDelivery> deliveries() const {
    std::lock_guard l(mutex_);
    return deliveries_;
  }
  std::vector<model::ReportGap> gaps() const {
    std::lock_guard l(mutex_);
    return gaps_;
  }
  std::vector<model::Status> statuses() const {
    std::lock_guard l(mutex_);
    return statuses_;
  }
  std::vector<std::string> diagnostics() const {
    std::lock_guard l(mutex_);
    return diagnostics_;
  }
  std::vector<std::uint64_t> sequences() const {
    std::lock_guard l(mutex_);
    std::vector<std::uint64_t> out;
    for (const auto& d : deliveries_) out.push_back(d.sequence.value_or(0));
    return out;
  }
  std::string diagnostics_text() const {
    std::lock_guard l(mutex_);
    std::string out;
    for (const auto& d : diagnostics_) out += d + "\n";
    return out;
  }

  // Members are read by wait() predicates under the lock.
  std::vector<OwnedDelivery> deliveries_;
  std::vector<model::ReportGap> gaps_;
  std::vector<model::Status> statuses_;
  std::vector<std::string> diagnostics_;

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
};

}  // namespace tether::io::testing
