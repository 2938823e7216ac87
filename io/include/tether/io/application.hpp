#pragma once
// What a session tells the application. Called on the session's strand, in
// order; a callback must not block for long (the stream waits) and must not
// throw.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tether/model/cursor.hpp>
#include <tether/model/effect.hpp>
#include <tether/model/status.hpp>

namespace tether::io {

// One delivered message. Views are valid during the on_delivery() call only;
// copy what you keep (Runner's pull API hands out owned copies).
struct Delivery {
  std::uint64_t delivery_id = 0;  // 1, 2, 3, ... within the session; ack with it
  std::optional<std::uint64_t> sequence;
  std::optional<std::string_view> id;
  std::string_view type;
  std::string_view data;
};

// Something a human should read: why a connection failed, why the session
// ended, a checkpoint that could not be written or read.
struct Diagnostic {
  enum class Kind : std::uint8_t {
    connection,  // a connection attempt or stream ended (retried per policy)
    protocol,    // the server sent something malformed (also a connection end)
    checkpoint,  // the checkpoint store failed
    auth,        // the auth provider failed
    fatal,       // the session cannot continue (e.g. a corrupt checkpoint file)
  };
  // How loud (docs/io.md, "Log levels"). The driver conceals an outage's
  // repeats: its first failed attempt is a warning, the later ones debug (the
  // text counts them), and the recovery one info line with the outage's
  // length and failed attempts. fatal is always an error.
  enum class Level : std::uint8_t { debug, info, warning, error };
  // Where a connection diagnostic stands in an outage (none: not about one).
  enum class Outage : std::uint8_t { none, began, repeat, recovered };
  Kind kind = Kind::connection;
  std::string text;
  Level level = Level::warning;
  Outage outage = Outage::none;
};

// "debug", "info", "warning", "error".
constexpr std::string_view name_of(Diagnostic::Level level) {
  switch (level) {
    case Diagnostic::Level::debug:
      return "debug";
    case Diagnostic::Level::info:
      return "info";
    case Diagnostic::Level::warning:
      return "warning";
    case Diagnostic::Level::error:
      break;
  }
  return "error";
}

// Owned by whoever runs it (the simulator owns one per simulated process), so
// it is destroyed through this interface.
class Application {
 public:
  virtual ~Application() = default;
  virtual void on_delivery(const Delivery& delivery) = 0;
  virtual void on_gap(const model::ReportGap& gap) = 0;
  virtual void on_status(const model::Status& status) = 0;
  virtual void on_diagnostic(const Diagnostic& diagnostic) = 0;
  // An SSE comment line's text (after the ':'; valid during the call only),
  // when the session delivers comments (SseOptions::deliver_comments). Not a
  // delivery: no delivery id, nothing to ack, the cursor does not move. No
  // step of the session runs around it, so an ack() or stop() made from
  // inside it is applied at once (the Runner posts them to its strand).
  virtual void on_comment(std::string_view text) { static_cast<void>(text); }
};

// What a running session offers its application. The Asio Runner and the
// simulator (sim::Process) both implement it, so an application written
// against Application and SessionControl runs under either unchanged. Every
// call may come from inside a callback; none waits.
class SessionControl {
 public:
  // Deliveries 1..delivery_id are durably handled (cumulative; see
  // Runner::ack for what an ack promises). From inside a callback it is
  // applied once the callback returns, before a stop() made after it.
  virtual void ack(std::uint64_t delivery_id) = 0;
  // Graceful: the checkpoint is flushed, the connection closed. Returns at
  // once (the Runner's owner may still wait for the end with Runner::stop()).
  virtual void stop() = 0;
  // Runs `work` on the session's strand `delay_ms` from now (a database
  // write's latency, a batch timer), unless the session is stopped and torn
  // down first (the Runner destroyed; the simulated process killed).
  virtual void after(std::int64_t delay_ms, std::function<void()> work) = 0;

 protected:
  ~SessionControl() = default;
};

// Makes the application of a session, given what the session offers it.
// Called once, before the session starts; the session owns the result.
using ApplicationFactory = std::function<std::unique_ptr<Application>(SessionControl& session)>;

}  // namespace tether::io
