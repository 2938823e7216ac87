#include <catch2/catch.hpp>

#include <tether/io/url.hpp>

using tether::io::parse_url;
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
  CHECK(parse_url("http://h:8x/").error().find("port '8x'") != std::string::npos);
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
