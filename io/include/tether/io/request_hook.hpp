#pragma once
// The request and response hooks: the application's code that runs before
// every connection attempt and may change its request (a fresh token or a
// session id in a header or the query), and code that sees every attempt's
// response head. The Driver calls them (io_core), so whatever runs a Driver
// runs them; the Asio transports apply the result (ConnectRequest::request).
//
// What tether keeps for itself, whatever a hook returns (a request that
// breaks one of these ends the session Failed, unrecoverable: a retry would
// run the same code and break it again; the error names the header, the
// parameter or the origins, never a value):
// - the resume cursor: Last-Event-ID and the cursor query parameter
//   (HttpOptions::cursor_query_parameter); a POST body's "{cursor}" is
//   replaced after the hook;
// - Authorization, when an AuthProvider supplies the token;
// - the request's framing: Host, Content-Length, Transfer-Encoding,
//   Connection, Upgrade, and a WebSocket upgrade's Sec-WebSocket-* fields;
// - the origin: the hook may change the URL's path and query, never its
//   scheme, host or port (credentials never leave their origin);
// - every header name and value passes the one validator (http_header.hpp).
// The headers a hook returns replace HttpOptions::headers for that attempt
// and cross a redirect as those do: to the configured origin only.
//
// Timing: the hook runs on the session's strand and may complete later, on
// any thread. The attempt's connect timeout (connect.timeout_ms, which also
// covers connecting and the response head) bounds it: a hook that has not
// completed by then abandons the attempt (a connect timeout, retried per the
// backoff policy, with a Diagnostic that says so). A completion that comes
// after its attempt was abandoned (timed out, stop(), the session gone) is
// ignored: attempts are matched by number.
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tether/io/transport.hpp>
#include <tether/io/transport_options.hpp>
#include <tether/io/url.hpp>
#include <tether/model/time.hpp>
#include <utility>
#include <vector>

namespace tether::io {

// The request of one attempt as the hook sees and changes it.
struct HttpRequest {
  // Absolute ("https://host:443/sub/orders?channel=x", the port always
  // shown). Change the path and query only. The cursor query parameter is
  // appended after the hook.
  std::string url;
  // "GET", "POST" or "REPORT" (SSE); a WebSocket upgrade is a GET and stays one.
  std::string method;
  // Starts as HttpOptions::headers; what the hook leaves here is sent instead
  // (Authorization only without an AuthProvider).
  std::vector<std::pair<std::string, std::string>> headers;
  // POST and REPORT only: the body template; "{cursor}" becomes the resume id
  // after the hook. Must be empty for a GET.
  std::string body;
};

// Which attempt a hook is called for.
struct RequestAttempt {
  std::uint64_t number = 0;       // 1, 2, 3, ... within the session: one per attempt
  std::uint32_t consecutive = 1;  // model::Connect::attempt: 1, then 2, 3, ... while failing
  std::string resume_id;          // what the attempt resumes from ("": nothing; read only)
};

// What the application's error string becomes: the attempt fails (a
// transport error, retried per the backoff policy) with a Diagnostic that
// names it. Its text is shown as given: keep secrets out of it.
using RequestOutcome = std::expected<HttpRequest, std::string>;

namespace detail {
struct HookMailbox;
}

// Hands a hook's outcome back to its session. Copyable; callable from any
// thread; the first call counts, later ones do nothing, and so does a call
// whose attempt was abandoned or whose session is gone.
class RequestCompletion {
 public:
  void operator()(RequestOutcome outcome) const;

 private:
  friend class RequestHooks;
  RequestCompletion(std::shared_ptr<detail::HookMailbox> mailbox, std::uint64_t number);
  std::shared_ptr<detail::HookMailbox> mailbox_;
  std::uint64_t number_ = 0;
};

// Called on the strand before every attempt; must not block (the strand
// waits) and must not throw (an exception fails the attempt). Call `done`
// exactly once, now or later, from any thread.
using RequestHook =
    std::function<void(const RequestAttempt& attempt, HttpRequest request, RequestCompletion done)>;

// Called on the strand with every attempt's response head (the answer that
// ends its request: 200 or 101, and every rejection such as 401 or 503;
// redirects are followed first), before the session acts on it. It never
// sees the request's credentials. Must not block; what it throws becomes a
// Diagnostic.
using ResponseHook = std::function<void(const RequestAttempt& attempt, const ResponseHead& head)>;

// What an attempt's request starts from, and what a hook may not change.
struct RequestRules {
  Url url;  // the configured URL: its origin is fixed
  HttpOptions http;
  SseOptions sse;              // SSE only (a WebSocket upgrade ignores it)
  bool auth_provider = false;  // an AuthProvider supplies Authorization
};

struct HookOptions {
  RequestHook request;    // empty: none
  ResponseHook response;  // empty: none
  RequestRules rules;
};

// Runs work on the session's strand, from any thread (the hook's completion
// uses it). The Asio runner posts to its io_context.
class Strand {
 public:
  virtual void post(std::move_only_function<void()> work) = 0;

 protected:
  ~Strand() = default;
};

// The resume id a request carries: the token, else the decimal sequence;
// empty when it resumes from nothing.
std::string resume_id(const ConnectRequest& request);

// The request an attempt sends when no hook changes it: the configured URL
// and headers; for SSE, SseOptions::method and its body, except that a POST or
// REPORT stream under PostReconnect::resume_by_get resumes a cursor with a GET.
AttemptRequest planned_request(const RequestRules& rules, const ConnectRequest& request);

struct HookFailure {
  model::CloseCause cause = model::CloseCause::transport_error;
  std::string text;
};

// A hook's request checked against the rules: what the transports send, or
// why not (unrecoverable; the text names the header, parameter or origins).
std::expected<AttemptRequest, HookFailure> check_hooked_request(const RequestRules& rules,
                                                                const HttpRequest& request);

// The hooks of one session, for the Driver: numbers the attempts, calls the
// request hook and brings its checked outcome back on the strand.
class RequestHooks {
 public:
  using Outcome = std::expected<AttemptRequest, HookFailure>;
  // Runs on the strand with the outcome of the attempt begin() handed over.
  using Ready = std::function<void(ConnectRequest request, Outcome outcome)>;

  RequestHooks(HookOptions options, Strand* strand, Ready ready);
  ~RequestHooks();  // later completions do nothing
  RequestHooks(const RequestHooks&) = delete;
  RequestHooks& operator=(const RequestHooks&) = delete;

  // An attempt begins. True if the request hook takes it: `ready` runs once
  // the hook completes, unless abandon() comes first. `deadline` is the
  // attempt's connect deadline (for the diagnostic of a hook that misses it).
  bool begin(const ConnectRequest& request, model::Instant now, model::Instant deadline);
  // The attempt ended with its hook still pending; a late completion is
  // ignored. The diagnostic, if the hook ran past the attempt's deadline.
  std::optional<std::string> abandon(model::Instant now);
  bool pending() const { return pending_.has_value(); }
  // Calls the response hook, if any, for the current attempt; what it threw.
  std::optional<std::string> response(const ResponseHead& head) const;

 private:
  friend class RequestCompletion;
  void complete(std::uint64_t number, RequestOutcome outcome);

  HookOptions options_;
  Ready ready_;
  std::shared_ptr<detail::HookMailbox> mailbox_;
  RequestAttempt current_;
  std::optional<std::uint64_t> pending_;  // the attempt whose hook is out
  ConnectRequest pending_request_;
  model::Instant asked_at_{};
  model::Instant deadline_{};
};

}  // namespace tether::io
