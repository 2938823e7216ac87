// tether-watch: follow an SSE or WebSocket stream and print each delivered
// event as one JSON line on stdout; status changes and diagnostics go to
// stderr. See docs/io.md for examples against nchan.
//
// Exit codes: 0 stopped (SIGINT/SIGTERM, --max-events reached, or a `stop`
// command on stdin with --control-stdin);
// 2 usage or configuration error (also a checkpoint in use by another process);
// 3 gave up (retry policy exhausted);
// 4 failed (a fatal answer such as 401 after a refresh or 404, a cursor too
// old under the fail policy, or a checkpoint file that is unreadable or
// belongs to another stream);
// 5 output closed (stdout could not be written: EPIPE, EIO, ...; the
// checkpoint covers the lines written before).
//
// A delivery is acked, so the checkpoint may move to it, only once its line
// was handed to the kernel by write(2) on stdout (see Output below).
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <tether/io/config.hpp>
#include <tether/io/file_checkpoint_store.hpp>
#include <tether/io/http_header.hpp>
#include <tether/io/line_output.hpp>
#include <tether/io/runner.hpp>
#include <tether/io/runner_config.hpp>
#include <tether/io/sse_parser.hpp>
#include <tether/io/stream_identity.hpp>
#include <tether/io/token_auth.hpp>
#include <tether/io/url.hpp>
#include <tether/model/names.hpp>
#include <vector>

#ifdef TETHER_WATCH_METRICS
#include <prometheus/exposer.h>

#include <tether/metrics/session_metrics.hpp>
#endif

namespace {

using namespace tether;

constexpr int exit_stopped = 0;
constexpr int exit_usage = 2;
constexpr int exit_gave_up = 3;
constexpr int exit_failed = 4;
constexpr int exit_output_closed = 5;

// stdout as LineOutput's sink. Lines go through stdio's buffer (one write(2)
// per 4 KiB to a pipe or file, not one per line); the main loop flushes it
// and acks up to the last line the flush wrote. Acking when the callback
// returned let the fsynced checkpoint run ahead of the buffered lines, which
// kill -9 then lost.
class StdoutSink final : public io::OutputSink {
 public:
  bool write(std::string_view bytes) override {
    errno = 0;
    if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) == bytes.size()) return true;
    errno_ = errno;
    return false;
  }
  bool flush() override {
    errno = 0;
    if (std::fflush(stdout) == 0 && std::ferror(stdout) == 0) return true;
    errno_ = errno;
    return false;
  }
  int errno_value() const override { return errno_; }

 private:
  int errno_ = 0;
};

// Main thread: flushes stdout and acks every line it (or an earlier flush)
// handed to the kernel. False once stdout failed: nothing past what was
// written is ever acked.
bool flush_and_ack(io::LineOutput& output, io::Runner& runner, bool last) {
  if (const auto id = output.flush(last)) runner.ack(*id);
  return !output.failed();
}

std::string output_error(const io::LineOutput& output) {
  return output.errno_value() != 0 ? std::strerror(output.errno_value()) : "write error";
}

std::string status_text(const model::Status& s, bool json) {
  std::string out;
  if (json) {
    out = "{\"status\":\"" + std::string(model::name_of(s.kind)) + "\",\"reason\":\"" +
          std::string(model::name_of(s.reason)) + "\",\"failures\":" + std::to_string(s.failures);
    if (s.http_status != 0) out += ",\"http_status\":" + std::to_string(s.http_status);
    if (s.kind == model::StatusKind::backing_off)
      out += ",\"next_attempt_at_ms\":" + std::to_string(s.next_attempt_at.ms);
    out += "}";
    return out;
  }
  out = "tether-watch: " + std::string(model::name_of(s.kind));
  if (s.reason != model::Reason::none) out += " (" + std::string(model::name_of(s.reason)) + ")";
  if (s.http_status != 0) out += ", HTTP " + std::to_string(s.http_status);
  if (s.failures != 0) out += ", " + std::to_string(s.failures) + " failed attempt(s)";
  return out;
}

// A decimal count without sign or spaces, at most 2^62 (CLI11 would wrap "-1").
bool parse_count(std::string_view text, std::uint64_t& out) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() ||
      value > (std::uint64_t{1} << 62))
    return false;
  out = value;
  return true;
}

// The command line. Policy options (--config, --set and the flags that name
// one field) build an io::Config; the rest (URL, credentials, checkpoint,
// recording, output) stay here.
struct Cli {
  std::string url;
  std::string preset = "aviso";
  std::string config_file;
  std::vector<std::string> sets;
  bool print_config = false;
  std::string checkpoint;
  std::string checkpoint_key;
  std::string token_file;
  std::string token_cmd;
  std::int64_t token_cmd_timeout_ms = 30'000;
  std::string seq_from;
  std::string gaps;
  std::string record;
  std::string ca_file;
  bool insecure = false;
  std::string cursor_param;
  std::vector<std::string> headers;
  std::string method;
  std::string body;
  std::string body_file;
  std::string post_reconnect;
  std::string last_event_id;
  std::string initial_retry_delay_ms;  // checked as --set backoff.delay_ms_initial is
  bool comments = false;
  bool control_stdin = false;
  bool nchan_meta = false;
  std::vector<std::string> ws_subscribe;
  bool json_status = false;
  bool verbose = false;
  std::string metrics_listen;
  bool metrics_allow_remote = false;
  std::string max_events_text = "0";
  std::uint64_t max_events = 0;
  std::string seed_text;
  std::uint64_t seed = 0;
  std::int64_t read_idle_ms = 0;
  std::size_t line_bytes_max = 0;
  std::size_t event_bytes_max = 0;
  std::uint64_t ws_message_bytes_max = 0;
  std::size_t id_bytes_max = 0;
  // Given on the command line (a flag overrides the configuration only then).
  CLI::Option* url_opt = nullptr;
  CLI::Option* preset_opt = nullptr;
  CLI::Option* config_opt = nullptr;
  CLI::Option* gaps_opt = nullptr;
  CLI::Option* seed_opt = nullptr;
  CLI::Option* read_idle_opt = nullptr;
  CLI::Option* line_opt = nullptr;
  CLI::Option* event_opt = nullptr;
  CLI::Option* ws_opt = nullptr;
  CLI::Option* id_opt = nullptr;
  CLI::Option* ca_opt = nullptr;
  CLI::Option* method_opt = nullptr;
  CLI::Option* body_opt = nullptr;
  CLI::Option* body_file_opt = nullptr;
  CLI::Option* post_reconnect_opt = nullptr;
  CLI::Option* last_event_id_opt = nullptr;
  CLI::Option* initial_retry_opt = nullptr;
};

void add_policy_options(CLI::App& app, Cli& c) {
  c.preset_opt = app.add_option(
      "--preset", c.preset,
      "the base policy (aviso, zero_ws, kanade, koprs, grpc, client_go; default aviso)");
  c.config_opt = app.add_option("--config", c.config_file,
                                "tether-config/1 file: the policy (docs/configuration.md)");
  c.preset_opt->excludes(c.config_opt);
  // One value per --set (and -H): a URL after them is the URL, not an override.
  app.add_option("--set", c.sets,
                 "override one field: PATH=VALUE, e.g. backoff.delay_ms_max=60000 (repeatable)")
      ->allow_extra_args(false);
  app.add_flag("--print-config", c.print_config,
               "print the effective configuration (tether-config/1) and exit");
  app.add_option("--seq-from", c.seq_from,
                 "sequence number source: id, id-suffix or json:FIELD (shell.sequence)");
  c.gaps_opt = app.add_option("--gaps", c.gaps,
                              "gap detection with a sequence: strict or relaxed (resume.gaps)")
                   ->check(CLI::IsMember({"strict", "relaxed"}));
  c.ca_opt =
      app.add_option("--ca-file", c.ca_file, "PEM CA bundle to trust instead of the system's");
  app.add_flag("--insecure-skip-tls-verify-DANGEROUS", c.insecure,
               "do not verify the server's certificate");
  app.add_option("--ws-subscribe", c.ws_subscribe,
                 "WebSocket: send this text message on every connection before it counts as "
                 "open, {cursor} becoming the resume id (repeatable, in order; may carry "
                 "credentials: never printed or recorded)")
      ->allow_extra_args(false);
  app.add_flag("--ws-nchan-meta", c.nchan_meta,
               "WebSocket: use nchan's ws+meta.nchan frames (carry ids)");
  c.seed_opt = app.add_option("--seed", c.seed_text,
                              "jitter seed (default: drawn from the OS; fix it only to replay)");
  c.read_idle_opt = app.add_option("--read-idle-ms,--idle-timeout-ms", c.read_idle_ms,
                                   "reconnect after this long without a complete line, frame or "
                                   "ping (0: never; default: the policy's heartbeat)")
                        ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 40));
  c.initial_retry_opt = app.add_option("--initial-retry-delay-ms", c.initial_retry_delay_ms,
                                       "the first reconnect delay (backoff.delay_ms_initial, as "
                                       "--set backoff.delay_ms_initial=MS; "
                                       "refused together with a --set of that field)")
                            ->type_name("MS");
  c.line_opt = app.add_option("--line-bytes-max", c.line_bytes_max,
                              "longest SSE line accepted (default 1 MiB)")
                   ->check(CLI::Range(std::size_t{64}, std::size_t{1} << 30));
  c.event_opt = app.add_option("--event-bytes-max", c.event_bytes_max,
                               "largest SSE event accepted (default 8 MiB)")
                    ->check(CLI::Range(std::size_t{64}, std::size_t{1} << 32));
  c.ws_opt = app.add_option("--ws-message-bytes-max", c.ws_message_bytes_max,
                            "largest WebSocket message accepted (default 8 MiB)")
                 ->check(CLI::Range(std::uint64_t{64}, std::uint64_t{1} << 32));
  c.id_opt = app.add_option("--id-bytes-max", c.id_bytes_max,
                            "longest resume id accepted (default and most: 1024)")
                 ->check(CLI::Range(std::size_t{1}, model::Token::capacity));
}

// What the SSE request carries and what comes back besides events.
void add_request_options(CLI::App& app, Cli& c) {
  app.add_option("--cursor-param", c.cursor_param,
                 "also send the resume id as this query parameter");
  c.method_opt =
      app.add_option("--method", c.method,
                     "SSE request method: GET, or POST or REPORT with --body (shell.sse.method)")
          ->check(CLI::IsMember({"GET", "POST", "REPORT"}));
  c.post_reconnect_opt =
      app.add_option("--post-reconnect", c.post_reconnect,
                     "what a POST or REPORT stream's reconnect sends: resend_body (the body "
                     "again, {cursor} replaced; default) or resume_by_get (a GET with "
                     "Last-Event-ID) (shell.sse.reconnect)")
          ->check(CLI::IsMember({"resend_body", "resume_by_get"}));
  c.last_event_id_opt = app.add_option(
      "--last-event-id", c.last_event_id,
      "resume after this event id (sent as Last-Event-ID) when no checkpoint holds a cursor; "
      "refused with a --checkpoint file that holds one (resume.start)");
  app.add_flag("--comments", c.comments,
               "print each SSE comment line on stdout as {\"comment\":\"TEXT\"} (TEXT: what "
               "follows the ':'), in order with the events; never acked or checkpointed "
               "(shell.sse.deliver_comments)");
}

void add_run_options(CLI::App& app, Cli& c) {
  c.url_opt = app.add_option("url", c.url, "http(s):// (SSE) or ws(s):// (WebSocket) URL");
  auto* ckpt =
      app.add_option("--checkpoint", c.checkpoint, "checkpoint file: resume from it, save to it");
  app.add_option("--checkpoint-key", c.checkpoint_key,
                 "also name the stream in the checkpoint by this key (when a query value or header "
                 "selects it)")
      ->needs(ckpt);
  auto* tf = app.add_option("--token-file", c.token_file,
                            "bearer token from this file (re-read on refresh)");
  auto* tc =
      app.add_option("--token-cmd", c.token_cmd, "bearer token printed by this shell command");
  tf->excludes(tc);
  app.add_option("--token-cmd-timeout-ms", c.token_cmd_timeout_ms,
                 "kill the token command after this long (a failed refresh)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86'400'000}))
      ->needs(tc);
  app.add_option("--record", c.record,
                 "record every event fed to the reducer (tether-sim replay --events)");
  app.add_option("-H,--header", c.headers,
                 "extra request header 'Name: value' (repeatable; may carry credentials)")
      ->allow_extra_args(false);
  c.body_opt = app.add_option("--body", c.body,
                              "POST or REPORT body, {cursor} becoming the resume id (implies "
                              "--method POST; may carry credentials: never printed or recorded)");
  c.body_file_opt = app.add_option("--body-file", c.body_file,
                                   "the body read from this file, '-': from stdin (as --body)");
  c.body_opt->excludes(c.body_file_opt);
  app.add_flag("--control-stdin", c.control_stdin,
               "read commands from stdin, one per line: restart, network-changed, "
               "network-restored, pause, resume, stop (an unknown one is a warning; at EOF "
               "the stream goes on)");
  app.add_flag("--json-status", c.json_status, "status changes on stderr as JSON lines");
  app.add_flag("--verbose", c.verbose,
               "also print debug diagnostics (an outage's repeated failures, counted)");
  auto* metrics =
      app.add_option("--metrics-listen", c.metrics_listen,
                     "serve Prometheus metrics at http://ADDR:PORT/metrics (ADDR an IPv4 "
                     "address, loopback unless --metrics-allow-remote; port 0 picks "
                     "a free one, named on stderr)");
  app.add_flag("--metrics-allow-remote", c.metrics_allow_remote,
               "let --metrics-listen use a non-loopback address (the endpoint has no "
               "authentication)")
      ->needs(metrics);
  app.add_option("--max-events", c.max_events_text, "stop after this many deliveries (0: never)");
}

// The cursor --last-event-id names: its token, and its sequence when the
// sequence source reads one from an id alone (--seq-from id, id-suffix).
std::expected<model::Cursor, std::string> cursor_of_id(const std::string& id,
                                                       const std::string& seq_from) {
  if (auto bad = io::check_header_value(id); !bad)
    return std::unexpected("--last-event-id " + bad.error());
  auto token = model::Token::make(id);
  if (!token)
    return std::unexpected("--last-event-id is longer than " +
                           std::to_string(model::Token::capacity) + " bytes");
  if (auto source = io::SequenceExtractor::parse(seq_from)) {
    if (const auto sequence = source->extract(id, ""))
      return model::Cursor::at_token(*token, *sequence);
  }
  return model::Cursor::at_token(*token);
}

// --method, --post-reconnect and --last-event-id name fields; a body makes
// a GET a POST unless --method says GET (then refused by effective_config).
// The body itself stays out of the configuration (see runner_options).
void apply_request_flags(const Cli& c, io::Config& config) {
  if (*c.method_opt) {
    config.shell.sse.method = c.method;
  } else if ((*c.body_opt || *c.body_file_opt) && config.shell.sse.method == "GET") {
    config.shell.sse.method = "POST";
  }
  if (*c.post_reconnect_opt)
    config.shell.sse.reconnect = c.post_reconnect == "resume_by_get"
                                     ? io::PostReconnect::resume_by_get
                                     : io::PostReconnect::resend_body;
}

// The flags that name one field override the file and --set: the most
// specific word wins.
void apply_flags(const Cli& c, io::Config& config) {
  if (!c.seq_from.empty()) config.shell.sequence = c.seq_from;
  // What runs, so --print-config shows it: a token source makes a 401
  // refreshable, and tether-watch acks a line once write(2) took it.
  config.session.auth.has_provider = !c.token_file.empty() || !c.token_cmd.empty();
  config.shell.auto_ack = false;
  if (*c.gaps_opt)
    config.session.resume.gaps =
        c.gaps == "strict" ? model::GapDetection::strict : model::GapDetection::relaxed;
  if (*c.seed_opt) config.seed = c.seed;
  if (c.comments) config.shell.sse.deliver_comments = true;
  if (*c.read_idle_opt) {
    config.session.heartbeat.reset();
    if (c.read_idle_ms > 0)
      config.session.heartbeat = model::HeartbeatPolicy{
          .interval_ms = c.read_idle_ms, .interval_multiple = 1, .slack_ms = 0};
  }
  if (*c.line_opt) config.shell.sse.limits.line_bytes_max = c.line_bytes_max;
  if (*c.event_opt) config.shell.sse.limits.event_bytes_max = c.event_bytes_max;
  if (*c.ws_opt) config.shell.websocket.message_bytes_max = c.ws_message_bytes_max;
  if (*c.id_opt) config.shell.id_bytes_max = c.id_bytes_max;
  if (*c.ca_opt) config.shell.tls.ca_file = c.ca_file;
  if (c.insecure) config.shell.tls.insecure_skip_verify_DANGEROUS = true;
  if (!c.cursor_param.empty()) config.shell.http.cursor_query_parameter = c.cursor_param;
  apply_request_flags(c, config);
  if (c.nchan_meta) {
    config.shell.websocket.subprotocol = "ws+meta.nchan";
    config.shell.websocket.nchan_meta_frames = true;
  }
}

// --initial-retry-delay-ms is backoff.delay_ms_initial. A --set of the same
// field (or of the whole backoff section) as well would leave the value to a
// rule of precedence: refused, naming both, before any --set is applied.
std::expected<void, std::string> check_initial_retry_delay(const Cli& c) {
  if (!*c.initial_retry_opt) return {};
  for (const std::string& set : c.sets) {
    const std::string_view path = std::string_view(set).substr(0, set.find('='));
    if (path == "backoff.delay_ms_initial" || path == "backoff")
      return std::unexpected("--initial-retry-delay-ms and --set " + std::string(path) +
                             " both set backoff.delay_ms_initial; give one of the two");
  }
  return {};
}

// After the --sets, checked as a --set of the field is.
std::expected<void, std::string> apply_initial_retry_delay(const Cli& c, io::Config& config) {
  if (!*c.initial_retry_opt) return {};
  if (auto ok = io::set_field(config, "backoff.delay_ms_initial=" + c.initial_retry_delay_ms); !ok)
    return std::unexpected("--initial-retry-delay-ms: " + ok.error().message());
  return {};
}

// Base (--config FILE, or --preset), then each --set in order, then the flags.
std::expected<io::Config, std::string> effective_config(Cli& c) {
  auto config = *c.config_opt ? io::load_config(c.config_file) : io::preset_config(c.preset);
  if (!config)
    return std::unexpected((*c.config_opt ? "--config " : "--preset: ") + config.error().message());
  if (*c.seed_opt) {
    const auto [end, ec] =
        std::from_chars(c.seed_text.data(), c.seed_text.data() + c.seed_text.size(), c.seed);
    if (c.seed_text.empty() || ec != std::errc{} || end != c.seed_text.data() + c.seed_text.size())
      return std::unexpected("--seed '" + c.seed_text + "': expected a whole number in 0..2^64-1");
  }
  if (auto ok = check_initial_retry_delay(c); !ok) return std::unexpected(ok.error());
  for (const std::string& set : c.sets)
    if (auto ok = io::set_field(*config, set); !ok)
      return std::unexpected("--set: " + ok.error().message());
  if (auto ok = apply_initial_retry_delay(c, *config); !ok) return std::unexpected(ok.error());
  apply_flags(c, *config);
  if (*c.last_event_id_opt) {
    auto start = cursor_of_id(c.last_event_id, config->shell.sequence);
    if (!start) return std::unexpected(start.error());
    config->session.resume.start = *start;
  }
  if ((*c.body_opt || *c.body_file_opt) && config->shell.sse.method == "GET")
    return std::unexpected("--body/--body-file: a GET has no body (use --method POST or REPORT)");
  if (auto ok = io::validate(*config); !ok)
    return std::unexpected("the command line's options: " + ok.error().message());
  // tether-watch acks a line once a flush handed it to stdout's reader; a
  // checkpoint of delivery n when n + 1 arrives could pass lines still in
  // stdout's buffer, which kill -9 would lose (found by the simulator).
  if (config->session.resume.commit != model::CommitPolicy::on_ack)
    return std::unexpected(
        "resume.commit: tether-watch needs on_ack (it acks a line once stdout has it; "
        "on_next_delivery would "
        "checkpoint lines still in its buffer, and a kill would lose them)");
  return std::move(*config);
}

// -H headers may carry credentials, so they never enter the configuration
// (which --print-config and recordings show): they join the options here.
std::expected<void, std::string> add_headers(const Cli& c, io::RunnerOptions& options) {
  for (const std::string& header : c.headers) {
    const auto colon = header.find(':');
    if (colon == std::string::npos || colon == 0)
      return std::unexpected(
          "--header: expected 'Name: value' (the value is not shown: it may be a secret)");
    std::string value = header.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    if (auto bad = io::check_header(header.substr(0, colon), value);
        !bad)  // names the header, not the value
      return std::unexpected("--header: " + bad.error());
    options.http.headers.emplace_back(header.substr(0, colon), value);
  }
  return {};
}

// --body or --body-file: the POST or REPORT body ("-": stdin, to its end).
// Like -H values it may carry credentials, so it joins the options, never the
// configuration.
std::expected<void, std::string> add_body(const Cli& c, io::RunnerOptions& options) {
  if (*c.body_opt) options.sse.body_template = c.body;
  if (!*c.body_file_opt) return {};
  std::ifstream file;
  if (c.body_file != "-") file.open(c.body_file, std::ios::binary);
  std::istream& in = c.body_file == "-" ? std::cin : file;
  if (c.body_file != "-" && !file)
    return std::unexpected("--body-file " + c.body_file + ": cannot be opened (" +
                           std::strerror(errno) + ")");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::unexpected("--body-file " + c.body_file + ": read error");
  options.sse.body_template = text.str();
  return {};
}

// --control-stdin reads commands from stdin until its end: a body read from
// stdin ("-", /dev/stdin, the same pipe or file) would take them, or they it.
std::expected<void, std::string> check_stdin_use(const Cli& c) {
  if (!c.control_stdin || !*c.body_file_opt) return {};
  struct stat body {
  }, input{};
  const bool same =
      c.body_file == "-" ||
      (::stat(c.body_file.c_str(), &body) == 0 && ::fstat(STDIN_FILENO, &input) == 0 &&
       body.st_dev == input.st_dev && body.st_ino == input.st_ino);
  if (!same) return {};
  return std::unexpected("--control-stdin reads commands from stdin, and --body-file " +
                         c.body_file + " reads the body from it too; put the body in a file");
}

// --last-event-id is where a session starts that has nothing to resume from:
// with a checkpoint that holds a cursor, which one wins would be a guess.
std::expected<void, std::string> check_start_against(const Cli& c, io::CheckpointStore& store) {
  if (!*c.last_event_id_opt) return {};
  const auto loaded = store.load();
  if (!loaded || !*loaded || (*loaded)->kind == model::CursorKind::none)
    return {};  // an unreadable checkpoint fails the start, as without the flag
  return std::unexpected("--last-event-id: the checkpoint " + c.checkpoint +
                         " already holds a cursor, which the session would resume from; remove "
                         "one of the two");
}

std::expected<io::RunnerOptions, std::string> runner_options(const Cli& c,
                                                             const io::Config& config) {
  if (auto ok = check_stdin_use(c); !ok) return std::unexpected(ok.error());
  io::RunnerOptions options = io::runner_options(config);
  options.url = c.url;
  if (!c.checkpoint.empty()) {
    // The checkpoint names its stream, and this process holds it until exit.
    io::FileCheckpointOptions store_options;
    store_options.stream = io::stream_identity(c.url, config.shell.sequence, c.checkpoint_key);
    auto store = io::FileCheckpointStore::open(c.checkpoint, std::move(store_options));
    if (!store) return std::unexpected(store.error().message());
    if (auto ok = check_start_against(c, **store); !ok) return std::unexpected(ok.error());
    options.store = std::move(*store);
  }
  if (auto ok = add_body(c, options); !ok) return std::unexpected(ok.error());
  if (!c.token_file.empty()) options.auth = std::make_shared<io::TokenFileAuth>(c.token_file);
  if (!c.token_cmd.empty())
    options.auth = std::make_shared<io::TokenCommandAuth>(
        c.token_cmd,
        io::TokenCommandOptions{.timeout = std::chrono::milliseconds(c.token_cmd_timeout_ms)});
  options.config.auth.has_provider = static_cast<bool>(options.auth);
  if (!c.record.empty()) {
    options.record_path = c.record;
    // Recordings are shared: the URL without userinfo, query values or fragment.
    const std::string base =
        config.preset.empty() ? std::string("a custom configuration") : "preset " + config.preset;
    options.record_comment = "tether-watch " + io::redacted_url(c.url) + "\n" + base +
                             "\nreplay: tether-sim replay --events " + c.record;
  }
  if (auto ok = add_headers(c, options); !ok) return std::unexpected(ok.error());
  // Like -H values, subscribe messages never enter the configuration.
  options.websocket.subscribe = c.ws_subscribe;
  options.auto_ack = false;  // Output acks once a line is written
  return options;
}

// What the callbacks share with the main loop.
struct Watch {
  bool json_status = false;
  // Diagnostics below this level are not printed (--verbose: debug).
  io::Diagnostic::Level level_min = io::Diagnostic::Level::info;
  // Started with the runner; what it returns lives until just before the
  // runner goes (--metrics-listen: the endpoint's collector).
  std::function<std::shared_ptr<void>(io::Runner&)> on_started;
  std::uint64_t max_events = 0;
  bool control_stdin = false;  // --control-stdin: commands on stdin
  std::atomic<bool> enough{false};
  std::atomic<int> outcome{exit_stopped};
  StdoutSink stdout_sink;
  io::LineOutput output{stdout_sink};
};

// A diagnostic's line on stderr, as text or (--json-status) as a JSON object.
void print_diagnostic(const Watch& w, const std::string& text, io::Diagnostic::Level level) {
  if (w.json_status) {
    std::string line = "{\"diagnostic\":";
    io::append_json_string(line, text);
    line += ",\"level\":\"" + std::string(io::name_of(level)) + "\"}";
    std::fprintf(stderr, "%s\n", line.c_str());
  } else {
    std::fprintf(stderr, "tether-watch: %s\n", text.c_str());
  }
}

// Deliveries (and, with shell.sse.deliver_comments, comments) become JSON
// lines on stdout, deliveries acked once written; status, gaps and
// diagnostics go to stderr.
io::Callbacks callbacks_for(Watch& w) {
  io::Callbacks callbacks;
  callbacks.on_delivery = [&w](const io::Delivery& d) {
    if (w.max_events != 0 && d.delivery_id > w.max_events)
      return;  // stopping: neither printed nor acked
    w.output.write(d);
    if (w.max_events != 0 && d.delivery_id >= w.max_events && !w.enough.exchange(true))
      ::kill(::getpid(), SIGTERM);
  };
  callbacks.on_gap = [&w](const model::ReportGap& gap) {
    std::fflush(stdout);
    std::string text = w.json_status
                           ? "{\"gap\":\"" + std::string(model::name_of(gap.cause)) + "\""
                           : "tether-watch: GAP (" + std::string(model::name_of(gap.cause)) + ")";
    if (w.json_status) {
      text += ",\"from\":" +
              (gap.from_sequence ? std::to_string(*gap.from_sequence) : std::string("null"));
      text +=
          ",\"to\":" + (gap.to_sequence ? std::to_string(*gap.to_sequence) : std::string("null")) +
          "}";
    } else {
      text += " sequences " +
              (gap.from_sequence ? std::to_string(*gap.from_sequence) : std::string("?")) + ".." +
              (gap.to_sequence ? std::to_string(*gap.to_sequence) : std::string("?")) +
              " were lost";
    }
    std::fprintf(stderr, "%s\n", text.c_str());
  };
  callbacks.on_status = [&w](const model::Status& s) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s\n", status_text(s, w.json_status).c_str());
    if (s.kind == model::StatusKind::gave_up) w.outcome = exit_gave_up;
    if (s.kind == model::StatusKind::failed) w.outcome = exit_failed;
  };
  callbacks.on_diagnostic = [&w](const io::Diagnostic& d) {
    if (d.kind == io::Diagnostic::Kind::fatal) w.outcome = exit_failed;
    if (d.level >= w.level_min) print_diagnostic(w, d.text, d.level);
  };
  callbacks.on_comment = [&w](std::string_view text) {
    if (!w.enough) w.output.write_comment(text);  // after --max-events: stopping
  };

  return callbacks;
}

// One line on stderr, as text or (--json-status) as a JSON object {key: value}.
void print_info(const Watch& w, std::string_view key, std::string_view text,
                std::string_view value) {
  std::string line;
  if (w.json_status) {
    line = "{\"" + std::string(key) + "\":";
    io::append_json_string(line, value);
    line += "}";
  } else {
    line = "tether-watch: " + std::string(text) + std::string(value);
  }
  std::fprintf(stderr, "%s\n", line.c_str());
}

#ifdef TETHER_WATCH_METRICS
// --metrics-listen ADDR:PORT: an IPv4 literal (no name is resolved; Debian
// 12's civetweb is built without IPv6) and a port in 0..65535. The endpoint
// answers whoever reaches it, without authentication: an address other than
// loopback (127.0.0.0/8) needs --metrics-allow-remote.
std::expected<void, std::string> check_metrics_listen(const std::string& listen,
                                                      bool allow_remote) {
  const std::string where = "--metrics-listen '" + listen + "': ";
  const auto colon = listen.rfind(':');
  std::uint64_t port = 0;
  if (colon == std::string::npos ||
      !parse_count(std::string_view(listen).substr(colon + 1), port) || port > 65535)
    return std::unexpected(where +
                           "expected ADDR:PORT with a port in 0..65535, e.g. 127.0.0.1:9464");
  in_addr v4{};
  if (::inet_pton(AF_INET, listen.substr(0, colon).c_str(), &v4) != 1)
    return std::unexpected(where +
                           "ADDR must be an IPv4 address such as 127.0.0.1 (names are not "
                           "resolved; the HTTP server, civetweb, is built without IPv6)");
  const bool loopback = reinterpret_cast<const unsigned char*>(&v4.s_addr)[0] == 127;
  if (!loopback && !allow_remote)
    return std::unexpected(where +
                           "not a loopback address; the metrics endpoint has no authentication, "
                           "so listening there needs --metrics-allow-remote");
  return {};
}

// Unregisters the session's collector before the runner it reads goes (a
// scrape collects under the exposer's lock, so none is running afterwards).
struct MetricsRegistration {
  std::shared_ptr<prometheus::Exposer> exposer;
  std::shared_ptr<metrics::SessionCollector> collector;
  ~MetricsRegistration() { exposer->RemoveCollectable(collector); }
};
#endif

// Binds the metrics endpoint (before the session starts: a taken port is a
// usage error) and says where it is; the session's collector joins it once
// the runner runs (Watch::on_started).
std::expected<void, std::string> serve_metrics(const Cli& c, Watch& w) {
  if (c.metrics_listen.empty()) return {};
#ifdef TETHER_WATCH_METRICS
  if (auto ok = check_metrics_listen(c.metrics_listen, c.metrics_allow_remote); !ok) return ok;
  std::shared_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_shared<prometheus::Exposer>(c.metrics_listen, 1);
  } catch (const std::exception& e) {
    return std::unexpected(
        "--metrics-listen '" + c.metrics_listen +
        "': cannot listen there (in use, or not an address of this host): " + e.what());
  }
  const auto ports = exposer->GetListeningPorts();
  const std::string host = c.metrics_listen.substr(0, c.metrics_listen.rfind(':'));
  const std::string url = "http://" + host + ":" +
                          (ports.empty() ? std::string("?") : std::to_string(ports.front())) +
                          "/metrics";
  print_info(w, "metrics", "metrics at ", url);
  const metrics::Transport transport = metrics::transport_of(c.url);
  w.on_started = [exposer, transport](io::Runner& runner) -> std::shared_ptr<void> {
    auto collector = std::make_shared<metrics::SessionCollector>(
        [&runner] { return runner.snapshot(); }, transport);
    exposer->RegisterCollectable(collector);
    return std::make_shared<MetricsRegistration>(exposer, collector);
  };
  return {};
#else
  static_cast<void>(w);
  return std::unexpected(
      "--metrics-listen: this tether-watch was built without prometheus-cpp (tether::metrics)");
#endif
}

// --control-stdin: the session's lifecycle from stdin, one command a line
// (docs/io.md, "tether-watch"). Read by the main loop, never by a thread of
// its own, so nothing waits on stdin when the session ends.
class Control {
 public:
  static constexpr std::size_t line_bytes_max = 256;
  enum class Read : std::uint8_t { more, stop, ended };

  // stdin is readable, or at its end: reads what is there and runs each
  // complete line. `ended`: no more commands will come (EOF, a read error).
  Read read(io::Runner& runner, const Watch& w) {
    std::array<char, 4096> buffer{};
    const ssize_t n = ::read(STDIN_FILENO, buffer.data(), buffer.size());
    const int read_errno = errno;
    if (n < 0 && (read_errno == EINTR || read_errno == EAGAIN)) return Read::more;
    if (n <= 0) {
      ended_ = true;
      // A last line without its newline is a command all the same.
      const bool last = !pending_.empty() && !overlong_;
      if (last && run(std::exchange(pending_, {}), runner, w) == Read::stop) return Read::stop;
      if (n < 0)
        print_diagnostic(w,
                         "--control-stdin: stdin: " + std::string(std::strerror(read_errno)) +
                             "; no more commands are read",
                         io::Diagnostic::Level::warning);
      else
        std::fprintf(stderr, "%s\n",
                     w.json_status ? "{\"control\":\"eof\"}"
                                   : "tether-watch: control: end of stdin (no more commands; the "
                                     "stream goes on)");
      return Read::ended;
    }
    for (const char ch : std::string_view(buffer.data(), static_cast<std::size_t>(n))) {
      if (ch != '\n') {
        if (pending_.size() < line_bytes_max)
          pending_ += ch;
        else
          overlong_ = true;
        continue;
      }
      const std::string line = std::exchange(pending_, {});
      if (std::exchange(overlong_, false)) {
        print_diagnostic(w,
                         "--control-stdin: a line longer than " + std::to_string(line_bytes_max) +
                             " bytes was ignored",
                         io::Diagnostic::Level::warning);
      } else if (run(line, runner, w) == Read::stop) {
        return Read::stop;
      }
    }
    return Read::more;
  }
  bool ended() const { return ended_; }

 private:
  // One command; blank lines are skipped, an unknown command is a warning.
  static Read run(std::string_view line, io::Runner& runner, const Watch& w) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return Read::more;
    const std::string_view command = line.substr(first, line.find_last_not_of(" \t\r") + 1 - first);
    using Lifecycle = void (io::Runner::*)();
    static constexpr std::array<std::pair<std::string_view, Lifecycle>, 5> lifecycle{{
        {"restart", &io::Runner::restart},
        {"network-changed", &io::Runner::network_changed},
        {"network-restored", &io::Runner::network_restored},
        {"pause", &io::Runner::pause},
        {"resume", &io::Runner::resume},
    }};
    for (const auto& [name, call] : lifecycle) {
      if (command != name) continue;
      print_info(w, "control", "control: ", command);
      (runner.*call)();
      return Read::more;
    }
    if (command == "stop") {
      print_info(w, "control", "control: ", command);
      return Read::stop;
    }
    print_diagnostic(w,
                     "--control-stdin: unknown command '" + io::printable(command) +
                         "' ignored (known: restart, network-changed, network-restored, pause, "
                         "resume, stop)",
                     io::Diagnostic::Level::warning);
    return Read::more;
  }

  std::string pending_;    // the line being read
  bool overlong_ = false;  // it passed line_bytes_max: skipped to its end
  bool ended_ = false;     // stdin's end (or a read error): no more commands
};

// Waits up to `wait_ms` for SIGINT/SIGTERM (on `signal_fd`) or a control
// command; true: stop.
bool wait_for_input(int signal_fd, Control* control, io::Runner& runner, const Watch& w,
                    int wait_ms) {
  std::array<pollfd, 2> fds{{{signal_fd, POLLIN, 0}, {control ? STDIN_FILENO : -1, POLLIN, 0}}};
  if (::poll(fds.data(), fds.size(), wait_ms) <= 0) return false;
  signalfd_siginfo info{};
  if ((fds[0].revents & POLLIN) != 0 && ::read(signal_fd, &info, sizeof info) == sizeof info)
    return true;  // the set holds SIGINT and SIGTERM only
  return fds[1].revents != 0 && control->read(runner, w) == Control::Read::stop;
}

// Runs the session until a signal, a `stop` command, the end of the session,
// or a failed stdout.
int follow(io::RunnerOptions options, Watch& w, int signal_fd) {
  auto runner = io::Runner::start(std::move(options), callbacks_for(w));
  if (!runner) {
    std::cerr << "tether-watch: " << runner.error() << "\n";
    return exit_usage;
  }
  const std::shared_ptr<void> serving = w.on_started ? w.on_started(**runner) : nullptr;
  // stdout to a pipe is block-buffered (one write per 4 KiB of lines, not per
  // line); this loop flushes it every 50 ms so a reader downstream (jq, a log
  // shipper) never waits longer than that for an event, and acks what it wrote.
  // At the end of stdin the stream goes on, without commands.
  std::optional<Control> control;
  if (w.control_stdin) control.emplace();
  for (;;) {
    if (wait_for_input(signal_fd, control ? &*control : nullptr, **runner, w, 50)) break;
    if (control && control->ended()) control.reset();
    if ((*runner)->finished()) break;
    if (!flush_and_ack(w.output, **runner, false)) break;
  }
  // The last lines, their ack, then the stop: the final checkpoint is the
  // last line written.
  flush_and_ack(w.output, **runner, true);
  (*runner)->stop();
  if (w.output.failed()) {
    const std::string why =
        "stdout: " + output_error(w.output) + "; stopped, the checkpoint covers the lines written";
    std::string text = w.json_status ? "{\"diagnostic\":" : "tether-watch: " + why;
    if (w.json_status) {
      io::append_json_string(text, why);
      text += "}";
    }
    std::fprintf(stderr, "%s\n", text.c_str());
    if (w.outcome.load() == exit_stopped) return exit_output_closed;
  }
  return w.outcome.load();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tether-watch: follow an event stream (SSE or WebSocket), resuming after failures"};
  Cli cli;
  add_run_options(app, cli);
  add_request_options(app, cli);
  add_policy_options(app, cli);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : exit_usage;
  }
  const auto config = effective_config(cli);
  if (!config) {
    std::cerr << "tether-watch: " << config.error() << "\n";
    return exit_usage;
  }
  if (cli.print_config) {
    std::cout << io::to_json(*config) << std::flush;
    return std::cout ? 0 : exit_output_closed;
  }
  if (!*cli.url_opt) {
    std::cerr << "tether-watch: the stream's URL is required (see --help)\n";
    return exit_usage;
  }
  if (!parse_count(cli.max_events_text, cli.max_events)) {
    std::cerr << "tether-watch: --max-events '" << cli.max_events_text
              << "': expected a whole number in 0..2^62\n";
    return exit_usage;
  }
  auto built = runner_options(cli, *config);
  if (!built) {
    std::cerr << "tether-watch: " << built.error() << "\n";
    return exit_usage;
  }
  Watch watch;
  watch.json_status = cli.json_status;
  watch.max_events = cli.max_events;
  watch.control_stdin = cli.control_stdin;
  if (cli.verbose) watch.level_min = io::Diagnostic::Level::debug;

  // A reader that goes away must not kill the process (SIGPIPE, exit 141)
  // before the checkpoint of what was written is flushed: write(2) fails with
  // EPIPE instead, and that is a graceful stop (exit_output_closed).
  ::signal(SIGPIPE, SIG_IGN);

  // Signals are taken synchronously by this thread; the runner's threads
  // inherit the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // Read with poll(), beside stdin's commands (--control-stdin).
  const int signal_fd = ::signalfd(-1, &signals, SFD_CLOEXEC);
  if (signal_fd < 0) {
    std::cerr << "tether-watch: signalfd: " << std::strerror(errno) << "\n";
    return exit_usage;
  }

  // After the mask: the endpoint's threads must not take SIGTERM either.
  if (auto served = serve_metrics(cli, watch); !served) {
    std::cerr << "tether-watch: " << served.error() << "\n";
    return exit_usage;
  }
  const int code = follow(std::move(*built), watch, signal_fd);
  ::close(signal_fd);
  return code;
}
