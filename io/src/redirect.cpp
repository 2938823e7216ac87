#include <tether/io/http_header.hpp>
#include <tether/io/redirect.hpp>

namespace tether::io {

std::string origin_of(const Url& url) {
  std::string out = url.scheme + "://";
  out += url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  out += ":" + std::to_string(url.port);
  return out;
}

bool same_origin(const Url& a, const Url& b) {
  return a.scheme == b.scheme && a.port == b.port && equals_ignoring_case(a.host, b.host);
}

std::expected<RedirectHop, std::string> check_redirect(const Url& from, const Url& to,
                                                       bool credentials) {
  const std::string hop = "redirect from " + origin_of(from) + " to " + origin_of(to);
  if (from.tls() && !to.tls())
    return std::unexpected("refused " + hop + ": a downgrade to plain text");
  for (const char c : to.target) {
    // An absolute-path Location is not checked by parse_url: a space or a
    // control byte would break the request line.
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F)
      return std::unexpected("refused " + hop + ": its path holds a space or a control byte");
  }
  RedirectHop out;
  out.credentials = credentials && same_origin(from, to);
  out.dropped_credentials = credentials && !out.credentials;
  return out;
}

std::string cross_origin_notice(const Url& from, const Url& to) {
  return "redirect from " + origin_of(from) + " to " + origin_of(to) +
         " (another origin): followed without the bearer token and the extra headers "
         "(HttpOptions::headers, -H), which are only sent to the configured origin";
}

}  // namespace tether::io
