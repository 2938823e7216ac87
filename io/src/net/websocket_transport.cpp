// WebSocket (ws/wss) with Boost.Beast: the upgrade carries the bearer token
// and the resume id; pings and pongs count as liveness; close codes map to the
// model's close causes.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <expected>
#include <optional>
#include <string>
#include <tether/io/http_header.hpp>
#include <tether/io/request_hook.hpp>
#include <tether/io/retry_after.hpp>
#include <utility>
#include <vector>

#include "net/asio_transports.hpp"
#include "net/connection_base.hpp"
#include "net/socket_setup.hpp"
#include "net/tls_setup.hpp"

namespace tether::io::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

// A close frame's code as the model's cause: 1000/1001 ended on purpose; a
// malformed or oversized message is the server's protocol error; 1006 means no
// close frame came at all.
model::CloseCause cause_of_close(std::uint16_t code) {
  switch (code) {
    case 1000:
    case 1001:
      return model::CloseCause::clean_close;
    case 1002:
    case 1003:
    case 1007:
    case 1009:
      return model::CloseCause::protocol_error;
    case 1005:
    case 1006:
      return model::CloseCause::unexpected_eof;
    default:
      return model::CloseCause::transport_error;
  }
}

struct WsSettings {
  Url url;
  HttpOptions http;
  WebSocketOptions websocket;
};

template <class NextLayer>
class WsConnection final : public ConnectionBase,
                           public std::enable_shared_from_this<WsConnection<NextLayer>> {
 public:
  WsConnection(asio::io_context& io, NextLayer next, const WsSettings& settings, Clock& clock,
               ConnectRequest request, std::string resume, bool tls_insecure,
               TransportListener& listener)
      : ws_(std::move(next)),
        resolver_(io),
        settings_(settings),
        clock_(clock),
        request_(std::move(request)),
        // The request hook's request (its path, query and headers), else the
        // configured one; the host is the configured origin's either way.
        attempt_(request_.request
                     ? std::move(*request_.request)
                     : AttemptRequest{settings_.url, "GET", settings_.http.headers, {}}),
        resume_(std::move(resume)),
        tls_insecure_(tls_insecure),
        listener_(listener) {}

  void start() {
    resolver_.async_resolve(
        settings_.url.host, std::to_string(settings_.url.port),
        [self = this->shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
          if (self->cancelled_) return;
          if (ec)
            return self->end(model::CloseCause::transport_error,
                             "resolve " + self->settings_.url.host + ": " + ec.message());
          beast::get_lowest_layer(self->ws_).async_connect(
              r, [self](beast::error_code e, const tcp::endpoint&) { self->on_connected(e); });
        });
  }

  void cancel() override {
    cancelled_ = true;
    resolver_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

 private:
  void end(model::CloseCause cause, std::string detail) {
    if (cancelled_) return;
    cancelled_ = true;
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    listener_.on_closed(cause, detail);
  }

  void on_connected(beast::error_code ec) {
    if (cancelled_) return;
    const Url& url = settings_.url;
    if (ec)
      return end(model::CloseCause::transport_error,
                 "connect " + url.host + ":" + std::to_string(url.port) + ": " + ec.message());
    tune_socket(beast::get_lowest_layer(ws_).socket());
    if constexpr (std::is_same_v<NextLayer, beast::ssl_stream<beast::tcp_stream>>) {
      if (auto error =
              prepare_tls_stream(ws_.next_layer().native_handle(), url.host, tls_insecure_))
        return end(model::CloseCause::transport_error, *error);
      ws_.next_layer().async_handshake(
          asio::ssl::stream_base::client,
          [self = this->shared_from_this()](beast::error_code e) { self->on_tls_handshake(e); });
    } else {
      upgrade();
    }
  }

  void on_tls_handshake(beast::error_code ec) {
    if (cancelled_) return;
    if constexpr (std::is_same_v<NextLayer, beast::ssl_stream<beast::tcp_stream>>) {
      if (ec) {
        // A refused certificate comes back on every retry; a reset does not.
        const TlsFailure failure = describe_tls_failure(ws_.next_layer().native_handle(), ec);
        const Url& url = settings_.url;
        return end(failure.verification ? model::CloseCause::unrecoverable
                                        : model::CloseCause::transport_error,
                   "TLS handshake with " + url.host + ":" + std::to_string(url.port) + ": " +
                       failure.text);
      }
    }
    upgrade();
  }

  void upgrade() {
    const Url& url = settings_.url;
    std::string target = attempt_.url.target;
    if (!resume_.empty() && settings_.http.cursor_query_parameter)
      target = with_query_parameter(target, *settings_.http.cursor_query_parameter, resume_);
    ws_.set_option(websocket::stream_base::decorator([this](websocket::request_type& req) {
      req.set(http::field::user_agent, "tether/0.1");
      if (!request_.bearer_token.empty())
        req.set(http::field::authorization, "Bearer " + request_.bearer_token);
      if (!resume_.empty() && settings_.http.cursor_header) req.set("Last-Event-ID", resume_);
      if (!settings_.websocket.subprotocol.empty())
        req.set(http::field::sec_websocket_protocol, settings_.websocket.subprotocol);
      for (const auto& [name, value] : attempt_.headers) req.set(name, value);
    }));
    ws_.read_message_max(settings_.websocket.message_bytes_max);
    ws_.control_callback([this](websocket::frame_type, beast::string_view) {
      if (!cancelled_) listener_.on_bytes();  // ping/pong: the link is alive
    });
    ws_.async_handshake(
        response_, url.host_header(), target,
        [self = this->shared_from_this()](beast::error_code ec) { self->on_upgraded(ec); });
  }

  // The upgrade's answer, for the response hook, before it is acted on.
  void report_response() {
    ResponseHead head;
    const unsigned status = response_.result_int();
    head.http_status = static_cast<std::uint16_t>(status > 65535 ? 0 : status);
    for (const auto& f : response_) {
      const auto name = f.name_string();
      const auto value = f.value();
      head.headers.emplace_back(std::string(name.data(), name.size()),
                                std::string(value.data(), value.size()));
    }
    listener_.on_response(head);
  }

  void on_upgraded(beast::error_code ec) {
    if (cancelled_) return;
    if (response_.result_int() != 0) {
      report_response();
      if (cancelled_) return;
    }
    if (ec == websocket::error::upgrade_declined ||
        (ec && response_.result_int() != 0 && response_.result_int() != 101)) {
      std::optional<std::int64_t> retry_after;
      const auto value = response_[http::field::retry_after];
      if (!value.empty())
        retry_after =
            retry_after_ms(std::string_view(value.data(), value.size()), clock_.unix_now_ms());
      cancelled_ = true;
      beast::error_code ignored;
      beast::get_lowest_layer(ws_).socket().close(ignored);
      const auto reason = response_.reason();
      const unsigned status = response_.result_int();
      listener_.on_rejected(static_cast<std::uint16_t>(status > 65535 ? 0 : status), retry_after,
                            std::string_view(reason.data(), reason.size()));
      return;
    }
    if (ec == asio::error::eof || ec == http::error::end_of_stream)
      return end(model::CloseCause::unexpected_eof,
                 "server closed the connection during the upgrade");
    if (ec) return end(model::CloseCause::protocol_error, "WebSocket upgrade: " + ec.message());
    subscribe(0);
  }

  // Session restore: the subscribe messages, in order, on every connection,
  // before it counts as open, so no delivery is taken for caught up before
  // the subscription that brings it. Their text may carry credentials: an
  // error names the message's number, never its text.
  void subscribe(std::size_t next) {
    const std::vector<std::string>& messages = settings_.websocket.subscribe;
    if (next == messages.size()) {
      listener_.on_opened();
      if (cancelled_) return;
      return read();
    }
    outgoing_ = with_cursor(messages[next], resume_);
    ws_.text(true);
    ws_.async_write(asio::buffer(outgoing_), [self = this->shared_from_this(), next](
                                                 beast::error_code ec, std::size_t) {
      if (self->cancelled_) return;
      if (ec)
        return self->end(model::CloseCause::transport_error,
                         "WebSocket subscribe message " + std::to_string(next + 1) + " of " +
                             std::to_string(self->settings_.websocket.subscribe.size()) + ": " +
                             ec.message());
      self->subscribe(next + 1);
    });
  }

  // "{cursor}" becomes the resume id (empty when there is none).
  static std::string with_cursor(std::string text, const std::string& resume) {
    for (std::size_t at = text.find("{cursor}"); at != std::string::npos;
         at = text.find("{cursor}", at + resume.size()))
      text.replace(at, 8, resume);
    return text;
  }

  void resume_reading() override {
    if (parked_ && !cancelled_) {
      parked_ = false;
      read();
    }
  }

  void read() {
    if (*paused_) {
      parked_ = true;
      return;
    }
    ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (cancelled_) return;
    if (ec == websocket::error::closed) {
      const auto& reason = ws_.reason();
      const auto code = static_cast<std::uint16_t>(reason.code);
      return end(
          cause_of_close(code),
          "WebSocket closed by the server: code " + std::to_string(code) +
              (reason.reason.empty() ? "" : " \"" + std::string(reason.reason.c_str()) + "\""));
    }
    if (ec == websocket::error::message_too_big)  // the server resends it on every retry
      return end(model::CloseCause::unrecoverable,
                 "WebSocket message larger than message_bytes_max (" +
                     std::to_string(settings_.websocket.message_bytes_max) +
                     " bytes): a retry would receive the same message; raise "
                     "WebSocketOptions::message_bytes_max (tether-watch --ws-message-bytes-max)");
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated)
      return end(model::CloseCause::unexpected_eof,
                 "connection closed without a WebSocket close frame");
    if (ec) return end(model::CloseCause::transport_error, "WebSocket read: " + ec.message());
    const auto bytes = buffer_.cdata();
    std::string_view frame(static_cast<const char*>(bytes.data()), bytes.size());
    listener_.on_received(frame.size());
    Message message{"message", frame, std::nullopt, std::nullopt};
    if (settings_.websocket.nchan_meta_frames) {
      // "id: <id>\ncontent-type: <type>\n\n<payload>"
      const std::size_t split = frame.find("\n\n");
      if (split == std::string_view::npos)
        return end(model::CloseCause::protocol_error, "ws+meta.nchan frame without a header block");
      std::string_view head = frame.substr(0, split);
      message.data = frame.substr(split + 2);
      while (!head.empty()) {
        const std::size_t eol = head.find('\n');
        const std::string_view line = head.substr(0, eol);
        if (line.starts_with("id: ")) last_id_.assign(line.substr(4));
        head = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 1);
      }
    }
    if (!last_id_.empty()) message.id = last_id_;
    listener_.on_message(message);
    if (cancelled_) return;
    buffer_.consume(buffer_.size());
    read();
  }

  websocket::stream<NextLayer> ws_;
  tcp::resolver resolver_;
  const WsSettings& settings_;
  Clock& clock_;
  ConnectRequest request_;
  AttemptRequest attempt_;
  std::string resume_;
  bool tls_insecure_;
  TransportListener& listener_;
  websocket::response_type response_;
  beast::flat_buffer buffer_;
  std::string outgoing_;  // the subscribe message being written
  std::string last_id_;
  bool cancelled_ = false;
  bool parked_ = false;

 public:
  const bool* paused_ = nullptr;  // the transport's flag
};

class WebSocketTransport final : public Transport {
 public:
  WebSocketTransport(asio::io_context& io, TlsContext tls, WsSettings settings, Clock& clock)
      : io_(io), tls_(std::move(tls)), settings_(std::move(settings)), clock_(clock) {}
  ~WebSocketTransport() override { close(); }

  // The upgrade is not redirected (Beast does not follow a 3xx: it is a
  // declined upgrade, classified by its status), so the URL's own scheme
  // decides TLS. A bad token, header or resume id, or TLS that cannot be set
  // up, ends the attempt as unrecoverable: a retry would meet them again.
  void open(const ConnectRequest& request, TransportListener& listener) override {
    close();
    std::string resume = resume_id(request);
    if (auto bad = check_request(request, resume); !bad) return fail(bad.error(), listener);
    if (!settings_.url.tls()) {
      return start(std::make_shared<WsConnection<beast::tcp_stream>>(
          io_, beast::tcp_stream(io_), settings_, clock_, request, std::move(resume), false,
          listener));
    }
    auto context = tls_.get();
    if (!context) return fail(context.error(), listener);
    using TlsStream = beast::ssl_stream<beast::tcp_stream>;
    start(std::make_shared<WsConnection<TlsStream>>(io_, TlsStream(io_, **context), settings_,
                                                    clock_, request, std::move(resume),
                                                    tls_.insecure(), listener));
  }

  void set_paused(bool paused) override {
    paused_ = paused;
    if (!paused && connection_) connection_->resume_reading();
  }

  void close() override {
    if (connection_) connection_->cancel();
    connection_.reset();
  }

 private:
  std::expected<void, std::string> check_request(const ConnectRequest& request,
                                                 const std::string& resume) const {
    const auto& headers = request.request ? request.request->headers : settings_.http.headers;
    if (auto bad = check_request_headers(request.bearer_token, headers); !bad) return bad;
    if (auto bad = check_header_value(resume); !bad && settings_.http.cursor_header)
      return std::unexpected("the resume id (Last-Event-ID) " + bad.error());
    if (auto bad = check_header_value(settings_.websocket.subprotocol); !bad)
      return std::unexpected("the subprotocol (WebSocketOptions::subprotocol) " + bad.error());
    return {};
  }

  template <class C>
  void start(std::shared_ptr<C> connection) {
    connection->paused_ = &paused_;
    connection_ = connection;
    connection->start();
  }

  void fail(std::string detail, TransportListener& listener) {
    auto failed = std::make_shared<FailedConnection>(model::CloseCause::unrecoverable,
                                                     std::move(detail), listener);
    connection_ = failed;
    failed->start(io_);
  }

  asio::io_context& io_;
  TlsContext tls_;
  WsSettings settings_;
  Clock& clock_;
  std::shared_ptr<ConnectionBase> connection_;
  bool paused_ = false;
};

}  // namespace

std::unique_ptr<Transport> make_websocket_transport(asio::io_context& io, TlsContext tls, Url url,
                                                    HttpOptions http, WebSocketOptions websocket,
                                                    Clock& clock) {
  return std::make_unique<WebSocketTransport>(
      io, std::move(tls), WsSettings{std::move(url), std::move(http), std::move(websocket)}, clock);
}

}  // namespace tether::io::net
