// The request and response hooks against the real Runner and a scripted
// loopback server: a hook that changes a token header between attempts
// (completing on another thread), the response hook's view of a 503 then a
// 200, a WebSocket upgrade to the hook's path (nchan), a hook header that
// stays behind at a redirect to another origin, a forbidden header that never
// reaches the wire, hook header values kept out of diagnostics and
// recordings, and a stop() while a hook is pending. Then tether-watch's
// --method, --body, --body-file, --post-reconnect and --last-event-id as a
// server sees them.
#include <catch2/catch.hpp>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <tether/io/http_header.hpp>
#include <tether/io/runner.hpp>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "collector.hpp"
#include "nginx_server.hpp"
#include "scripted_server.hpp"
#include "session_support.hpp"

namespace {

using namespace tether;
using namespace std::chrono_literals;
using io::testing::Behaviour;
using io::testing::Collector;
using io::testing::find_header;
using io::testing::NginxServer;
using io::testing::ScriptedServer;

// Runs each hook's completion on a thread of its own (the hook "fetched a
// token elsewhere"); joined at the end, after the runner is gone.
class Elsewhere {
 public:
  ~Elsewhere() {
    std::lock_guard lock(mutex_);
    for (auto& t : threads_) t.join();
  }
  template <class Fn>
  void run(Fn fn) {
    std::lock_guard lock(mutex_);
    threads_.emplace_back(std::move(fn));
  }

 private:
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

// What the response hook saw, attempt by attempt.
struct Seen {
  std::uint64_t attempt = 0;
  io::ResponseHead head;
};

class ResponseLog {
 public:
  io::ResponseHook hook() {
    return [this](const io::RequestAttempt& attempt, const io::ResponseHead& head) {
      std::lock_guard lock(mutex_);
      seen_.push_back(Seen{attempt.number, head});
    };
  }
  std::vector<Seen> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Seen> seen_;
};

std::optional<std::string> field(const io::ResponseHead& head, std::string_view name) {
  for (const auto& [n, v] : head.headers)
    if (io::equals_ignoring_case(n, name)) return v;
  return std::nullopt;
}

// A hook that adds one header, completing on another thread.
io::RequestHook adding(Elsewhere& elsewhere, std::string name,
                       std::function<std::string(std::uint64_t)> value) {
  return [&elsewhere, name, value](const io::RequestAttempt& attempt, io::HttpRequest request,
                                   io::RequestCompletion done) {
    elsewhere.run([name, v = value(attempt.number), request = std::move(request), done]() mutable {
      request.headers.emplace_back(name, v);
      done(std::move(request));
    });
  };
}

bool mentions(const std::vector<std::string>& texts, std::string_view needle) {
  return std::any_of(texts.begin(), texts.end(), [needle](const std::string& t) {
    return t.find(needle) != std::string::npos;
  });
}

}  // namespace

TEST_CASE("request hooks: a fresh token per attempt reaches the server, the cursor stays tether's",
          "[request_hooks]") {
  ScriptedServer server({Behaviour::sse("id: 1\ndata: a\n\n", /*then_close=*/true),
                         Behaviour::sse("id: 2\ndata: b\n\n")});
  Elsewhere elsewhere;
  Collector c;
  io::RunnerOptions o = io::testing::quick_options(server);
  o.request_hook = adding(elsewhere, "X-Session-Token",
                          [](std::uint64_t n) { return "token-" + std::to_string(n); });
  auto runner = io::Runner::start(std::move(o), c.callbacks());
  REQUIRE(runner);
  REQUIRE(c.wait_for_deliveries(2, 10s));
  (*runner)->stop();
  const auto requests = server.requests();
  INFO(c.diagnostics_text());
  REQUIRE(requests.size() >= 2);
  CHECK(find_header(requests[0], "X-Session-Token") == "token-1");
  CHECK_FALSE(find_header(requests[0], "Last-Event-ID"));
  CHECK(find_header(requests[1], "X-Session-Token") == "token-2");
  CHECK(find_header(requests[1], "Last-Event-ID") == "1");
}

TEST_CASE("request hooks: the response hook sees a 503 and then a 200, with their headers",
          "[request_hooks]") {
  ScriptedServer server(
      {Behaviour::http_response(503, {{"Retry-After", "0"}, {"X-Reason", "maintenance"}}),
       Behaviour::sse("id: 1\ndata: a\n\n")});
  ResponseLog log;
  Collector c;
  io::RunnerOptions o = io::testing::quick_options(server);
  o.response_hook = log.hook();
  auto runner = io::Runner::start(std::move(o), c.callbacks());
  REQUIRE(runner);
  REQUIRE(c.wait_for_deliveries(1, 10s));
  (*runner)->stop();
  const auto seen = log.seen();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].attempt == 1);
  CHECK(seen[0].head.http_status == 503);
  CHECK(field(seen[0].head, "X-Reason") == "maintenance");
  CHECK(field(seen[0].head, "Retry-After") == "0");
  CHECK(seen[1].attempt == 2);
  CHECK(seen[1].head.http_status == 200);
  CHECK(field(seen[1].head, "Content-Type") == "text/event-stream");
}

TEST_CASE("request hooks: a hook's header does not cross a redirect to another origin",
          "[request_hooks][redirects]") {
  ScriptedServer other({Behaviour::sse("id: 5\ndata: from the other origin\n\n")});
  ScriptedServer first({Behaviour::http_response(
      307, {{"Location", "http://localhost:" + std::to_string(other.port()) + "/elsewhere"}})});
  Elsewhere elsewhere;
  Collector c;
  io::RunnerOptions o = io::testing::quick_options(first.base_url() + "/stream");
  o.request_hook =
      adding(elsewhere, "X-Hook-Token", [](std::uint64_t) { return std::string("hook-secret"); });
  auto runner = io::Runner::start(std::move(o), c.callbacks());
  REQUIRE(runner);
  REQUIRE(c.wait_for_deliveries(1, 10s));
  (*runner)->stop();
  const std::string asked = first.requests().at(0);
  const std::string redirected = other.requests().at(0);
  INFO(asked << "---\n" << redirected << "---\n" << c.diagnostics_text());
  CHECK(find_header(asked, "X-Hook-Token") == "hook-secret");
  CHECK_FALSE(find_header(redirected, "X-Hook-Token"));
  CHECK(mentions(c.diagnostics(),
                 "(another origin): followed without the bearer token and the "
                 "extra headers"));
}

TEST_CASE("request hooks: a forbidden header fails the session before anything is sent",
          "[request_hooks]") {
  ScriptedServer server({Behaviour::sse("id: 1\ndata: a\n\n")});
  Collector c;
  io::RunnerOptions o = io::testing::quick_options(server);
  o.request_hook = [](const io::RequestAttempt&, io::HttpRequest request,
                      io::RequestCompletion done) {
    request.headers.emplace_back("Last-Event-ID", "hook-SECRET");
    done(std::move(request));
  };
  const auto ended = io::testing::run_to_end(std::move(o), c, 10s);
  INFO(c.diagnostics_text());
  REQUIRE(ended.finished);
  CHECK(ended.status.kind == model::StatusKind::failed);
  CHECK(ended.status.reason == model::Reason::unrecoverable);
  CHECK(mentions(c.diagnostics(), "header 'Last-Event-ID' cannot be set by a hook"));
  CHECK_FALSE(mentions(c.diagnostics(), "SECRET"));
  CHECK(server.connections_accepted() == 0);
}

TEST_CASE("request hooks: hook header values stay out of diagnostics and recordings",
          "[request_hooks][secrets]") {
  const io::testing::Scratch dir("request-hook-secrets");
  // A stream whose first attempt fails (a 401 with no provider is fatal, so a
  // 503) and whose hook values are secrets, one of them with a line break.
  ScriptedServer server({Behaviour::http_response(503, {{"Retry-After", "0"}}),
                         Behaviour::sse("id: 1\ndata: a\n\n", /*then_close=*/true),
                         Behaviour::http_response(200, {{"Content-Type", "text/plain"}})});
  Collector c;
  io::RunnerOptions o = io::testing::quick_options(server);
  o.record_path = dir / "session.events";
  o.request_hook = [](const io::RequestAttempt& attempt, io::HttpRequest request,
                      io::RequestCompletion done) {
    request.headers.emplace_back("X-Hook-Secret", "hook-SECRET-" + std::to_string(attempt.number));
    if (attempt.number == 4) request.headers.emplace_back("X-Bad", "SECRET\r\nX-Injected: 1");
    done(std::move(request));
  };
  const auto ended = io::testing::run_to_end(std::move(o), c, 20s);
  INFO(c.diagnostics_text());
  REQUIRE(ended.finished);
  CHECK(ended.status.kind == model::StatusKind::failed);  // attempt 4's CR
  CHECK(mentions(c.diagnostics(), "header 'X-Bad' contains a CR byte"));
  CHECK(find_header(server.requests().at(0), "X-Hook-Secret") == "hook-SECRET-1");  // in play
  CHECK(server.connections_accepted() == 3);  // attempt 4 never reached the wire
  CHECK_FALSE(mentions(c.diagnostics(), "SECRET"));
  const std::string recording = io::testing::read_all(dir / "session.events");
  CHECK(recording.starts_with("tether-events/2\n"));
  CHECK(recording.find("SECRET") == std::string::npos);
}

TEST_CASE(
    "request hooks: stop() while a hook is pending returns, and its late completion is ignored",
    "[request_hooks]") {
  ScriptedServer server({Behaviour::sse("id: 1\ndata: a\n\n")});
  std::mutex mutex;
  std::condition_variable called;
  std::optional<io::RequestCompletion> pending;
  io::HttpRequest asked;
  Collector c;
  io::RunnerOptions o = io::testing::quick_options(server);
  o.request_hook = [&](const io::RequestAttempt&, io::HttpRequest request,
                       io::RequestCompletion done) {
    std::lock_guard lock(mutex);
    asked = std::move(request);
    pending = std::move(done);  // never completed while the session runs
    called.notify_all();
  };
  auto runner = io::Runner::start(std::move(o), c.callbacks());
  REQUIRE(runner);
  {
    std::unique_lock lock(mutex);
    REQUIRE(called.wait_for(lock, 10s, [&] { return pending.has_value(); }));
  }
  (*runner)->stop();
  CHECK((*runner)->finished());
  CHECK((*runner)->status().kind == model::StatusKind::stopped);
  (*pending)(asked);  // after the stop: ignored
  runner->reset();    // and after the session is gone: nothing to post to
  (*pending)(asked);
  CHECK(server.connections_accepted() == 0);
  CHECK(c.diagnostics().empty());
}

TEST_CASE("request hooks: a WebSocket upgrade takes the hook's path, and its 101 is seen",
          "[request_hooks][websocket][nchan]") {
  NginxServer server = NginxServer::start();
  const std::vector<std::string> bodies{"{\"seq\":1}", "{\"seq\":2}", "{\"seq\":3}"};
  REQUIRE(server.publish_many("hooked", bodies) == 3);
  ResponseLog log;
  Collector c;
  io::RunnerOptions o = io::testing::quick_options(server.ws_base_url() + "/sub/unhooked");
  o.sequence = io::SequenceExtractor::from_json_field("seq");
  o.websocket.subprotocol = "ws+meta.nchan";
  o.websocket.nchan_meta_frames = true;
  o.request_hook = [](const io::RequestAttempt&, io::HttpRequest request,
                      io::RequestCompletion done) {
    const std::size_t at = request.url.rfind("/unhooked");
    if (at == std::string::npos) return done(std::unexpected(std::string("unexpected URL")));
    request.url.replace(at, 9, "/hooked");
    done(std::move(request));
  };
  o.response_hook = log.hook();
  auto runner = io::Runner::start(std::move(o), c.callbacks());
  REQUIRE(runner);
  REQUIRE(c.wait_for_deliveries(3, 20s));
  (*runner)->stop();
  INFO(c.diagnostics_text());
  CHECK(c.sequences() == std::vector<std::uint64_t>{1, 2, 3});
  const auto seen = log.seen();
  REQUIRE_FALSE(seen.empty());
  CHECK(seen[0].attempt == 1);
  CHECK(seen[0].head.http_status == 101);
  CHECK(io::equals_ignoring_case(field(seen[0].head, "Upgrade").value_or(""), "websocket"));
}

#ifdef TETHER_WATCH

namespace {

// Fast reconnects (tether-watch's first delay: 20 ms).
std::vector<std::string> watch_args(const ScriptedServer& server, std::vector<std::string> more) {
  return tether::io::testing::fast_watch_args(server.base_url() + "/stream", std::move(more));
}

const std::string first_event = "id: 1\ndata: {\"seq\":1}\n\n";
const std::string second_event = "id: 2\ndata: {\"seq\":2}\n\n";

}  // namespace

TEST_CASE("tether-watch: --method POST --body re-sends the body with the cursor on reconnect",
          "[request_hooks][tether_watch]") {
  const io::testing::Scratch dir("watch-post");
  ScriptedServer server({Behaviour::sse(first_event, true), Behaviour::sse(second_event)});
  const auto run = io::testing::run_watch(
      watch_args(server,
                 {"--method", "POST", "--body", "{\"key\":\"SECRET\",\"after\":\"{cursor}\"}",
                  "--max-events", "2", "--record", (dir / "post.events").string()}),
      20s);
  INFO(run.err);
  CHECK(run.exit_code == 0);
  const auto requests = server.requests();
  const auto bodies = server.bodies();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].starts_with("POST /stream HTTP/1.1\r\n"));
  CHECK(find_header(requests[0], "Content-Type") == "application/json");
  CHECK(bodies[0] == "{\"key\":\"SECRET\",\"after\":\"\"}");
  CHECK(requests[1].starts_with("POST /stream HTTP/1.1\r\n"));
  CHECK(find_header(requests[1], "Last-Event-ID") == "1");
  CHECK(bodies[1] == "{\"key\":\"SECRET\",\"after\":\"1\"}");
  // The body may carry credentials: not in the output, nor in the recording.
  CHECK(run.out.find("SECRET") == std::string::npos);
  CHECK(run.err.find("SECRET") == std::string::npos);
  CHECK(io::testing::read_all(dir / "post.events").find("SECRET") == std::string::npos);
}

TEST_CASE("tether-watch: --post-reconnect resume_by_get resumes a POST stream with a GET",
          "[request_hooks][tether_watch]") {
  const io::testing::Scratch dir("watch-post-get");
  const auto body_file = dir / "body.json";
  std::ofstream(body_file) << "{\"subscribe\":\"orders\"}";
  ScriptedServer server({Behaviour::sse(first_event, true), Behaviour::sse(second_event)});
  const auto run = io::testing::run_watch(
      watch_args(server, {"--body-file", body_file.string(), "--post-reconnect", "resume_by_get",
                          "--max-events", "2"}),
      20s);
  INFO(run.err);
  CHECK(run.exit_code == 0);
  const auto requests = server.requests();
  const auto bodies = server.bodies();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].starts_with("POST /stream HTTP/1.1\r\n"));  // --body-file implies POST
  CHECK(bodies[0] == "{\"subscribe\":\"orders\"}");
  CHECK(requests[1].starts_with("GET /stream HTTP/1.1\r\n"));
  CHECK(find_header(requests[1], "Last-Event-ID") == "1");
  CHECK_FALSE(find_header(requests[1], "Content-Length"));
  CHECK(bodies[1].empty());
}

TEST_CASE("tether-watch: a body with --method GET, or resume_by_get without POST, is refused",
          "[request_hooks][tether_watch]") {
  const auto with_get =
      io::testing::run_watch({"http://127.0.0.1:1/s", "--method", "GET", "--body", "x"}, 10s);
  CHECK(with_get.exit_code == 2);
  CHECK(with_get.err.find("--body/--body-file: a GET has no body") != std::string::npos);
  const auto by_get =
      io::testing::run_watch({"http://127.0.0.1:1/s", "--post-reconnect", "resume_by_get"}, 10s);
  CHECK(by_get.exit_code == 2);
  CHECK(by_get.err.find("shell.sse.reconnect: resume_by_get applies to POST and REPORT streams") !=
        std::string::npos);
  const auto no_file =
      io::testing::run_watch({"http://127.0.0.1:1/s", "--body-file", "/nonexistent/body"}, 10s);
  CHECK(no_file.exit_code == 2);
  CHECK(no_file.err.find("--body-file /nonexistent/body: cannot be opened") != std::string::npos);
}

TEST_CASE(
    "tether-watch: --last-event-id starts from an id, and is refused with a checkpoint that has "
    "one",
    "[request_hooks][tether_watch]") {
  const io::testing::Scratch dir("watch-last-event-id");
  const std::string ckpt = (dir / "w.ckpt").string();
  ScriptedServer server({Behaviour::sse("id: 42\ndata: {\"seq\":42}\n\n")});
  // No checkpoint file yet: the id is where the session starts, and the
  // checkpoint then records the progress.
  const auto run = io::testing::run_watch(
      watch_args(server, {"--last-event-id", "41", "--checkpoint", ckpt, "--max-events", "1"}),
      20s);
  INFO(run.err);
  CHECK(run.exit_code == 0);
  REQUIRE(server.wait_for_requests(1));
  CHECK(find_header(server.requests()[0], "Last-Event-ID") == "41");
  CHECK(run.out.find("\"seq\":42") != std::string::npos);
  // Now the checkpoint holds a cursor: which of the two to resume from would
  // be a guess.
  const auto again = io::testing::run_watch(
      watch_args(server, {"--last-event-id", "41", "--checkpoint", ckpt, "--max-events", "1"}),
      20s);
  CHECK(again.exit_code == 2);
  CHECK(again.err.find("--last-event-id: the checkpoint " + ckpt + " already holds a cursor") !=
        std::string::npos);
  CHECK(server.connections_accepted() == 1);
  const auto bad = io::testing::run_watch({"http://127.0.0.1:1/s", "--last-event-id", "a\rb"}, 10s);
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--last-event-id contains a CR byte") != std::string::npos);
}

#endif  // TETHER_WATCH
