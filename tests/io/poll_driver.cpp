// The polling session's driver (io/src/poll_driver.cpp) with a trompeloeil
// poller and auth provider, a recording application and a virtual clock:
// PollRunner's loop and effects, without Asio.
#include <algorithm>
#include <catch2/catch.hpp>
#include <catch2/trompeloeil.hpp>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/poll_driver.hpp>
#include <variant>
#include <vector>

#include "fakes.hpp"

namespace {

using namespace tether;
using io::testing::ManualHost;
using io::testing::VirtualClock;
namespace poll = model::poll;
using trompeloeil::_;
using Etag = std::optional<std::string>;

struct MockPoller final : io::Poller {
  MAKE_MOCK3(poll, void(std::size_t, const Etag&, std::string_view), override);
};

// A plain struct, not std::expected: trompeloeil's trace printer and
// libstdc++ 12's unconstrained std::expected operator== do not mix.
struct AuthOutcome {
  AuthOutcome(io::Credentials c) : credentials(std::move(c)) {}  // NOLINT: implicit on purpose
  AuthOutcome(std::string e) : error(std::move(e)) {}            // NOLINT
  std::optional<io::Credentials> credentials;
  std::string error;
};

struct MockAuth final : io::AuthProvider {
  MAKE_MOCK0(refresh_outcome, AuthOutcome());
  std::expected<io::Credentials, std::string> refresh() override {
    AuthOutcome o = refresh_outcome();
    if (o.credentials) return *o.credentials;
    return std::unexpected(o.error);
  }
};

struct Change {
  std::size_t endpoint;
  poll::ChangeKind kind;
  std::string key;
  std::string value;
  friend bool operator==(const Change&, const Change&) = default;
};

// A recording application (not a mock: tests assert on what it saw).
struct RecordingApp final : io::PollApplication {
  std::vector<Change> changes;
  std::vector<std::pair<std::size_t, poll::Status>> statuses;
  std::vector<poll::StopReason> stops;
  std::vector<io::Diagnostic> diagnostics;
  void on_change(std::size_t endpoint, poll::ChangeKind kind, std::string_view key,
                 std::string_view value) override {
    changes.push_back({endpoint, kind, std::string(key), std::string(value)});
  }
  void on_status(std::size_t endpoint, const poll::Status& status) override {
    statuses.emplace_back(endpoint, status);
  }
  void on_stopped(poll::StopReason reason) override { stops.push_back(reason); }
  void on_diagnostic(const io::Diagnostic& d) override { diagnostics.push_back(d); }
  bool said(std::string_view text) const {
    return std::any_of(diagnostics.begin(), diagnostics.end(), [&](const io::Diagnostic& d) {
      return d.text.find(text) != std::string::npos;
    });
  }
};

// Two endpoints: "fast" every second (fixed 500 ms backoff), "slow" every 5 s.
poll::Config two_endpoints() {
  poll::Config c;
  c.endpoints = {{"fast", 1000, poll::Backoff::fixed(500)},
                 {"slow", 5000, poll::Backoff::fixed(2000)}};
  c.seed = 7;
  return c;
}

io::PollResponse ok(std::string body, Etag etag = std::nullopt) {
  io::PollResponse r;
  r.status = 200;
  r.body = std::move(body);
  r.etag = std::move(etag);
  return r;
}

io::PollResponse status(std::uint16_t code) {
  io::PollResponse r;
  r.status = code;
  r.not_modified = code == 304;
  return r;
}

struct Fixture {
  VirtualClock clock;
  ManualHost host;
  MockPoller poller;
  MockAuth auth;
  RecordingApp app;
  std::unique_ptr<io::PollDriver> driver;

  void make(poll::Config config, bool with_auth = false, io::PollDriverOptions options = {},
            io::PollStepObserver* observer = nullptr) {
    auto state = poll::make(config);
    REQUIRE(state);
    driver = std::make_unique<io::PollDriver>(
        std::move(*state),
        io::PollDriverPorts{clock, host, poller, app, with_auth ? &auth : nullptr, observer},
        options);
  }
  // Started (without auth): both endpoints are polled at once, unconditionally.
  void start() {
    REQUIRE_CALL(poller, poll(0U, Etag{}, std::string_view{}));
    REQUIRE_CALL(poller, poll(1U, Etag{}, std::string_view{}));
    driver->start();
  }
};

const poll::Status& last_status(const RecordingApp& app, std::size_t endpoint) {
  for (auto it = app.statuses.rbegin(); it != app.statuses.rend(); ++it)
    if (it->first == endpoint) return it->second;
  FAIL("no status for endpoint " << endpoint);
  return app.statuses.front().second;
}

}  // namespace

TEST_CASE("poll driver: Started polls every endpoint, a body's entries reach the application",
          "[poll_driver]") {
  Fixture f;
  f.make(two_endpoints());
  f.start();
  f.driver->answered(0, ok(R"({"a":1,"b":"x"})", "\"v1\""));
  CHECK(f.app.changes == std::vector<Change>{{0, poll::ChangeKind::added, "a", "1"},
                                             {0, poll::ChangeKind::added, "b", "\"x\""}});
  CHECK(last_status(f.app, 0).health == poll::Health::ok);
  f.driver->answered(1, ok("{}"));
  CHECK(f.app.changes.size() == 2);
  CHECK(f.driver->polls_answered() == 2);
  CHECK(f.app.diagnostics.empty());
  // The next poll is the fast endpoint's, a cadence after it was sent.
  REQUIRE(f.host.armed);
  CHECK(f.host.armed->ms == 2000);
}

TEST_CASE(
    "poll driver: the timer brings the next poll with the last 200's ETag, a 304 changes "
    "nothing, a new body modifies and removes",
    "[poll_driver]") {
  Fixture f;
  f.make(two_endpoints());
  f.start();
  f.driver->answered(0, ok(R"({"a":1,"b":2})", "\"v1\""));
  f.driver->answered(1, ok("{}"));
  f.app.changes.clear();

  f.clock.now_ms = 2000;
  {
    REQUIRE_CALL(f.poller, poll(0U, Etag{"\"v1\""}, std::string_view{}));
    f.driver->on_timer();
  }
  f.driver->answered(0, status(304));
  CHECK(f.app.changes.empty());

  f.clock.now_ms = 3000;
  {
    REQUIRE_CALL(f.poller, poll(0U, Etag{"\"v1\""}, std::string_view{}));
    f.driver->on_timer();
  }
  f.driver->answered(0, ok(R"({"a":3})", "\"v2\""));
  CHECK(f.app.changes == std::vector<Change>{{0, poll::ChangeKind::modified, "a", "3"},
                                             {0, poll::ChangeKind::removed, "b", "2"}});
  f.clock.now_ms = 4000;
  REQUIRE_CALL(f.poller, poll(0U, Etag{"\"v2\""}, std::string_view{}));
  f.driver->on_timer();
}

TEST_CASE(
    "poll driver: a malformed body and a transport error are said and back off, never a "
    "Removed",
    "[poll_driver]") {
  Fixture f;
  f.make(two_endpoints());
  f.start();
  f.driver->answered(0, ok(R"({"a":1})"));
  f.app.changes.clear();
  f.clock.now_ms = 2000;
  {
    REQUIRE_CALL(f.poller, poll(0U, _, _));
    f.driver->on_timer();
  }
  f.driver->answered(0, ok(R"({"a":1,"a":2})"));
  CHECK(f.app.changes.empty());
  CHECK(f.app.said("poll fast: malformed body: duplicate key 'a'"));
  CHECK(last_status(f.app, 0).health == poll::Health::backing_off);
  CHECK(last_status(f.app, 0).http_status == 200);
  // The fixed 500 ms backoff, from the failure.
  REQUIRE(f.host.armed);
  CHECK(f.host.armed->ms == 2500);

  f.clock.now_ms = 2500;
  {
    REQUIRE_CALL(f.poller, poll(0U, _, _));
    f.driver->on_timer();
  }
  f.driver->answered(0, std::unexpected(std::string("connection refused")));
  CHECK(f.app.changes.empty());
  CHECK(f.app.said("poll fast: connection refused"));
  CHECK(last_status(f.app, 0).http_status == 0);
}

TEST_CASE(
    "poll driver: with an auth provider, Started waits for the first token, off the strand, a "
    "401 fetches one new token for the next poll",
    "[poll_driver]") {
  Fixture f;
  f.make(two_endpoints(), /*with_auth=*/true);
  {
    FORBID_CALL(f.poller, poll(_, _, _));
    f.driver->start();
  }
  REQUIRE(f.host.queued.size() == 1);
  CHECK(f.host.kinds.back() == io::Blocking::start);
  {
    REQUIRE_CALL(f.auth, refresh_outcome()).RETURN(io::Credentials{"tok-1", std::nullopt});
    REQUIRE_CALL(f.poller, poll(0U, Etag{}, std::string_view{"tok-1"}));
    REQUIRE_CALL(f.poller, poll(1U, Etag{}, std::string_view{"tok-1"}));
    f.host.run_offloaded();
  }
  // Two 401s, one refresh: the second waits for the first one's token.
  f.driver->answered(0, status(401));
  f.driver->answered(1, status(401));
  CHECK(f.host.queued.size() == 1);
  CHECK(f.host.kinds.back() == io::Blocking::credential_refresh);
  CHECK(last_status(f.app, 0).health == poll::Health::unauthorised);
  {
    REQUIRE_CALL(f.auth, refresh_outcome()).RETURN(io::Credentials{"tok-2", std::nullopt});
    f.host.run_offloaded();
  }
  f.clock.now_ms = 2000;
  {
    REQUIRE_CALL(f.poller, poll(0U, Etag{}, std::string_view{"tok-2"}));
    f.driver->on_timer();
  }
  // A refresh that fails is said, and tried again at the next 401 only.
  f.driver->answered(0, status(401));
  {
    REQUIRE_CALL(f.auth, refresh_outcome()).RETURN(std::string("token file unreadable"));
    f.host.run_offloaded();
  }
  CHECK(f.app.said("credential refresh failed: token file unreadable"));
  CHECK(f.host.queued.empty());
}

TEST_CASE("poll driver: without initial credentials the session still starts, and says why",
          "[poll_driver]") {
  Fixture f;
  f.make(two_endpoints(), /*with_auth=*/true);
  f.driver->start();
  REQUIRE_CALL(f.auth, refresh_outcome()).RETURN(std::string("no token file"));
  REQUIRE_CALL(f.poller, poll(0U, Etag{}, std::string_view{}));
  REQUIRE_CALL(f.poller, poll(1U, Etag{}, std::string_view{}));
  f.host.run_offloaded();
  CHECK(f.app.said("no initial credentials: no token file"));
}

TEST_CASE("poll driver: stop ends the session, an answer or a first token after it does nothing",
          "[poll_driver]") {
  SECTION("an answer still in flight") {
    Fixture f;
    f.make(two_endpoints());
    f.start();
    f.driver->stop();
    CHECK(f.app.stops == std::vector{poll::StopReason::stop_requested});
    CHECK(f.driver->finished());
    f.driver->answered(0, ok(R"({"a":1})"));
    CHECK(f.app.changes.empty());
    CHECK(f.driver->polls_answered() == 0);
    f.driver->stop();  // again: the reducer ignores it
    CHECK(f.app.stops.size() == 1);
  }
  SECTION("the first refresh") {
    Fixture f;
    f.make(two_endpoints(), /*with_auth=*/true);
    f.driver->start();
    f.driver->stop();
    FORBID_CALL(f.poller, poll(_, _, _));
    REQUIRE_CALL(f.auth, refresh_outcome()).RETURN(std::string("cancelled"));
    f.host.run_offloaded();
    CHECK(f.app.diagnostics.empty());
  }
  SECTION("the receiver went away") {
    Fixture f;
    f.make(two_endpoints());
    f.start();
    f.driver->receiver_gone();
    CHECK(f.app.stops == std::vector{poll::StopReason::receiver_gone});
  }
}

namespace {

// A reducer's defect: Started also polls an endpoint the configuration lacks.
poll::Effects poll_nowhere(poll::State& s, const poll::Event& e) noexcept {
  poll::Effects fx = poll::transition_in_place(s, e);
  if (std::holds_alternative<poll::Started>(e)) fx.push_back(poll::Poll{9, false});
  return fx;
}

// Sees each step; notes how many requests the poller had been asked for by then.
struct CountingObserver final : io::PollStepObserver {
  int* polls = nullptr;
  std::vector<std::pair<std::size_t, int>> steps;  // (event index, polls so far)
  void on_step(const poll::Event& event, const poll::State&, const poll::Effects&) override {
    steps.emplace_back(event.index(), *polls);
  }
};

}  // namespace

TEST_CASE("poll driver: a poll of an endpoint the configuration lacks is said, never sent",
          "[poll_driver]") {
  Fixture f;
  f.make(two_endpoints(), false, io::PollDriverOptions{&poll_nowhere});
  f.start();  // exactly the two real endpoints
  REQUIRE(f.app.diagnostics.size() == 1);
  CHECK(f.app.diagnostics[0].kind == io::Diagnostic::Kind::fatal);
  CHECK(f.app.said("a poll of endpoint 9 of 2"));
}

TEST_CASE("poll driver: the observer sees each step after its effects ran", "[poll_driver]") {
  Fixture f;
  int polls = 0;
  CountingObserver observer;
  observer.polls = &polls;
  f.make(two_endpoints(), false, {}, &observer);
  ALLOW_CALL(f.poller, poll(_, _, _)).LR_SIDE_EFFECT(++polls);
  f.driver->start();
  f.driver->answered(0, ok("{}"));
  REQUIRE(observer.steps.size() == 2);
  CHECK(observer.steps[0] == std::pair<std::size_t, int>{0, 2});  // Started, both polls sent
  CHECK(observer.steps[1].first == 3);                            // PollSucceeded
}
