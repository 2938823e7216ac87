#include <tether/sim/server.hpp>

#include <algorithm>

namespace tether::sim {

std::uint64_t Server::append(Ms now) {
  appended_at_.push_back(now);
  return head();
}

std::uint64_t Server::oldest_retained(Ms now) const {
  std::uint64_t oldest = 1;
  if (params_.retention_ms > 0) {
    // Appends are in time order: the first one young enough is the oldest kept.
    const Ms cutoff = now - params_.retention_ms;
    const auto it = std::lower_bound(appended_at_.begin(), appended_at_.end(), cutoff);
    oldest = static_cast<std::uint64_t>(it - appended_at_.begin()) + 1;
  }
  return std::max(oldest, history_floor_);
}

std::uint64_t Server::head_at(Ms t) const {
  const auto it = std::upper_bound(appended_at_.begin(), appended_at_.end(), t);
  return static_cast<std::uint64_t>(it - appended_at_.begin());
}

void Server::restart(Ms /*now*/, bool lose_history) {
  if (lose_history) history_floor_ = head() + 1;
}

AuthToken Server::issue_token(Ms now) {
  const AuthToken t{static_cast<std::uint64_t>(tokens_.size()) + 1, now + params_.token_lifetime_ms};
  tokens_.push_back(t);
  return t;
}

void Server::expire_token(std::uint64_t id, Ms now) {
  if (id >= 1 && id <= tokens_.size()) {
    AuthToken& t = tokens_[id - 1];
    t.expires_at_ms = std::min(t.expires_at_ms, now);
  }
}

bool Server::token_valid(std::uint64_t id, Ms now) const {
  if (id < 1 || id > tokens_.size()) return false;
  return now < tokens_[id - 1].expires_at_ms;
}

void Server::set_rate_limit(bool on, std::optional<std::int64_t> retry_after_ms) {
  rate_limited_ += on ? 1 : -1;
  if (on) retry_after_ms_ = retry_after_ms;
}

void Server::set_error_status(bool on, std::uint16_t status) {
  erroring_ += on ? 1 : -1;
  if (on) error_status_ = status;
}

ConnectAnswer Server::answer(Ms now, std::uint64_t token, model::ResumeFrom from,
                             const model::Cursor& cursor) const {
  using Kind = ConnectAnswer::Kind;
  if (down_) return {Kind::refused, 0, std::nullopt, 0};
  if (params_.auth && (revoked_ > 0 || !token_valid(token, now))) return {Kind::status, 401, std::nullopt, 0};
  if (rate_limited_ > 0) return {Kind::status, 429, retry_after_ms_, 0};
  if (erroring_ > 0) return {Kind::status, error_status_, std::nullopt, 0};
  const std::uint64_t oldest = oldest_retained(now);
  std::uint64_t first = head() + 1;  // server_default and live: new events only
  if (from == model::ResumeFrom::oldest) {
    first = oldest;
  } else if (from == model::ResumeFrom::cursor) {
    // Cursors in sim/ always carry a sequence (the log has no opaque ids yet).
    first = cursor.has_sequence ? cursor.sequence + 1 : oldest;
    if (first < oldest) return {Kind::too_old, 410, std::nullopt, 0};
  }
  return {Kind::open, 0, std::nullopt, first};
}

}  // namespace tether::sim
