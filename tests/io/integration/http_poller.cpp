// The polling transport against nginx's static files: ETag revalidation (304),
// changes, 404, redirects and timeouts.
#include <catch2/catch.hpp>
#include <tether/io/http_poller.hpp>
#include <thread>

#include "nginx_server.hpp"
#include "scripted_server.hpp"

using tether::io::testing::Behaviour;
using tether::io::testing::NginxServer;
using tether::io::testing::ScriptedServer;

TEST_CASE("http poller: ETag revalidation against nginx, then a change", "[poll]") {
  NginxServer server = NginxServer::start();
  server.write_file("state.json", R"({"a":1})");
  auto poller = tether::io::HttpPoller::create({});
  REQUIRE(poller);
  auto first = (*poller)->get({server.url("/files/state.json"), std::nullopt, ""});
  REQUIRE(first);
  CHECK(first->status == 200);
  CHECK(first->body == R"({"a":1})");
  REQUIRE(first->etag);
  auto same = (*poller)->get({server.url("/files/state.json"), first->etag, ""});
  REQUIRE(same);
  CHECK(same->status == 304);
  CHECK(same->not_modified);
  CHECK(same->body.empty());
  server.write_file("state.json", R"({"a":2,"b":3})");
  auto changed = (*poller)->get({server.url("/files/state.json"), first->etag, ""});
  REQUIRE(changed);
  CHECK(changed->status == 200);
  CHECK(changed->body == R"({"a":2,"b":3})");
  CHECK(changed->etag != first->etag);
  auto missing = (*poller)->get({server.url("/files/none.json"), std::nullopt, ""});
  REQUIRE(missing);
  CHECK(missing->status == 404);
}

TEST_CASE("http poller: redirects, oversized bodies and a silent server", "[poll]") {
  ScriptedServer server(
      {Behaviour::http_response(302, {{"Location", "/real"}}),
       Behaviour::http_response(200, {{"ETag", "\"v1\""}}, std::string(2048, 'x')),
       Behaviour::silent()},
      ScriptedServer::Options{true});
  tether::io::PollOptions options;
  options.timeout = std::chrono::milliseconds(500);
  auto poller = tether::io::HttpPoller::create(options);
  REQUIRE(poller);
  auto followed = (*poller)->get({server.base_url() + "/state", std::nullopt, "tok"});
  REQUIRE(followed);
  CHECK(followed->etag == "\"v1\"");
  CHECK(server.requests()[1].starts_with("GET /real HTTP/1.1"));
  CHECK(server.requests()[1].find("Authorization: Bearer tok") != std::string::npos);
  auto silent = (*poller)->get({server.base_url() + "/state", std::nullopt, ""});
  REQUIRE_FALSE(silent);
  CHECK(silent.error().find("timed out after 500 ms") != std::string::npos);

  ScriptedServer big({Behaviour::http_response(200, {}, std::string(4096, 'x'))});
  tether::io::PollOptions small;
  small.body_bytes_max = 1024;
  auto limited = tether::io::HttpPoller::create(small);
  REQUIRE(limited);
  auto refused = (*limited)->get({big.base_url() + "/", std::nullopt, ""});
  INFO((refused ? "status " + std::to_string(refused->status) + ", body " +
                      std::to_string(refused->body.size())
                : refused.error()));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().find("larger than 1024 bytes") != std::string::npos);
}
