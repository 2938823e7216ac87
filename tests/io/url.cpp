#include <catch2/catch.hpp>
#include <tether/io/url.hpp>

using tether::io::parse_url;
using tether::io::redacted_url;
using tether::io::resolve_location;
using tether::io::with_query_parameter;

TEST_CASE("url: schemes, default ports, targets", "[url]") {
  auto u = parse_url("HTTPS://Example.com/sub/ch?x=1#frag");
  REQUIRE(u);
  CHECK(u->scheme == "https");
  CHECK(u->host == "Example.com");
  CHECK(u->port == 443);
  CHECK(u->target == "/sub/ch?x=1");
  CHECK(u->tls());
  CHECK_FALSE(u->websocket());
  CHECK(u->host_header() == "Example.com");

  auto w = parse_url("ws://127.0.0.1:8080");
  REQUIRE(w);
  CHECK(w->port == 8080);
  CHECK(w->target == "/");
  CHECK(w->websocket());
  CHECK(w->host_header() == "127.0.0.1:8080");

  auto v6 = parse_url("http://[::1]:9000/a");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->host_header() == "[::1]:9000");
  CHECK(parse_url("wss://h?q")->target == "/?q");
}

TEST_CASE("url: errors name what is wrong", "[url]") {
  CHECK(parse_url("example.com/x").error().find("missing scheme") != std::string::npos);
  CHECK(parse_url("ftp://h/").error().find("unsupported scheme 'ftp'") != std::string::npos);
  CHECK(parse_url("http:///x").error().find("missing host") != std::string::npos);
  CHECK(parse_url("http://h:0/").error().find("port '0'") != std::string::npos);
  CHECK(parse_url("http://h:99999/").error().find("port '99999'") != std::string::npos);
  CHECK(parse_url("http://h:8x/").error().find("port is not a number") != std::string::npos);
  CHECK(parse_url("http://[::1/").error().find("unterminated IPv6") != std::string::npos);
  CHECK(parse_url("http://user:pw@h/").error().find("credentials") != std::string::npos);
  CHECK(parse_url("http://h/a b").error().find("space") != std::string::npos);
}

TEST_CASE("url: redirect locations", "[url]") {
  const auto base = *parse_url("http://h:81/sub/a");
  CHECK(resolve_location(base, "/sub/b")->to_string() == "http://h:81/sub/b");
  CHECK(resolve_location(base, "https://other/x")->to_string() == "https://other:443/x");
  CHECK_FALSE(resolve_location(base, "relative/path"));
  CHECK_FALSE(resolve_location(base, "//host/x"));
  CHECK_FALSE(resolve_location(base, "ws://h/x"));  // a redirect may not switch protocols
}

TEST_CASE("url: query parameters are percent-encoded", "[url]") {
  CHECK(with_query_parameter("/sub", "last_event_id", "1700:3") == "/sub?last_event_id=1700:3");
  CHECK(with_query_parameter("/sub?a=1", "id", "a b&c") == "/sub?a=1&id=a%20b%26c");
}

TEST_CASE("url: redacted_url keeps scheme, host, port, path and query names", "[url][redact]") {
  CHECK(redacted_url("https://example.com:8443/sub/orders") ==
        "https://example.com:8443/sub/orders");
  CHECK(redacted_url("http://h/sub?access_token=SECRET&last_event_id=12:3") ==
        "http://h/sub?access_token=***&last_event_id=***");
  CHECK(redacted_url("http://h/sub?SECRETKEY") ==
        "http://h/sub?***");  // a bare parameter may be a key
  CHECK(redacted_url("http://h/sub?a=1&&b=") == "http://h/sub?a=***&&b=***");
  CHECK(redacted_url("http://h?a=1#frag-SECRET") == "http://h?a=***");
  CHECK(redacted_url("ws://[::1]:9000/x") == "ws://[::1]:9000/x");
}

TEST_CASE("url: redacted_url never echoes userinfo, even in broken URLs", "[url][redact]") {
  CHECK(redacted_url("https://user:SECRET@h:1/x?t=SECRET2") == "https://***@h:1/x?t=***");
  CHECK(redacted_url("https://SECRETTOKEN@h/x") == "https://***@h/x");
  CHECK(redacted_url("https://u:p@SECRET@h/x") == "https://***@h/x");  // raw '@' in the password
  CHECK(redacted_url("https://u:SEC/RET@h/x") == "https://***@h/x");   // raw '/' in the password
  CHECK(redacted_url("https://u:SEC#RET@h/x") ==
        "https://***");  // raw '#': authority is not host:port
  CHECK(redacted_url("https://u:SEC?RET@h/x") == "https://***?***");
  CHECK(redacted_url("u:SECRET@h/x") == "***@h/x");  // no scheme at all
  CHECK(redacted_url("h/x?next=https://u:SECRET@h/&t=SECRET2") == "h/x?next=***&t=***");
  CHECK(redacted_url("//u:SECRET@elsewhere/x") == "***@elsewhere/x");
  CHECK(redacted_url("http://h/a/@b") == "http://***@b");  // the documented price of the rule above
  for (const char* text :
       {"https://user:SECRET@h/", "ftp://u:SECRET@h", "http://u:SECRET/x@h", "SECRET@",
        "http://h/?SECRET", "http://h/?x=SECRET", "http://h/#SECRET", "https://u:SECRET#@h"}) {
    INFO(text);
    CHECK(redacted_url(text).find("SECRET") == std::string::npos);
  }
}

TEST_CASE("url: redacted_url prints one line of printable ASCII", "[url][redact]") {
  CHECK(redacted_url("http://h/a b\r\n\x1b[31m") == "http://h/a%20b%0D%0A%1B[31m");
  CHECK(redacted_url("http://h/caf\xC3\xA9") == "http://h/caf%C3%A9");
  CHECK(redacted_url("") == "");
  CHECK(redacted_url("not-a-url") == "not-a-url");
}

TEST_CASE("url: parse and redirect errors show the URL redacted", "[url][redact]") {
  for (const char* text :
       {"http://user:SECRET@h/x?access_token=SECRET", "http://u:SECRET/x@h/?t=SECRET",
        "http://h:SECRET/", "u:SECRET@h", "http://h/a b?t=SECRET", "ftp://u:SECRET@h/?t=SECRET",
        "h/x?t=SECRET&u=http://h/", "http://[::1/?t=SECRET"}) {
    INFO(text);
    const auto parsed = parse_url(text);
    REQUIRE_FALSE(parsed);
    INFO(parsed.error());
    CHECK(parsed.error().find("SECRET") == std::string::npos);
  }
  const auto credentials = parse_url("http://user:SECRET@h/x?access_token=SECRET");
  CHECK(credentials.error() ==
        "URL 'http://***@h/x?access_token=***': credentials in the URL are not supported (use a "
        "token provider)");
  const auto base = *parse_url("http://h:81/sub/a");
  for (const char* location : {"ws://u:SECRET@h/x?t=SECRET", "//u:SECRET@h/x", "relative?t=SECRET",
                               "https://u:SECRET@h/x", "http://h:SECRET/"}) {
    INFO(location);
    const auto resolved = resolve_location(base, location);
    REQUIRE_FALSE(resolved);
    INFO(resolved.error());
    CHECK(resolved.error().find("SECRET") == std::string::npos);
  }
}
