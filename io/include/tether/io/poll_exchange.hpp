#pragma once
// What a poll's answer means to the polling session, without a network: the
// conditional request (If-None-Match: the ETag of the endpoint's last 200)
// and the event an HTTP response or a transport error becomes (a 200's body
// parsed into a snapshot; a 304 is a success with no snapshot; a body that is
// no snapshot is PollFailed{200}). io::PollDriver runs it, so PollRunner
// (tether::io, over HttpPoller) and the simulator's poll world (tether::sim,
// over a simulated server) both do: the simulated session gets its results as
// the production shell makes them.
//
// Threading: not thread-safe; the driver calls it on its strand.
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/application.hpp>
#include <tether/model/poll/config.hpp>
#include <tether/model/poll/event.hpp>
#include <vector>

namespace tether::io {

// One GET of an endpoint.
struct PollRequest {
  std::string url;                  // http:// or https://
  std::optional<std::string> etag;  // sent as If-None-Match
  std::string bearer_token;         // empty: no Authorization header
};

// Its answer (a transport error is not one: the caller has its text).
struct PollResponse {
  std::uint16_t status = 0;   // after redirects
  bool not_modified = false;  // 304: the previous body still holds
  std::string body;           // empty for 304
  std::optional<std::string> etag;
  std::optional<std::int64_t> retry_after_ms;
  // For the log: a redirect left the configured origin, so the rest of the
  // chain went without the token and the extra headers (names origins only).
  std::vector<std::string> notices;
};

// A 200's body as a snapshot: a JSON object, each member's value kept as its
// JSON text (a string value keeps its quotes). The error says why not (not
// JSON, not an object, a key listed twice).
std::expected<model::poll::Snapshot, std::string> parse_snapshot(std::string_view body);

class PollExchange {
 public:
  // The endpoints' names (for diagnostics) come from `config`.
  explicit PollExchange(const model::poll::Config& config);

  // The If-None-Match of the next request to `endpoint` (nullopt: none).
  const std::optional<std::string>& etag(std::size_t endpoint) const { return etags_.at(endpoint); }

  struct Outcome {
    model::poll::Event event;             // its `now` is left for the loop to set
    std::vector<Diagnostic> diagnostics;  // for the application, in order
    bool unauthorised = false;            // a 401: fetch a token for the next poll
  };
  // What the answer to a poll of `endpoint` (or the transport error's text)
  // becomes. A 200 whose body is a snapshot keeps its ETag for the next request.
  Outcome answer(std::size_t endpoint, const std::expected<PollResponse, std::string>& response);

 private:
  std::vector<std::string> names_;
  std::vector<std::optional<std::string>> etags_;
};

}  // namespace tether::io
