#pragma once
// The simulated server: an append-only event log with contiguous sequence
// numbers, history retention, restarts, auth tokens with lifetimes, and the
// answers a connection attempt gets (open, 401, 410, 429 + Retry-After, 5xx,
// refused). It owns no clock: every call carries the virtual `now`.

#include <cstdint>
#include <optional>
#include <string>
#include <tether/model/cursor.hpp>
#include <tether/sim/agenda.hpp>
#include <vector>

namespace tether::sim {

struct ServerParams {
  Ms retention_ms = 0;  // 0: keep everything
  bool auth = false;
  Ms token_lifetime_ms = 600000;
  // Opaque ids (SSE id:): every event also has the id "<epoch>:<sequence>",
  // where the epoch grows with every restart that loses the history; a
  // connect resumes by such a token (a cursor of kind token).
  bool opaque_ids = false;
  // A filtered stream: sequences divisible by this are logged but never
  // streamed, so the client sees skips (GapDetection::relaxed). 0 or 1: none.
  std::uint64_t filter_skip_every = 0;
  // At-least-once resume: a resume by cursor starts this many events before
  // the one after the cursor (retained ones only), so the client sees
  // duplicates it must drop.
  std::uint64_t resume_overlap = 0;
  // Ids are this many bytes long, the sequence zero-padded (0: the plain id).
  std::uint64_t id_bytes = 0;
  // 5xx answers carry Retry-After: this many ms (0: none).
  Ms error_retry_after_ms = 0;
  // Id resets (opaque ids only): blocks of this many events with ids
  // alternate with as many without (0: none). See id_field().
  std::uint64_t id_reset_every = 0;
};

struct AuthToken {
  std::uint64_t id = 0;
  Ms expires_at_ms = 0;
};

// How the server answers a connection attempt.
struct ConnectAnswer {
  enum class Kind : std::uint8_t {
    open,     // stream from `first_sequence` on
    refused,  // down (restarting): the transport fails
    status,   // an HTTP error status (with Retry-After, maybe)
    too_old,  // the cursor is older than the retained history
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

  // --- opaque ids and filtered streams
  std::uint64_t epoch() const { return static_cast<std::uint64_t>(epoch_starts_.size()); }
  // The id of logged event `sequence` ("<epoch>:<sequence>", the sequence
  // zero-padded to ServerParams::id_bytes), as the server sends it: it may be
  // longer than any client accepts.
  std::string id_text(std::uint64_t sequence) const;
  // The same id as a resume token; only for ids that fit one
  // (model::Token::capacity).
  model::Token id_of(std::uint64_t sequence) const;
  // How event `sequence` names its id in the stream (opaque ids only): with
  // its id, with an empty `id:` field (the first event of an id-less block:
  // per SSE it resets the stream's last event id), or with no id field (the
  // rest of the block: the reset holds).
  enum class IdField : std::uint8_t { id, reset, none };
  IdField id_field(std::uint64_t sequence) const;
  // The sequence an id names, or nullopt if this server never issued it
  // (malformed, an unknown epoch, or an epoch that does not hold it).
  std::optional<std::uint64_t> sequence_of(const model::Token& id) const;
  // Whether the stream carries `sequence` (false: the filter skips it).
  bool streams(std::uint64_t sequence) const {
    return params_.filter_skip_every < 2 || sequence % params_.filter_skip_every != 0;
  }
  // The last streamed sequence at or below `sequence` (0 if none).
  std::uint64_t last_streamed_at_or_below(std::uint64_t sequence) const;

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
  std::vector<Ms> appended_at_;      // index = sequence - 1
  std::uint64_t history_floor_ = 1;  // sequences below it were lost by a restart
  bool down_ = false;
  int rate_limited_ = 0;
  std::optional<std::int64_t> retry_after_ms_;
  int erroring_ = 0;
  std::uint16_t error_status_ = 500;
  int revoked_ = 0;
  std::vector<AuthToken> tokens_;               // index = id - 1
  std::vector<std::uint64_t> epoch_starts_{1};  // epoch e logs from epoch_starts_[e - 1] on
};

}  // namespace tether::sim
