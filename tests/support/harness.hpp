#pragma once
// A minimal driver for example tests: feeds events, keeps the last step's
// effects, and answers questions about them. No mocks: the model is pure.

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include <tether/model/session.hpp>

namespace tether::test {

using namespace tether::model;

inline Instant at(std::int64_t ms) { return Instant{ms}; }

class Harness {
 public:
  explicit Harness(const SessionConfig& config) : state_(*make_session(config)) {}

  const Effects& feed(const Event& event) {
    Step step = transition(std::move(state_), event);
    state_ = std::move(step.state);
    last_ = step.effects;
    return last_;
  }

  const State& state() const { return state_; }
  const Effects& last() const { return last_; }

  template <class P>
  bool in() const {
    return std::holds_alternative<P>(state_.phase);
  }
  template <class P>
  const P& phase() const {
    return std::get<P>(state_.phase);
  }

  template <class E>
  std::vector<E> all() const {
    std::vector<E> found;
    for (const Effect& e : last_)
      if (const auto* x = std::get_if<E>(&e)) found.push_back(*x);
    return found;
  }
  template <class E>
  std::optional<E> one() const {
    auto found = all<E>();
    if (found.size() != 1) return std::nullopt;
    return found.front();
  }
  template <class E>
  bool has() const {
    return !all<E>().empty();
  }

  // Start and get to Streaming at `t`.
  void stream_at(std::int64_t t, std::optional<Cursor> checkpoint = std::nullopt) {
    feed(Started{at(t), checkpoint, std::nullopt});
    feed(ConnectionOpened{at(t)});
  }

  const Effects& frame(std::int64_t t, std::uint64_t seq, std::uint64_t ref = 0) {
    return feed(FrameReceived{at(t), seq, std::nullopt, std::nullopt, ref ? ref : seq});
  }

  std::optional<Instant> deadline() const { return next_deadline(state_); }

 private:
  State state_;
  Effects last_;
};

// A configuration without randomness, for exact expectations.
inline SessionConfig exact_config() {
  SessionConfig c;
  c.backoff.delay_ms_initial = 1000;
  c.backoff.multiplier = 2.0;
  c.backoff.delay_ms_max = 8000;
  c.backoff.jitter = JitterKind::none;
  c.backoff.short_session_ms = 0;
  c.backoff.short_session_delay_ms_min = 0;
  return c;
}

}  // namespace tether::test
