#pragma once
// What the streaming transports (SSE, WebSocket) hold of their current
// connection, and the connection that fails before any socket exists.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <memory>
#include <string>
#include <tether/io/transport.hpp>
#include <utility>

namespace tether::io::net {

class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual void cancel() = 0;
  virtual void resume_reading() = 0;
};

// Its request cannot be built (a bad token or header) or TLS cannot be set up
// (an unreadable CA file): reports on_closed on the strand, never from inside
// open(), and not at all once cancelled (the transport contract).
class FailedConnection final : public ConnectionBase,
                               public std::enable_shared_from_this<FailedConnection> {
 public:
  FailedConnection(model::CloseCause cause, std::string detail, TransportListener& listener)
      : cause_(cause), detail_(std::move(detail)), listener_(listener) {}
  void start(boost::asio::io_context& io) {
    boost::asio::post(io, [self = shared_from_this()] {
      if (!self->cancelled_) self->listener_.on_closed(self->cause_, self->detail_);
    });
  }
  void cancel() override { cancelled_ = true; }
  void resume_reading() override {}

 private:
  model::CloseCause cause_;
  std::string detail_;
  TransportListener& listener_;
  bool cancelled_ = false;
};

}  // namespace tether::io::net
