#pragma once
// The freshness mirror's driver, without Asio: the mirror reducer in the one
// driver loop, io::ReducerLoop (<tether/io/reducer_loop.hpp>), and every
// mirror effect handed to the application. An application runs it on a strand
// of its own, fed by a streaming session and a poller (docs/io.md, "The
// freshness mirror with a session and a poller"); the simulator's mirror world
// runs it behind its simulated source; tests drive it with fakes in virtual
// time.
//
// Threading: not thread-safe. Every call (start, stop, the pushes and polls,
// on_timer) must come from the one strand.
//
// Effects (the mirror asks for no I/O: every effect is a report):
// - ReportStatus -> application.on_status();
// - ValueChanged -> application.on_change(key, change, source), the key being
//                   that of the event the step fed (which the effect does not
//                   carry); the entry is already written: find(key) reads it;
// - WriteIgnored -> application.on_ignored(key, cause).
// An input made from inside a callback waits in the loop's inbox and is fed
// once the step's effects ran (so on_change always names its own step's key).
//
// Allocation: the events own their key and value (the reducer stores them),
// so the inputs take std::string by value, to be moved in; the driver adds no
// allocation of its own to a step, and a heartbeat allocates nothing.
#include <cstdint>
#include <string>
#include <string_view>
#include <tether/io/application.hpp>
#include <tether/io/clock.hpp>
#include <tether/io/host.hpp>
#include <tether/io/reducer_loop.hpp>
#include <tether/io/reducers.hpp>
#include <tether/model/mirror/reducer.hpp>

namespace tether::io {

// What the mirror tells the application, on the strand, in order.
class MirrorApplication {
 public:
  // Stream health and backfill changed.
  virtual void on_status(const model::mirror::Status& status) = 0;
  // A write changed (or refreshed) `key`; valid during the call only.
  virtual void on_change(std::string_view key, model::mirror::Change change,
                         model::mirror::Source source) = 0;
  // A write to `key` was refused; the mirror did not change.
  virtual void on_ignored(std::string_view key, model::mirror::IgnoreCause cause) = 0;
  // The driver's own troubles (always fatal: a defect, never the data's).
  virtual void on_diagnostic(const Diagnostic& diagnostic) = 0;

 protected:
  ~MirrorApplication() = default;
};

// Sees every step after its effects were executed (the simulator's oracle and
// trace; nothing in production needs one).
class MirrorStepObserver {
 public:
  virtual void on_step(const model::mirror::Event& event, const model::mirror::State& after,
                       const model::mirror::Effects& effects) = 0;

 protected:
  ~MirrorStepObserver() = default;
};

struct MirrorDriverPorts {
  Clock& clock;
  Host& host;  // the timer only: the mirror offloads nothing
  MirrorApplication& application;
  MirrorStepObserver* observer = nullptr;
};

// The reducer a driver runs: model::mirror::transition_in_place, except in the
// simulator's mutation tests, which substitute deliberately broken variants.
using MirrorTransition = model::mirror::Effects (*)(model::mirror::State&,
                                                    const model::mirror::Event&) noexcept;

struct MirrorDriverOptions {
  MirrorTransition reducer = &MirrorReducer::transition_in_place;
  LoopDefect loop_defect = LoopDefect::none;  // the simulator's mutation check only
};

class MirrorDriver {
 public:
  MirrorDriver(model::mirror::State initial, MirrorDriverPorts ports,
               MirrorDriverOptions options = {});
  MirrorDriver(const MirrorDriver&) = delete;
  MirrorDriver& operator=(const MirrorDriver&) = delete;

  // Each feeds its event, stamped with the clock's reading; also before
  // start() and after stop(), which the reducer ignores.
  void start();  // Started
  void stop();   // StopRequested: terminal and quiet
  // The stream delivered a value, a removal, or bytes without a value.
  void value_pushed(std::string key, std::string value);  // ValuePushed
  void removal_pushed(std::string key);                   // RemovalPushed
  void heartbeat();                                       // HeartbeatReceived
  // A poll's snapshot, taken at `observed_at` (the mirror's clock; never later
  // than the snapshot: the request's send time is safe): every key of it,
  // then poll_completed(), also for an empty snapshot.
  void value_polled(model::Instant observed_at, std::string key, std::string value);
  void removal_polled(model::Instant observed_at, std::string key);
  void poll_completed(model::Instant observed_at);
  // The timer armed through Host fired.
  void on_timer() { loop_.on_timer(); }

  const model::mirror::State& state() const { return loop_.state(); }
  // The entry for `key` (a tombstone has no value), or nullptr if never heard.
  const model::mirror::Entry* find(std::string_view key) const {
    return model::mirror::find(state(), key);
  }
  // How current `key` is at the clock's reading now.
  model::mirror::Freshness freshness_of(std::string_view key) const {
    return model::mirror::freshness_of(state(), key, ports_.clock.now());
  }
  // The status last reported.
  const model::mirror::Status& status() const { return state().status; }
  // Stopped: later inputs change nothing.
  bool finished() const { return model::mirror::is_terminal(state()); }
  // A step's effects are executing: an input now waits in the loop's inbox.
  bool executing() const { return loop_.executing(); }
  // Events the reducer stepped (inputs and timer ticks).
  std::uint64_t events_fed() const { return loop_.events_fed(); }

 private:
  // The loop's executor: the mirror effects, the key of the event they
  // belong to, and the observer's hook.
  struct Steps {
    MirrorDriver& driver;
    void stepped(const model::mirror::Event& event, const model::mirror::Effects&);
    void execute(const model::mirror::Effect& effect) { driver.execute(effect); }
    void executed(const model::mirror::Event& event, const model::mirror::State& after,
                  const model::mirror::Effects& effects);
    void refused(const model::mirror::Event& event);
  };

  void execute(const model::mirror::Effect& effect);
  // The key of the step's event; a keyless write outcome is a reducer's defect.
  bool has_key(const char* effect);
  void diagnose(std::string text);

  MirrorDriverPorts ports_;
  Steps steps_{*this};
  ReducerLoop<MirrorReducer, Steps> loop_;
  // The key of the event whose effects execute: a view into that event, which
  // the loop holds for the whole step; read only during a step.
  std::string_view key_;
  bool keyed_ = false;
};

}  // namespace tether::io
