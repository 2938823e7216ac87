#pragma once
// The polling session's driver, without Asio: the poll reducer in the one
// driver loop, io::ReducerLoop (<tether/io/reducer_loop.hpp>), and every poll
// effect executed through a port. PollRunner (tether::io) runs it behind an
// HTTP poller on its strand; the simulator's poll world runs it behind its
// simulated server; tests drive it with fakes in virtual time.
//
// Threading: not thread-safe. Every call (start, stop, receiver_gone,
// answered, on_timer) and every completion of Host::offload must come from
// the one strand.
//
// Effects:
// - Poll                       -> poller.poll() with the endpoint's ETag and the
//                                 bearer token; its answer comes back through
//                                 answered(), which io::PollExchange turns into
//                                 PollSucceeded / PollFailed (a 401 also fetches
//                                 a token for the next poll, off the strand);
// - Added / Modified / Removed -> application.on_change();
// - ReportStatus               -> application.on_status();
// - ReportStopped              -> application.on_stopped(); answers that come
//                                 later are discarded.
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/application.hpp>
#include <tether/io/auth_provider.hpp>
#include <tether/io/clock.hpp>
#include <tether/io/host.hpp>
#include <tether/io/poll_exchange.hpp>
#include <tether/io/reducer_loop.hpp>
#include <tether/io/reducers.hpp>
#include <tether/model/poll/reducer.hpp>

namespace tether::io {

// Performs one request to an endpoint (it knows each endpoint's address) and
// answers later, on the strand, with PollDriver::answered(endpoint, ...):
// exactly once per call, a transport error as its text. Never calls the driver
// from inside poll(). Requests to different endpoints may overlap.
class Poller {
 public:
  virtual void poll(std::size_t endpoint, const std::optional<std::string>& etag,
                    std::string_view bearer_token) = 0;

 protected:
  ~Poller() = default;
};

// What the polling session tells the application, on the strand, in order.
class PollApplication {
 public:
  virtual void on_change(std::size_t endpoint, model::poll::ChangeKind kind, std::string_view key,
                         std::string_view value) = 0;
  virtual void on_status(std::size_t endpoint, const model::poll::Status& status) = 0;
  // The session ended (nothing follows).
  virtual void on_stopped(model::poll::StopReason reason) = 0;
  virtual void on_diagnostic(const Diagnostic& diagnostic) = 0;

 protected:
  ~PollApplication() = default;
};

// Sees every step after its effects were executed (the simulator's oracle and
// trace; nothing in production needs one).
class PollStepObserver {
 public:
  virtual void on_step(const model::poll::Event& event, const model::poll::State& after,
                       const model::poll::Effects& effects) = 0;

 protected:
  ~PollStepObserver() = default;
};

struct PollDriverPorts {
  Clock& clock;
  Host& host;  // the timer; the credential refresh runs through offload()
  Poller& poller;
  PollApplication& application;
  AuthProvider* auth = nullptr;  // null: requests carry no token
  PollStepObserver* observer = nullptr;
};

// The reducer a driver runs: model::poll::transition_in_place, except in the
// simulator's mutation tests, which substitute deliberately broken variants.
using PollTransition = model::poll::Effects (*)(model::poll::State&,
                                                const model::poll::Event&) noexcept;

struct PollDriverOptions {
  PollTransition reducer = &PollReducer::transition_in_place;
  LoopDefect loop_defect = LoopDefect::none;  // the simulator's mutation check only
};

class PollDriver {
 public:
  PollDriver(model::poll::State initial, PollDriverPorts ports, PollDriverOptions options = {});
  PollDriver(const PollDriver&) = delete;
  PollDriver& operator=(const PollDriver&) = delete;

  // Feeds Started; with an auth provider, once its first refresh (off the
  // strand) has answered, so the first polls carry its token.
  void start();
  // Feeds StopRequested (also after the end: the reducer ignores it).
  void stop();
  // The application's receiver of changes went away: feeds ReceiverGone.
  void receiver_gone();
  // The poller's answer to a poll of `endpoint` (a transport error: its text).
  void answered(std::size_t endpoint, const std::expected<PollResponse, std::string>& response);
  // The timer armed through Host fired.
  void on_timer() { loop_.on_timer(); }

  const model::poll::State& state() const { return loop_.state(); }
  // The session ended (ReportStopped).
  bool finished() const { return model::poll::is_terminal(state()); }
  // A step's effects are executing: an input now waits in the loop's inbox.
  bool executing() const { return loop_.executing(); }
  // Answers fed to the session (those after its end are discarded).
  std::uint64_t polls_answered() const { return polls_answered_; }

 private:
  // The loop's executor: the poll effects and the observer's hook.
  struct Steps {
    PollDriver& driver;
    void execute(const model::poll::Effect& effect) { driver.execute(effect); }
    void executed(const model::poll::Event& event, const model::poll::State& after,
                  const model::poll::Effects& effects) {
      if (driver.ports_.observer != nullptr) driver.ports_.observer->on_step(event, after, effects);
    }
  };

  void execute(const model::poll::Effect& effect);
  void poll(std::size_t endpoint);
  void refresh_credentials(bool initial);
  void diagnose(Diagnostic::Kind kind, std::string text);

  PollDriverPorts ports_;
  Steps steps_{*this};
  ReducerLoop<PollReducer, Steps> loop_;
  PollExchange exchange_;
  std::string bearer_token_;
  bool refreshing_ = false;  // a credential refresh is out (one at a time)
  std::uint64_t polls_answered_ = 0;
};

}  // namespace tether::io
