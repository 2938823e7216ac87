#include <algorithm>
#include <charconv>
#include <cstdint>
#include <system_error>
#include <tether/io/stream_identity.hpp>
#include <vector>

namespace tether::io {

namespace {

constexpr std::string_view hex_digits = "0123456789ABCDEF";

void append_escaped_byte(std::string& out, unsigned char byte) {
  out += '%';
  out += hex_digits[byte >> 4];
  out += hex_digits[byte & 0xFu];
}

// URL text with bytes that cannot appear in a URL (controls, space, DEL,
// non-ASCII) as %XX; '%' itself stays, since it already escapes in a URL.
void append_url_part(std::string& out, std::string_view text, bool lower_case) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7F)
      append_escaped_byte(out, byte);
    else if (lower_case && c >= 'A' && c <= 'Z')
      out += static_cast<char>(c - 'A' + 'a');
    else
      out += c;
  }
}

// The sequence source is followed by " key=", so a space (or '%') in it is
// escaped: two different sources never give one identity.
void append_source(std::string& out, std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7F || c == '%')
      append_escaped_byte(out, byte);
    else
      out += c;
  }
}

std::string_view default_port(std::string_view scheme) {
  if (scheme == "http" || scheme == "ws") return "80";
  if (scheme == "https" || scheme == "wss") return "443";
  return {};
}

// "host[:port]" of an authority without userinfo: the host, and the port in
// canonical decimal (the scheme's default if none). A port that is not a number
// is kept as written.
void append_host_port(std::string& out, std::string_view authority, std::string_view scheme) {
  std::string_view host = authority;
  std::string_view port;
  const std::size_t bracket = authority.rfind(']');
  const std::size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  append_url_part(out, host, true);
  if (port.empty()) port = default_port(scheme);
  if (port.empty()) return;
  out += ':';
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec == std::errc{} && end == port.data() + port.size())
    out += std::to_string(value);
  else
    append_url_part(out, port, false);
}

// "?a&b": the query's parameter names, sorted, each once; nothing if none.
void append_query_names(std::string& out, std::string_view query) {
  std::vector<std::string_view> names;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::string_view name = pair.substr(0, pair.find('='));
    if (!name.empty()) names.push_back(name);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += i == 0 ? '?' : '&';
    append_url_part(out, names[i], false);
  }
}

void append_url(std::string& out, std::string_view url) {
  std::string_view rest = url.substr(0, url.find('#'));
  std::string_view query;
  if (const std::size_t question = rest.find('?'); question != std::string_view::npos) {
    query = rest.substr(question + 1);
    rest = rest.substr(0, question);
  }
  const std::size_t sep = rest.find("://");
  if (sep == std::string_view::npos) {
    append_url_part(out, rest, false);  // not a URL: as written, minus query values
  } else {
    std::string scheme;
    append_url_part(scheme, rest.substr(0, sep), true);
    out += scheme;
    out += "://";
    const std::string_view after = rest.substr(sep + 3);
    const std::size_t slash = after.find('/');
    std::string_view authority = after.substr(0, slash);
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos)
      authority = authority.substr(at + 1);
    append_host_port(out, authority, scheme);
    const std::string_view path =
        slash == std::string_view::npos ? std::string_view("/") : after.substr(slash);
    append_url_part(out, path, false);
  }
  append_query_names(out, query);
}

std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t hash = 0xCBF29CE484222325u;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001B3u;
  }
  return hash;
}

}  // namespace

std::string stream_identity(std::string_view url, std::string_view sequence_source,
                            std::string_view key) {
  std::string out;
  append_url(out, url);
  out += " seq=";
  append_source(out, sequence_source.empty() ? std::string_view("none") : sequence_source);
  if (!key.empty()) {
    out += " key=";
    out += key;
  }
  if (out.size() <= stream_identity_bytes_max) return out;
  // Too long for a checkpoint: a prefix to read, and a hash of the whole to compare.
  const std::uint64_t hash = fnv1a64(out);
  constexpr std::size_t suffix_bytes = 2 + 16;  // " #" and the hash
  out.resize(stream_identity_bytes_max - suffix_bytes);
  out += " #";
  for (int shift = 60; shift >= 0; shift -= 4) out += hex_digits[(hash >> shift) & 0xFu];
  return out;
}

}  // namespace tether::io
