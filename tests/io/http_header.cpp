#include <catch2/catch.hpp>
#include <tether/io/http_header.hpp>

using tether::io::check_header;
using tether::io::check_header_name;
using tether::io::check_header_value;
using tether::io::media_type_parameter;

TEST_CASE("http header: names must be RFC 9110 tokens", "[http_header]") {
  CHECK(check_header_name("X-Api-Key"));
  CHECK(check_header_name("!#$%&'*+-.^_`|~09azAZ"));
  CHECK(check_header_name("").error() == "is empty");
  CHECK(check_header_name("X Foo").error().starts_with("contains a space (0x20)"));
  CHECK(check_header_name("X-Foo\r\nInjected").error().starts_with("contains a CR byte"));
  CHECK(check_header_name("X:Foo").error().starts_with("contains the byte 0x3A"));
  CHECK(check_header_name("X\xC3\xA9").error().starts_with("contains the byte 0xC3"));
}

TEST_CASE("http header: values refuse CR, LF, NUL and other controls but HTAB", "[http_header]") {
  CHECK(check_header_value(""));
  CHECK(check_header_value("Bearer abc.DEF-123_~+/="));
  CHECK(check_header_value("tab\there, obs-text \xC3\xA9"));
  CHECK(check_header_value("a\r\nX-Injected: 1").error() == "contains a CR byte");
  CHECK(check_header_value("a\nX-Injected: 1").error() == "contains an LF byte");
  CHECK(check_header_value(std::string_view("a\0b", 3)).error() == "contains a NUL byte");
  CHECK(check_header_value("bell\x07").error() == "contains the control byte 0x07");
  CHECK(check_header_value("del\x7F").error() == "contains the control byte 0x7F");
}

TEST_CASE("http header: errors name the header, never the value", "[http_header]") {
  const auto bad = check_header("X-Secret", "hunter2\r\nX-Injected: 1");
  REQUIRE_FALSE(bad);
  CHECK(bad.error() == "header 'X-Secret' contains a CR byte");
  const auto bad_name = check_header("X-A\r\nB", "v");
  REQUIRE_FALSE(bad_name);
  CHECK(bad_name.error().starts_with("header name 'X-A\\x0D\\x0AB' contains a CR byte"));
  CHECK(check_header("X-Ok", "fine"));
}

TEST_CASE("http header: media type parameters", "[http_header]") {
  CHECK(media_type_parameter("text/event-stream", "charset") == std::nullopt);
  CHECK(media_type_parameter("text/event-stream; charset=utf-8", "charset") == "utf-8");
  CHECK(media_type_parameter("text/event-stream;CHARSET=\"ISO-8859-1\"", "charset") ==
        "ISO-8859-1");
  CHECK(media_type_parameter("text/event-stream; a=\"x;y\" ; charset = UTF-8 ", "charset") ==
        "UTF-8");
  CHECK(media_type_parameter("text/event-stream; a=\"x;charset=no\"", "charset") == std::nullopt);
}

TEST_CASE("http header: a request's token and extra headers, with the source named",
          "[http_header]") {
  CHECK(tether::io::check_request_headers("", {}));
  CHECK(tether::io::check_request_headers("abc", {{"X-A", "1"}, {"X-B", ""}}));
  const auto token = tether::io::check_request_headers("tok\r\nX-Injected: 1", {});
  REQUIRE_FALSE(token);
  CHECK(token.error() == "the bearer token from the auth provider contains a CR byte");
  const auto header = tether::io::check_request_headers("ok", {{"X-A", "1"}, {"X-Foo", "a\nb"}});
  REQUIRE_FALSE(header);
  CHECK(header.error() == "header 'X-Foo' (HttpOptions::headers) contains an LF byte");
  const auto name = tether::io::check_request_headers("ok", {{"X Foo", "1"}});
  REQUIRE_FALSE(name);
  CHECK(name.error().starts_with("header name 'X Foo' (HttpOptions::headers) contains a space"));
}
