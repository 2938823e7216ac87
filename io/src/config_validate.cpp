// validate(Config): the model's own validators for the reducers' sections, so
// a file can never build a configuration the C++ API would refuse, and the
// shell's rules for the shell section.
#include <algorithm>
#include <cctype>
#include <string>
#include <tether/io/config.hpp>
#include <tether/io/http_header.hpp>
#include <tether/io/sequence_extractor.hpp>

namespace tether::io {

namespace {

using Result = std::expected<void, ConfigFileError>;

Result fail(std::string field, std::string reason) {
  ConfigFileError e;
  e.field = std::move(field);
  e.reason = std::move(reason);
  return std::unexpected(std::move(e));
}

Result prefixed(std::string_view prefix, const std::expected<void, model::ConfigError>& r) {
  if (r) return {};
  return fail(std::string(prefix) + std::string(r.error().field), std::string(r.error().reason));
}

bool in(std::uint64_t v, std::uint64_t lo, std::uint64_t hi) { return v >= lo && v <= hi; }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A configuration file is shared and committed: credentials come from a token
// provider (--token-file, --token-cmd), never from it.
bool is_credential_header(std::string_view name) {
  const std::string n = lower(name);
  return n == "authorization" || n == "proxy-authorization" || n == "cookie";
}

bool is_query_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~';
  });
}

Result validate_http(const HttpOptions& h) {
  for (std::size_t i = 0; i < h.headers.size(); ++i) {
    const std::string at = "shell.http.headers[" + std::to_string(i) + "]";
    const auto& [name, value] = h.headers[i];
    if (is_credential_header(name))
      return fail(
          at + ".name",
          "'" + name +
              "' carries credentials: give them with a token provider, not in a configuration");
    if (auto ok = check_header(name, value); !ok) return fail(at, ok.error());
  }
  if (h.redirects_max < 0 || h.redirects_max > 20)
    return fail("shell.http.redirects_max", "must be in [0, 20]");
  if (!in(h.header_bytes_max, 1024, 1U << 24))
    return fail("shell.http.header_bytes_max", "must be in [1024, 2^24]");
  if (h.cursor_query_parameter && !is_query_name(*h.cursor_query_parameter))
    return fail("shell.http.cursor_query_parameter", "must be a non-empty name of [A-Za-z0-9._~-]");
  return {};
}

// A signal named "message" would swallow every untyped event's data.
Result validate_signals(const SseSignals& g) {
  const auto bad = [](const std::string& type) {
    return type == "message" || type.find_first_of("\r\n") != std::string::npos;
  };
  if (bad(g.cursor_expired_event))
    return fail("shell.sse.signals.cursor_expired_event",
                "must not be \"message\" or hold a line break");
  if (bad(g.replay_finished_event))
    return fail("shell.sse.signals.replay_finished_event",
                "must not be \"message\" or hold a line break");
  if (!g.cursor_expired_event.empty() && g.cursor_expired_event == g.replay_finished_event)
    return fail("shell.sse.signals.replay_finished_event", "must differ from cursor_expired_event");
  return {};
}

Result validate_transports(const ShellConfig& s) {
  if (s.sse.method != "GET" && s.sse.method != "POST" && s.sse.method != "REPORT")
    return fail("shell.sse.method", "must be GET, POST or REPORT");
  if (auto ok = check_header_value(s.sse.body_content_type); !ok)
    return fail("shell.sse.body_content_type", ok.error());
  if (s.sse.reconnect == PostReconnect::resume_by_get) {
    if (s.sse.method == "GET")
      return fail("shell.sse.reconnect",
                  "resume_by_get applies to POST and REPORT streams (shell.sse.method)");
    if (!s.http.cursor_header && !s.http.cursor_query_parameter)
      return fail("shell.sse.reconnect",
                  "resume_by_get needs a way to send the cursor (shell.http.cursor_header or "
                  "shell.http.cursor_query_parameter)");
  }
  if (!in(s.sse.limits.line_bytes_max, 1, std::uint64_t{1} << 30))
    return fail("shell.sse.limits.line_bytes_max", "must be in [1, 2^30]");
  if (!in(s.sse.limits.event_bytes_max, 1, std::uint64_t{1} << 32))
    return fail("shell.sse.limits.event_bytes_max", "must be in [1, 2^32]");
  if (auto ok = validate_signals(s.sse.signals); !ok) return ok;
  if (auto ok = check_header_value(s.websocket.subprotocol); !ok)
    return fail("shell.websocket.subprotocol", ok.error());
  if (!in(s.websocket.message_bytes_max, 1, std::uint64_t{1} << 32))
    return fail("shell.websocket.message_bytes_max", "must be in [1, 2^32]");
  return {};
}

Result validate_poll(const model::poll::Config& p) {
  if (p.endpoints.empty()) return {};  // a stream configuration polls nothing
  if (p.endpoints.size() > model::poll::endpoints_max)
    return fail("poll.endpoints", "must list at most 64 endpoints");
  for (std::size_t i = 0; i < p.endpoints.size(); ++i) {
    const std::string at = "poll.endpoints[" + std::to_string(i) + "]";
    for (std::size_t j = 0; j < i; ++j)
      if (p.endpoints[j].name == p.endpoints[i].name) return fail(at + ".name", "must be unique");
    // One endpoint at a time, so the error carries its index.
    model::poll::Config one;
    one.endpoints.push_back(p.endpoints[i]);
    if (auto r = model::poll::validate(one); !r) {
      std::string field(r.error().field);
      if (field.starts_with("endpoints[]")) field = at + field.substr(11);
      return fail(std::move(field), std::string(r.error().reason));
    }
  }
  return {};
}

}  // namespace

std::expected<void, ConfigFileError> validate(const ShellConfig& s) {
  if (!s.sequence.empty())
    if (auto parsed = SequenceExtractor::parse(s.sequence); !parsed)
      return fail("shell.sequence", std::string(parsed.error().reason));
  if (!in(s.id_bytes_max, 1, model::Token::capacity))
    return fail("shell.id_bytes_max", "must be in [1, 1024]");
  if (!in(s.pull_queue_max, 2, 10000000))
    return fail("shell.pull_queue_max", "must be in [2, 10^7]");
  if (auto r = validate_http(s.http); !r) return r;
  return validate_transports(s);
}

std::expected<void, ConfigFileError> validate(const Config& c) {
  if (auto r = prefixed("", model::validate(c.session)); !r) return r;
  // The start token is sent as Last-Event-ID: a control byte (CR, LF, NUL)
  // would only fail every connection, "unrecoverable", after the run began.
  if (const auto& start = c.session.resume.start; start.kind == model::CursorKind::token)
    if (auto ok = check_header_value(start.token.view()); !ok)
      return fail("resume.start.token", ok.error());
  if (auto r = validate(c.shell); !r) return r;
  if (auto r = validate_poll(c.poll); !r) return r;
  if (auto r = prefixed("wait.", model::wait::validate(c.wait)); !r) return r;
  return prefixed("mirror.", model::mirror::validate(c.mirror));
}

}  // namespace tether::io
