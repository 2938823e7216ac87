#pragma once
// How the Asio transports talk to a server (tether::io). Plain data: no Boost.
#include <cstdint>
#include <optional>
#include <string>
#include <tether/io/sse_parser.hpp>
#include <tether/io/sse_stream.hpp>
#include <utility>
#include <vector>

namespace tether::io {

struct TlsOptions {
  // PEM file of the CAs to trust; empty: the system's default store.
  std::string ca_file;
  // Skips certificate and host name verification: anyone on the path can read
  // and forge the stream. For throwaway test servers only; the runner reports
  // it as a diagnostic on every start.
  bool insecure_skip_verify_DANGEROUS = false;
};

struct HttpOptions {
  // Extra request headers (name, value), sent on every request.
  std::vector<std::pair<std::string, std::string>> headers;
  // 301/302/303/307/308 followed up to this many times per connection attempt.
  int redirects_max = 5;
  // Response header block size limit (Beast's header_limit).
  std::uint32_t header_bytes_max = 64 * 1024;
  // Send the resume cursor as this query parameter instead of (when
  // `cursor_header` is false) or besides the Last-Event-ID header.
  std::optional<std::string> cursor_query_parameter;
  bool cursor_header = true;  // Last-Event-ID
};

// What a reconnect of a stream with a body (POST or REPORT) sends (docs/io.md,
// "POST streams").
enum class PostReconnect : std::uint8_t {
  // Send the body again with the same method, "{cursor}" replaced by the
  // resume id (and Last-Event-ID as configured): for servers that take the
  // cursor in the body.
  resend_body,
  // An attempt that resumes from a cursor is a GET with no body, carrying the
  // cursor as Last-Event-ID (and the cursor query parameter when set); one
  // with nothing to resume from sends the body. Needs HttpOptions::cursor_header
  // or cursor_query_parameter.
  resume_by_get,
};

struct SseOptions {
  // "GET"; "POST" or "REPORT" (a request with a body) for servers that take
  // the subscription, or the cursor, in the body.
  std::string method = "GET";
  // The POST or REPORT body; "{cursor}" is replaced by the resume id (empty
  // when none).
  std::string body_template;
  std::string body_content_type = "application/json";
  PostReconnect reconnect = PostReconnect::resend_body;  // POST and REPORT only
  SseLimits limits;
  // Event types that carry the server's in-band signals (off by default).
  SseSignals signals;
  // Pass each comment line's text (after the ':') to the application
  // (TransportListener::on_comment, Application::on_comment). Off: a comment
  // is liveness only. Either way a comment is no event: no delivery id, no
  // cursor move, nothing fed to the reducer but liveness.
  bool deliver_comments = false;
};

struct WebSocketOptions {
  // Sec-WebSocket-Protocol to request (e.g. "ws+meta.nchan").
  std::string subprotocol;
  // Each frame is "id: ...\n<headers>\n\n<payload>" (nchan's ws+meta.nchan),
  // so messages carry resume ids; otherwise a frame is the payload alone.
  bool nchan_meta_frames = false;
  std::uint64_t message_bytes_max = 8 * 1024 * 1024;
  // Session restore: text messages sent, in order, on every connection once
  // the upgrade is done and before it counts as open (a subscription, an
  // auth message). "{cursor}" in one becomes the resume id (empty when there
  // is none). Each at most message_bytes_max; they may carry credentials, so
  // they are never printed, recorded or written to a configuration file.
  std::vector<std::string> subscribe;
};

}  // namespace tether::io
