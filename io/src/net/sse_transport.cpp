// SSE over HTTP/1.1 and HTTPS with Boost.Beast: one Connection object per
// attempt (and per redirect hop), cancelled by close().
#include <utility>

#include <array>
#include <limits>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "net/asio_transports.hpp"
#include "net/tls_setup.hpp"
#include <tether/io/retry_after.hpp>

namespace tether::io::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string resume_id(const ConnectRequest& request) {
  if (request.from != model::ResumeFrom::cursor) return {};
  switch (request.cursor.kind) {
    case model::CursorKind::token: return std::string(request.cursor.token.view());
    case model::CursorKind::sequence: return std::to_string(request.cursor.sequence);
    default: return {};
  }
}

bool is_event_stream(std::string_view content_type) {
  constexpr std::string_view want = "text/event-stream";
  while (!content_type.empty() && content_type.front() == ' ') content_type.remove_prefix(1);
  if (content_type.size() < want.size()) return false;
  for (std::size_t i = 0; i < want.size(); ++i) {
    char c = content_type[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != want[i]) return false;
  }
  const std::string_view rest = content_type.substr(want.size());
  return rest.empty() || rest.front() == ';' || rest.front() == ' ';
}

namespace {

class SseTransport;

class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual void cancel() = 0;
  virtual void resume_reading() = 0;
};

template <class Stream>
class Connection final : public ConnectionBase,
                         public std::enable_shared_from_this<Connection<Stream>>,
                         private SseSink {
 public:
  Connection(SseTransport& owner, Stream stream, Url url, int redirects, TransportListener& listener);
  void start();
  void cancel() override;
  void resume_reading() override {
    if (parked_ && !cancelled_) {
      parked_ = false;
      read_body();
    }
  }

 private:
  void on_resolved(beast::error_code ec, const tcp::resolver::results_type& results);
  void on_connected(beast::error_code ec);
  void send_request();
  void on_header(beast::error_code ec);
  void read_body();
  void on_body(beast::error_code ec);
  void end(model::CloseCause cause, std::string detail);
  // SseSink
  void on_event(const SseEvent& event) override;
  void on_comment(std::string_view text) override;
  void on_retry(std::uint64_t retry_ms) override;

  SseTransport& owner_;
  Stream stream_;
  tcp::resolver resolver_;
  Url url_;
  int redirects_;
  TransportListener& listener_;
  http::request<http::string_body> request_;
  beast::flat_buffer raw_;
  std::optional<http::response_parser<http::buffer_body>> parser_;
  std::array<char, 64 * 1024> body_{};
  std::optional<std::int64_t> pending_retry_ms_;
  bool cancelled_ = false;
  bool parked_ = false;  // paused: no read outstanding
  bool told_ = false;  // a listener call happened during this read
};

class SseTransport final : public Transport {
 public:
  SseTransport(asio::io_context& io, asio::ssl::context* tls, Url url, HttpOptions http,
               SseOptions sse, Clock& clock)
      : io_(io), tls_(tls), url_(std::move(url)), http_(std::move(http)), sse_(std::move(sse)),
        clock_(clock), parser_(sse_.limits) {}
  ~SseTransport() override { close(); }

  void open(const ConnectRequest& request, TransportListener& listener) override {
    close();
    request_ = request;
    resume_id_ = resume_id(request);
    // The stream's last event ID starts as the id we resume from, but only if
    // it is the server's own id (a token): a sequence cursor is our number.
    parser_.start_stream(request.from == model::ResumeFrom::cursor &&
                                 request.cursor.kind == model::CursorKind::token
                             ? std::string_view(resume_id_)
                             : std::string_view{});
    connect(url_, 0, listener);
  }

  void close() override {
    if (connection_) connection_->cancel();
    connection_.reset();
  }

  void set_paused(bool paused) override {
    paused_ = paused;
    if (!paused && connection_) connection_->resume_reading();
  }
  bool paused() const { return paused_; }

  // A new connection to `url` (the first, or a redirect hop).
  void connect(const Url& url, int redirects, TransportListener& listener) {
    if (url.tls()) {
      auto c = std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(
          *this, beast::ssl_stream<beast::tcp_stream>(io_, *tls_), url, redirects, listener);
      connection_ = c;
      c->start();
    } else {
      auto c = std::make_shared<Connection<beast::tcp_stream>>(*this, beast::tcp_stream(io_), url,
                                                               redirects, listener);
      connection_ = c;
      c->start();
    }
  }

  http::request<http::string_body> make_request(const Url& url, bool force_get) const {
    const bool post = !force_get && sse_.method == "POST";
    std::string target = url.target;
    if (!resume_id_.empty() && http_.cursor_query_parameter)
      target = with_query_parameter(target, *http_.cursor_query_parameter, resume_id_);
    http::request<http::string_body> req{post ? http::verb::post : http::verb::get, target, 11};
    req.set(http::field::host, url.host_header());
    req.set(http::field::accept, "text/event-stream");
    req.set(http::field::cache_control, "no-cache");
    req.set(http::field::user_agent, "tether/0.1");
    if (!request_.bearer_token.empty())
      req.set(http::field::authorization, "Bearer " + request_.bearer_token);
    if (!resume_id_.empty() && http_.cursor_header) req.set("Last-Event-ID", resume_id_);
    for (const auto& [name, value] : http_.headers) req.set(name, value);
    if (post) {
      std::string body = sse_.body_template;
      for (std::size_t at = body.find("{cursor}"); at != std::string::npos;
           at = body.find("{cursor}", at + resume_id_.size()))
        body.replace(at, 8, resume_id_);
      req.set(http::field::content_type, sse_.body_content_type);
      req.body() = std::move(body);
    }
    req.prepare_payload();
    return req;
  }

  asio::io_context& io() { return io_; }
  const HttpOptions& http_options() const { return http_; }
  Clock& clock() { return clock_; }
  SseParser& parser() { return parser_; }
  bool tls_insecure() const { return tls_insecure_; }
  void set_tls_insecure(bool insecure) { tls_insecure_ = insecure; }
  bool forced_get_ = false;  // after a 303

 private:
  asio::io_context& io_;
  asio::ssl::context* tls_;
  Url url_;
  HttpOptions http_;
  SseOptions sse_;
  Clock& clock_;
  SseParser parser_;
  ConnectRequest request_;
  std::string resume_id_;
  std::shared_ptr<ConnectionBase> connection_;
  bool tls_insecure_ = false;
  bool paused_ = false;
};

template <class Stream>
Connection<Stream>::Connection(SseTransport& owner, Stream stream, Url url, int redirects,
                               TransportListener& listener)
    : owner_(owner), stream_(std::move(stream)), resolver_(owner.io()), url_(std::move(url)),
      redirects_(redirects), listener_(listener) {}

template <class Stream>
void Connection<Stream>::start() {
  resolver_.async_resolve(url_.host, std::to_string(url_.port),
                          [self = this->shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
                            self->on_resolved(ec, r);
                          });
}

template <class Stream>
void Connection<Stream>::cancel() {
  cancelled_ = true;
  resolver_.cancel();
  beast::error_code ignored;
  beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(stream_).socket().close(ignored);
}

template <class Stream>
void Connection<Stream>::end(model::CloseCause cause, std::string detail) {
  if (cancelled_) return;
  cancelled_ = true;
  beast::error_code ignored;
  beast::get_lowest_layer(stream_).socket().close(ignored);
  listener_.on_closed(cause, detail);
}

template <class Stream>
void Connection<Stream>::on_resolved(beast::error_code ec, const tcp::resolver::results_type& results) {
  if (cancelled_) return;
  if (ec) return end(model::CloseCause::transport_error, "resolve " + url_.host + ": " + ec.message());
  beast::get_lowest_layer(stream_).async_connect(
      results, [self = this->shared_from_this()](beast::error_code e, const tcp::endpoint&) {
        self->on_connected(e);
      });
}

template <class Stream>
void Connection<Stream>::on_connected(beast::error_code ec) {
  if (cancelled_) return;
  if (ec)
    return end(model::CloseCause::transport_error,
               "connect " + url_.host + ":" + std::to_string(url_.port) + ": " + ec.message());
  beast::get_lowest_layer(stream_).socket().set_option(tcp::no_delay(true), ec);
  if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
    if (auto error = prepare_tls_stream(stream_.native_handle(), url_.host, owner_.tls_insecure()))
      return end(model::CloseCause::transport_error, *error);
    stream_.async_handshake(asio::ssl::stream_base::client,
                            [self = this->shared_from_this()](beast::error_code e) {
                              if (self->cancelled_) return;
                              if (e)
                                return self->end(model::CloseCause::transport_error,
                                                 "TLS handshake with " + self->url_.host + ": " + tls_error_text(e));
                              self->send_request();
                            });
  } else {
    send_request();
  }
}

template <class Stream>
void Connection<Stream>::send_request() {
  request_ = owner_.make_request(url_, owner_.forced_get_);
  http::async_write(stream_, request_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
    if (self->cancelled_) return;
    if (ec) return self->end(model::CloseCause::transport_error, "send request: " + ec.message());
    self->parser_.emplace();
    // A stream is endless; SseLimits bound memory. (Not boost::none: Beast
    // 1.74 compares a Content-Length against an empty optional as "exceeded".)
    self->parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    self->parser_->header_limit(self->owner_.http_options().header_bytes_max);
    http::async_read_header(self->stream_, self->raw_, *self->parser_,
                            [self](beast::error_code e, std::size_t) { self->on_header(e); });
  });
}

template <class Stream>
void Connection<Stream>::on_header(beast::error_code ec) {
  if (cancelled_) return;
  if (ec == http::error::end_of_stream || ec == asio::error::eof)
    return end(model::CloseCause::unexpected_eof, "server closed the connection before answering");
  if (ec == http::error::header_limit)
    return end(model::CloseCause::protocol_error,
               "response header larger than " + std::to_string(owner_.http_options().header_bytes_max) + " bytes");
  if (ec == http::error::partial_message)
    return end(model::CloseCause::unexpected_eof, "response header truncated");
  if (ec && ec.category() == beast::error_code(http::error::end_of_stream).category()) {
    return end(model::CloseCause::protocol_error, "malformed HTTP response: " + ec.message());
  }
  if (ec) return end(model::CloseCause::transport_error, "read response: " + ec.message());
  const auto& head = parser_->get();
  const unsigned status = head.result_int();
  if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
    const auto location = head[http::field::location];
    if (location.empty())
      return end(model::CloseCause::protocol_error, "HTTP " + std::to_string(status) + " without a Location");
    if (redirects_ >= owner_.http_options().redirects_max)
      return end(model::CloseCause::protocol_error,
                 "more than " + std::to_string(owner_.http_options().redirects_max) + " redirects");
    auto next = resolve_location(url_, std::string_view(location.data(), location.size()));
    if (!next) return end(model::CloseCause::protocol_error, next.error());
    if (status == 303) owner_.forced_get_ = true;
    cancelled_ = true;
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
    owner_.connect(*next, redirects_ + 1, listener_);  // replaces (and drops) this connection
    return;
  }
  if (status != 200) {
    std::optional<std::int64_t> retry_after;
    const auto value = head[http::field::retry_after];
    if (!value.empty())
      retry_after = retry_after_ms(std::string_view(value.data(), value.size()), owner_.clock().unix_now_ms());
    cancelled_ = true;
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
    const auto reason = head.reason();
    listener_.on_rejected(static_cast<std::uint16_t>(status > 65535 ? 0 : status), retry_after,
                          std::string_view(reason.data(), reason.size()));
    return;
  }
  const auto type = head[http::field::content_type];
  if (!is_event_stream(std::string_view(type.data(), type.size())))
    return end(model::CloseCause::protocol_error,
               "HTTP 200 with Content-Type '" + std::string(type.data(), type.size()) +
                   "', expected text/event-stream");
  listener_.on_opened();
  if (cancelled_) return;
  read_body();
}

template <class Stream>
void Connection<Stream>::read_body() {
  if (owner_.paused()) {
    parked_ = true;
    return;
  }
  parser_->get().body().data = body_.data();
  parser_->get().body().size = body_.size();
  http::async_read_some(stream_, raw_, *parser_,
                        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                          self->on_body(ec);
                        });
}

template <class Stream>
void Connection<Stream>::on_body(beast::error_code ec) {
  if (cancelled_) return;
  if (ec == http::error::need_buffer) ec = {};
  const std::size_t got = body_.size() - parser_->get().body().size;
  if (got > 0) {
    told_ = false;
    const auto fed = owner_.parser().feed(std::string_view(body_.data(), got), *this);
    if (cancelled_) return;
    if (!fed) return end(model::CloseCause::protocol_error, fed.error().message());
    if (!told_) {
      listener_.on_bytes();  // part of a long event: still proof of life
      if (cancelled_) return;
    }
  }
  if (!ec && parser_->is_done()) {
    const bool partial = owner_.parser().finish();
    return end(model::CloseCause::clean_close,
               partial ? "stream ended (an unterminated final event was discarded)" : "stream ended");
  }
  if (ec == http::error::partial_message || ec == asio::error::eof || ec == http::error::end_of_stream)
    return end(model::CloseCause::unexpected_eof, "connection closed mid-body: " + ec.message());
  if (ec == asio::ssl::error::stream_truncated)
    return end(model::CloseCause::unexpected_eof, "TLS stream truncated");
  if (ec) {
    const bool http_error = ec.category() == beast::error_code(http::error::end_of_stream).category();
    return end(http_error ? model::CloseCause::protocol_error : model::CloseCause::transport_error,
               (http_error ? "malformed HTTP body: " : "read: ") + ec.message());
  }
  read_body();
}

template <class Stream>
void Connection<Stream>::on_event(const SseEvent& event) {
  if (cancelled_) return;
  told_ = true;
  // The id is the stream's last event ID (WHATWG), so an empty one is a reset
  // (`id:` with no value): passed on, it clears the resume cursor.
  Message m{event.type, event.data, std::optional<std::string_view>(event.last_event_id), pending_retry_ms_};
  pending_retry_ms_.reset();
  listener_.on_message(m);
}

template <class Stream>
void Connection<Stream>::on_comment(std::string_view) {
  if (cancelled_) return;
  told_ = true;
  listener_.on_bytes();
}

template <class Stream>
void Connection<Stream>::on_retry(std::uint64_t retry_ms) {
  constexpr std::uint64_t retry_ms_max = 24ull * 3600 * 1000;
  pending_retry_ms_ = static_cast<std::int64_t>(retry_ms < retry_ms_max ? retry_ms : retry_ms_max);
}

}  // namespace

std::unique_ptr<Transport> make_sse_transport(asio::io_context& io, asio::ssl::context* tls, Url url,
                                              HttpOptions http, SseOptions sse, Clock& clock) {
  auto transport = std::make_unique<SseTransport>(io, tls, std::move(url), std::move(http), std::move(sse), clock);
  // TlsOptions::insecure_skip_verify_DANGEROUS made the context verify nothing;
  // skip the per-connection name check too.
  transport->set_tls_insecure(tls != nullptr && SSL_CTX_get_verify_mode(tls->native_handle()) == SSL_VERIFY_NONE);
  return transport;
}

}  // namespace tether::io::net
