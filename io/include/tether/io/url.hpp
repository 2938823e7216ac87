#pragma once
// The URLs tether connects to: http, https, ws, wss. Parsed strictly; an error
// names what is wrong ("missing host", "port 99999 out of range") and shows the
// URL only in its redacted form (redacted_url).
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace tether::io {

struct Url {
  std::string scheme;      // lower case: "http", "https", "ws", "wss"
  std::string host;        // a name, an IPv4 address, or an IPv6 address without brackets
  std::uint16_t port = 0;  // the scheme's default when the URL has none
  std::string target;      // path and query, at least "/"

  bool tls() const { return scheme == "https" || scheme == "wss"; }
  bool websocket() const { return scheme == "ws" || scheme == "wss"; }
  // "host:port" as the Host header wants it (brackets for IPv6, port only if not default).
  std::string host_header() const;
  std::string to_string() const;
};

std::expected<Url, std::string> parse_url(std::string_view text);

// `url` safe to print, log or record: scheme, host, port, path and query
// parameter NAMES are kept; credentials are not:
//  - userinfo becomes "***@" ("https://u:pw@h/x" -> "https://***@h/x"). Any '@'
//    before the query counts, so a password holding a raw '/' is hidden too
//    (a path with an '@' loses what precedes it: "http://h/a/@b" -> "http://***@b");
//  - every query value becomes "***" ("?access_token=abc&x" -> "?access_token=***&***":
//    a parameter without '=' may be a bare key, so it is hidden whole);
//  - the fragment is dropped;
//  - an authority that is not host[:port] (what a broken "user:pa#ss@h" leaves) becomes "***";
//  - control bytes, spaces and non-ASCII bytes are percent-encoded, so the result is one
//    printable line even for a hostile redirect Location.
// Works on any text, URL or not (best effort: it never echoes a userinfo or query value).
std::string redacted_url(std::string_view url);

// A Location header against the URL it answered (absolute, or an absolute
// path); other relative forms are refused with a reason (which shows the
// Location redacted).
std::expected<Url, std::string> resolve_location(const Url& base, std::string_view location);

// `target` with `name=value` appended to its query, value percent-encoded.
std::string with_query_parameter(std::string_view target, std::string_view name,
                                 std::string_view value);

}  // namespace tether::io
