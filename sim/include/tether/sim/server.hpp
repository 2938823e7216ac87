#pragma once
// The simulated server: an append-only event log with contiguous sequence
// numbers, history retention, restarts, auth tokens with lifetimes, and the
// answers a connection attempt gets (open, 401, 410, 429 + Retry-After, 5xx,
// refused). It owns no clock: every call carries the virtual `now`.

#include <cstdint>
#include <optional>
#include <vector>

#include <tether/model/cursor.hpp>
#include <tether/sim/agenda.hpp>

namespace tether::sim {

struct ServerParams {
  Ms retention_ms = 0;  // 0: keep everything
  bool auth = false;
  Ms token_lifetime_ms = 600000;
};

struct AuthToken {
  std::uint64_t id = 0;
  Ms expires_at_ms = 0;
};

// How the server answers a connection attempt.
struct ConnectAnswer {
  enum class Kind : std::uint8_t {
    open,      // stream from `first_sequence` on
    refused,   // down (restarting): the transport fails
    status,    // an HTTP error status (with Retry-After, maybe)
    too_old,   // the cursor is older than the retained history
  };
  Kind kind = Kind::open;
  std::uint16_t http_status = 0;
  std::optional<std::int64_t> retry_after_ms;
  std::uint64_t first_sequence = 0;  // open only
};

class Server {
 public:
  explicit Server(ServerParams params) : params_(params) {}

  // --- the log
  std::uint64_t append(Ms now);  // returns the new event's sequence (1, 2, ...)
  std::uint64_t head() const { return static_cast<std::uint64_t>(appended_at_.size()); }
  // The oldest sequence still retained (head + 1 when nothing is).
  std::uint64_t oldest_retained(Ms now) const;
  // How many events had been logged at `t`.
  std::uint64_t head_at(Ms t) const;

  // --- restarts: connections are the driver's business; the log survives, its
  // history too unless `lose_history` (then only later events are retained).
  void restart(Ms now, bool lose_history);
  void set_down(bool down) { down_ = down; }
  bool down() const { return down_; }

  // --- auth
  AuthToken issue_token(Ms now);
  void expire_token(std::uint64_t id, Ms now);
  bool token_valid(std::uint64_t id, Ms now) const;

  // --- fault windows (nesting counts)
  void set_rate_limit(bool on, std::optional<std::int64_t> retry_after_ms);
  void set_error_status(bool on, std::uint16_t status);
  void set_auth_revoked(bool on) { revoked_ += on ? 1 : -1; }

  // What a connect with `token` resuming `from`/`cursor` gets at `now`.
  ConnectAnswer answer(Ms now, std::uint64_t token, model::ResumeFrom from,
                       const model::Cursor& cursor) const;

 private:
  ServerParams params_;
  std::vector<Ms> appended_at_;     // index = sequence - 1
  std::uint64_t history_floor_ = 1;  // sequences below it were lost by a restart
  bool down_ = false;
  int rate_limited_ = 0;
  std::optional<std::int64_t> retry_after_ms_;
  int erroring_ = 0;
  std::uint16_t error_status_ = 500;
  int revoked_ = 0;
  std::vector<AuthToken> tokens_;  // index = id - 1
};

}  // namespace tether::sim
