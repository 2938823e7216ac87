#include <algorithm>
#include <charconv>
#include <string_view>
#include <tether/sim/server.hpp>

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
  if (lose_history) {
    history_floor_ = head() + 1;
    epoch_starts_.push_back(history_floor_);
  }
}

std::string Server::id_text(std::uint64_t sequence) const {
  // The epoch holding `sequence`: the last one starting at or below it.
  const auto it = std::upper_bound(epoch_starts_.begin(), epoch_starts_.end(), sequence);
  const auto e =
      static_cast<std::uint64_t>(std::max<std::ptrdiff_t>(it - epoch_starts_.begin(), 1));
  std::string text = std::to_string(e) + ":";
  const std::string digits = std::to_string(sequence);
  // Zero-padded to id_bytes: still "<epoch>:<sequence>" to a parser.
  if (params_.id_bytes > text.size() + digits.size())
    text.append(params_.id_bytes - text.size() - digits.size(), '0');
  return text + digits;
}

model::Token Server::id_of(std::uint64_t sequence) const {
  return model::Token::make(id_text(sequence)).value();  // id_bytes <= model::Token::capacity
}

Server::IdField Server::id_field(std::uint64_t sequence) const {
  const std::uint64_t k = params_.id_reset_every;
  if (k == 0 || sequence == 0) return IdField::id;
  const std::uint64_t block = (sequence - 1) / k;  // even blocks carry ids, odd ones do not
  if (block % 2 == 0) return IdField::id;
  return (sequence - 1) % k == 0 ? IdField::reset : IdField::none;
}

std::optional<std::uint64_t> Server::sequence_of(const model::Token& id) const {
  const std::string_view text = id.view();
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::uint64_t e = 0, sequence = 0;
  const auto parse = [](std::string_view part, std::uint64_t& out) {
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
    return ec == std::errc{} && end == part.data() + part.size() && !part.empty();
  };
  if (!parse(text.substr(0, colon), e) || !parse(text.substr(colon + 1), sequence))
    return std::nullopt;
  if (sequence < 1 || sequence > head() || id_text(sequence) != text) return std::nullopt;
  return sequence;
}

std::uint64_t Server::last_streamed_at_or_below(std::uint64_t sequence) const {
  while (sequence > 0 && !streams(sequence)) --sequence;
  return sequence;
}

AuthToken Server::issue_token(Ms now) {
  const AuthToken t{static_cast<std::uint64_t>(tokens_.size()) + 1,
                    now + params_.token_lifetime_ms};
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
  if (params_.auth && (revoked_ > 0 || !token_valid(token, now)))
    return {Kind::status, 401, std::nullopt, 0};
  if (rate_limited_ > 0) return {Kind::status, 429, retry_after_ms_, 0};
  if (erroring_ > 0) {
    const auto hint = params_.error_retry_after_ms > 0
                          ? std::optional<std::int64_t>(params_.error_retry_after_ms)
                          : std::nullopt;
    return {Kind::status, error_status_, hint, 0};
  }
  const std::uint64_t oldest = oldest_retained(now);
  std::uint64_t first = head() + 1;  // server_default and live: new events only
  if (from == model::ResumeFrom::oldest) {
    first = oldest;
  } else if (from == model::ResumeFrom::cursor) {
    if (cursor.kind == model::CursorKind::token) {
      // By the opaque id; an id this server never issued (or no longer knows
      // after a restart that lost the history) is too old.
      const auto sequence = sequence_of(cursor.token);
      if (!sequence) return {Kind::too_old, 410, std::nullopt, 0};
      first = *sequence + 1;
    } else {
      first = cursor.has_sequence ? cursor.sequence + 1 : oldest;
    }
    if (first < oldest) return {Kind::too_old, 410, std::nullopt, 0};
    first = std::max(oldest, first > params_.resume_overlap ? first - params_.resume_overlap : 1);
  }
  return {Kind::open, 0, std::nullopt, first};
}

}  // namespace tether::sim
