// Self-tests of the integration fixtures (NginxServer, ScriptedServer), each
// observed with raw sockets or the curl CLI, so that a failing scenario test
// can be blamed on the client rather than on the fixture.

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "nginx_server.hpp"
#include "raw_socket.hpp"
#include "scripted_server.hpp"

using namespace tether::io::testing;
using namespace std::chrono_literals;

namespace {

NginxServer start_nginx(NginxServer::Options options = {}) {
  INFO(NginxServer::availability_problem());
  REQUIRE(NginxServer::available());
  return NginxServer::start(std::move(options));
}

// GET path as an SSE subscriber; returns once the response head and ": hi" arrived.
RawConnection subscribe(const NginxServer& server, const std::string& path,
                        const std::vector<std::string>& extra_headers = {}) {
  RawConnection conn(server.port());
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
  for (const auto& h : extra_headers) req += h + "\r\n";
  req += "\r\n";
  REQUIRE(conn.send_all(req));
  INFO(conn.received() << "\n" << server.error_log_tail());
  REQUIRE(conn.read_until(": hi\n"));
  return conn;
}

// The value of the id: line of the event whose data line is `data_line`.
std::string id_of(const std::string& stream, const std::string& data_line) {
  const std::size_t data = stream.find("\n" + data_line + "\n");
  REQUIRE(data != std::string::npos);
  const std::size_t id = stream.rfind("\nid: ", data);
  REQUIRE(id != std::string::npos);
  const std::size_t eol = stream.find('\n', id + 1);
  return stream.substr(id + 5, eol - id - 5);
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + 1))
    ++n;
  return n;
}

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult run(const std::string& command) {
  CommandResult r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr)
    r.output += buf.data();
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool pid_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

}  // namespace

TEST_CASE("NginxServer: nginx and the nchan module are installed", "[fixture][nginx]") {
  INFO("run scripts/install-deps.sh: " << NginxServer::availability_problem());
  REQUIRE(NginxServer::available());
}

TEST_CASE("NginxServer: publish, SSE subscription, stub status, cleanup", "[fixture][nginx]") {
  pid_t master = 0;
  std::vector<pid_t> workers;
  std::filesystem::path prefix;
  {
    NginxServer server = start_nginx();
    master = server.pid();
    workers = server.worker_pids();
    prefix = server.prefix();
    CHECK(master > 0);
    CHECK(workers.size() == 1);
    CHECK(server.base_url() == "http://127.0.0.1:" + std::to_string(server.port()));
    CHECK(server.last_start_duration() < 2s);

    CHECK(server.publish("ch1", "hello") == 202);  // queued, nobody listening yet
    RawConnection sub = subscribe(server, "/sub/ch1");
    INFO(sub.received());
    CHECK(sub.received().starts_with("HTTP/1.1 200"));
    CHECK(
        find_header(sub.received(), "Content-Type").value_or("").starts_with("text/event-stream"));
    REQUIRE(sub.read_until("data: hello\n\n"));
    CHECK(sub.received().find("\nid: ") != std::string::npos);

    CHECK(server.publish("ch1", "named", "greeting") == 201);  // delivered to a subscriber
    const bool named = sub.read_until("data: named\n\n");
    INFO(sub.received());
    REQUIRE(named);
    // nchan writes event: before id: ("event: greeting\nid: T:1\ndata: named\n\n").
    const std::size_t event = sub.received().find("\nevent: greeting\n");
    CHECK(event != std::string::npos);
    CHECK(event < sub.received().find("\ndata: named\n"));

    // Without Accept: text/event-stream nchan refuses the subscriber.
    CHECK(server.http("GET", "/sub/ch1").status == 403);
    CHECK(server.stub_status().find("subscribers:") != std::string::npos);
  }
  // The destructor stopped nginx and removed the prefix.
  CHECK_FALSE(pid_exists(master));
  for (const pid_t w : workers) CHECK_FALSE(pid_exists(w));
  CHECK_FALSE(std::filesystem::exists(prefix));
}

TEST_CASE("NginxServer: Last-Event-ID resumes after the given message", "[fixture][nginx]") {
  NginxServer server = start_nginx();
  for (const char* m : {"m1", "m2", "m3"}) REQUIRE(server.publish("resume", m) == 202);
  RawConnection first = subscribe(server, "/sub/resume");
  REQUIRE(first.read_until("data: m3\n"));
  const std::string id1 = id_of(first.received(), "data: m1");

  RawConnection again = subscribe(server, "/sub/resume", {"Last-Event-ID: " + id1});
  INFO(again.received());
  REQUIRE(again.read_until("data: m3\n"));
  CHECK(again.received().find("data: m1") == std::string::npos);
  CHECK(again.received().find("data: m2") != std::string::npos);

  RawConnection by_query =
      subscribe(server, "/sub/resume?last_event_id=" + id_of(first.received(), "data: m2"));
  REQUIRE(by_query.read_until("data: m3\n"));
  CHECK(by_query.received().find("data: m2") == std::string::npos);
}

TEST_CASE("NginxServer: stop and restart keep the port and lose the messages", "[fixture][nginx]") {
  NginxServer server = start_nginx();
  const auto port = server.port();
  REQUIRE(server.publish("r", "before") == 202);
  RawConnection sub = subscribe(server, "/sub/r");
  REQUIRE(sub.read_until("data: before\n"));

  server.stop();
  CHECK_FALSE(server.running());
  CHECK(server.pid() == 0);
  CHECK(sub.wait_closed(2s));
  CHECK(sub.received().find(":410: 410 Gone") != std::string::npos);  // graceful: nchan says 410
  CHECK_FALSE(can_connect(port));
  server.stop();  // idempotent

  server.restart();
  CHECK(server.running());
  CHECK(server.port() == port);
  CHECK(server.last_start_duration() < 2s);
  RawConnection after = subscribe(server, "/sub/r");
  CHECK(server.publish("r", "after") == 201);
  REQUIRE(after.read_until("data: after\n"));
  CHECK(after.received().find("data: before") == std::string::npos);  // the store is in memory

  server.restart();  // restart while running stops first
  CHECK(server.port() == port);
  CHECK(server.publish("r", "again") == 202);
}

TEST_CASE("NginxServer: kill9 kills master and worker, restart works", "[fixture][nginx]") {
  NginxServer server = start_nginx();
  const auto port = server.port();
  const pid_t master = server.pid();
  const std::vector<pid_t> workers = server.worker_pids();
  REQUIRE(workers.size() == 1);
  RawConnection sub = subscribe(server, "/sub/k");

  server.kill9();
  CHECK_FALSE(server.running());
  CHECK(sub.wait_closed(2s));
  CHECK(sub.received().find("410") == std::string::npos);  // a crash: bare EOF
  CHECK_FALSE(pid_exists(master));
  CHECK_FALSE(pid_exists(workers.front()));
  CHECK_FALSE(can_connect(port));

  server.restart();
  CHECK(server.port() == port);
  CHECK(server.pid() != master);
  CHECK(server.publish("k", "back") == 202);
  INFO(server.error_log_tail());
  CHECK(server.error_log_tail().find("nginx") != std::string::npos);
}

TEST_CASE("NginxServer: /authsub wants the bearer token", "[fixture][nginx]") {
  NginxServer::Options options;
  options.auth_token = "s3cret-token";
  NginxServer server = start_nginx(options);
  REQUIRE(server.publish("a", "secret") == 202);

  const auto status_of = [&](const std::vector<std::string>& headers) {
    RawConnection conn(server.port());
    std::string req = "GET /authsub/a HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
    for (const auto& h : headers) req += h + "\r\n";
    REQUIRE(conn.send_all(req + "\r\n"));
    REQUIRE(conn.read_until("\r\n\r\n"));
    if (parse_status(conn.received()) == 200) {
      REQUIRE(conn.read_until("data: secret\n"));  // same channel as /sub/a
    }
    return parse_status(conn.received());
  };
  CHECK(status_of({}) == 401);
  CHECK(status_of({"Authorization: Bearer good-token"}) == 401);
  CHECK(status_of({"Authorization: Bearer s3cret-token"}) == 200);
}

TEST_CASE("NginxServer: TLS with the test CA, the wrong CA fails verification",
          "[fixture][nginx][tls]") {
  NginxServer::Options options;
  options.tls = true;
  NginxServer server = start_nginx(options);
  REQUIRE(server.tls_port() != 0);
  CHECK(server.tls_base_url() == "https://localhost:" + std::to_string(server.tls_port()));
  const std::string ca = NginxServer::ca_cert_path().string();
  const std::string wrong = NginxServer::wrong_ca_cert_path().string();

  const auto ok = run("curl -sS -o /dev/null -w '%{http_code}' --cacert " + ca + " " +
                      server.tls_url("/nchan_status"));
  INFO(ok.output);
  CHECK(ok.exit_code == 0);
  CHECK(ok.output == "200");

  const auto by_ip =
      run("curl -sS -o /dev/null -w '%{http_code}' --cacert " + ca +
          " https://127.0.0.1:" + std::to_string(server.tls_port()) + "/nchan_status");
  INFO(by_ip.output);
  CHECK(by_ip.output == "200");  // IP SAN

  const auto bad =
      run("curl -sS -o /dev/null --cacert " + wrong + " " + server.tls_url("/nchan_status"));
  INFO(bad.output);
  CHECK(bad.exit_code == 60);  // peer certificate cannot be authenticated with the given CA

  REQUIRE(server.publish("t", "over-tls") == 202);
  const auto sse = run("curl -sS -N --max-time 1 -H 'Accept: text/event-stream' --cacert " + ca +
                       " " + server.tls_url("/sub/t"));
  INFO(sse.output);
  CHECK(sse.output.find("data: over-tls") != std::string::npos);
}

TEST_CASE("NginxServer: ping interval is configurable", "[fixture][nginx]") {
  NginxServer::Options options;
  options.ping_interval = 1s;
  NginxServer server = start_nginx(options);
  RawConnection sub = subscribe(server, "/sub/p");
  INFO(sub.received());
  CHECK(sub.read_until(":ping\n", 3s));
  CHECK(sub.read_until("event: ping\n", 1s));
}

TEST_CASE("NginxServer: /files serves ETag, 304 on If-None-Match, new ETag on rewrite",
          "[fixture][nginx]") {
  NginxServer server = start_nginx();
  server.write_file("state.json", R"({"seq":1})");
  const HttpResponse first = server.http("GET", "/files/state.json");
  INFO(first.head);
  REQUIRE(first.status == 200);
  CHECK(first.body == R"({"seq":1})");
  CHECK(first.header("Content-Type") == "application/json");
  const auto etag = first.header("ETag");
  REQUIRE(etag.has_value());

  CHECK(server.http("GET", "/files/state.json", {{"If-None-Match", *etag}}).status == 304);

  server.write_file("state.json", R"({"seq":2})");  // same size, same second: ETag still changes
  const HttpResponse second = server.http("GET", "/files/state.json", {{"If-None-Match", *etag}});
  CHECK(second.status == 200);
  CHECK(second.body == R"({"seq":2})");
  CHECK(second.header("ETag") != etag);
  CHECK(server.http("GET", "/files/missing.json").status == 404);
}

TEST_CASE("NginxServer: big-buffer channel holds a 20,000-message backlog",
          "[fixture][nginx][big]") {
  NginxServer server = start_nginx();
  std::vector<std::string> bodies;
  for (int i = 0; i < 20000; ++i) bodies.push_back("{\"seq\":" + std::to_string(i) + "}");
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(server.publish_many("bulk", bodies, true) == bodies.size());
  const auto publish_time = std::chrono::steady_clock::now() - t0;
  CHECK(publish_time < 20s);
  CHECK(server.publish_big("bulk", "{\"seq\":20000}") == 202);

  RawConnection sub = subscribe(server, "/bigsub/bulk");
  REQUIRE(sub.read_until("data: {\"seq\":20000}\n", 20s));
  CHECK(count(sub.received(), "\ndata: ") == 20001);
  CHECK(sub.received().find("data: {\"seq\":0}\n") != std::string::npos);  // nothing evicted

  // The ordinary channel keeps only Options::buffer_length (1000) messages.
  REQUIRE(server.publish_many("small", bodies) == bodies.size());
  RawConnection small = subscribe(server, "/sub/small");
  REQUIRE(small.read_until("data: {\"seq\":19999}\n", 10s));
  CHECK(count(small.received(), "\ndata: ") == 1000);
}

// --- ScriptedServer -------------------------------------------------------------------

namespace {
RawConnection request(const ScriptedServer& server, const std::string& extra_headers = "") {
  RawConnection conn(server.port());
  REQUIRE(conn.send_all("GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n" +
                        extra_headers + "\r\n"));
  return conn;
}
}  // namespace

TEST_CASE("ScriptedServer: raw bytes then close, the request head is recorded",
          "[fixture][scripted]") {
  const std::string reply = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: x\n\n";
  ScriptedServer server({Behaviour::raw(reply)});
  RawConnection conn = request(server, "Last-Event-ID: 41\r\nAuthorization: Bearer t\r\n");
  REQUIRE(conn.wait_closed(2s));
  CHECK(conn.received() == reply);
  REQUIRE(server.wait_for_finished(1));
  const auto heads = server.requests();
  REQUIRE(heads.size() == 1);
  CHECK(heads[0].starts_with("GET /stream HTTP/1.1\r\n"));
  CHECK(heads[0].ends_with("\r\n\r\n"));
  CHECK(find_header(heads[0], "last-event-id") == "41");
  CHECK(find_header(heads[0], "Authorization") == "Bearer t");
  CHECK(find_header(heads[0], "Accept") == "text/event-stream");
  CHECK(server.connections()[0].bytes_sent == reply.size());
}

TEST_CASE("ScriptedServer: a request body is recorded by its Content-Length, even split",
          "[fixture][scripted]") {
  ScriptedServer server({Behaviour::http_response(204)});
  RawConnection conn(server.port());
  REQUIRE(
      conn.send_all("POST /stream HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 11\r\n\r\nhello"));
  REQUIRE(conn.send_all(" world, and more than its length"));
  REQUIRE(conn.wait_closed(2s));
  REQUIRE(server.wait_for_finished(1));
  CHECK(server.requests()[0].starts_with("POST /stream HTTP/1.1\r\n"));
  CHECK(server.bodies() == std::vector<std::string>{"hello world"});
}

TEST_CASE("ScriptedServer: raw bytes then idle until the peer closes", "[fixture][scripted]") {
  ScriptedServer server({Behaviour::sse("data: a\n\n")});
  RawConnection conn = request(server);
  REQUIRE(conn.read_until("data: a\n\n"));
  CHECK(conn.received().starts_with(Behaviour::sse_head()));
  CHECK_FALSE(conn.wait_closed(300ms));
  conn.close();
  REQUIRE(server.wait_for_finished(1, 2s));
  CHECK(server.connections()[0].peer_closed);
}

TEST_CASE("ScriptedServer: streams without a newline until the peer closes",
          "[fixture][scripted]") {
  ScriptedServer server({Behaviour::stream_forever(Behaviour::sse_head())});
  RawConnection conn = request(server);
  REQUIRE(conn.read_until_size(Behaviour::sse_head().size() + 512 * 1024, 5s));
  CHECK(conn.received().find('\n', Behaviour::sse_head().size()) == std::string::npos);
  conn.close();
  REQUIRE(server.wait_for_finished(1, 3s));
  CHECK(server.connections()[0].peer_closed);
  CHECK(server.connections()[0].bytes_sent >= 512 * 1024);
}

TEST_CASE("ScriptedServer: close at once, silent, reset", "[fixture][scripted]") {
  SECTION("close at once") {
    ScriptedServer server({Behaviour::close_at_once()});
    RawConnection conn(server.port());
    CHECK(conn.wait_closed(2s));
    CHECK(conn.received().empty());
    CHECK(server.connections_accepted() == 1);
  }
  SECTION("silent") {
    ScriptedServer server({Behaviour::silent()});
    RawConnection conn = request(server);
    CHECK(conn.read_for(300ms) == 0);
    CHECK_FALSE(conn.peer_closed());
    REQUIRE(server.wait_for_requests(1));
    CHECK(server.requests()[0].starts_with("GET /stream"));
  }
  SECTION("reset") {
    ScriptedServer server({Behaviour::raw("HTTP/1.1 200 OK\r\n").ending(Behaviour::End::reset)});
    RawConnection conn = request(server);
    CHECK(conn.wait_closed(2s));
    CHECK(conn.peer_reset());
  }
  SECTION("steps with pauses") {
    ScriptedServer server({Behaviour::raw(Behaviour::sse_head() + "data: par")
                               .then_sleep(200ms)
                               .then_send("tial\n\n")});
    RawConnection conn = request(server);
    REQUIRE(conn.read_until("data: par"));
    CHECK(conn.received().find("tial") == std::string::npos);
    REQUIRE(conn.read_until("data: partial\n\n"));
    CHECK(conn.wait_closed(2s));
  }
}

TEST_CASE("ScriptedServer: one behaviour per connection, the last repeats", "[fixture][scripted]") {
  ScriptedServer server({Behaviour::http_response(503, {{"Retry-After", "2"}}, "busy"),
                         Behaviour::sse("id: 1\ndata: a\n\n")});
  RawConnection first = request(server);
  REQUIRE(first.wait_closed(2s));
  CHECK(parse_status(first.received()) == 503);
  CHECK(find_header(first.received(), "Retry-After") == "2");
  CHECK(first.received().ends_with("\r\n\r\nbusy"));

  RawConnection second = request(server, "Last-Event-ID: 0\r\n");
  REQUIRE(second.read_until("data: a\n\n"));
  CHECK(parse_status(second.received()) == 200);
  RawConnection third = request(server);
  REQUIRE(third.read_until("data: a\n\n"));
  CHECK(server.connections_accepted() == 3);
  REQUIRE(server.wait_for_requests(3));
  CHECK(find_header(server.requests()[1], "Last-Event-ID") == "0");

  ScriptedServer once({Behaviour::sse("data: b\n\n")}, ScriptedServer::Options{false});
  RawConnection a = request(once);
  REQUIRE(a.read_until("data: b"));
  RawConnection b = request(once);
  CHECK(b.wait_closed(2s));
  CHECK(b.received().empty());
}

TEST_CASE("ScriptedServer: stop() ends idle and streaming connections promptly",
          "[fixture][scripted]") {
  ScriptedServer server({Behaviour::silent(), Behaviour::stream_forever(Behaviour::sse_head())});
  RawConnection idle = request(server);
  RawConnection stream = request(server);  // never read: the server blocks on a full buffer
  REQUIRE(server.wait_for_connections(2));
  const auto t0 = std::chrono::steady_clock::now();
  server.stop();
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);
  CHECK(idle.wait_closed(1s));
  CHECK_FALSE(can_connect(server.port()));
}

TEST_CASE("NginxServer: restart retries while the port is briefly taken", "[fixture][nginx]") {
  NginxServer server = start_nginx();
  const auto port = server.port();
  server.kill9();
  // Occupy the port for a moment, as another process might.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 4) == 0);
  std::thread release([fd] {
    std::this_thread::sleep_for(800ms);
    ::close(fd);
  });
  server.restart();
  release.join();
  CHECK(server.port() == port);
  CHECK(server.last_start_duration() > 500ms);
  CHECK(server.publish("x", "y") == 202);
}

// Not run by ctest (hidden): prints how long starting and restarting take.
TEST_CASE("NginxServer: timings", "[.][timing]") {
  using Seconds = std::chrono::duration<double>;
  const auto t0 = std::chrono::steady_clock::now();
  NginxServer server = start_nginx();
  const Seconds start = std::chrono::steady_clock::now() - t0;
  const Seconds serving = server.last_start_duration();
  RawConnection sub = subscribe(server, "/sub/t");
  const auto t2 = std::chrono::steady_clock::now();
  server.stop();
  const Seconds stop = std::chrono::steady_clock::now() - t2;
  server.restart();
  const Seconds restart = server.last_start_duration();
  server.kill9();
  server.restart();
  const Seconds after_kill = server.last_start_duration();
  NginxServer::Options tls;
  tls.tls = true;
  const auto t1 = std::chrono::steady_clock::now();
  NginxServer with_tls = start_nginx(tls);  // includes generating the CAs once
  const Seconds tls_start = std::chrono::steady_clock::now() - t1;
  WARN("start " << start.count() << " s (serving after " << serving.count()
                << " s), stop with a subscriber " << stop.count() << " s, restart "
                << restart.count() << " s, restart after kill9 " << after_kill.count()
                << " s, first TLS start incl. CA generation " << tls_start.count() << " s");
}

// Not run by ctest (hidden): how many messages fit, and what they cost nginx.
TEST_CASE("NginxServer: a 1,000,000-message buffer", "[.][million]") {
  NginxServer::Options options;
  options.big_buffer_length = 1'000'000;
  options.shared_memory_mb = 600;
  NginxServer server = start_nginx(options);
  std::vector<std::string> bodies;
  for (int i = 0; i < 1'000'000; ++i)
    bodies.push_back("{\"seq\":" + std::to_string(i) + ",\"pad\":\"" + std::string(60, 'x') +
                     "\"}");
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t accepted = server.publish_many("m", bodies, true);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - t0;
  const auto info = server.http("GET", "/bigpub/m", {{"Accept", "text/json"}});
  std::string rss;
  for (const pid_t w : server.worker_pids()) {
    std::ifstream status("/proc/" + std::to_string(w) + "/status");
    for (std::string line; std::getline(status, line);)
      if (line.starts_with("VmRSS")) rss += line;
  }
  WARN("accepted " << accepted << " in " << took.count() << " s; " << info.body << "; worker "
                   << rss);
  CHECK(accepted == bodies.size());
}
