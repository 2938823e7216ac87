#include <charconv>
#include <tether/io/url.hpp>

namespace tether::io {

namespace {

std::uint16_t default_port(std::string_view scheme) {
  return (scheme == "https" || scheme == "wss") ? 443 : 80;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool all_digits(std::string_view text) {
  for (char c : text)
    if (!is_digit(c)) return false;
  return true;
}

// Where "://" starts, if what precedes it is a scheme (RFC 3986: ALPHA *(ALPHA / DIGIT / "+" / "-"
// / ".")).
std::size_t scheme_separator(std::string_view text) {
  const std::size_t sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0 || !is_alpha(text.front()))
    return std::string_view::npos;
  for (char c : text.substr(0, sep))
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.')
      return std::string_view::npos;
  return sep;
}

// Appends `bytes`, percent-encoding controls, space, DEL and non-ASCII bytes: one printable line.
void append_printable(std::string& out, std::string_view bytes) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b >= 0x7f) {
      out += '%';
      out += hex[b >> 4];
      out += hex[b & 15];
    } else {
      out += c;
    }
  }
}

bool host_char(char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '%' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// host[:port] or [v6][:port]; anything else may be the remains of a userinfo
// whose password held a '/', '?' or '#'.
bool plausible_authority(std::string_view authority) {
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    for (char c : authority.substr(1, close - 1))
      if (!host_char(c) && c != ':') return false;
    const std::string_view after = authority.substr(close + 1);
    if (after.empty()) return true;
    return after.front() == ':' && all_digits(after.substr(1));
  }
  if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  for (char c : host)
    if (!host_char(c)) return false;
  return all_digits(port);
}

// "a=1&b&c=" -> "a=***&***&c=***".
void append_redacted_query(std::string& out, std::string_view query) {
  for (;;) {
    const std::size_t amp = query.find('&');
    const std::string_view param = query.substr(0, amp);
    if (const std::size_t eq = param.find('='); eq != std::string_view::npos) {
      append_printable(out, param.substr(0, eq));
      out += "=***";
    } else if (!param.empty()) {
      out += "***";
    }
    if (amp == std::string_view::npos) return;
    out += '&';
    query = query.substr(amp + 1);
  }
}

// "URL '<redacted>'" for an error message.
std::string quoted(std::string_view text) { return "URL '" + redacted_url(text) + "'"; }

}  // namespace

std::string redacted_url(std::string_view url) {
  std::string out;
  std::string_view rest = url;
  if (const std::size_t sep = scheme_separator(url); sep != std::string_view::npos) {
    append_printable(out, url.substr(0, sep + 3));
    rest = url.substr(sep + 3);
  }
  rest = rest.substr(0, rest.find('#'));
  const std::size_t query_at = rest.find('?');
  std::string_view before_query = rest.substr(0, query_at);
  if (const std::size_t at = before_query.rfind('@'); at != std::string_view::npos) {
    out += "***@";
    before_query = before_query.substr(at + 1);
  }
  const std::size_t path_at = before_query.find('/');
  const std::string_view authority = before_query.substr(0, path_at);
  if (plausible_authority(authority)) {
    append_printable(out, authority);
  } else {
    out += "***";
  }
  if (path_at != std::string_view::npos) append_printable(out, before_query.substr(path_at));
  if (query_at != std::string_view::npos) {
    out += '?';
    append_redacted_query(out, rest.substr(query_at + 1));
  }
  return out;
}

std::string Url::host_header() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != default_port(scheme)) out += ":" + std::to_string(port);
  return out;
}

std::string Url::to_string() const {
  std::string out = scheme + "://";
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  out += ":" + std::to_string(port);
  out += target;
  return out;
}

std::expected<Url, std::string> parse_url(std::string_view text) {
  const std::size_t sep = scheme_separator(text);
  if (sep == std::string_view::npos)
    return std::unexpected(quoted(text) + ": missing scheme (http://, https://, ws://, wss://)");
  Url url;
  url.scheme = lower(text.substr(0, sep));
  if (url.scheme != "http" && url.scheme != "https" && url.scheme != "ws" && url.scheme != "wss")
    return std::unexpected(quoted(text) + ": unsupported scheme '" + url.scheme + "'");
  std::string_view rest = text.substr(sep + 3);
  const std::size_t path_at = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_at);
  std::string_view target =
      path_at == std::string_view::npos ? std::string_view{} : rest.substr(path_at);
  if (const std::size_t hash = target.find('#'); hash != std::string_view::npos)
    target = target.substr(0, hash);
  if (authority.find('@') != std::string_view::npos)
    return std::unexpected(quoted(text) +
                           ": credentials in the URL are not supported (use a token provider)");
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return std::unexpected(quoted(text) + ": unterminated IPv6 address");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return std::unexpected(quoted(text) + ": unexpected text after the IPv6 address");
      port_text = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return std::unexpected(quoted(text) + ": missing host");
  url.port = default_port(url.scheme);
  if (!port_text.empty()) {
    // Digits are echoed; other text is not (it may be half of a "user:password").
    if (!all_digits(port_text))
      return std::unexpected(quoted(text) + ": the port is not a number in 1..65535");
    unsigned value = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535)
      return std::unexpected(quoted(text) + ": port '" + std::string(port_text) +
                             "' is not in 1..65535");
    url.port = static_cast<std::uint16_t>(value);
  }
  url.target = target.empty()
                   ? "/"
                   : (target.front() == '?' ? "/" + std::string(target) : std::string(target));
  for (char c : url.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return std::unexpected(quoted(text) + ": control character or space in the path");
  }
  return url;
}

std::expected<Url, std::string> resolve_location(const Url& base, std::string_view location) {
  if (location.find("://") != std::string_view::npos) {
    auto url = parse_url(location);
    if (url && url->websocket() != base.websocket())
      return std::unexpected("redirect to '" + redacted_url(location) + "' changes the protocol");
    return url;
  }
  if (!location.empty() && location.front() == '/' && (location.size() < 2 || location[1] != '/')) {
    Url url = base;
    url.target = std::string(location);
    return url;
  }
  return std::unexpected("redirect Location '" + redacted_url(location) +
                         "' is neither absolute nor an absolute path");
}

std::string with_query_parameter(std::string_view target, std::string_view name,
                                 std::string_view value) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out(target);
  out += target.find('?') == std::string_view::npos ? '?' : '&';
  out += name;
  out += '=';
  for (char c : value) {
    const auto b = static_cast<unsigned char>(c);
    const bool plain = (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') ||
                       b == '-' || b == '.' || b == '_' || b == '~' || b == ':';
    if (plain) {
      out += c;
    } else {
      out += '%';
      out += hex[b >> 4];
      out += hex[b & 15];
    }
  }
  return out;
}

}  // namespace tether::io
