// tests/io/stream_identity.cpp tests io/src/stream_identity.cpp: what a
// checkpoint records as the identity of its stream. The same stream gives the
// same identity however the URL is spelled and whatever its secrets; another
// stream, sequence source or key gives another.

#include <catch2/catch.hpp>
#include <string>
#include <tether/io/stream_identity.hpp>

using tether::io::stream_identity;
using tether::io::stream_identity_bytes_max;

TEST_CASE("stream identity: scheme://host:port/path, the sequence source and the key",
          "[stream_identity]") {
  CHECK(stream_identity("http://127.0.0.1:8080/sub/orders", "json:seq", "") ==
        "http://127.0.0.1:8080/sub/orders seq=json:seq");
  CHECK(stream_identity("http://127.0.0.1:8080/sub/orders", "", "") ==
        "http://127.0.0.1:8080/sub/orders seq=none");
  CHECK(stream_identity("wss://example.com/a", "id", "tenant 7") ==
        "wss://example.com:443/a seq=id key=tenant 7");
  CHECK(stream_identity("https://example.com/sub/orders?access_token=x&b=1#frag", "json:seq") ==
        "https://example.com:443/sub/orders?access_token&b seq=json:seq");
}

TEST_CASE("stream identity: no secrets, no query values", "[stream_identity]") {
  const std::string identity = stream_identity(
      "https://alice:hunter2@example.com/sub/x?access_token=SECRET1&sig=SECRET2&sig=SECRET3", "id",
      "");
  CHECK(identity == "https://example.com:443/sub/x?access_token&sig seq=id");
  for (const char* secret : {"alice", "hunter2", "SECRET1", "SECRET2", "SECRET3", "@"})
    CHECK(identity.find(secret) == std::string::npos);
  // A rotated token in the query is still the same stream.
  CHECK(stream_identity("http://h/s?token=one", "id", "") ==
        stream_identity("http://h/s?token=two", "id", ""));
  // Userinfo with '@' in it: everything up to the last '@' goes.
  CHECK(stream_identity("http://a@b:c@d@host:81/p", "", "") == "http://host:81/p seq=none");
}

TEST_CASE("stream identity: one stream however its URL is spelled", "[stream_identity]") {
  const std::string canonical = stream_identity("http://host:80/sub/a", "id", "");
  for (const char* spelling :
       {"http://host/sub/a", "HTTP://HOST/sub/a", "http://host:080/sub/a", "http://host:/sub/a",
        "http://host/sub/a#top", "http://user@host/sub/a"})
    CHECK(stream_identity(spelling, "id", "") == canonical);
  CHECK(stream_identity("http://host", "", "") == "http://host:80/ seq=none");
  CHECK(stream_identity("http://host?x=1", "", "") == "http://host:80/?x seq=none");
  CHECK(stream_identity("ws://[::1]:9000/x", "", "") == "ws://[::1]:9000/x seq=none");
  CHECK(stream_identity("wss://[::1]/x", "", "") == "wss://[::1]:443/x seq=none");
  CHECK(stream_identity("http://h/?b=1&a=2&b=3&=4&c", "", "") == "http://h:80/?a&b&c seq=none");
  // The path's case and escapes are the server's business: kept.
  CHECK(stream_identity("http://h/Sub/A%2F", "", "") == "http://h:80/Sub/A%2F seq=none");
}

TEST_CASE("stream identity: different streams differ", "[stream_identity]") {
  const std::string base = stream_identity("http://h:8080/sub/a", "json:seq", "");
  CHECK(stream_identity("http://h:8080/sub/b", "json:seq", "") != base);  // another channel
  CHECK(stream_identity("http://h:8081/sub/a", "json:seq", "") != base);  // another server
  CHECK(stream_identity("https://h:8080/sub/a", "json:seq", "") != base);
  CHECK(stream_identity("ws://h:8080/sub/a", "json:seq", "") != base);
  CHECK(stream_identity("http://h:8080/sub/a", "json:id", "") != base);  // numbered another way
  CHECK(stream_identity("http://h:8080/sub/a", "", "") != base);
  CHECK(stream_identity("http://h:8080/sub/a", "json:seq", "blue") != base);
  CHECK(stream_identity("http://h:8080/sub/a", "json:seq", "blue") !=
        stream_identity("http://h:8080/sub/a", "json:seq", "green"));
  CHECK(stream_identity("http://h:8080/sub/a?x=1", "json:seq", "") != base);  // a parameter more
  // The source is escaped, so it cannot pose as a key.
  CHECK(stream_identity("http://h/", "a key=b", "") != stream_identity("http://h/", "a", "b"));
  CHECK(stream_identity("http://h/", "a key=b", "") == "http://h:80/ seq=a%20key=b");
}

TEST_CASE("stream identity: bytes outside a URL are escaped", "[stream_identity]") {
  CHECK(stream_identity("http://h/a b\x01\xC3\xA9", "", "") ==
        "http://h:80/a%20b%01%C3%A9 seq=none");
  CHECK(stream_identity("not a url?x=secret", "", "") == "not%20a%20url?x seq=none");
}

TEST_CASE("stream identity: a long one is bounded, and still tells streams apart",
          "[stream_identity]") {
  const std::string long_path = "http://h/" + std::string(2000, 'p');
  const std::string a = stream_identity(long_path + "a", "", "");
  const std::string b = stream_identity(long_path + "b", "", "");
  CHECK(a.size() == stream_identity_bytes_max);
  CHECK(b.size() == stream_identity_bytes_max);
  CHECK(a != b);
  CHECK(a.starts_with("http://h:80/ppp"));
  CHECK(a.substr(stream_identity_bytes_max - 18, 2) == " #");
  CHECK(stream_identity(long_path + "a", "", "") == a);  // deterministic
  const std::string fits(stream_identity_bytes_max - std::string(" seq=none").size() - 12, 'p');
  CHECK(stream_identity("http://h:80/" + fits, "", "").size() == stream_identity_bytes_max);
  CHECK(stream_identity("http://h:80/" + fits, "", "").ends_with(fits + " seq=none"));
}
