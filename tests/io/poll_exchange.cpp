// io::PollExchange: what an answer to a poll becomes (the event fed to the
// polling session, the diagnostics, the ETag of the next request). PollRunner
// and the simulator's poll world both run it.
#include <catch2/catch.hpp>
#include <string>
#include <tether/io/poll_exchange.hpp>
#include <tether/model/presets.hpp>
#include <variant>

namespace io = tether::io;
namespace poll = tether::model::poll;

namespace {

io::PollResponse ok(std::string body, std::optional<std::string> etag = std::nullopt) {
  io::PollResponse r;
  r.status = 200;
  r.body = std::move(body);
  r.etag = std::move(etag);
  return r;
}

io::PollResponse status(std::uint16_t code) {
  io::PollResponse r;
  r.status = code;
  return r;
}

}  // namespace

TEST_CASE("a 200 with a JSON object is a snapshot, its ETag goes on the next request",
          "[poll_exchange]") {
  io::PollExchange x(tether::model::presets::zero_poll());
  CHECK_FALSE(x.etag(1).has_value());
  const auto out = x.answer(1, ok(R"({"b":2,"a":"x"})", "\"v7\""));
  const auto* s = std::get_if<poll::PollSucceeded>(&out.event);
  REQUIRE(s != nullptr);
  CHECK(s->endpoint == 1);
  REQUIRE(s->snapshot.has_value());
  REQUIRE(s->snapshot->size() == 2);
  CHECK(s->snapshot->entries()[0].key == "a");
  CHECK(s->snapshot->entries()[0].value == "\"x\"");  // the member's JSON text
  CHECK(s->snapshot->entries()[1].value == "2");
  CHECK(out.diagnostics.empty());
  CHECK(x.etag(1) == std::optional<std::string>("\"v7\""));
  CHECK_FALSE(x.etag(0).has_value());
}

TEST_CASE("a 304 is a success with no snapshot and keeps the ETag", "[poll_exchange]") {
  io::PollExchange x(tether::model::presets::zero_poll());
  x.answer(0, ok("{}", "e1"));
  io::PollResponse r = status(304);
  r.not_modified = true;
  const auto out = x.answer(0, r);
  const auto* s = std::get_if<poll::PollSucceeded>(&out.event);
  REQUIRE(s != nullptr);
  CHECK_FALSE(s->snapshot.has_value());
  CHECK(x.etag(0) == std::optional<std::string>("e1"));
}

TEST_CASE("a body that is no snapshot is PollFailed{200}, said, and keeps the old ETag",
          "[poll_exchange]") {
  io::PollExchange x(tether::model::presets::zero_poll());
  x.answer(0, ok("{}", "e1"));
  // Cut short, not an object, a key listed twice (never "last wins").
  for (const char* body : {R"({"a":1,)", "[1,2]", R"({"a":1,"b":2,"a":3})"}) {
    const auto out = x.answer(0, ok(body, "e2"));
    const auto* f = std::get_if<poll::PollFailed>(&out.event);
    REQUIRE(f != nullptr);
    CHECK(f->http_status == 200);
    REQUIRE(out.diagnostics.size() == 1);
    CHECK(out.diagnostics[0].kind == io::Diagnostic::Kind::protocol);
    CHECK(out.diagnostics[0].text.find("malformed body") != std::string::npos);
    CHECK(x.etag(0) == std::optional<std::string>("e1"));
  }
}

TEST_CASE("a body that lists a key twice is refused, naming the key, never last-wins",
          "[poll_exchange]") {
  CHECK(io::parse_snapshot(R"({"a":1,"b":{"a":2}})").has_value());  // a nested key is no member
  const auto parsed = io::parse_snapshot(R"({"a":1,"b":2,"a":3})");
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error() == "duplicate key 'a'");
}

TEST_CASE("an HTTP error is PollFailed with its status, a 401 asks for a token",
          "[poll_exchange]") {
  io::PollExchange x(tether::model::presets::zero_poll());
  for (const int code : {404, 401, 503, 500}) {
    const auto out = x.answer(0, status(static_cast<std::uint16_t>(code)));
    const auto* f = std::get_if<poll::PollFailed>(&out.event);
    REQUIRE(f != nullptr);
    CHECK(f->http_status == code);
    CHECK(out.unauthorised == (code == 401));
  }
}

TEST_CASE("a transport error is PollFailed{0}, said with the endpoint's name", "[poll_exchange]") {
  const poll::Config config = tether::model::presets::zero_poll();
  io::PollExchange x(config);
  io::PollResponse redirected = ok("{}");
  redirected.notices.push_back("redirected to another origin");
  CHECK(x.answer(0, redirected).diagnostics.size() == 1);
  const auto out = x.answer(0, std::unexpected(std::string("connect: refused")));
  const auto* f = std::get_if<poll::PollFailed>(&out.event);
  REQUIRE(f != nullptr);
  CHECK(f->http_status == 0);
  REQUIRE(out.diagnostics.size() == 1);
  CHECK(out.diagnostics[0].kind == io::Diagnostic::Kind::connection);
  CHECK(out.diagnostics[0].text == "poll " + config.endpoints[0].name + ": connect: refused");
}
