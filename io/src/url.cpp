#include <tether/io/url.hpp>

#include <charconv>

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

}  // namespace

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
  const std::size_t sep = text.find("://");
  if (sep == std::string_view::npos) return std::unexpected("URL '" + std::string(text) + "': missing scheme (http://, https://, ws://, wss://)");
  Url url;
  url.scheme = lower(text.substr(0, sep));
  if (url.scheme != "http" && url.scheme != "https" && url.scheme != "ws" && url.scheme != "wss")
    return std::unexpected("URL '" + std::string(text) + "': unsupported scheme '" + url.scheme + "'");
  std::string_view rest = text.substr(sep + 3);
  const std::size_t path_at = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_at);
  std::string_view target = path_at == std::string_view::npos ? std::string_view{} : rest.substr(path_at);
  if (const std::size_t hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
  if (authority.find('@') != std::string_view::npos)
    return std::unexpected("URL '" + std::string(text) + "': credentials in the URL are not supported (use a token provider)");
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::unexpected("URL '" + std::string(text) + "': unterminated IPv6 address");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::unexpected("URL '" + std::string(text) + "': unexpected text after the IPv6 address");
      port_text = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return std::unexpected("URL '" + std::string(text) + "': missing host");
  url.port = default_port(url.scheme);
  if (!port_text.empty()) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 || value > 65535)
      return std::unexpected("URL '" + std::string(text) + "': port '" + std::string(port_text) + "' is not in 1..65535");
    url.port = static_cast<std::uint16_t>(value);
  }
  url.target = target.empty() ? "/" : (target.front() == '?' ? "/" + std::string(target) : std::string(target));
  for (char c : url.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return std::unexpected("URL '" + std::string(text) + "': control character or space in the path");
  }
  return url;
}

std::expected<Url, std::string> resolve_location(const Url& base, std::string_view location) {
  if (location.find("://") != std::string_view::npos) {
    auto url = parse_url(location);
    if (url && url->websocket() != base.websocket())
      return std::unexpected("redirect to '" + std::string(location) + "' changes the protocol");
    return url;
  }
  if (!location.empty() && location.front() == '/' && (location.size() < 2 || location[1] != '/')) {
    Url url = base;
    url.target = std::string(location);
    return url;
  }
  return std::unexpected("redirect Location '" + std::string(location) + "' is neither absolute nor an absolute path");
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
