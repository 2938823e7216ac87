// The polling transport: synchronous Beast GETs with a deadline, following
// redirects (by the rules of <tether/io/redirect.hpp>), revalidating with
// If-None-Match.
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <limits>
#include <tether/io/http_header.hpp>
#include <tether/io/http_poller.hpp>
#include <tether/io/redirect.hpp>
#include <tether/io/retry_after.hpp>
#include <tether/io/url.hpp>
#include <utility>

#include "net/socket_setup.hpp"
#include "net/tls_setup.hpp"

namespace tether::io {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpPoller::Impl {
  PollOptions options;
  asio::io_context io;
  std::unique_ptr<asio::ssl::context> tls;

  // Runs one asynchronous operation to completion. beast::tcp_stream's
  // deadline (expires_at) applies to asynchronous operations only, so every
  // step is asynchronous and the io_context runs until it completes.
  template <class Start>
  beast::error_code run(Start start) {
    beast::error_code result;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    io.restart();
    io.run();
    return result;
  }

  // Credentials (the token, the extra headers) only while the redirect chain
  // stays in the configured origin; every value checked before it is written.
  std::expected<http::request<http::empty_body>, std::string> make_request(
      const Url& url, const PollRequest& request, bool credentials) const {
    if (auto bad = check_request_headers(request.bearer_token, options.http.headers); !bad)
      return std::unexpected(bad.error());
    if (request.etag) {
      if (auto bad = check_header_value(*request.etag); !bad)
        return std::unexpected("the ETag (If-None-Match) " + bad.error());
    }
    http::request<http::empty_body> req{http::verb::get, url.target, 11};
    req.set(http::field::host, url.host_header());
    req.set(http::field::user_agent, "tether/0.1");
    if (request.etag) req.set(http::field::if_none_match, *request.etag);
    if (credentials && !request.bearer_token.empty())
      req.set(http::field::authorization, "Bearer " + request.bearer_token);
    if (credentials)
      for (const auto& [name, value] : options.http.headers) req.set(name, value);
    return req;
  }

  template <class Stream>
  std::expected<http::response<http::string_body>, std::string> exchange(
      Stream& stream, const Url& url, const http::request<http::empty_body>& req,
      beast::flat_buffer& buffer) {
    beast::error_code ec =
        run([&](auto handler) { http::async_write(stream, req, std::move(handler)); });
    if (ec) return std::unexpected("send request to " + url.host + ": " + ec.message());
    // The body is read in chunks and counted here: Beast 1.74's body_limit()
    // does not stop a Content-Length body that is over the limit.
    http::response_parser<http::buffer_body> parser;
    parser.header_limit(options.http.header_bytes_max);
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    ec = run(
        [&](auto handler) { http::async_read_header(stream, buffer, parser, std::move(handler)); });
    if (ec == beast::error::timeout)
      return std::unexpected("no response from " + url.host + " in time");
    if (ec) return std::unexpected("read response from " + url.host + ": " + ec.message());
    http::response<http::string_body> response;
    response.result(parser.get().result_int());
    for (const auto& field : parser.get()) response.insert(field.name_string(), field.value());
    std::array<char, 64 * 1024> chunk{};
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      ec = run(
          [&](auto handler) { http::async_read_some(stream, buffer, parser, std::move(handler)); });
      if (ec == http::error::need_buffer) ec = {};
      const std::size_t got = chunk.size() - parser.get().body().size;
      if (response.body().size() + got > options.body_bytes_max)
        return std::unexpected("response body larger than " +
                               std::to_string(options.body_bytes_max) + " bytes");
      response.body().append(chunk.data(), got);
      if (ec == beast::error::timeout)
        return std::unexpected("no response from " + url.host + " in time");
      if (ec) return std::unexpected("read response from " + url.host + ": " + ec.message());
    }
    return response;
  }

  // The next URL of a redirect chain, or why it is not followed. Messages
  // name origins only: a Location may hold secrets in its path or query.
  std::expected<Url, std::string> redirect(const Url& url,
                                           const http::response<http::string_body>& response,
                                           int hop, bool& credentials,
                                           std::vector<std::string>& notices,
                                           bool has_credentials) const {
    if (hop >= options.http.redirects_max)
      return std::unexpected("more than " + std::to_string(options.http.redirects_max) +
                             " redirects");
    const auto location = response[http::field::location];
    auto next = resolve_location(url, std::string_view(location.data(), location.size()));
    if (!next)
      return std::unexpected(
          "HTTP " + std::to_string(response.result_int()) + " from " + origin_of(url) +
          " with a Location that cannot be followed (not an http(s) URL or an absolute path)");
    auto verdict = check_redirect(url, *next, credentials);
    if (!verdict) return std::unexpected(verdict.error());
    if (verdict->dropped_credentials && has_credentials)
      notices.push_back(cross_origin_notice(url, *next));
    credentials = verdict->credentials;
    return next;
  }

  std::expected<http::response<http::string_body>, std::string> once(
      const Url& url, const PollRequest& request, bool credentials,
      std::chrono::steady_clock::time_point deadline) {
    auto req = make_request(url, request, credentials);
    if (!req) return std::unexpected(req.error());
    tcp::resolver resolver(io);
    beast::error_code ec;
    const auto endpoints = resolver.resolve(url.host, std::to_string(url.port), ec);
    if (ec) return std::unexpected("resolve " + url.host + ": " + ec.message());
    beast::flat_buffer buffer;
    if (!url.tls()) {
      beast::tcp_stream stream(io);
      stream.expires_at(deadline);
      ec = run([&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
      if (ec)
        return std::unexpected("connect " + url.host + ":" + std::to_string(url.port) + ": " +
                               ec.message());
      net::tune_socket(stream.socket());
      return exchange(stream, url, *req, buffer);
    }
    beast::ssl_stream<beast::tcp_stream> stream(io, *tls);
    beast::get_lowest_layer(stream).expires_at(deadline);
    ec = run([&](auto handler) {
      beast::get_lowest_layer(stream).async_connect(endpoints, std::move(handler));
    });
    if (ec)
      return std::unexpected("connect " + url.host + ":" + std::to_string(url.port) + ": " +
                             ec.message());
    net::tune_socket(beast::get_lowest_layer(stream).socket());
    if (auto error = net::prepare_tls_stream(stream.native_handle(), url.host,
                                             options.tls.insecure_skip_verify_DANGEROUS))
      return std::unexpected(*error);
    ec = run([&](auto handler) {
      stream.async_handshake(asio::ssl::stream_base::client, std::move(handler));
    });
    if (ec)
      return std::unexpected("TLS handshake with " + url.host + ":" + std::to_string(url.port) +
                             ": " + net::describe_tls_failure(stream.native_handle(), ec).text);
    return exchange(stream, url, *req, buffer);
  }
};

HttpPoller::HttpPoller(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpPoller::~HttpPoller() = default;

std::expected<std::unique_ptr<HttpPoller>, std::string> HttpPoller::create(PollOptions options) {
  if (auto bad = check_request_headers("", options.http.headers); !bad)
    return std::unexpected(bad.error());
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  auto tls = net::make_tls_context(impl->options.tls);
  if (!tls) return std::unexpected(tls.error());
  impl->tls = std::move(*tls);
  return std::unique_ptr<HttpPoller>(new HttpPoller(std::move(impl)));
}

std::expected<PollResponse, std::string> HttpPoller::get(const PollRequest& request) {
  auto url = parse_url(request.url);
  if (!url) return std::unexpected(url.error());
  if (url->websocket())
    return std::unexpected("polling needs an http:// or https:// URL, not " +
                           redacted_url(request.url));
  const auto deadline = std::chrono::steady_clock::now() + impl_->options.timeout;
  bool credentials = true;
  std::vector<std::string> notices;
  for (int hop = 0;; ++hop) {
    auto response = impl_->once(*url, request, credentials, deadline);
    if (!response) {
      if (std::chrono::steady_clock::now() >= deadline)
        return std::unexpected("timed out after " + std::to_string(impl_->options.timeout.count()) +
                               " ms (" + response.error() + ")");
      return std::unexpected(response.error());
    }
    const unsigned status = response->result_int();
    if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
      const bool has_credentials =
          !request.bearer_token.empty() || !impl_->options.http.headers.empty();
      auto next = impl_->redirect(*url, *response, hop, credentials, notices, has_credentials);
      if (!next) return std::unexpected(next.error());
      *url = std::move(*next);
      continue;
    }
    PollResponse out;
    out.notices = std::move(notices);
    out.status = static_cast<std::uint16_t>(status > 65535 ? 0 : status);
    out.not_modified = status == 304;
    if (!out.not_modified) out.body = std::move(response->body());
    const auto etag = (*response)[http::field::etag];
    if (!etag.empty()) out.etag = std::string(etag.data(), etag.size());
    const auto retry = (*response)[http::field::retry_after];
    if (!retry.empty()) {
      const auto unix_now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
      out.retry_after_ms =
          retry_after_ms(std::string_view(retry.data(), retry.size()), unix_now_ms);
    }
    return out;
  }
}

}  // namespace tether::io
