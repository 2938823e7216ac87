#include <catch2/catch.hpp>
#include <tether/io/redirect.hpp>

using tether::io::check_redirect;
using tether::io::origin_of;
using tether::io::parse_url;
using tether::io::Url;

namespace {
Url url(std::string_view text) { return parse_url(text).value(); }
}  // namespace

TEST_CASE("redirect: origins are scheme, host and port, and name nothing else", "[redirect]") {
  CHECK(origin_of(url("https://Example.com/a?token=secret")) == "https://Example.com:443");
  CHECK(origin_of(url("http://[::1]:9000/x")) == "http://[::1]:9000");
  CHECK(tether::io::same_origin(url("https://example.com/a"), url("HTTPS://EXAMPLE.com:443/b")));
  CHECK_FALSE(tether::io::same_origin(url("http://a:1/"), url("http://a:2/")));
  CHECK_FALSE(tether::io::same_origin(url("http://a/"), url("https://a/")));
}

TEST_CASE("redirect: a downgrade from https to http is refused", "[redirect]") {
  const auto refused =
      check_redirect(url("https://a:1/s?k=v"), url("http://b:2/t?sig=SECRET"), true);
  REQUIRE_FALSE(refused);
  CHECK(refused.error() ==
        "refused redirect from https://a:1 to http://b:2: a downgrade to plain text");
  CHECK_FALSE(check_redirect(url("https://a/"), url("http://a/"), false));
  CHECK(check_redirect(url("http://a/"), url("https://a/"), true));
}

TEST_CASE("redirect: credentials stay within the configured origin", "[redirect]") {
  const auto same = check_redirect(url("https://a:1/x"), url("https://a:1/y"), true);
  REQUIRE(same);
  CHECK(same->credentials);
  CHECK_FALSE(same->dropped_credentials);
  const auto other = check_redirect(url("https://a:1/x"), url("https://b:1/y"), true);
  REQUIRE(other);
  CHECK_FALSE(other->credentials);
  CHECK(other->dropped_credentials);
  // Dropped once, never restored, even back at the first origin.
  const auto back = check_redirect(url("https://b:1/y"), url("https://a:1/x"), false);
  REQUIRE(back);
  CHECK_FALSE(back->credentials);
  CHECK_FALSE(back->dropped_credentials);
  const std::string notice =
      tether::io::cross_origin_notice(url("https://a:1/x?q=1"), url("https://b:1/y?sig=S"));
  CHECK(notice.starts_with("redirect from https://a:1 to https://b:1 (another origin)"));
  CHECK(notice.find("sig") == std::string::npos);
}

TEST_CASE("redirect: a path with a space or control byte is refused", "[redirect]") {
  Url to = url("http://a/");
  to.target = "/x HTTP/1.1\r\nX-Injected: 1";
  CHECK_FALSE(check_redirect(url("http://a/"), to, true));
}
