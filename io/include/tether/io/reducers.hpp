#pragma once
// The four reducers of model/ as io::ReducerLoop sees them
// (<tether/io/reducer_loop.hpp>): their types, the in-place transition, the
// deadline, the Tick, and which inputs waiting in the loop's inbox fold into
// one (merge: true if `incoming` was folded into `queued`; it may instead
// exchange them and return false, see <tether/io/reducer_loop.hpp>).
#include <optional>
#include <tether/model/mirror/reducer.hpp>
#include <tether/model/poll/reducer.hpp>
#include <tether/model/session.hpp>
#include <tether/model/wait/reducer.hpp>
#include <utility>
#include <variant>

namespace tether::io {

namespace reducer_detail {

// A second stop, or a second tick, says nothing the first does not.
template <class Stop, class Tick, class Event>
bool merge_idempotent(const Event& queued, const Event& incoming) {
  if (queued.index() != incoming.index()) return false;
  return std::holds_alternative<Stop>(incoming) || std::holds_alternative<Tick>(incoming);
}

}  // namespace reducer_detail

// The streaming session (<tether/model/session.hpp>).
struct SessionReducer {
  using State = model::State;
  using Event = model::Event;
  using Effect = model::Effect;
  using Effects = model::Effects;
  static Effects transition_in_place(State& state, const Event& event) noexcept {
    return model::transition_in_place(state, event);
  }
  static std::optional<model::Instant> next_deadline(const State& state) {
    return model::next_deadline(state);
  }
  static Event tick(model::Instant now) { return model::Tick{now}; }
  // Acks are cumulative: a later one waiting covers an earlier one. A stop
  // waits behind every input that arrives with it (the order the driver's
  // slots had: an ack made in the same callback as stop() is applied before
  // it, never ignored by a stopped session).
  static bool merge(Event& queued, Event& incoming) {
    if (auto* waiting = std::get_if<model::DeliveryAcked>(&queued)) {
      const auto* ack = std::get_if<model::DeliveryAcked>(&incoming);
      if (ack == nullptr) return false;
      if (ack->delivery_id > waiting->delivery_id) *waiting = *ack;
      return true;
    }
    if (reducer_detail::merge_idempotent<model::StopRequested, model::Tick>(queued, incoming))
      return true;
    if (std::holds_alternative<model::StopRequested>(queued)) std::swap(queued, incoming);
    return false;
  }
};

// The polling session (<tether/model/poll/reducer.hpp>).
struct PollReducer {
  using State = model::poll::State;
  using Event = model::poll::Event;
  using Effect = model::poll::Effect;
  using Effects = model::poll::Effects;
  static Effects transition_in_place(State& state, const Event& event) noexcept {
    return model::poll::transition_in_place(state, event);
  }
  static std::optional<model::Instant> next_deadline(const State& state) {
    return model::poll::next_deadline(state);
  }
  static Event tick(model::Instant now) { return model::poll::Tick{now}; }
  static bool merge(Event& queued, Event& incoming) {
    return reducer_detail::merge_idempotent<model::poll::StopRequested, model::poll::Tick>(
        queued, incoming);
  }
};

// Wait-for-resource (<tether/model/wait/reducer.hpp>).
struct WaitReducer {
  using State = model::wait::State;
  using Event = model::wait::Event;
  using Effect = model::wait::Effect;
  using Effects = model::wait::Effects;
  static Effects transition_in_place(State& state, const Event& event) noexcept {
    return model::wait::transition_in_place(state, event);
  }
  static std::optional<model::Instant> next_deadline(const State& state) {
    return model::wait::next_deadline(state);
  }
  static Event tick(model::Instant now) { return model::wait::Tick{now}; }
  static bool merge(Event& queued, Event& incoming) {
    return reducer_detail::merge_idempotent<model::wait::StopRequested, model::wait::Tick>(
        queued, incoming);
  }
};

// The freshness mirror (<tether/model/mirror/reducer.hpp>); see
// docs/io.md, "The freshness mirror with a session and a poller", for who feeds it.
struct MirrorReducer {
  using State = model::mirror::State;
  using Event = model::mirror::Event;
  using Effect = model::mirror::Effect;
  using Effects = model::mirror::Effects;
  static Effects transition_in_place(State& state, const Event& event) noexcept {
    return model::mirror::transition_in_place(state, event);
  }
  static std::optional<model::Instant> next_deadline(const State& state) {
    return model::mirror::next_deadline(state);
  }
  static Event tick(model::Instant now) { return model::mirror::Tick{now}; }
  static bool merge(Event& queued, Event& incoming) {
    return reducer_detail::merge_idempotent<model::mirror::StopRequested, model::mirror::Tick>(
        queued, incoming);
  }
};

}  // namespace tether::io
