#include <tether/io/sse_stream.hpp>
#include <utility>

namespace tether::io {

std::string sse_limit_text(const SseError& error) {
  const bool line = error.limit == SseError::Limit::line_bytes;
  return error.message() + ": a retry would receive the same bytes; raise SseLimits::" +
         std::string(error.limit_name()) + " (tether-watch " +
         (line ? "--line-bytes-max" : "--event-bytes-max") + ")";
}

SseStream::SseStream(SseLimits limits, SseSignals signals, bool deliver_comments)
    : parser_(limits), signals_(std::move(signals)), deliver_comments_(deliver_comments) {}

void SseStream::begin(std::string_view last_event_id, TransportListener& listener) {
  parser_.start_stream(last_event_id);
  listener_ = &listener;
  pending_retry_ms_.reset();
}

bool SseStream::feed(std::string_view chunk) {
  if (listener_ == nullptr) return false;
  listener_->on_received(chunk.size());
  told_ = false;
  const std::uint64_t lines_before = parser_.lines_completed();
  const auto fed = parser_.feed(chunk, *this);
  if (listener_ == nullptr) return false;
  if (!fed) {
    TransportListener& listener = *listener_;
    listener_ = nullptr;
    listener.on_closed(model::CloseCause::unrecoverable, sse_limit_text(fed.error()));
    return false;
  }
  if (!told_ && parser_.lines_completed() != lines_before) listener_->on_bytes();
  return listener_ != nullptr;
}

void SseStream::finish() {
  if (listener_ == nullptr) return;
  const bool partial = parser_.finish();
  TransportListener& listener = *listener_;
  listener_ = nullptr;
  listener.on_closed(
      model::CloseCause::clean_close,
      partial ? "stream ended (an unterminated final event was discarded)" : "stream ended");
}

void SseStream::on_event(const SseEvent& event) {
  if (listener_ == nullptr) return;
  told_ = true;
  if (!signals_.cursor_expired_event.empty() && event.type == signals_.cursor_expired_event) {
    pending_retry_ms_.reset();
    return listener_->on_cursor_expired();
  }
  if (!signals_.replay_finished_event.empty() && event.type == signals_.replay_finished_event) {
    pending_retry_ms_.reset();
    return listener_->on_replay_finished();
  }
  // The id is the stream's last event ID (WHATWG), so an empty one is a reset
  // (`id:` with no value): passed on, it clears the resume cursor.
  const Message message{event.type, event.data,
                        std::optional<std::string_view>(event.last_event_id), pending_retry_ms_};
  pending_retry_ms_.reset();
  listener_->on_message(message);
}

// The text first, then the liveness: a listener that closes the connection
// from inside on_comment() gets no on_bytes() after it.
void SseStream::on_comment(std::string_view text) {
  if (listener_ == nullptr) return;
  told_ = true;
  if (deliver_comments_) {
    listener_->on_comment(text);
    if (listener_ == nullptr) return;
  }
  listener_->on_bytes();
}

void SseStream::on_retry(std::uint64_t retry_ms) {
  constexpr std::uint64_t retry_ms_max = 24ull * 3600 * 1000;
  pending_retry_ms_ = static_cast<std::int64_t>(retry_ms < retry_ms_max ? retry_ms : retry_ms_max);
}

}  // namespace tether::io
