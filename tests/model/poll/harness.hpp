#pragma once
// The polling reducer's test harness (tests/model/poll/): a driver that feeds
// events one at a time, keeps the last step's effects and answers questions
// about them, and the small builders the examples share.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <tether/model/poll/reducer.hpp>
#include <utility>
#include <variant>
#include <vector>

namespace model = tether::model;
namespace poll = tether::model::poll;

namespace poll_test {

inline model::Instant at(std::int64_t ms) { return model::Instant{ms}; }

inline poll::Snapshot snap(std::vector<poll::Entry> entries) {
  return poll::Snapshot::from_entries(std::move(entries)).value();
}

inline poll::Config single(std::int64_t cadence_ms, poll::Backoff backoff) {
  poll::Config c;
  c.endpoints.push_back(poll::EndpointConfig{"only", cadence_ms, backoff});
  return c;
}

// The configuration with its jitter seed.
inline poll::Config seeded(poll::Config config, std::uint64_t seed) {
  config.seed = seed;
  return config;
}

// Feeds events, keeps the last step's effects, answers questions about them.
class PollHarness {
 public:
  explicit PollHarness(poll::Config config, std::uint64_t seed = 1)
      : state_(poll::make(seeded(std::move(config), seed)).value()) {}

  const poll::Effects& feed(const poll::Event& event) {
    poll::Step step = poll::transition(std::move(state_), event);
    state_ = std::move(step.state);
    last_ = std::move(step.effects);
    return last_;
  }
  const poll::Effects& ok(std::int64_t t, std::size_t endpoint,
                          std::vector<poll::Entry> entries = {}) {
    return feed(poll::PollSucceeded{at(t), endpoint, snap(std::move(entries))});
  }
  const poll::Effects& not_modified(std::int64_t t, std::size_t endpoint) {
    return feed(poll::PollSucceeded{at(t), endpoint, std::nullopt});
  }
  const poll::Effects& failed(std::int64_t t, std::size_t endpoint, std::uint16_t http_status) {
    return feed(poll::PollFailed{at(t), endpoint, http_status});
  }
  const poll::Effects& tick(std::int64_t t) { return feed(poll::Tick{at(t)}); }

  template <class E>
  std::vector<E> all() const {
    std::vector<E> found;
    for (const poll::Effect& e : last_)
      if (const auto* x = std::get_if<E>(&e)) found.push_back(*x);
    return found;
  }
  // The endpoints the last step polled on schedule (not 503 retries).
  std::vector<std::size_t> polled() const {
    std::vector<std::size_t> out;
    for (const poll::Poll& x : all<poll::Poll>())
      if (!x.retry_in_tick) out.push_back(x.endpoint);
    return out;
  }
  std::optional<poll::Status> status(std::size_t endpoint) const {
    for (const poll::ReportStatus& r : all<poll::ReportStatus>())
      if (r.endpoint == endpoint) return r.status;
    return std::nullopt;
  }
  const poll::Polling& polling() const { return std::get<poll::Polling>(state_.phase); }
  std::optional<model::Instant> deadline() const { return poll::next_deadline(state_); }
  const poll::State& state() const { return state_; }
  const poll::Effects& last() const { return last_; }

 private:
  poll::State state_;
  poll::Effects last_;
};

}  // namespace poll_test
