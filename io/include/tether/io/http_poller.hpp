#pragma once
// One HTTP GET at a time, with ETag revalidation: the transport of the polling
// session. Blocking (call it off a strand, as the runner does with blocking
// work); Boost stays out of this header.
#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <tether/io/poll_exchange.hpp>  // PollRequest, PollResponse
#include <tether/io/transport_options.hpp>
#include <vector>

namespace tether::io {

struct PollOptions {
  HttpOptions http;
  TlsOptions tls;
  std::chrono::milliseconds timeout{10000};  // the whole exchange, redirects included
  std::uint64_t body_bytes_max = 8 * 1024 * 1024;
};

class HttpPoller {
 public:
  // The error names what is wrong (an unreadable CA file, a header that is
  // not a valid name or value).
  static std::expected<std::unique_ptr<HttpPoller>, std::string> create(PollOptions options);
  ~HttpPoller();
  HttpPoller(const HttpPoller&) = delete;
  HttpPoller& operator=(const HttpPoller&) = delete;

  // Any HTTP status is a response (the caller classifies it); the error is for
  // exchanges that produced none: DNS, connect, TLS, timeout, a malformed or
  // oversized response, too many redirects, a refused redirect (https to
  // http), a token or header value that would inject header lines.
  std::expected<PollResponse, std::string> get(const PollRequest& request);

  struct Impl;

 private:
  explicit HttpPoller(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tether::io
