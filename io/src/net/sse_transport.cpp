// SSE over HTTP/1.1 and HTTPS with Boost.Beast: one Connection object per
// attempt (and per redirect hop), cancelled by close().
#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <limits>
#include <optional>
#include <string>
#include <tether/io/http_header.hpp>
#include <tether/io/redirect.hpp>
#include <tether/io/request_hook.hpp>
#include <tether/io/retry_after.hpp>
#include <tether/io/sse_stream.hpp>
#include <utility>

#include "net/asio_transports.hpp"
#include "net/connection_base.hpp"
#include "net/socket_setup.hpp"
#include "net/tls_setup.hpp"

namespace tether::io::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

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

using Problem = std::pair<model::CloseCause, std::string>;

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string field(const http::fields& fields, http::field name) {
  const auto value = fields[name];
  return std::string(value.data(), value.size());
}

// The response head for the response hook (the status clamped as
// on_rejected's is).
ResponseHead head_of(const http::fields& fields, unsigned status) {
  ResponseHead head;
  head.http_status = static_cast<std::uint16_t>(status > 65535 ? 0 : status);
  for (const auto& f : fields) {
    const auto name = f.name_string();
    const auto value = f.value();
    head.headers.emplace_back(std::string(name.data(), name.size()),
                              std::string(value.data(), value.size()));
  }
  return head;
}

// A coding list ("gzip, chunked") holding something other than `allowed`
// (and identity): the first such coding.
std::optional<std::string> foreign_coding(std::string_view list, std::string_view allowed) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view coding = list.substr(0, comma);
    while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t'))
      coding.remove_prefix(1);
    while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t'))
      coding.remove_suffix(1);
    if (!coding.empty() && !equals_ignoring_case(coding, "identity") &&
        !equals_ignoring_case(coding, allowed))
      return printable(coding, 40);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  return std::nullopt;
}

// A 200 that is no readable event stream. The wrong type may be a passing
// misroute (retried); an encoding or charset tether cannot read comes back on
// every retry (unrecoverable). tether sends no Accept-Encoding, so a compressed
// stream is the server's misconfiguration.
std::optional<Problem> stream_head_problem(const http::fields& head) {
  const std::string type = field(head, http::field::content_type);
  if (!is_event_stream(type))
    return Problem{
        model::CloseCause::protocol_error,
        "HTTP 200 with Content-Type '" + printable(type) + "', expected text/event-stream"};
  if (const auto charset = media_type_parameter(type, "charset");
      charset && !equals_ignoring_case(*charset, "utf-8") &&
      !equals_ignoring_case(*charset, "utf8"))
    return Problem{model::CloseCause::unrecoverable,
                   "HTTP 200 with charset '" + printable(*charset, 40) +
                       "': an event stream is UTF-8 only (the server is misconfigured)"};
  if (const auto coding = foreign_coding(field(head, http::field::content_encoding), "identity"))
    return Problem{model::CloseCause::unrecoverable,
                   "HTTP 200 with Content-Encoding '" + *coding +
                       "': tether sends no Accept-Encoding and does not decode compressed streams "
                       "(the server is misconfigured)"};
  if (const auto coding = foreign_coding(field(head, http::field::transfer_encoding), "chunked"))
    return Problem{model::CloseCause::unrecoverable,
                   "HTTP 200 with Transfer-Encoding '" + *coding + "': tether does not decode it"};
  return std::nullopt;
}

// An SSE limit exceeded: the server sends the same bytes on every retry.
class SseTransport;

// One hop of a connection attempt: the URL, how many redirects led here, and
// whether credentials (token, extra headers) still go along.
struct Hop {
  Url url;
  int redirects = 0;
  bool credentials = true;
};

template <class Stream>
class Connection final : public ConnectionBase,
                         public std::enable_shared_from_this<Connection<Stream>> {
 public:
  Connection(SseTransport& owner, Stream stream, Hop hop, http::request<http::string_body> request,
             TransportListener& listener);
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
  void on_handshake(beast::error_code ec);
  void send_request();
  void on_header(beast::error_code ec);
  void on_header_error(beast::error_code ec);
  void follow_redirect(unsigned status);
  void reject(unsigned status);
  void read_body();
  void on_body(beast::error_code ec);
  void on_body_error(beast::error_code ec);
  void close_socket();
  void end(model::CloseCause cause, std::string detail);

  SseTransport& owner_;
  Stream stream_;
  tcp::resolver resolver_;
  Hop hop_;
  TransportListener& listener_;
  http::request<http::string_body> request_;
  beast::flat_buffer raw_;
  std::optional<http::response_parser<http::buffer_body>> parser_;
  std::array<char, 64 * 1024> body_{};
  bool cancelled_ = false;
  bool parked_ = false;  // paused: no read outstanding
};

class SseTransport final : public Transport {
 public:
  SseTransport(asio::io_context& io, TlsContext tls, Url url, HttpOptions http, SseOptions sse,
               Clock& clock)
      : io_(io),
        tls_(std::move(tls)),
        rules_{std::move(url), std::move(http), std::move(sse), false},
        clock_(clock),
        stream_(rules_.sse.limits, rules_.sse.signals, rules_.sse.deliver_comments) {}
  ~SseTransport() override { close(); }

  void open(const ConnectRequest& request, TransportListener& listener) override {
    close();
    request_ = request;
    // The request hook's request, else the configured one.
    attempt_ = request.request ? *request.request : planned_request(rules_, request);
    resume_id_ = resume_id(request);
    forced_get_ = false;
    // The stream's last event ID starts as the id we resume from, but only if
    // it is the server's own id (a token): a sequence cursor is our number.
    stream_.begin(
        request.from == model::ResumeFrom::cursor && request.cursor.kind == model::CursorKind::token
            ? std::string_view(resume_id_)
            : std::string_view{},
        listener);
    connect(Hop{attempt_.url, 0, true}, listener);
  }

  void close() override {
    stream_.cancel();
    if (connection_) connection_->cancel();
    connection_.reset();
  }

  void set_paused(bool paused) override {
    paused_ = paused;
    if (!paused && connection_) connection_->resume_reading();
  }
  bool paused() const { return paused_; }

  // A new connection for `hop` (the first, or a redirect); replaces (and
  // drops) the current one. A request that cannot be built safely, or TLS
  // that cannot be set up, ends the attempt as unrecoverable: a retry would
  // meet the same token, headers or CA file.
  void connect(const Hop& hop, TransportListener& listener) {
    auto request = make_request(hop);
    if (!request) return fail(model::CloseCause::unrecoverable, request.error(), listener);
    if (!hop.url.tls()) {
      return start(std::make_shared<Connection<beast::tcp_stream>>(
          *this, beast::tcp_stream(io_), hop, std::move(*request), listener));
    }
    auto context = tls_.get();
    if (!context) return fail(model::CloseCause::unrecoverable, context.error(), listener);
    using TlsStream = beast::ssl_stream<beast::tcp_stream>;
    start(std::make_shared<Connection<TlsStream>>(*this, TlsStream(io_, **context), hop,
                                                  std::move(*request), listener));
  }

  // Credentials and extra headers (the configured ones, or the request
  // hook's in their place) go only where hop.credentials allows; every value
  // is checked first (a CR or LF would inject header lines).
  std::expected<http::request<http::string_body>, std::string> make_request(const Hop& hop) const {
    const HttpOptions& options = rules_.http;
    if (hop.credentials) {
      if (auto bad = check_request_headers(request_.bearer_token, attempt_.headers); !bad)
        return std::unexpected(bad.error());
    }
    const bool resume_header = !resume_id_.empty() && options.cursor_header;
    if (auto bad = check_header_value(resume_id_); resume_header && !bad)
      return std::unexpected("the resume id (Last-Event-ID) " + bad.error());
    // POST and REPORT carry the body (check_method and validate() allow no
    // other method); a 303 turned the rest of the attempt into a GET.
    const bool with_body = !forced_get_ && attempt_.method != "GET";
    std::string target = hop.url.target;
    if (!resume_id_.empty() && options.cursor_query_parameter)
      target = with_query_parameter(target, *options.cursor_query_parameter, resume_id_);
    const http::verb verb = !with_body                    ? http::verb::get
                            : attempt_.method == "REPORT" ? http::verb::report
                                                          : http::verb::post;
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, hop.url.host_header());
    req.set(http::field::accept, "text/event-stream");
    req.set(http::field::cache_control, "no-cache");
    req.set(http::field::user_agent, "tether/0.1");
    if (hop.credentials && !request_.bearer_token.empty())
      req.set(http::field::authorization, "Bearer " + request_.bearer_token);
    if (resume_header) req.set("Last-Event-ID", resume_id_);
    // Before the extra headers: a Content-Type among them replaces it.
    if (with_body) req.set(http::field::content_type, rules_.sse.body_content_type);
    if (hop.credentials)
      for (const auto& [name, value] : attempt_.headers) req.set(name, value);
    if (with_body) {
      std::string body = attempt_.body;
      for (std::size_t at = body.find("{cursor}"); at != std::string::npos;
           at = body.find("{cursor}", at + resume_id_.size()))
        body.replace(at, 8, resume_id_);
      req.body() = std::move(body);
    }
    req.prepare_payload();
    return req;
  }

  // Whether a hop without credentials leaves anything behind (worth a notice).
  bool has_credentials() const {
    return !request_.bearer_token.empty() || !attempt_.headers.empty();
  }

  asio::io_context& io() { return io_; }
  const HttpOptions& http_options() const { return rules_.http; }
  Clock& clock() { return clock_; }
  SseStream& stream() { return stream_; }
  bool tls_insecure() const { return tls_.insecure(); }
  bool forced_get_ = false;  // after a 303

 private:
  template <class C>
  void start(std::shared_ptr<C> connection) {
    connection_ = connection;
    connection->start();
  }
  void fail(model::CloseCause cause, std::string text, TransportListener& listener) {
    auto failed = std::make_shared<FailedConnection>(cause, std::move(text), listener);
    connection_ = failed;
    failed->start(io_);
  }

  asio::io_context& io_;
  TlsContext tls_;
  RequestRules rules_;  // the configured URL, headers, method and body
  Clock& clock_;
  SseStream stream_;
  ConnectRequest request_;
  AttemptRequest attempt_;  // what this attempt sends
  std::string resume_id_;
  std::shared_ptr<ConnectionBase> connection_;
  bool paused_ = false;
};

template <class Stream>
Connection<Stream>::Connection(SseTransport& owner, Stream stream, Hop hop,
                               http::request<http::string_body> request,
                               TransportListener& listener)
    : owner_(owner),
      stream_(std::move(stream)),
      resolver_(owner.io()),
      hop_(std::move(hop)),
      listener_(listener),
      request_(std::move(request)) {}

template <class Stream>
void Connection<Stream>::start() {
  resolver_.async_resolve(
      hop_.url.host, std::to_string(hop_.url.port),
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
void Connection<Stream>::close_socket() {
  cancelled_ = true;
  beast::error_code ignored;
  beast::get_lowest_layer(stream_).socket().close(ignored);
}

template <class Stream>
void Connection<Stream>::end(model::CloseCause cause, std::string detail) {
  if (cancelled_) return;
  close_socket();
  listener_.on_closed(cause, detail);
}

template <class Stream>
void Connection<Stream>::on_resolved(beast::error_code ec,
                                     const tcp::resolver::results_type& results) {
  if (cancelled_) return;
  if (ec)
    return end(model::CloseCause::transport_error,
               "resolve " + hop_.url.host + ": " + ec.message());
  beast::get_lowest_layer(stream_).async_connect(
      results, [self = this->shared_from_this()](beast::error_code e, const tcp::endpoint&) {
        self->on_connected(e);
      });
}

template <class Stream>
void Connection<Stream>::on_connected(beast::error_code ec) {
  if (cancelled_) return;
  const Url& url = hop_.url;
  if (ec)
    return end(model::CloseCause::transport_error,
               "connect " + url.host + ":" + std::to_string(url.port) + ": " + ec.message());
  tune_socket(beast::get_lowest_layer(stream_).socket());
  if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
    if (auto error = prepare_tls_stream(stream_.native_handle(), url.host, owner_.tls_insecure()))
      return end(model::CloseCause::transport_error, *error);
    stream_.async_handshake(
        asio::ssl::stream_base::client,
        [self = this->shared_from_this()](beast::error_code e) { self->on_handshake(e); });
  } else {
    send_request();
  }
}

template <class Stream>
void Connection<Stream>::on_handshake(beast::error_code ec) {
  if (cancelled_) return;
  if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
    if (ec) {
      // A refused certificate comes back on every retry; a reset does not.
      const TlsFailure failure = describe_tls_failure(stream_.native_handle(), ec);
      return end(failure.verification ? model::CloseCause::unrecoverable
                                      : model::CloseCause::transport_error,
                 "TLS handshake with " + hop_.url.host + ":" + std::to_string(hop_.url.port) +
                     ": " + failure.text);
    }
  }
  send_request();
}

template <class Stream>
void Connection<Stream>::send_request() {
  http::async_write(
      stream_, request_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
        if (self->cancelled_) return;
        if (ec)
          return self->end(model::CloseCause::transport_error, "send request: " + ec.message());
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
  if (ec) return on_header_error(ec);
  const unsigned status = parser_->get().result_int();
  if (is_redirect(status)) return follow_redirect(status);
  listener_.on_response(head_of(parser_->get(), status));
  if (cancelled_) return;
  if (status != 200) return reject(status);
  if (auto problem = stream_head_problem(parser_->get()))
    return end(problem->first, std::move(problem->second));
  listener_.on_opened();
  if (cancelled_) return;
  read_body();
}

template <class Stream>
void Connection<Stream>::on_header_error(beast::error_code ec) {
  if (ec == http::error::end_of_stream || ec == asio::error::eof)
    return end(model::CloseCause::unexpected_eof, "server closed the connection before answering");
  if (ec == http::error::header_limit)
    return end(model::CloseCause::protocol_error,
               "response header larger than " +
                   std::to_string(owner_.http_options().header_bytes_max) + " bytes");
  if (ec == http::error::partial_message)
    return end(model::CloseCause::unexpected_eof, "response header truncated");
  if (ec.category() == beast::error_code(http::error::end_of_stream).category())
    return end(model::CloseCause::protocol_error, "malformed HTTP response: " + ec.message());
  end(model::CloseCause::transport_error, "read response: " + ec.message());
}

// Follows a redirect under the rules of <tether/io/redirect.hpp>. Messages
// name origins only: a Location may carry secrets in its path or query.
template <class Stream>
void Connection<Stream>::follow_redirect(unsigned status) {
  const std::string from = "HTTP " + std::to_string(status) + " from " + origin_of(hop_.url);
  const auto location = parser_->get()[http::field::location];
  if (location.empty()) return end(model::CloseCause::protocol_error, from + " without a Location");
  const int redirects_max = owner_.http_options().redirects_max;
  if (hop_.redirects >= redirects_max)
    return end(model::CloseCause::protocol_error,
               "more than " + std::to_string(redirects_max) + " redirects");
  auto next = resolve_location(hop_.url, std::string_view(location.data(), location.size()));
  if (!next)
    return end(
        model::CloseCause::protocol_error,
        from + " with a Location that cannot be followed (not an http(s) URL or an absolute path)");
  auto verdict = check_redirect(hop_.url, *next, hop_.credentials);
  if (!verdict) return end(model::CloseCause::unrecoverable, verdict.error());
  if (verdict->dropped_credentials && owner_.has_credentials()) {
    listener_.on_notice(cross_origin_notice(hop_.url, *next));
    if (cancelled_) return;
  }
  if (status == 303) owner_.forced_get_ = true;
  close_socket();
  owner_.connect(Hop{std::move(*next), hop_.redirects + 1, verdict->credentials}, listener_);
}

template <class Stream>
void Connection<Stream>::reject(unsigned status) {
  const auto& head = parser_->get();
  std::optional<std::int64_t> retry_after;
  const auto value = head[http::field::retry_after];
  if (!value.empty())
    retry_after =
        retry_after_ms(std::string_view(value.data(), value.size()), owner_.clock().unix_now_ms());
  close_socket();
  const auto reason = head.reason();
  listener_.on_rejected(static_cast<std::uint16_t>(status > 65535 ? 0 : status), retry_after,
                        std::string_view(reason.data(), reason.size()));
}

template <class Stream>
void Connection<Stream>::read_body() {
  if (owner_.paused()) {
    parked_ = true;
    return;
  }
  parser_->get().body().data = body_.data();
  parser_->get().body().size = body_.size();
  http::async_read_some(
      stream_, raw_, *parser_,
      [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
}

template <class Stream>
void Connection<Stream>::on_body(beast::error_code ec) {
  if (cancelled_) return;
  if (ec == http::error::need_buffer) ec = {};
  const std::size_t got = body_.size() - parser_->get().body().size;
  // The stream makes the listener calls; it ends the connection itself when
  // a limit is exceeded, and a listener may close it from inside a call.
  if (got > 0 && !owner_.stream().feed(std::string_view(body_.data(), got))) {
    if (!cancelled_) close_socket();
    return;
  }
  if (!ec && parser_->is_done()) {
    close_socket();
    return owner_.stream().finish();
  }
  if (ec) return on_body_error(ec);
  read_body();
}

template <class Stream>
void Connection<Stream>::on_body_error(beast::error_code ec) {
  if (ec == http::error::partial_message || ec == asio::error::eof ||
      ec == http::error::end_of_stream)
    return end(model::CloseCause::unexpected_eof, "connection closed mid-body: " + ec.message());
  if (ec == asio::ssl::error::stream_truncated)
    return end(model::CloseCause::unexpected_eof, "TLS stream truncated");
  const bool http_error = ec.category() == beast::error_code(http::error::end_of_stream).category();
  end(http_error ? model::CloseCause::protocol_error : model::CloseCause::transport_error,
      (http_error ? "malformed HTTP body: " : "read: ") + ec.message());
}

}  // namespace

std::unique_ptr<Transport> make_sse_transport(asio::io_context& io, TlsContext tls, Url url,
                                              HttpOptions http, SseOptions sse, Clock& clock) {
  return std::make_unique<SseTransport>(io, std::move(tls), std::move(url), std::move(http),
                                        std::move(sse), clock);
}

}  // namespace tether::io::net
