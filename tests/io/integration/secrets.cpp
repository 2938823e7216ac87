// Secrets never reach tether-watch's output channels. Distinct secrets are
// planted (a token from --token-cmd and from --token-file, a password in the
// --token-cmd command line, a query value, a URL password, an -H value, a
// secret in a server's redirect Location), tether-watch (the real binary) runs
// through its paths against a scripted loopback server — streaming, a 401, a
// failing token command, a token with a control byte, a bad URL, a bad
// redirect — with --record, --checkpoint and --json-status, and then every
// file it wrote (stdout, stderr, the recording, the checkpoint and its
// companions) is searched for every secret. The token and the -H value go on
// the wire to the server (checked, so the secrets were really in play): that
// is not an output channel.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <tether/io/http_poller.hpp>
#include <vector>

#include "child_process.hpp"
#include "scripted_server.hpp"

TEST_CASE("secrets: HttpPoller's errors show the URL redacted", "[secrets]") {
  auto poller = tether::io::HttpPoller::create({});
  REQUIRE(poller);
  for (const std::string url :
       {"ws://127.0.0.1:1/x?access_token=SECRET3", "http://u:SECRET4@127.0.0.1:1/x"}) {
    const auto got = (*poller)->get(tether::io::PollRequest{url, {}, {}});
    REQUIRE_FALSE(got);
    INFO(got.error());
    CHECK(got.error().find("127.0.0.1:1/x") != std::string::npos);
    CHECK(got.error().find("SECRET") == std::string::npos);
  }
}

#ifdef TETHER_WATCH

namespace {

using namespace tether::io::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Every planted secret contains this marker, and nothing else tether-watch
// could print does.
const std::string marker = "SECRET";
const std::string token_cmd_token = "tok-SECRET1";
const std::string token_cmd_password = "pw-SECRET2";
const std::string query_secret = "SECRET3";
const std::string userinfo_password = "SECRET4";
const std::string header_secret = "SECRET5";
const std::string token_file_token = "tok-SECRET6";
const std::string location_password = "SECRET7";
const std::string location_query = "SECRET8";
const std::string control_token = "tok-SECRET9";

const std::string token_cmd = "echo " + token_cmd_token + "; : " + token_cmd_password;
const std::string failing_token_cmd =
    "echo " + token_cmd_token + "; exit 3; : " + token_cmd_password;

std::string stream_url(const ScriptedServer& server) {
  return server.base_url() + "/sub/orders?access_token=" + query_secret + "&channel=orders";
}

std::vector<std::string> with_outputs(std::vector<std::string> args, const fs::path& dir,
                                      const std::string& name, bool json_status) {
  for (std::string a : std::vector<std::string>{
           "--seq-from", "json:seq", "--record", (dir / (name + ".events")).string(),
           "--checkpoint", (dir / (name + ".ckpt")).string(), "-H", "X-Api-Key: " + header_secret})
    args.push_back(a);
  if (json_status) args.push_back("--json-status");
  return args;
}

const std::string two_events = "id: 1\ndata: {\"seq\":1}\n\nid: 2\ndata: {\"seq\":2}\n\n";

// Streams two events with a token from `token_args`, stops by SIGTERM.
void run_streaming(const std::vector<std::string>& token_args, const std::string& expected_token,
                   const fs::path& dir, const std::string& name, bool json_status) {
  ScriptedServer server({Behaviour::sse(two_events)});
  std::vector<std::string> args{stream_url(server)};
  args.insert(args.end(), token_args.begin(), token_args.end());
  Child run(TETHER_WATCH, with_outputs(args, dir, name, json_status), dir, name);
  const bool printed = eventually([&] { return line_count(run.out()) >= 2; });
  ::kill(run.pid(), SIGTERM);
  CHECK(run.wait_exit(20s) == 0);
  INFO(run.err());
  REQUIRE(printed);
  // The secrets were in play: on the wire, where they belong.
  REQUIRE(server.wait_for_requests(1));
  const std::string request = server.requests()[0];
  CHECK(find_header(request, "Authorization") == "Bearer " + expected_token);
  CHECK(find_header(request, "X-Api-Key") == header_secret);
  CHECK(request.find("access_token=" + query_secret) != std::string::npos);
  // The recording keeps the URL's shape and the query's names.
  const std::string recording = read_all(dir / (name + ".events"));
  CHECK(recording.find("/sub/orders?access_token=***&channel=***") != std::string::npos);
  CHECK(fs::exists(dir / (name + ".ckpt")));
}

}  // namespace

TEST_CASE(
    "secrets: no planted secret reaches tether-watch's stdout, stderr, recording or checkpoint",
    "[secrets][tether_watch]") {
  const Scratch scratch("secrets");
  const fs::path& dir = scratch.path();
  const fs::path token_file =
      dir / "token-input";  // an input, not an output: removed before the search
  { std::ofstream(token_file) << token_file_token << "\n"; }

  {
    // 1. Streaming, token from --token-cmd, JSON status.
    run_streaming({"--token-cmd", token_cmd}, token_cmd_token, dir, "stream_cmd", true);
    // 2. Streaming, token from --token-file, text status.
    run_streaming({"--token-file", token_file.string()}, token_file_token, dir, "stream_file",
                  false);

    // 3. 401, refresh, 401 again: failed (exit 4).
    {
      ScriptedServer server({Behaviour::http_response(401)});
      Child run(
          TETHER_WATCH,
          with_outputs({stream_url(server), "--token-cmd", token_cmd}, dir, "unauthorized", true),
          dir, "unauthorized");
      CHECK(run.wait_exit(30s) == 4);
      CHECK(run.err().find("\"http_status\":401") != std::string::npos);
      REQUIRE(server.wait_for_requests(2));
      CHECK(find_header(server.requests()[1], "Authorization") == "Bearer " + token_cmd_token);
    }

    // 4. A token command that fails (after printing a token), text and JSON.
    for (const bool json : {false, true}) {
      const std::string name = json ? "failing_cmd_json" : "failing_cmd";
      ScriptedServer server({Behaviour::http_response(401)});
      Child run(
          TETHER_WATCH,
          with_outputs({stream_url(server), "--token-cmd", failing_token_cmd}, dir, name, json),
          dir, name);
      const bool reported = eventually([&] { return count_of(run.err(), "exit status 3") >= 2; });
      ::kill(run.pid(), SIGTERM);
      const auto code = run.wait_exit(20s);
      CHECK((code == 0 || code == 3 || code == 4));
      INFO(run.err());
      CHECK(reported);
      CHECK(run.err().find("token command (--token-cmd) failed: exit status 3") !=
            std::string::npos);
    }

    // 5. A token with a control byte: refused, never sent, never shown.
    {
      ScriptedServer server({Behaviour::sse(two_events)});
      const std::string cmd =
          "printf '" + control_token + "\\rX-Injected: 1\\n'; : " + token_cmd_password;
      Child run(TETHER_WATCH,
                with_outputs({stream_url(server), "--token-cmd", cmd}, dir, "ctl", true), dir,
                "ctl");
      const bool printed = eventually([&] { return line_count(run.out()) >= 2; });
      ::kill(run.pid(), SIGTERM);
      CHECK(run.wait_exit(20s) == 0);
      INFO(run.err());
      CHECK(printed);
      CHECK(run.err().find("token from --token-cmd contains a control byte (CR)") !=
            std::string::npos);
      REQUIRE(server.wait_for_requests(1));
      CHECK_FALSE(find_header(server.requests()[0], "Authorization"));
      CHECK_FALSE(find_header(server.requests()[0], "X-Injected"));
    }

    // 6. A URL with userinfo (and a query secret): refused at start (exit 2).
    for (const bool json : {false, true}) {
      const std::string name = json ? "userinfo_json" : "userinfo";
      const std::string url =
          "http://user:" + userinfo_password + "@127.0.0.1:1/sub/x?access_token=" + query_secret;
      Child run(TETHER_WATCH, with_outputs({url, "--token-cmd", token_cmd}, dir, name, json), dir,
                name);
      CHECK(run.wait_exit(20s) == 2);
      const std::string err = run.err();
      CHECK(err.find("URL 'http://***@127.0.0.1:1/sub/x?access_token=***': credentials in the URL "
                     "are not supported") != std::string::npos);
    }

    // 7. A redirect whose Location carries secrets and is refused.
    {
      const std::string location =
          "//u:" + location_password + "@elsewhere/x?access_token=" + location_query;
      ScriptedServer server({Behaviour::http_response(302, {{"Location", location}})});
      Child run(TETHER_WATCH,
                with_outputs({stream_url(server), "--token-cmd", token_cmd}, dir, "redirect", true),
                dir, "redirect");
      // The refusal is reported (naming origins only, so the host need not appear).
      const bool reported =
          eventually([&] { return run.err().find("cannot be followed") != std::string::npos; });
      ::kill(run.pid(), SIGTERM);
      const auto code = run.wait_exit(20s);
      CHECK((code == 0 || code == 4));
      INFO(run.err());
      CHECK(reported);
    }
  }

  // Every output channel of every run: none may hold any secret.
  fs::remove(token_file);
  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string content = read_all(entry.path());
    for (const std::string& secret :
         {token_cmd_token, token_cmd_password, query_secret, userinfo_password, header_secret,
          token_file_token, location_password, location_query, control_token, marker}) {
      INFO(entry.path().string() << " holds " << secret << ":\n" << content);
      CHECK(content.find(secret) == std::string::npos);
    }
  }
  CHECK(files >= 20);  // .out and .err of 9 runs, and the recordings and checkpoints
}

#endif  // TETHER_WATCH
