#pragma once
// Wait-for-resource's driver, without Asio: the wait reducer in the one
// driver loop, io::ReducerLoop (<tether/io/reducer_loop.hpp>), and every wait
// effect executed through a port. WaitRunner (tether::io) runs it with its
// Asio worker thread; the simulator's wait world with its simulated worker;
// tests with fakes in virtual time.
//
// Threading: not thread-safe. Every call (start, stop, link_up, link_down,
// watch_ended, on_timer) and every completion of Host::offload must come from
// the one strand.
//
// Effects:
// - Acquire      -> acquirer.acquire(id) through Host::offload (off the strand;
//                   the host runs its calls one at a time, in order); the answer
//                   carries the Acquire's number back as AcquireSucceeded /
//                   AcquireFailed{id}, however late it comes. The reducer keeps
//                   one out at a time, even past acquire_timeout_ms, which the
//                   driver says in a diagnostic naming the option (and again
//                   when the late answer comes);
// - Release      -> application.on_release(id);
// - ReportStatus -> application.on_acquired(id) first if it is a hold, then
//                   application.on_status().
#include <cstdint>
#include <expected>
#include <string>
#include <tether/io/application.hpp>
#include <tether/io/clock.hpp>
#include <tether/io/host.hpp>
#include <tether/io/reducer_loop.hpp>
#include <tether/io/reducers.hpp>
#include <tether/model/wait/reducer.hpp>

namespace tether::io {

// Tries to take the resource once, for the Acquire numbered `id`; the error
// says why it is not there yet. Blocking: the driver calls it through
// Host::offload, never on the strand.
class ResourceAcquirer {
 public:
  virtual std::expected<void, std::string> acquire(std::uint64_t id) = 0;

 protected:
  ~ResourceAcquirer() = default;
};

// What wait-for-resource tells the application, on the strand, in order.
class WaitApplication {
 public:
  virtual void on_acquired(std::uint64_t id) = 0;  // the resource is held
  virtual void on_release(std::uint64_t id) = 0;   // give it back (stop, or a stale hold)
  virtual void on_status(const model::wait::Status& status) = 0;
  virtual void on_diagnostic(const Diagnostic& diagnostic) = 0;

 protected:
  ~WaitApplication() = default;
};

// Sees every step after its effects were executed (the simulator's oracle and
// trace; nothing in production needs one).
class WaitStepObserver {
 public:
  virtual void on_step(const model::wait::Event& event, const model::wait::State& after,
                       const model::wait::Effects& effects) = 0;

 protected:
  ~WaitStepObserver() = default;
};

struct WaitDriverPorts {
  Clock& clock;
  Host& host;  // the timer; the acquisitions run through offload()
  ResourceAcquirer& acquirer;
  WaitApplication& application;
  WaitStepObserver* observer = nullptr;
};

// The reducer a driver runs: model::wait::transition_in_place, except in the
// simulator's mutation tests, which substitute deliberately broken variants.
using WaitTransition = model::wait::Effects (*)(model::wait::State&,
                                                const model::wait::Event&) noexcept;

struct WaitDriverOptions {
  WaitTransition reducer = &WaitReducer::transition_in_place;
  LoopDefect loop_defect = LoopDefect::none;  // the simulator's mutation check only
};

class WaitDriver {
 public:
  WaitDriver(model::wait::State initial, WaitDriverPorts ports, WaitDriverOptions options = {});
  WaitDriver(const WaitDriver&) = delete;
  WaitDriver& operator=(const WaitDriver&) = delete;

  // Feeds Started with what is known of the link.
  void start(model::wait::Link link);
  // Each feeds its event, also after the end (the reducer ignores it).
  void stop();                         // StopRequested
  void link_up();                      // Connected: wakes a waiting backoff at once
  void link_down();                    // Disconnected: no attempt until the link is back
  void watch_ended(std::uint64_t id);  // WatchEnded: the hold on `id` ended
  // The timer armed through Host fired.
  void on_timer() { loop_.on_timer(); }

  const model::wait::State& state() const { return loop_.state(); }
  bool finished() const { return model::wait::is_terminal(state()); }
  // A step's effects are executing: an input now waits in the loop's inbox.
  bool executing() const { return loop_.executing(); }
  // Acquisitions asked of the acquirer.
  std::uint64_t attempts() const { return attempts_; }

 private:
  // The loop's executor: the wait effects and the observer's hook.
  struct Steps {
    WaitDriver& driver;
    void execute(const model::wait::Effect& effect) { driver.execute(effect); }
    void executed(const model::wait::Event& event, const model::wait::State& after,
                  const model::wait::Effects& effects) {
      if (driver.ports_.observer != nullptr) driver.ports_.observer->on_step(event, after, effects);
    }
    void settled(const model::wait::State& state) {
      if (model::wait::is_terminal(state)) driver.ended_ = true;
    }
  };

  void execute(const model::wait::Effect& effect);
  void acquire(std::uint64_t id);
  void answered(std::uint64_t id, model::Instant asked_at,
                const std::expected<void, std::string>& got);
  void report_acquire_timeout(const model::wait::Status& status);
  void diagnose(std::string text);

  WaitDriverPorts ports_;
  Steps steps_{*this};
  ReducerLoop<WaitReducer, Steps> loop_;
  std::uint64_t attempts_ = 0;
  // The input that ended the session has been handled: no diagnostic after it.
  bool ended_ = false;
  // The acquisition out (0: none) and whether its timeout was said: the
  // reducer waits for it, never starts another.
  std::uint64_t running_id_ = 0;
  model::Instant running_since_{};
  bool running_timeout_told_ = false;
};

}  // namespace tether::io
