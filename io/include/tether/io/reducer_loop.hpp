#pragma once
// The driver loop, written once for every reducer (docs/architecture.md,
// "tether::io_core"): when an input arrives, read the clock, feed the event,
// execute every effect in order, re-arm the one timer. io::Driver (the
// streaming session), io::PollDriver, io::WaitDriver and io::MirrorDriver
// run it; what differs between them is the reducer
// (<tether/io/reducers.hpp>) and the executor, which turns that reducer's
// effects into I/O.
//
// Threading: not thread-safe. Every call comes from the one strand.
//
// Time: the loop reads the Clock when it feeds an event and writes the
// reading into the event's `now` (every event of every reducer carries one);
// callers leave it empty: loop.feed(model::poll::Tick{}).
//
// Timer: after every input the loop asks next_deadline() and arms the Host's
// one timer through Host::arm_timer(). It re-arms only for an earlier deadline
// (or to disarm): a later one waits for the armed one, whose Tick is early and
// harmless (deadlines are derived, the model's contract), and re-arms then. So
// the streaming path, where the heartbeat deadline moves with every frame,
// never touches the timer.
//
// The inbox: the model's contract is one event in, all of its effects out,
// before the next event. An input that arrives while a step's effects execute
// (an application callback that acks or stops, a completion a host runs
// inline, a save with nothing to persist) waits in the inbox and is fed after
// them, in arrival order; then the timer is re-armed once. The inbox holds at
// most `InboxMax` events, inline (no allocation). R::merge(queued, incoming),
// tried against each waiting input from the oldest, may fold the incoming
// one into it (a second stop, a cumulative ack, a tick: returns true, and it
// takes no place), or exchange the two and return false (the session's stop
// stays behind an ack that arrives after it: the displaced input goes on
// looking for its place). At the bound the input is refused: feed() returns
// Fed::refused, the executor's refused(event) hook (if it has one) is told so
// it can report it, and refused() counts it. A shell whose effects feed more
// than InboxMax distinct inputs back within one step has a feedback loop, and
// refusing (loudly) is what keeps it from spinning without bound.
//
// The executor is any object with execute(const Effect&); it may also have
// these hooks, called if present:
//   stepping(const State& before, const Event& event)  before the reducer runs
//   stepped(const Event& event, const Effects& effects) after it, before any effect
//   executed(const Event& event, const State& after, const Effects& effects)
//                                                       after every effect ran
//   settled(const State& state)                         after an input: the inbox
//                                                       drained, the timer re-armed
//   refused(const Event& event)                         the inbox was full
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <tether/io/clock.hpp>
#include <tether/io/host.hpp>
#include <tether/model/time.hpp>
#include <utility>
#include <variant>

namespace tether::io {

// What the loop needs of a reducer (<tether/io/reducers.hpp> has the four).
template <class R>
concept LoopReducer = requires(typename R::State& state, const typename R::State& cstate,
                               const typename R::Event& event, model::Instant now) {
  typename R::Effect;
  { R::transition_in_place(state, event) } noexcept -> std::same_as<typename R::Effects>;
  { R::next_deadline(cstate) } -> std::same_as<std::optional<model::Instant>>;
  { R::tick(now) } -> std::convertible_to<typename R::Event>;
};

template <class X, class R>
concept EffectExecutor =
    requires(X& executor, const typename R::Effect& effect) { executor.execute(effect); };

// Deliberate defects, for the simulator's mutation check only (io::DriverMutant
// names the driver's): each breaks one line of the loop. Never set elsewhere.
enum class LoopDefect : std::uint8_t {
  none,
  timer_not_rearmed_earlier,  // an earlier deadline never replaces the armed one
  timer_fired_still_armed,    // the fired timer still counts as armed
  inbox_never_merges,         // waiting inputs are never merged or reordered (R::merge unused)
};

// What feed() did with an input.
enum class Fed : std::uint8_t {
  fed,      // stepped now (with whatever waited in the inbox meanwhile)
  queued,   // effects were executing: it waits in the inbox (or merged with an input there)
  refused,  // effects were executing and the inbox was full: dropped, counted, reported
};

// X may be incomplete where the loop is declared (a shell that is its own
// executor holds its loop as a member); EffectExecutor is checked where the
// loop steps.
template <LoopReducer R, class X, std::size_t InboxMax = 16>
class ReducerLoop {
 public:
  using State = typename R::State;
  using Event = typename R::Event;
  using Effect = typename R::Effect;
  using Effects = typename R::Effects;
  // The reducer; a mutation test substitutes a broken one.
  using Transition = Effects (*)(State&, const Event&) noexcept;

  static constexpr std::size_t inbox_max = InboxMax;
  static_assert(InboxMax > 0);

  ReducerLoop(State initial, Clock& clock, Host& host, X& executor,
              Transition transition = &R::transition_in_place)
      : state_(std::move(initial)),
        clock_(clock),
        host_(host),
        executor_(executor),
        transition_(transition) {}
  ReducerLoop(const ReducerLoop&) = delete;
  ReducerLoop& operator=(const ReducerLoop&) = delete;

  // Feeds `event`, its `now` set to the clock's reading when it is fed.
  Fed feed(Event event) {
    if (executing_) return enqueue(std::move(event));
    step(std::move(event));
    settle();
    return Fed::fed;
  }

  // The timer armed through Host::arm_timer() fired (at or after its deadline).
  void on_timer() {
    if (defect_ != LoopDefect::timer_fired_still_armed) armed_.reset();
    feed(R::tick(model::Instant{}));
  }

  const State& state() const { return state_; }
  // A step's effects are executing: an input now waits in the inbox.
  bool executing() const { return executing_; }
  std::size_t inbox_size() const { return inbox_size_; }
  std::uint64_t events_fed() const { return events_fed_; }
  std::uint64_t refused() const { return refused_; }
  // The deadline the Host's timer is armed for (nullopt: disarmed).
  std::optional<model::Instant> armed() const { return armed_; }
  // The mutation check only (LoopDefect).
  void inject_defect(LoopDefect defect) { defect_ = defect; }

 private:
  Fed enqueue(Event&& event) {
    if constexpr (requires(Event& queued, Event& incoming) {
                    { R::merge(queued, incoming) } -> std::same_as<bool>;
                  }) {
      for (std::size_t n = 0; n < inbox_size_ && defect_ != LoopDefect::inbox_never_merges; ++n)
        if (R::merge(*inbox_[(inbox_head_ + n) % InboxMax], event)) return Fed::queued;
    }
    if (inbox_size_ == InboxMax) {
      ++refused_;
      if constexpr (requires { executor_.refused(event); }) executor_.refused(event);
      return Fed::refused;
    }
    inbox_[(inbox_head_ + inbox_size_) % InboxMax].emplace(std::move(event));
    ++inbox_size_;
    return Fed::queued;
  }

  // Ends `executing_` even if an effect's callback throws.
  struct Executing {
    bool& flag;
    explicit Executing(bool& f) : flag(f) { flag = true; }
    ~Executing() { flag = false; }
    Executing(const Executing&) = delete;
    Executing& operator=(const Executing&) = delete;
  };

  void step(Event event) {
    static_assert(EffectExecutor<X, R>, "the executor needs execute(const R::Effect&)");
    const model::Instant now = clock_.now();
    std::visit([now](auto& e) { e.now = now; }, event);
    Executing executing(executing_);
    if constexpr (requires { executor_.stepping(state_, event); })
      executor_.stepping(state_, event);
    const Effects effects = transition_(state_, event);
    ++events_fed_;
    if constexpr (requires { executor_.stepped(event, effects); })
      executor_.stepped(event, effects);
    for (const Effect& effect : effects) executor_.execute(effect);
    if constexpr (requires { executor_.executed(event, state_, effects); })
      executor_.executed(event, state_, effects);
  }

  // What waited while effects executed, in order; then the timer, once.
  void settle() {
    while (inbox_size_ > 0) {
      Event next = std::move(*inbox_[inbox_head_]);
      inbox_[inbox_head_].reset();
      inbox_head_ = (inbox_head_ + 1) % InboxMax;
      --inbox_size_;
      step(std::move(next));
    }
    rearm();
    if constexpr (requires { executor_.settled(state_); }) executor_.settled(state_);
  }

  void rearm() {
    const std::optional<model::Instant> deadline = R::next_deadline(state_);
    if (!deadline) {
      if (armed_) host_.arm_timer(std::nullopt);
      armed_.reset();
      return;
    }
    if (!armed_ || (*deadline < *armed_ && defect_ != LoopDefect::timer_not_rearmed_earlier)) {
      armed_ = deadline;
      host_.arm_timer(deadline);
    }
  }

  State state_;
  Clock& clock_;
  Host& host_;
  X& executor_;
  Transition transition_;
  bool executing_ = false;
  std::array<std::optional<Event>, InboxMax> inbox_{};
  std::size_t inbox_head_ = 0;
  std::size_t inbox_size_ = 0;
  std::optional<model::Instant> armed_;
  std::uint64_t events_fed_ = 0;
  std::uint64_t refused_ = 0;
  LoopDefect defect_ = LoopDefect::none;
};

}  // namespace tether::io
