#pragma once
// The example tests' driver for any of tether's reducers (streaming session,
// wait-for-resource, freshness mirror): feeds events through the value API,
// keeps the last step's effects, and answers questions about them. The
// reducer's transition() and next_deadline() are found by argument-dependent
// lookup in the state's namespace. No mocks: the reducers are pure.
#include <optional>
#include <tether/model/time.hpp>
#include <utility>
#include <variant>
#include <vector>

namespace tether::test {

inline model::Instant at(std::int64_t ms) { return model::Instant{ms}; }

template <class State, class Effects>
class ReducerHarness {
 public:
  explicit ReducerHarness(State initial) : state_(std::move(initial)) {}

  template <class Event>
  const Effects& feed(const Event& event) {
    auto step = transition(std::move(state_), event);
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
    for (const auto& e : last_)
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

  std::optional<model::Instant> deadline() const { return next_deadline(state_); }

 protected:
  State state_;
  Effects last_;
};

}  // namespace tether::test
