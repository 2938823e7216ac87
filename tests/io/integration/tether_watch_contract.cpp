// tether-watch against a scripted loopback server, for the capabilities of
// LaunchDarkly's SSE contract suite it expresses (docs/io.md, "The SSE
// contract"): comments on stdout (--comments), a REPORT stream with a body,
// lifecycle commands on stdin (--control-stdin), --idle-timeout-ms and
// --initial-retry-delay-ms. Every wait is for an event (a request the server
// saw, a line tether-watch printed), never a sleep.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "child_process.hpp"
#include "scripted_server.hpp"

#ifdef TETHER_WATCH

namespace {

using namespace tether::io::testing;
using namespace std::chrono_literals;

// Fast reconnects (tether-watch's first delay: 20 ms).
std::vector<std::string> watch_args(const ScriptedServer& server, std::vector<std::string> more) {
  return tether::io::testing::fast_watch_args(server.base_url() + "/stream", std::move(more));
}

std::string event(int n) {
  return "id: " + std::to_string(n) + "\ndata: {\"seq\":" + std::to_string(n) + "}\n\n";
}

// The lines of `text`, without their newlines.
std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> lines;
  for (auto end = text.find('\n'); end != std::string_view::npos; end = text.find('\n')) {
    lines.emplace_back(text.substr(0, end));
    text.remove_prefix(end + 1);
  }
  return lines;
}

// A pipe for a child's stdin: the read end goes to the child, the test
// writes commands to the other and closes it for EOF.
class StdinPipe {
 public:
  StdinPipe() { REQUIRE(::pipe2(fds_, O_CLOEXEC) == 0); }
  ~StdinPipe() {
    close_read();
    close_write();
  }
  StdinPipe(const StdinPipe&) = delete;
  StdinPipe& operator=(const StdinPipe&) = delete;
  int read_end() const { return fds_[0]; }
  void send(const std::string& text) {
    REQUIRE(::write(fds_[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  }
  void close_read() { close_fd(fds_[0]); }
  void close_write() { close_fd(fds_[1]); }

 private:
  static void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  int fds_[2] = {-1, -1};
};

}  // namespace

TEST_CASE("tether-watch contract: --comments prints comments in order with events, none without",
          "[tether_watch][contract]") {
  // The comment after the second event comes after --max-events 2: not printed.
  const std::string body = ": first\n" + event(1) + ":second\n" + event(2) + ":third\n";
  ScriptedServer server({Behaviour::sse(body)});
  const auto with = run_watch(watch_args(server, {"--comments", "--max-events", "2"}), 20s);
  INFO(with.err);
  CHECK(with.exit_code == 0);
  CHECK(lines_of(with.out) == std::vector<std::string>{
                                  "{\"comment\":\" first\"}",
                                  "{\"delivery\":1,\"seq\":1,\"id\":\"1\",\"event\":\"message\","
                                  "\"data\":\"{\\\"seq\\\":1}\"}",
                                  "{\"comment\":\"second\"}",
                                  "{\"delivery\":2,\"seq\":2,\"id\":\"2\",\"event\":\"message\","
                                  "\"data\":\"{\\\"seq\\\":2}\"}",
                              });
  const auto without = run_watch(watch_args(server, {"--max-events", "2"}), 20s);
  CHECK(without.exit_code == 0);
  CHECK(line_count(without.out) == 2);
  CHECK(without.out.find("comment") == std::string::npos);
}

TEST_CASE("tether-watch contract: a comment obeys the line limit, which names its option",
          "[tether_watch][contract][limits]") {
  ScriptedServer server({Behaviour::sse(":" + std::string(100, 'c') + "\n" + event(1))});
  const auto run = run_watch(watch_args(server, {"--comments", "--line-bytes-max", "64"}), 20s);
  CHECK(run.exit_code == 4);
  CHECK(run.err.find("line_bytes_max (64) exceeded") != std::string::npos);
  CHECK(run.err.find("--line-bytes-max") != std::string::npos);
  CHECK(run.out.empty());
  CHECK(server.connections_accepted() == 1);  // a retry would receive the same bytes
}

TEST_CASE(
    "tether-watch contract: a REPORT stream sends its body, again with the cursor on reconnect",
    "[tether_watch][contract]") {
  ScriptedServer server({Behaviour::sse(event(1), /*then_close=*/true), Behaviour::sse(event(2))});
  const auto run =
      run_watch(watch_args(server, {"--method", "REPORT", "--body", "{\"after\":\"{cursor}\"}",
                                    "-H", "Content-Type: text/plain", "--max-events", "2"}),
                20s);
  INFO(run.err);
  CHECK(run.exit_code == 0);
  const auto requests = server.requests();
  const auto bodies = server.bodies();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].starts_with("REPORT /stream HTTP/1.1\r\n"));
  CHECK(bodies[0] == "{\"after\":\"\"}");
  // The contract's rule: a Content-Type among the headers is the body's type.
  CHECK(find_header(requests[0], "Content-Type") == "text/plain");
  CHECK(requests[1].starts_with("REPORT /stream HTTP/1.1\r\n"));
  CHECK(find_header(requests[1], "Last-Event-ID") == "1");
  CHECK(bodies[1] == "{\"after\":\"1\"}");
  CHECK(line_count(run.out) == 2);
}

TEST_CASE("tether-watch contract: a REPORT stream resumes by GET, and bad methods name the field",
          "[tether_watch][contract]") {
  ScriptedServer server({Behaviour::sse(event(1), /*then_close=*/true), Behaviour::sse(event(2))});
  const auto run =
      run_watch(watch_args(server, {"--method", "REPORT", "--body", "{}", "--post-reconnect",
                                    "resume_by_get", "--max-events", "2"}),
                20s);
  INFO(run.err);
  CHECK(run.exit_code == 0);
  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].starts_with("REPORT /stream HTTP/1.1\r\n"));
  CHECK(find_header(requests[0], "Content-Type") == "application/json");
  CHECK(requests[1].starts_with("GET /stream HTTP/1.1\r\n"));
  CHECK(find_header(requests[1], "Last-Event-ID") == "1");
  CHECK(server.bodies()[1].empty());

  const auto put = run_watch({"--print-config", "--set", "shell.sse.method=PUT"}, 10s);
  CHECK(put.exit_code == 2);
  CHECK(put.err.find("shell.sse.method: must be GET, POST or REPORT") != std::string::npos);
  const auto get_body = run_watch({"http://127.0.0.1:1/s", "--method", "GET", "--body", "x"}, 10s);
  CHECK(get_body.exit_code == 2);
  CHECK(get_body.err.find("--body/--body-file: a GET has no body (use --method POST or REPORT)") !=
        std::string::npos);
  const auto flag = run_watch({"--print-config", "--method", "PUT"}, 10s);
  CHECK(flag.exit_code == 2);
  CHECK(flag.err.find("--method: PUT not in {GET,POST,REPORT}") != std::string::npos);
}

TEST_CASE("tether-watch contract: restart on stdin reconnects with the last event id",
          "[tether_watch][contract][control]") {
  const Scratch dir("watch-control-restart");
  ScriptedServer server({Behaviour::sse(event(1)), Behaviour::sse(event(2))});
  StdinPipe in;
  Child watch(TETHER_WATCH, watch_args(server, {"--control-stdin"}), dir, "watch", in.read_end());
  in.close_read();
  REQUIRE(watch.wait_for_out_lines(1, 10s));
  in.send("restart\n");
  REQUIRE(server.wait_for_requests(2, 10s));
  CHECK(find_header(server.requests()[1], "Last-Event-ID") == "1");
  REQUIRE(watch.wait_for_out_lines(2, 10s));
  CHECK(watch.err().find("tether-watch: control: restart") != std::string::npos);
  // An unknown command is a warning naming it; the stream goes on.
  in.send("reboot now\n");
  CHECK(watch.wait_for_err_lines("unknown command 'reboot now' ignored", 1, 10s));
  CHECK_FALSE(watch.exited());
  in.send("stop\n");
  CHECK(watch.wait_exit(10s) == 0);
  INFO(watch.err());
  const auto lines = lines_of(watch.out());
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].find("\"seq\":2") != std::string::npos);
  CHECK(server.connections_accepted() == 2);
}

TEST_CASE(
    "tether-watch contract: pause closes, resume reconnects, network-changed reconnects, EOF "
    "keeps streaming",
    "[tether_watch][contract][control]") {
  const Scratch dir("watch-control-pause");
  ScriptedServer server(
      {Behaviour::sse(event(1)), Behaviour::sse(event(2)), Behaviour::sse(event(3))});
  StdinPipe in;
  Child watch(TETHER_WATCH, watch_args(server, {"--control-stdin", "--json-status"}), dir, "watch",
              in.read_end());
  in.close_read();
  REQUIRE(watch.wait_for_out_lines(1, 10s));
  in.send("pause\n");
  REQUIRE(server.wait_for_finished(1, 10s));  // the client closed the connection
  CHECK(server.connections()[0].peer_closed);
  REQUIRE(watch.wait_for_err_lines("{\"status\":\"paused\"", 1, 10s));
  CHECK(server.connections_accepted() == 1);
  in.send("resume\n");
  REQUIRE(server.wait_for_requests(2, 10s));
  CHECK(find_header(server.requests()[1], "Last-Event-ID") == "1");
  REQUIRE(watch.wait_for_out_lines(2, 10s));
  // A command line split across writes, and a CRLF line end, are one command.
  in.send("network-");
  in.send("changed\r\n");
  REQUIRE(server.wait_for_requests(3, 10s));
  CHECK(find_header(server.requests()[2], "Last-Event-ID") == "2");
  REQUIRE(watch.wait_for_out_lines(3, 10s));
  in.send("network-restored\n");
  CHECK(watch.wait_for_err_lines("{\"control\":\"network-restored\"}", 1, 10s));
  // The end of stdin: no more commands, the stream goes on.
  in.close_write();
  REQUIRE(watch.wait_for_err_lines("{\"control\":\"eof\"}", 1, 10s));
  CHECK_FALSE(watch.exited());
  CHECK_FALSE(server.connections()[2].finished);
  ::kill(watch.pid(), SIGTERM);
  CHECK(watch.wait_exit(10s) == 0);
  INFO(watch.err());
  CHECK(line_count(watch.out()) == 3);
  for (const std::string command : {"pause", "resume", "network-changed"})
    CHECK(lines_with(watch.err(), "{\"control\":\"" + command + "\"}") == 1);
}

TEST_CASE("tether-watch contract: --control-stdin refuses a body read from stdin",
          "[tether_watch][contract][control]") {
  const auto dash = run_watch({"http://127.0.0.1:1/s", "--control-stdin", "--body-file", "-"}, 10s);
  CHECK(dash.exit_code == 2);
  CHECK(dash.err.find("--control-stdin reads commands from stdin, and --body-file - reads the "
                      "body from it too") != std::string::npos);
  // The same pipe by another name.
  const Scratch dir("watch-control-body");
  StdinPipe in;
  Child same(TETHER_WATCH, {"http://127.0.0.1:1/s", "--control-stdin", "--body-file", "/dev/stdin"},
             dir, "same", in.read_end());
  in.close_read();
  CHECK(same.wait_exit(10s) == 2);
  CHECK(same.err().find("--body-file /dev/stdin reads the body from it too") != std::string::npos);
  // Without --control-stdin, "-" is the body from stdin.
  ScriptedServer server({Behaviour::sse(event(1))});
  StdinPipe body;
  Child post(TETHER_WATCH, watch_args(server, {"--body-file", "-", "--max-events", "1"}), dir,
             "post", body.read_end());
  body.close_read();
  body.send("{\"from\":\"stdin\"}");
  body.close_write();
  CHECK(post.wait_exit(20s) == 0);
  REQUIRE(server.wait_for_requests(1));
  CHECK(server.requests()[0].starts_with("POST /stream HTTP/1.1\r\n"));
  CHECK(server.bodies()[0] == "{\"from\":\"stdin\"}");
}

TEST_CASE("tether-watch contract: --idle-timeout-ms reconnects a silent stream",
          "[tether_watch][contract][liveness]") {
  ScriptedServer server({Behaviour::sse(event(1)), Behaviour::sse(event(2))});
  const auto run =
      run_watch(watch_args(server, {"--idle-timeout-ms", "300", "--max-events", "2"}), 20s);
  INFO(run.err);
  CHECK(run.exit_code == 0);
  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(find_header(requests[1], "Last-Event-ID") == "1");
  CHECK(line_count(run.out) == 2);
  CHECK(run.err.find("backing_off (heartbeat_timeout)") != std::string::npos);
  // The second name is the first's: the same field, printed.
  const auto printed = run_watch({"--print-config", "--idle-timeout-ms", "300"}, 10s);
  CHECK(printed.out.find("\"interval_ms\": 300,") != std::string::npos);
}

TEST_CASE("tether-watch contract: --initial-retry-delay-ms is backoff.delay_ms_initial",
          "[tether_watch][contract]") {
  const auto printed = run_watch({"--print-config", "--initial-retry-delay-ms", "1234"}, 10s);
  CHECK(printed.exit_code == 0);
  CHECK(printed.out.find("\"delay_ms_initial\": 1234,") != std::string::npos);
  const auto zero = run_watch({"--print-config", "--initial-retry-delay-ms", "0"}, 10s);
  CHECK(zero.exit_code == 2);
  CHECK(zero.err ==
        "tether-watch: --initial-retry-delay-ms: backoff.delay_ms_initial: must be in [1, 2^61 - "
        "1]\n");
  const auto text = run_watch({"--print-config", "--initial-retry-delay-ms", "soon"}, 10s);
  CHECK(text.exit_code == 2);
  CHECK(text.err.find("backoff.delay_ms_initial: expected an integer") != std::string::npos);
  for (const std::string set : {"backoff.delay_ms_initial=5", "backoff={}"}) {
    const auto both =
        run_watch({"--print-config", "--initial-retry-delay-ms", "10", "--set", set}, 10s);
    CHECK(both.exit_code == 2);
    CHECK(both.err.find("both set backoff.delay_ms_initial; give one of the two") !=
          std::string::npos);
  }
}

#endif  // TETHER_WATCH
