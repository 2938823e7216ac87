// The request and response hooks (io/src/request_hook.cpp) as the driver runs
// them, in virtual time: one call per attempt, asynchronous completion from
// another thread, what a hook may not change (Failed, naming it), a failing
// hook retried with backoff, a hook that never completes bounded by the
// connect timeout, a stop while one is pending, and the response hook.
#include <catch2/catch.hpp>
#include <deque>
#include <mutex>
#include <string>
#include <tether/io/driver.hpp>
#include <tether/io/request_hook.hpp>
#include <tether/model/presets.hpp>
#include <thread>
#include <vector>

#include "fakes.hpp"

namespace {

using namespace tether;
using io::testing::ManualHost;
using io::testing::VirtualClock;

// The strand: work posted from any thread waits until the test runs it on its
// own thread (the strand's).
struct ManualStrand final : io::Strand {
  std::mutex mutex;
  std::deque<std::move_only_function<void()>> posted;
  void post(std::move_only_function<void()> work) override {
    std::lock_guard lock(mutex);
    posted.push_back(std::move(work));
  }
  std::size_t run_posted() {
    std::size_t ran = 0;
    for (;;) {
      std::move_only_function<void()> work;
      {
        std::lock_guard lock(mutex);
        if (posted.empty()) return ran;
        work = std::move(posted.front());
        posted.pop_front();
      }
      work();
      ++ran;
    }
  }
};

struct RecordingTransport final : io::Transport {
  std::vector<io::ConnectRequest> opened;
  int closes = 0;
  void open(const io::ConnectRequest& request, io::TransportListener&) override {
    opened.push_back(request);
  }
  void close() override { ++closes; }
};

struct RecordingApp final : io::Application {
  std::vector<model::Status> statuses;
  std::vector<io::Diagnostic> diagnostics;
  void on_delivery(const io::Delivery&) override {}
  void on_gap(const model::ReportGap&) override {}
  void on_status(const model::Status& status) override { statuses.push_back(status); }
  void on_diagnostic(const io::Diagnostic& d) override { diagnostics.push_back(d); }
  bool said(std::string_view text) const {
    for (const auto& d : diagnostics)
      if (d.text.find(text) != std::string::npos) return true;
    return false;
  }
  std::string all() const {
    std::string out;
    for (const auto& d : diagnostics) out += d.text + "\n";
    return out;
  }
};

// One call of the request hook, as the hook saw it.
struct Call {
  io::RequestAttempt attempt;
  io::HttpRequest request;
  io::RequestCompletion done;
};

io::RequestRules rules(std::string url = "http://stream.example:8080/sub/orders?channel=o") {
  io::RequestRules r;
  r.url = *io::parse_url(url);
  r.http.headers = {{"X-Api-Key", "static-key"}};
  r.http.cursor_query_parameter = "last_event_id";
  return r;
}

model::SessionConfig config() {
  model::SessionConfig c = model::presets::aviso();
  c.connect.timeout_ms = 5000;
  c.seed = 11;
  return c;
}

struct Fixture {
  VirtualClock clock;
  ManualHost host;
  ManualStrand strand;
  RecordingTransport transport;
  RecordingApp app;
  std::vector<Call> calls;
  std::vector<std::pair<io::RequestAttempt, io::ResponseHead>> responses;
  std::vector<model::StatusKind> status_at_response;
  std::unique_ptr<io::Driver> driver;

  // The hook only records its call: each test completes it as it wants.
  void make(io::RequestRules r = rules(), model::SessionConfig c = config(),
            io::AuthProvider* auth = nullptr) {
    auto state = model::make(c);
    REQUIRE(state);
    io::DriverOptions options;
    options.hooks.rules = std::move(r);
    options.hooks.request = [this](const io::RequestAttempt& attempt, io::HttpRequest request,
                                   io::RequestCompletion done) {
      calls.push_back(Call{attempt, std::move(request), std::move(done)});
    };
    options.hooks.response = [this](const io::RequestAttempt& attempt,
                                    const io::ResponseHead& head) {
      responses.emplace_back(attempt, head);
      status_at_response.push_back(driver->status().kind);
    };
    io::DriverPorts ports{clock, transport, host, app, nullptr, auth, nullptr};
    ports.strand = &strand;
    driver = std::make_unique<io::Driver>(std::move(*state), ports, std::move(options));
  }
  void start() {
    driver->start();
    host.run_offloaded();
  }
  // The timer the driver armed fires (its deadline reached).
  void fire_timer() {
    REQUIRE(host.armed);
    clock.now_ms = host.armed->ms;
    driver->on_timer();
  }
  // Completes call `i` with its request as the hook changed it.
  void complete(std::size_t i, io::RequestOutcome outcome) {
    calls.at(i).done(std::move(outcome));
    strand.run_posted();
  }
};

std::optional<std::string> header(const std::vector<std::pair<std::string, std::string>>& headers,
                                  std::string_view name) {
  for (const auto& [n, v] : headers)
    if (n == name) return v;
  return std::nullopt;
}

// Why `request` is refused ("" when it is not).
std::string refusal(const io::RequestRules& r, const io::HttpRequest& request) {
  const auto checked = io::check_hooked_request(r, request);
  if (checked) return "";
  CHECK(checked.error().cause == model::CloseCause::unrecoverable);
  return checked.error().text;
}

// Fails attempt after attempt, completing each hook at once.
void fail_attempt(Fixture& f) {
  f.driver->on_closed(model::CloseCause::transport_error, "connection refused");
  REQUIRE(f.driver->status().kind == model::StatusKind::backing_off);
  f.fire_timer();
}

}  // namespace

TEST_CASE("request hook: called once per attempt, numbered, and its request is what opens",
          "[request_hook]") {
  Fixture f;
  f.make();
  f.start();
  REQUIRE(f.calls.size() == 1);
  CHECK(f.transport.opened.empty());  // nothing opens before the hook completes
  const Call& first = f.calls[0];
  CHECK(first.attempt.number == 1);
  CHECK(first.attempt.consecutive == 1);
  CHECK(first.attempt.resume_id.empty());
  CHECK(first.request.url == "http://stream.example:8080/sub/orders?channel=o");
  CHECK(first.request.method == "GET");
  CHECK(header(first.request.headers, "X-Api-Key") == "static-key");

  for (std::uint64_t n = 1; n <= 3; ++n) {
    REQUIRE(f.calls.size() == n);
    io::HttpRequest changed = f.calls.back().request;
    changed.headers.emplace_back("X-Session-Token", "token-" + std::to_string(n));
    changed.url += "&session=s" + std::to_string(n);
    f.complete(n - 1, changed);
    REQUIRE(f.transport.opened.size() == n);
    const io::ConnectRequest& opened = f.transport.opened.back();
    REQUIRE(opened.request);
    CHECK(opened.request->url.target == "/sub/orders?channel=o&session=s" + std::to_string(n));
    CHECK(header(opened.request->headers, "X-Session-Token") == "token-" + std::to_string(n));
    CHECK(header(opened.request->headers, "X-Api-Key") == "static-key");
    if (n < 3) fail_attempt(f);
  }
  CHECK(f.calls[1].attempt.number == 2);
  CHECK(f.calls[1].attempt.consecutive == 2);
  CHECK(f.calls[2].attempt.number == 3);
  CHECK(f.calls[2].attempt.consecutive == 3);
}

TEST_CASE("request hook: the attempt number keeps counting after a healthy stream",
          "[request_hook]") {
  Fixture f;
  model::SessionConfig c = config();
  c.backoff.reset_on = model::ResetOn::first_frame;
  c.backoff.short_session_ms = 0;
  f.make(rules(), c);
  f.start();
  f.complete(0, f.calls[0].request);
  f.driver->on_opened();
  const std::string id = "7";
  f.driver->on_message(io::Message{"message", "x", std::string_view(id), std::nullopt});
  f.clock.now_ms += 60'000;
  f.driver->on_closed(model::CloseCause::clean_close, "");
  if (f.calls.size() < 2) f.fire_timer();
  REQUIRE(f.calls.size() == 2);
  CHECK(f.calls[1].attempt.number == 2);
  CHECK(f.calls[1].attempt.consecutive == 1);  // the model's count starts afresh
  CHECK(f.calls[1].attempt.resume_id == "7");  // read only: tether sends it
}

TEST_CASE("request hook: completes later from another thread, back on the strand",
          "[request_hook]") {
  Fixture f;
  f.make();
  f.start();
  REQUIRE(f.calls.size() == 1);
  io::HttpRequest changed = f.calls[0].request;
  changed.headers.emplace_back("X-Token", "fresh");
  std::thread elsewhere([done = f.calls[0].done, changed] { done(changed); });
  elsewhere.join();
  CHECK(f.transport.opened.empty());  // posted, not run on the completing thread
  CHECK(f.strand.run_posted() == 1);
  REQUIRE(f.transport.opened.size() == 1);
  CHECK(header(f.transport.opened[0].request->headers, "X-Token") == "fresh");
  // A second call of the same completion does nothing.
  f.complete(0, changed);
  CHECK(f.transport.opened.size() == 1);
}

TEST_CASE("request hook: a header tether owns ends the session Failed, naming it",
          "[request_hook]") {
  struct Case {
    std::string name;
    std::string value;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {"Last-Event-ID", "99", "header 'Last-Event-ID' cannot be set by a hook"},
           {"last-event-id", "99", "header 'last-event-id' cannot be set by a hook"},
           {"Authorization", "Bearer hook-secret", "header 'Authorization' cannot be set"},
           {"Host", "other.example", "header 'Host' cannot be set by a hook"},
           {"Content-Length", "5", "header 'Content-Length' cannot be set by a hook"},
           {"X-Token", "bad\r\nX-Injected: 1", "header 'X-Token' contains a CR byte"},
           {"Bad Name", "v", "header name 'Bad Name'"},
       }) {
    INFO(c.name);
    struct TokenAuth final : io::AuthProvider {
      std::expected<io::Credentials, std::string> refresh() override {
        return io::Credentials{"provider-token", std::nullopt};
      }
    } auth;
    Fixture f;
    model::SessionConfig cfg = config();
    cfg.auth.has_provider = true;
    io::RequestRules r = rules();
    r.auth_provider = true;
    f.make(r, cfg, &auth);
    f.start();
    io::HttpRequest changed = f.calls.at(0).request;
    changed.headers.emplace_back(c.name, c.value);
    f.complete(0, changed);
    INFO(f.app.all());
    CHECK(f.transport.opened.empty());  // never reaches the wire
    CHECK(f.driver->status().kind == model::StatusKind::failed);
    CHECK(f.driver->status().reason == model::Reason::unrecoverable);
    CHECK(f.app.said(c.says));
    CHECK_FALSE(f.app.said("hook-secret"));
    CHECK_FALSE(f.app.said("X-Injected"));
    CHECK(f.calls.size() == 1);  // not retried
  }
}

TEST_CASE("request hook: Authorization is the hook's without an AuthProvider", "[request_hook]") {
  Fixture f;
  f.make();
  f.start();
  io::HttpRequest changed = f.calls.at(0).request;
  changed.headers.emplace_back("Authorization", "Bearer from-the-hook");
  f.complete(0, changed);
  REQUIRE(f.transport.opened.size() == 1);
  CHECK(header(f.transport.opened[0].request->headers, "Authorization") == "Bearer from-the-hook");
}

TEST_CASE("request hook: another origin, or the cursor parameter, ends the session Failed",
          "[request_hook]") {
  struct Case {
    std::string url;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {"http://evil.example:8080/sub/orders?sig=SECRET",
            "changes the origin from http://stream.example:8080 to http://evil.example:8080"},
           {"https://stream.example:8080/sub/orders?sig=SECRET",
            "changes the origin from http://stream.example:8080 to https://stream.example:8080"},
           {"http://stream.example:9090/sub/orders?sig=SECRET",
            "to http://stream.example:9090: a hook may change the path and query only"},
           {"http://stream.example:8080/sub/orders?sig=SECRET&last_event_id=5",
            "query parameter 'last_event_id' cannot be set by a hook"},
           {"http://stream.example:8080/sub/orders?sig=SECRET&last%5Fevent%5Fid=5",
            "query parameter 'last_event_id' cannot be set by a hook"},
           {"stream.example/sub/orders?sig=SECRET", "its URL cannot be used (missing scheme"},
       }) {
    INFO(c.url);
    Fixture f;
    f.make();
    f.start();
    io::HttpRequest changed = f.calls.at(0).request;
    changed.url = c.url;
    f.complete(0, changed);
    INFO(f.app.all());
    CHECK(f.transport.opened.empty());
    CHECK(f.driver->status().kind == model::StatusKind::failed);
    CHECK(f.driver->status().reason == model::Reason::unrecoverable);
    CHECK(f.app.said(c.says));
    CHECK_FALSE(f.app.said("SECRET"));
    CHECK_FALSE(f.app.said("/sub/orders"));
  }
}

TEST_CASE("request hook: a failing hook fails the attempt, which is retried with backoff",
          "[request_hook]") {
  Fixture f;
  f.make();
  f.start();
  f.complete(0, std::unexpected(std::string("token service unavailable")));
  INFO(f.app.all());
  CHECK(f.transport.opened.empty());
  const model::Status backing_off = f.driver->status();
  CHECK(backing_off.kind == model::StatusKind::backing_off);
  CHECK(backing_off.reason == model::Reason::transport_error);
  CHECK(backing_off.failures == 1);
  CHECK(f.app.said("the request hook failed attempt 1: token service unavailable"));
  REQUIRE(f.host.armed);
  CHECK(f.host.armed->ms > f.clock.now_ms);  // a backoff delay, not a hot loop
  CHECK(f.calls.size() == 1);
  f.fire_timer();
  REQUIRE(f.calls.size() == 2);
  CHECK(f.calls[1].attempt.number == 2);
  f.complete(1, f.calls[1].request);
  CHECK(f.transport.opened.size() == 1);
}

TEST_CASE("request hook: one that throws fails the attempt like an error", "[request_hook]") {
  Fixture f;
  auto state = model::make(config());
  REQUIRE(state);
  io::DriverOptions options;
  options.hooks.rules = rules();
  options.hooks.request = [](const io::RequestAttempt&, io::HttpRequest, io::RequestCompletion) {
    throw std::runtime_error("no token yet");
  };
  io::DriverPorts ports{f.clock, f.transport, f.host, f.app, nullptr, nullptr, nullptr};
  ports.strand = &f.strand;
  f.driver = std::make_unique<io::Driver>(std::move(*state), ports, std::move(options));
  f.start();
  f.strand.run_posted();
  INFO(f.app.all());
  CHECK(f.driver->status().kind == model::StatusKind::backing_off);
  CHECK(f.app.said("the request hook failed attempt 1: it threw: no token yet"));
}

TEST_CASE("request hook: one that never completes is bounded by the connect timeout",
          "[request_hook]") {
  Fixture f;
  f.make();
  f.start();
  REQUIRE(f.calls.size() == 1);
  REQUIRE(f.host.armed);
  CHECK(f.host.armed->ms == f.clock.now_ms + config().connect.timeout_ms);
  f.fire_timer();
  INFO(f.app.all());
  CHECK(f.driver->status().kind == model::StatusKind::backing_off);
  CHECK(f.driver->status().reason == model::Reason::connect_timeout);
  CHECK(
      f.app.said("the request hook did not complete attempt 1 within its connect timeout "
                 "(connect.timeout_ms: 5000 ms for this attempt)"));
  // The late completion of the abandoned attempt is ignored...
  f.complete(0, f.calls[0].request);
  CHECK(f.transport.opened.empty());
  // ...and the next attempt has its own hook call.
  f.fire_timer();
  REQUIRE(f.calls.size() == 2);
  f.complete(0, f.calls[0].request);  // still attempt 1's: ignored
  CHECK(f.transport.opened.empty());
  f.complete(1, f.calls[1].request);
  CHECK(f.transport.opened.size() == 1);
}

TEST_CASE("request hook: stop while it is pending stops cleanly, and its completion is ignored",
          "[request_hook]") {
  Fixture f;
  f.make();
  f.start();
  REQUIRE(f.calls.size() == 1);
  f.driver->stop();
  CHECK(f.driver->status().kind == model::StatusKind::stopped);
  CHECK(f.driver->finished());
  CHECK(f.app.diagnostics.empty());  // a stop is no timeout
  f.complete(0, f.calls[0].request);
  CHECK(f.transport.opened.empty());
  CHECK(f.calls.size() == 1);
}

TEST_CASE("request hook: a completion after the session is gone does nothing", "[request_hook]") {
  Fixture f;
  f.make();
  f.start();
  REQUIRE(f.calls.size() == 1);
  f.driver->stop();
  const io::RequestCompletion late = f.calls[0].done;
  f.calls.clear();
  f.driver.reset();
  late(io::HttpRequest{});
  CHECK(f.strand.run_posted() == 0);  // nothing was even posted
}

TEST_CASE("response hook: sees every attempt's status and headers before the driver acts",
          "[request_hook]") {
  Fixture f;
  f.make();
  f.start();
  f.complete(0, f.calls[0].request);
  io::ResponseHead unavailable{503, {{"Retry-After", "1"}, {"X-Request-Id", "r1"}}};
  f.driver->on_response(unavailable);
  f.driver->on_rejected(503, 1000, "Service Unavailable");
  f.fire_timer();
  f.complete(1, f.calls[1].request);
  f.driver->on_response(io::ResponseHead{200, {{"Content-Type", "text/event-stream"}}});
  f.driver->on_opened();
  REQUIRE(f.responses.size() == 2);
  CHECK(f.responses[0].first.number == 1);
  CHECK(f.responses[0].second.http_status == 503);
  CHECK(f.responses[0].second.headers == unavailable.headers);
  CHECK(f.status_at_response[0] == model::StatusKind::connecting);  // not yet acted on
  CHECK(f.responses[1].first.number == 2);
  CHECK(f.responses[1].second.http_status == 200);
  CHECK(f.status_at_response[1] == model::StatusKind::connecting);
  CHECK(f.driver->status().kind == model::StatusKind::streaming);
}

TEST_CASE("request hook: checks of the returned request", "[request_hook]") {
  const io::RequestRules sse = rules();
  io::HttpRequest base{"http://stream.example:8080/sub/orders", "GET", {}, ""};
  CHECK(io::check_hooked_request(sse, base));
  // Host names compare without case; the default port may be left out.
  io::RequestRules plain = rules("http://Stream.Example/x");
  CHECK(io::check_hooked_request(plain, {"http://stream.example/y?z=1", "GET", {}, ""}));
  io::HttpRequest post = base;
  post.method = "POST";
  post.body = "{\"after\":\"{cursor}\"}";
  const auto made = io::check_hooked_request(sse, post);
  REQUIRE(made);
  CHECK(made->body == post.body);  // "{cursor}" is replaced later, by the transport
  io::HttpRequest report = post;
  report.method = "REPORT";
  const auto reported = io::check_hooked_request(sse, report);
  REQUIRE(reported);
  CHECK(reported->method == "REPORT");
  CHECK(reported->body == post.body);
  io::HttpRequest put = base;
  put.method = "PUT";
  CHECK(refusal(sse, put).find("method 'PUT': GET, POST or REPORT only") != std::string::npos);
  io::HttpRequest get_body = base;
  get_body.body = "x";
  CHECK(refusal(sse, get_body).find("a body on a GET") != std::string::npos);
  // The user's own headers, passed through unchanged, are not the hook's doing.
  io::RequestRules own = rules();
  own.http.headers = {{"Last-Event-ID", "0"}};
  CHECK(io::check_hooked_request(own, {base.url, "GET", own.http.headers, ""}));
  CHECK_FALSE(io::check_hooked_request(own, {base.url, "GET", {{"Last-Event-ID", "1"}}, ""}));
  // A WebSocket upgrade: a GET, and its handshake fields are tether's.
  const io::RequestRules ws = rules("ws://stream.example:8080/ws");
  CHECK(io::check_hooked_request(ws, {"ws://stream.example:8080/ws?t=1", "GET", {}, ""}));
  CHECK_FALSE(io::check_hooked_request(ws, {"ws://stream.example:8080/ws", "POST", {}, ""}));
  CHECK(refusal(ws, {"ws://stream.example:8080/ws", "GET", {{"Sec-WebSocket-Protocol", "p"}}, ""})
            .find("header 'Sec-WebSocket-Protocol' cannot be set") != std::string::npos);
}

TEST_CASE("request hook: a POST stream resumes by GET under resume_by_get", "[request_hook]") {
  io::RequestRules r = rules();
  r.sse.method = "POST";
  r.sse.body_template = "{\"after\":\"{cursor}\"}";
  io::ConnectRequest fresh;
  io::ConnectRequest resuming;
  resuming.from = model::ResumeFrom::cursor;
  resuming.cursor = model::Cursor::at_token(*model::Token::make("42"));
  // resend_body (the default): every attempt POSTs the body.
  CHECK(io::planned_request(r, fresh).method == "POST");
  CHECK(io::planned_request(r, resuming).method == "POST");
  CHECK(io::planned_request(r, resuming).body == r.sse.body_template);
  r.sse.reconnect = io::PostReconnect::resume_by_get;
  const io::AttemptRequest first = io::planned_request(r, fresh);
  CHECK(first.method == "POST");
  CHECK(first.body == r.sse.body_template);
  const io::AttemptRequest resumed = io::planned_request(r, resuming);
  CHECK(resumed.method == "GET");
  CHECK(resumed.body.empty());
  CHECK(resumed.url.target == "/sub/orders?channel=o");
  CHECK(resumed.headers == r.http.headers);
  CHECK(io::resume_id(resuming) == "42");
}

TEST_CASE("request hook: a REPORT stream sends its method and body, and resumes by GET if told",
          "[request_hook]") {
  io::RequestRules r = rules();
  r.sse.method = "REPORT";
  r.sse.body_template = "{\"after\":\"{cursor}\"}";
  io::ConnectRequest fresh;
  io::ConnectRequest resuming;
  resuming.from = model::ResumeFrom::cursor;
  resuming.cursor = model::Cursor::at_token(*model::Token::make("42"));
  for (const io::ConnectRequest& request : {fresh, resuming}) {
    const io::AttemptRequest planned = io::planned_request(r, request);
    CHECK(planned.method == "REPORT");
    CHECK(planned.body == r.sse.body_template);
  }
  r.sse.reconnect = io::PostReconnect::resume_by_get;
  CHECK(io::planned_request(r, fresh).method == "REPORT");
  CHECK(io::planned_request(r, resuming).method == "GET");
  CHECK(io::planned_request(r, resuming).body.empty());
}

TEST_CASE("request hook: its starting request follows the POST reconnect choice",
          "[request_hook]") {
  Fixture f;
  io::RequestRules r = rules();
  r.sse.method = "POST";
  r.sse.body_template = "{\"after\":\"{cursor}\"}";
  r.sse.reconnect = io::PostReconnect::resume_by_get;
  model::SessionConfig c = config();
  c.resume.start = model::Cursor::at_token(*model::Token::make("5"));
  f.make(r, c);
  f.start();
  REQUIRE(f.calls.size() == 1);
  CHECK(f.calls[0].attempt.resume_id == "5");
  CHECK(f.calls[0].request.method == "GET");
  CHECK(f.calls[0].request.body.empty());
}

// Found by the simulator's hooked swarm (tests/sim/request_hooks.cpp): a
// refresh that answers while the hook is out must not leave the request
// with the token it began with.
TEST_CASE("request hook: the request leaves with the newest credentials (not the hook's first)",
          "[request_hook]") {
  struct CountingAuth final : io::AuthProvider {
    int refreshes = 0;
    std::expected<io::Credentials, std::string> refresh() override {
      ++refreshes;
      // Each token expires 5 s after 1 s of the clock (the first): refresh_ahead
      // then asks for the next one while the attempt waits for its hook.
      return io::Credentials{"token-" + std::to_string(refreshes), 1'700'000'006'000};
    }
  } auth;
  Fixture f;
  model::SessionConfig cfg = config();
  cfg.auth.has_provider = true;
  cfg.auth.refresh_ahead_ms = 4500;  // token-1's refresh is due at 1500
  io::RequestRules r = rules();
  r.auth_provider = true;
  f.make(r, cfg, &auth);
  f.start();
  f.complete(0, f.calls.at(0).request);
  REQUIRE(f.transport.opened.size() == 1);
  CHECK(f.transport.opened[0].bearer_token == "token-1");
  f.driver->on_opened();
  f.fire_timer();  // the proactive refresh starts; its answer waits on the worker
  REQUIRE(f.host.queued.size() == 1);
  // The stream drops, and the next attempt's hook goes out with token-1 in hand.
  fail_attempt(f);
  REQUIRE(f.calls.size() == 2);
  f.host.run_offloaded();  // token-2 arrives while the hook is out
  REQUIRE(auth.refreshes == 2);
  f.complete(1, f.calls.at(1).request);
  REQUIRE(f.transport.opened.size() == 2);
  CHECK(f.transport.opened[1].bearer_token == "token-2");
}
