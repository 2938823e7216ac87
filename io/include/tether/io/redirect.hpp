#pragma once
// The rules for following an HTTP redirect (301/302/303/307/308), shared by the
// SSE transport and the HTTP poller:
// - a redirect from https to http (a downgrade to plain text) is refused;
// - credentials (the bearer token and HttpOptions::headers) go only to the
//   configured URL's origin (scheme, host, port): once a redirect leaves it,
//   the rest of the chain carries none, and the caller says so;
// - messages name origins ("https://host:port") only, never a path, a query
//   or a Location value, which may hold secrets.
#include <expected>
#include <string>
#include <tether/io/url.hpp>

namespace tether::io {

// "scheme://host:port" (IPv6 hosts in brackets, the port always shown).
std::string origin_of(const Url& url);
// Same scheme, host (ignoring ASCII case) and port.
bool same_origin(const Url& a, const Url& b);

struct RedirectHop {
  bool credentials = false;          // send the bearer token and the extra headers to `to`
  bool dropped_credentials = false;  // this hop is where they stop (see cross_origin_notice)
};

// May the client follow `from` -> `to`, and with credentials? `credentials`:
// whether the request to `from` carried them. The error is the refusal, for
// the user ("refused redirect from https://a:1 to http://b:2: a downgrade to
// plain text").
std::expected<RedirectHop, std::string> check_redirect(const Url& from, const Url& to,
                                                       bool credentials);

// The notice for a hop whose dropped_credentials is set.
std::string cross_origin_notice(const Url& from, const Url& to);

}  // namespace tether::io
