#include <algorithm>
#include <array>
#include <exception>
#include <mutex>
#include <string_view>
#include <tether/io/http_header.hpp>
#include <tether/io/redirect.hpp>
#include <tether/io/request_hook.hpp>

namespace tether::io {

namespace detail {

// What a completion and its session share: the way back to the strand, until
// the session is gone. The lock makes "post" and "the session is gone"
// exclusive, so a completion on another thread never posts to a strand that
// is being torn down.
struct HookMailbox {
  std::mutex mutex;
  Strand* strand = nullptr;
  RequestHooks* hooks = nullptr;

  bool open() {
    std::lock_guard lock(mutex);
    return hooks != nullptr;
  }
};

}  // namespace detail

namespace {

using Failure = HookFailure;

Failure unrecoverable(std::string text) {
  return Failure{model::CloseCause::unrecoverable,
                 "the request hook's request is refused: " + std::move(text)};
}

// The fields tether writes itself: the framing, the upgrade.
constexpr std::array<std::string_view, 5> framing_headers{
    "Host", "Content-Length", "Transfer-Encoding", "Connection", "Upgrade"};

// Why `name` is not the hook's to set; nullopt when it is.
std::optional<std::string> reserved(std::string_view name, const RequestRules& rules) {
  if (equals_ignoring_case(name, "Last-Event-ID")) return "tether sends the resume cursor in it";
  if (rules.auth_provider && equals_ignoring_case(name, "Authorization"))
    return "the AuthProvider's token goes in it";
  for (const std::string_view framing : framing_headers)
    if (equals_ignoring_case(name, framing)) return "tether writes it (the request's framing)";
  constexpr std::string_view ws_prefix = "Sec-WebSocket-";
  if (rules.url.websocket() && name.size() >= ws_prefix.size() &&
      equals_ignoring_case(name.substr(0, ws_prefix.size()), ws_prefix))
    return "tether writes the WebSocket handshake (the subprotocol is "
           "WebSocketOptions::subprotocol)";
  return std::nullopt;
}

std::expected<void, Failure> check_headers(const RequestRules& rules, const HttpRequest& request) {
  for (const auto& header : request.headers) {
    const auto& [name, value] = header;
    if (auto bad = check_header_name(name); !bad)
      return std::unexpected(unrecoverable("header name '" + printable(name) + "' " + bad.error()));
    if (auto bad = check_header_value(value); !bad)
      return std::unexpected(unrecoverable("header '" + name + "' " + bad.error()));
    // The user's own HttpOptions::headers, passed through unchanged, are theirs.
    const auto& configured = rules.http.headers;
    if (std::find(configured.begin(), configured.end(), header) != configured.end()) continue;
    if (auto why = reserved(name, rules))
      return std::unexpected(
          unrecoverable("header '" + name + "' cannot be set by a hook: " + *why));
  }
  return {};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A query parameter's name, percent-decoded ("last%5Fevent%5Fid" is the
// cursor parameter too).
std::string decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

bool has_query_parameter(std::string_view target, std::string_view name) {
  const std::size_t question = target.find('?');
  if (question == std::string_view::npos) return false;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view param = query.substr(0, amp);
    if (decoded(param.substr(0, param.find('='))) == name) return true;
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  return false;
}

// The URL: parseable, the configured origin, no cursor parameter. Messages
// name origins and parameter names only (a path or a query may hold secrets).
std::expected<Url, Failure> check_url(const RequestRules& rules, const HttpRequest& request) {
  auto url = parse_url(request.url);
  if (!url) {
    // parse_url shows the URL redacted, path included: keep its reason only.
    const std::string& why = url.error();
    const std::size_t cut = why.find("': ");
    return std::unexpected(
        unrecoverable("its URL cannot be used" +
                      (cut == std::string::npos ? "" : " (" + why.substr(cut + 3) + ")")));
  }
  if (!same_origin(*url, rules.url))
    return std::unexpected(unrecoverable(
        "it changes the origin from " + origin_of(rules.url) + " to " + origin_of(*url) +
        ": a hook may change the path and query only (credentials never leave their origin)"));
  const auto& parameter = rules.http.cursor_query_parameter;
  if (parameter && has_query_parameter(url->target, *parameter))
    return std::unexpected(
        unrecoverable("query parameter '" + *parameter +
                      "' cannot be set by a hook: tether sends the resume cursor in it "
                      "(HttpOptions::cursor_query_parameter)"));
  return std::move(*url);
}

std::expected<void, Failure> check_method(const RequestRules& rules, const HttpRequest& request) {
  if (rules.url.websocket()) {
    if (request.method != "GET" || !request.body.empty())
      return std::unexpected(unrecoverable("a WebSocket upgrade is a GET without a body"));
    return {};
  }
  if (request.method != "GET" && request.method != "POST" && request.method != "REPORT")
    return std::unexpected(
        unrecoverable("method '" + printable(request.method, 16) + "': GET, POST or REPORT only"));
  if (request.method == "GET" && !request.body.empty())
    return std::unexpected(unrecoverable("a body on a GET (set the method to POST or REPORT)"));
  return {};
}

}  // namespace

std::string resume_id(const ConnectRequest& request) {
  if (request.from != model::ResumeFrom::cursor) return {};
  switch (request.cursor.kind) {
    case model::CursorKind::token:
      return std::string(request.cursor.token.view());
    case model::CursorKind::sequence:
      return std::to_string(request.cursor.sequence);
    default:
      return {};
  }
}

AttemptRequest planned_request(const RequestRules& rules, const ConnectRequest& request) {
  AttemptRequest out;
  out.url = rules.url;
  out.headers = rules.http.headers;
  if (rules.url.websocket() || rules.sse.method == "GET") return out;
  const bool by_get =
      rules.sse.reconnect == PostReconnect::resume_by_get && !resume_id(request).empty();
  if (by_get) return out;
  out.method = rules.sse.method;  // POST or REPORT (validated)
  out.body = rules.sse.body_template;
  return out;
}

std::expected<AttemptRequest, HookFailure> check_hooked_request(const RequestRules& rules,
                                                                const HttpRequest& request) {
  auto url = check_url(rules, request);
  if (!url) return std::unexpected(url.error());
  if (auto ok = check_method(rules, request); !ok) return std::unexpected(ok.error());
  if (auto ok = check_headers(rules, request); !ok) return std::unexpected(ok.error());
  return AttemptRequest{std::move(*url), request.method, request.headers, request.body};
}

RequestCompletion::RequestCompletion(std::shared_ptr<detail::HookMailbox> mailbox,
                                     std::uint64_t number)
    : mailbox_(std::move(mailbox)), number_(number) {}

// Posted under the lock: the session cannot go away between the check and
// the post. The work checks again on the strand (a session destroyed with
// work still queued on a strand that outlives it).
void RequestCompletion::operator()(RequestOutcome outcome) const {
  if (!mailbox_) return;
  std::lock_guard lock(mailbox_->mutex);
  if (mailbox_->hooks == nullptr || mailbox_->strand == nullptr) return;
  mailbox_->strand->post(
      [mailbox = mailbox_, number = number_, outcome = std::move(outcome)]() mutable {
        RequestHooks* hooks = nullptr;
        {
          std::lock_guard inner(mailbox->mutex);
          hooks = mailbox->hooks;
        }
        if (hooks != nullptr) hooks->complete(number, std::move(outcome));
      });
}

RequestHooks::RequestHooks(HookOptions options, Strand* strand, Ready ready)
    : options_(std::move(options)),
      ready_(std::move(ready)),
      mailbox_(std::make_shared<detail::HookMailbox>()) {
  mailbox_->strand = strand;
  mailbox_->hooks = this;
}

RequestHooks::~RequestHooks() {
  std::lock_guard lock(mailbox_->mutex);
  mailbox_->hooks = nullptr;
  mailbox_->strand = nullptr;
}

bool RequestHooks::begin(const ConnectRequest& request, model::Instant now,
                         model::Instant deadline) {
  current_.number = current_.number + 1;
  current_.consecutive = request.attempt;
  current_.resume_id = resume_id(request);
  pending_.reset();
  if (!options_.request) return false;
  pending_ = current_.number;
  pending_request_ = request;
  asked_at_ = now;
  deadline_ = deadline;
  RequestCompletion done(mailbox_, current_.number);
  if (mailbox_->strand == nullptr) {
    // Nothing could bring the completion back: fail at once, loudly.
    pending_.reset();
    ready_(request, std::unexpected(Failure{model::CloseCause::unrecoverable,
                                            "internal: a request hook needs DriverPorts::strand"}));
    return true;
  }
  HttpRequest http;
  const AttemptRequest planned = planned_request(options_.rules, request);
  http.url = planned.url.to_string();
  http.method = planned.method;
  http.headers = planned.headers;
  http.body = planned.body;
  try {
    options_.request(current_, std::move(http), done);
  } catch (const std::exception& e) {
    done(std::unexpected(std::string("it threw: ") + e.what()));
  } catch (...) {
    done(std::unexpected(std::string("it threw")));
  }
  return true;
}

std::optional<std::string> RequestHooks::abandon(model::Instant now) {
  if (!pending_) return std::nullopt;
  const std::uint64_t number = *pending_;
  pending_.reset();
  if (now < deadline_) return std::nullopt;
  return "the request hook did not complete attempt " + std::to_string(number) +
         " within its connect timeout (connect.timeout_ms: " +
         std::to_string(model::elapsed_ms(asked_at_, deadline_)) +
         " ms for this attempt): the attempt was abandoned as a connect timeout, and a later "
         "completion of it is ignored";
}

void RequestHooks::complete(std::uint64_t number, RequestOutcome outcome) {
  if (!pending_ || *pending_ != number) return;  // abandoned, or completed already
  pending_.reset();
  if (!outcome) {
    ready_(std::move(pending_request_),
           std::unexpected(Failure{model::CloseCause::transport_error,
                                   "the request hook failed attempt " + std::to_string(number) +
                                       ": " + outcome.error()}));
    return;
  }
  ready_(std::move(pending_request_), check_hooked_request(options_.rules, *outcome));
}

std::optional<std::string> RequestHooks::response(const ResponseHead& head) const {
  if (!options_.response) return std::nullopt;
  try {
    options_.response(current_, head);
  } catch (const std::exception& e) {
    return std::string("the response hook threw: ") + e.what();
  } catch (...) {
    return std::string("the response hook threw");
  }
  return std::nullopt;
}

}  // namespace tether::io
