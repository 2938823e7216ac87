#pragma once
// transition() in terms of transition_in_place(), written once for the poll,
// wait and mirror reducers: the state moves into the step and the in-place
// form writes the effects beside it, so there is one implementation of each
// reducer's rules and the pure form costs one move more.

#include <utility>

namespace tether::model {

template <class Step, class State, class Event, class InPlace>
Step step_in_place(State&& state, const Event& event, InPlace in_place) noexcept {
  Step step{std::move(state), {}};
  step.effects = in_place(step.state, event);
  return step;
}

}  // namespace tether::model
