#include <cstdio>
#include <tether/io/http_header.hpp>

namespace tether::io {

namespace {

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string hex_byte(unsigned char byte) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02X", static_cast<unsigned>(byte));
  return text;
}

std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// A parameter value: a token, or a quoted-string with its backslash escapes.
std::string unquote(std::string_view value) {
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return std::string(value);
  std::string out;
  for (std::size_t i = 1; i + 1 < value.size(); ++i) {
    if (value[i] == '\\' && i + 2 < value.size()) ++i;
    out += value[i];
  }
  return out;
}

}  // namespace

std::string printable(std::string_view text, std::size_t bytes_max) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < bytes_max; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte >= 0x7F || byte == '\\') {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02X", static_cast<unsigned>(byte));
      out += escaped;
    } else {
      out += static_cast<char>(byte);
    }
  }
  if (text.size() > bytes_max) out += "...";
  return out;
}

std::expected<void, std::string> check_header_name(std::string_view name) {
  if (name.empty()) return std::unexpected("is empty");
  for (const char c : name) {
    if (is_tchar(c)) continue;
    const auto byte = static_cast<unsigned char>(c);
    const std::string what = c == ' '    ? "a space (0x20)"
                             : c == '\r' ? "a CR byte"
                             : c == '\n' ? "an LF byte"
                                         : "the byte " + hex_byte(byte);
    return std::unexpected("contains " + what +
                           ", which a header name (an RFC 9110 token) cannot hold");
  }
  return {};
}

std::expected<void, std::string> check_header_value(std::string_view value) {
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7F) continue;
    if (c == '\t') continue;
    if (c == '\r') return std::unexpected("contains a CR byte");
    if (c == '\n') return std::unexpected("contains an LF byte");
    if (c == '\0') return std::unexpected("contains a NUL byte");
    return std::unexpected("contains the control byte " + hex_byte(byte));
  }
  return {};
}

std::expected<void, std::string> check_header(std::string_view name, std::string_view value) {
  if (auto bad = check_header_name(name); !bad)
    return std::unexpected("header name '" + printable(name) + "' " + bad.error());
  if (auto bad = check_header_value(value); !bad)
    return std::unexpected("header '" + std::string(name) + "' " + bad.error());
  return {};
}

std::expected<void, std::string> check_request_headers(
    std::string_view bearer_token,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  if (auto bad = check_header_value(bearer_token); !bad)
    return std::unexpected("the bearer token from the auth provider " + bad.error());
  for (const auto& [name, value] : headers) {
    if (auto bad = check_header_name(name); !bad)
      return std::unexpected("header name '" + printable(name) + "' (HttpOptions::headers) " +
                             bad.error());
    if (auto bad = check_header_value(value); !bad)
      return std::unexpected("header '" + name + "' (HttpOptions::headers) " + bad.error());
  }
  return {};
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::optional<std::string> media_type_parameter(std::string_view media_type,
                                                std::string_view name) {
  std::size_t semicolon = media_type.find(';');
  while (semicolon != std::string_view::npos) {
    media_type.remove_prefix(semicolon + 1);
    // A quoted value may hold ';': find the end of this parameter outside quotes.
    std::size_t end = 0;
    for (bool quoted = false; end < media_type.size(); ++end) {
      if (media_type[end] == '"') quoted = !quoted;
      if (quoted && media_type[end] == '\\')
        ++end;
      else if (!quoted && media_type[end] == ';')
        break;
    }
    const std::string_view parameter = media_type.substr(0, end);
    const std::size_t equals = parameter.find('=');
    if (equals != std::string_view::npos &&
        equals_ignoring_case(trim_ows(parameter.substr(0, equals)), name))
      return unquote(trim_ows(parameter.substr(equals + 1)));
    semicolon = end < media_type.size() ? end : std::string_view::npos;
  }
  return std::nullopt;
}

}  // namespace tether::io
