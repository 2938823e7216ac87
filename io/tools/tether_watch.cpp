// tether-watch: follow an SSE or WebSocket stream and print each delivered
// event as one JSON line on stdout; status changes and diagnostics go to
// stderr. See docs/io.md for examples against nchan.
//
// Exit codes: 0 stopped (SIGINT/SIGTERM, or --max-events reached);
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
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include <tether/io/file_checkpoint_store.hpp>
#include <tether/io/http_header.hpp>
#include <tether/io/runner.hpp>
#include <tether/io/sse_parser.hpp>
#include <tether/io/stream_identity.hpp>
#include <tether/io/token_auth.hpp>
#include <tether/io/url.hpp>
#include <tether/model/names.hpp>
#include <tether/model/presets.hpp>

namespace {

using namespace tether;

constexpr int exit_stopped = 0;
constexpr int exit_usage = 2;
constexpr int exit_gave_up = 3;
constexpr int exit_failed = 4;
constexpr int exit_output_closed = 5;

// stdout and the acks. Lines go through stdio's buffer (one write(2) per 4 KiB
// to a pipe or file, not one per line); the main loop flushes it and acks up
// to the last line the flush wrote. Acking when the callback returns let the
// fsynced checkpoint run ahead of the buffered lines, which kill -9 then lost.
class Output {
 public:
  // Runner thread: prints one line (unless stopping or failed).
  void write(const std::string& line, std::uint64_t delivery_id) {
    flockfile(stdout);
    if (!closing_ && !failed_) {
      if (std::fwrite(line.data(), 1, line.size(), stdout) == line.size()) {
        written_id_ = delivery_id;
      } else {
        fail(errno);
      }
    }
    funlockfile(stdout);
  }
  // Main thread: flushes stdout and acks every line it (or an earlier write)
  // handed to the kernel. `last`: print nothing after this. False once stdout
  // failed: nothing past what was written is ever acked.
  bool flush_and_ack(io::Runner& runner, bool last) {
    flockfile(stdout);
    closing_ = closing_ || last;
    const std::uint64_t id = written_id_;
    errno = 0;
    if (!failed_ && (std::fflush(stdout) != 0 || std::ferror(stdout) != 0)) fail(errno);
    const bool ok = !failed_;
    funlockfile(stdout);
    if (ok && id > acked_id_) {
      runner.ack(id);
      acked_id_ = id;
    }
    return ok;
  }
  bool failed() const { return failed_; }
  std::string error() const { return error_ != 0 ? std::strerror(error_) : "write error"; }

 private:
  void fail(int error) {
    failed_ = true;
    error_ = error;
  }
  // Guarded by stdout's lock (flockfile).
  std::uint64_t written_id_ = 0;
  bool closing_ = false;
  std::atomic<bool> failed_{false};
  int error_ = 0;
  std::uint64_t acked_id_ = 0;  // main thread only
};

// JSON string body; invalid UTF-8 bytes become U+FFFD so every line parses.
void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  const bool utf8 = io::valid_utf8(text);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else if (c >= 0x80 && !utf8) {
          out += "\xEF\xBF\xBD";
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
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
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value > (std::uint64_t{1} << 62))
    return false;
  out = value;
  return true;
}

std::optional<model::SessionConfig> preset_named(std::string_view name) {
  for (const auto& preset : model::presets::all())
    if (preset.name == name) return preset.make();
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tether-watch: follow an event stream (SSE or WebSocket), resuming after failures"};
  std::string url;
  std::string preset = "aviso";
  std::string checkpoint;
  std::string checkpoint_key;
  std::string token_file;
  std::string token_cmd;
  std::string seq_from;
  std::string record;
  std::string ca_file;
  std::string cursor_param;
  std::string gaps = "strict";
  std::vector<std::string> headers;
  bool json_status = false;
  bool insecure = false;
  bool nchan_meta = false;
  std::uint64_t max_events = 0;
  std::uint64_t seed = 0;
  std::int64_t read_idle_ms = 0;
  std::string max_events_text = "0";
  io::SseLimits sse_limits;
  std::uint64_t ws_message_bytes_max = io::WebSocketOptions{}.message_bytes_max;
  std::size_t id_bytes_max = model::Token::capacity;
  std::int64_t token_cmd_timeout_ms = 30'000;
  app.add_option("url", url, "http(s):// (SSE) or ws(s):// (WebSocket) URL")->required();
  app.add_option("--preset", preset, "retry/resume preset (aviso, zero_ws, kanade, koprs, grpc, client_go)");
  auto* ckpt = app.add_option("--checkpoint", checkpoint, "checkpoint file: resume from it, save to it");
  app.add_option("--checkpoint-key", checkpoint_key,
                 "also name the stream in the checkpoint by this key (when a query value or header selects it)")
      ->needs(ckpt);
  auto* tf = app.add_option("--token-file", token_file, "bearer token from this file (re-read on refresh)");
  auto* tc = app.add_option("--token-cmd", token_cmd, "bearer token printed by this shell command");
  tf->excludes(tc);
  app.add_option("--token-cmd-timeout-ms", token_cmd_timeout_ms, "kill the token command after this long (a failed refresh)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86'400'000}))
      ->needs(tc);
  app.add_option("--seq-from", seq_from, "sequence number source: id, id-suffix or json:FIELD");
  app.add_option("--gaps", gaps, "gap detection with a sequence: strict or relaxed")
      ->check(CLI::IsMember({"strict", "relaxed"}));
  app.add_option("--record", record, "record every event fed to the reducer (tether-sim replay --events)");
  app.add_option("--ca-file", ca_file, "PEM CA bundle to trust instead of the system's");
  app.add_flag("--insecure-skip-tls-verify-DANGEROUS", insecure, "do not verify the server's certificate");
  app.add_option("--cursor-param", cursor_param, "also send the resume id as this query parameter");
  app.add_option("-H,--header", headers, "extra request header 'Name: value' (repeatable)");
  app.add_flag("--ws-nchan-meta", nchan_meta, "WebSocket: use nchan's ws+meta.nchan frames (carry ids)");
  app.add_flag("--json-status", json_status, "status changes on stderr as JSON lines");
  app.add_option("--max-events", max_events_text, "stop after this many deliveries (0: never)");
  auto* seed_option = app.add_option("--seed", seed, "jitter seed (default: drawn from the OS; fix it only to replay)");
  auto* read_idle_option = app.add_option("--read-idle-ms", read_idle_ms,
                 "reconnect after this long without a complete line, frame or ping (0: never; default: the preset's)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 40));
  app.add_option("--line-bytes-max", sse_limits.line_bytes_max, "longest SSE line accepted (default 1 MiB)")
      ->check(CLI::Range(std::size_t{64}, std::size_t{1} << 30));
  app.add_option("--event-bytes-max", sse_limits.event_bytes_max, "largest SSE event accepted (default 8 MiB)")
      ->check(CLI::Range(std::size_t{64}, std::size_t{1} << 32));
  app.add_option("--ws-message-bytes-max", ws_message_bytes_max,
                 "largest WebSocket message accepted (default 8 MiB)")
      ->check(CLI::Range(std::uint64_t{64}, std::uint64_t{1} << 32));
  app.add_option("--id-bytes-max", id_bytes_max, "longest resume id accepted (default and most: 1024)")
      ->check(CLI::Range(std::size_t{1}, model::Token::capacity));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : exit_usage;
  }

  auto config = preset_named(preset);
  if (!config) {
    std::cerr << "tether-watch: unknown preset '" << preset << "'\n";
    return exit_usage;
  }
  io::RunnerOptions options;
  options.url = url;
  options.config = *config;
  options.config.resume.gaps = gaps == "strict" ? model::GapDetection::strict : model::GapDetection::relaxed;
  if (!parse_count(max_events_text, max_events)) {
    std::cerr << "tether-watch: --max-events '" << max_events_text << "': expected a whole number in 0..2^62\n";
    return exit_usage;
  }
  if (*seed_option) options.seed = seed;
  if (*read_idle_option) {
    options.config.heartbeat.reset();
    if (read_idle_ms > 0)
      options.config.heartbeat = model::HeartbeatPolicy{.interval_ms = read_idle_ms, .interval_multiple = 1, .slack_ms = 0};
  }
  options.sse.limits = sse_limits;
  options.websocket.message_bytes_max = ws_message_bytes_max;
  options.id_bytes_max = id_bytes_max;
  if (!seq_from.empty()) {
    auto extractor = io::SequenceExtractor::parse(seq_from);
    if (!extractor) {
      std::cerr << "tether-watch: --seq-from '" << seq_from << "': " << extractor.error().reason << "\n";
      return exit_usage;
    }
    options.sequence = std::move(*extractor);
  }
  if (!checkpoint.empty()) {
    // The checkpoint names its stream, and this process holds it until exit.
    io::FileCheckpointOptions store_options;
    store_options.stream = io::stream_identity(url, seq_from, checkpoint_key);
    auto store = io::FileCheckpointStore::open(checkpoint, std::move(store_options));
    if (!store) {
      std::cerr << "tether-watch: " << store.error().message() << "\n";
      return exit_usage;
    }
    options.store = std::move(*store);
  }
  if (!token_file.empty()) options.auth = std::make_shared<io::TokenFileAuth>(token_file);
  if (!token_cmd.empty())
    options.auth = std::make_shared<io::TokenCommandAuth>(
        token_cmd, io::TokenCommandOptions{.timeout = std::chrono::milliseconds(token_cmd_timeout_ms)});
  options.config.auth.has_provider = static_cast<bool>(options.auth);
  if (!record.empty()) {
    options.record_path = record;
    // Recordings are shared: the URL without userinfo, query values or fragment.
    options.record_comment = "tether-watch " + io::redacted_url(url) + "\npreset " + preset +
                             "\nreplay: tether-sim replay --events " + record;
  }
  options.tls.ca_file = ca_file;
  options.tls.insecure_skip_verify_DANGEROUS = insecure;
  if (!cursor_param.empty()) options.http.cursor_query_parameter = cursor_param;
  for (const std::string& header : headers) {
    const auto colon = header.find(':');
    if (colon == std::string::npos || colon == 0) {
      std::cerr << "tether-watch: --header: expected 'Name: value' (the value is not shown: it may be a secret)\n";
      return exit_usage;
    }
    std::string value = header.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    if (auto bad = io::check_header(header.substr(0, colon), value); !bad) {  // names the header, not the value
      std::cerr << "tether-watch: --header: " << bad.error() << "\n";
      return exit_usage;
    }
    options.http.headers.emplace_back(header.substr(0, colon), value);
  }
  if (nchan_meta) {
    options.websocket.subprotocol = "ws+meta.nchan";
    options.websocket.nchan_meta_frames = true;
  }
  options.auto_ack = false;  // Output acks once a line is written

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

  std::atomic<bool> enough{false};
  std::atomic<int> outcome{exit_stopped};
  std::string line;
  Output output;
  io::Callbacks callbacks;
  callbacks.on_delivery = [&](const io::Delivery& d) {
    if (max_events != 0 && d.delivery_id > max_events) return;  // stopping: neither printed nor acked
    line.clear();
    line += "{\"delivery\":" + std::to_string(d.delivery_id);
    if (d.sequence) line += ",\"seq\":" + std::to_string(*d.sequence);
    if (d.id) {
      line += ",\"id\":";
      append_json_string(line, *d.id);
    }
    line += ",\"event\":";
    append_json_string(line, d.type);
    line += ",\"data\":";
    append_json_string(line, d.data);
    line += "}\n";
    output.write(line, d.delivery_id);
    if (max_events != 0 && d.delivery_id >= max_events && !enough.exchange(true)) ::kill(::getpid(), SIGTERM);
  };
  callbacks.on_gap = [&](const model::ReportGap& gap) {
    std::fflush(stdout);
    std::string text = json_status ? "{\"gap\":\"" + std::string(model::name_of(gap.cause)) + "\"" : "tether-watch: GAP (" + std::string(model::name_of(gap.cause)) + ")";
    if (json_status) {
      text += ",\"from\":" + (gap.from_sequence ? std::to_string(*gap.from_sequence) : std::string("null"));
      text += ",\"to\":" + (gap.to_sequence ? std::to_string(*gap.to_sequence) : std::string("null")) + "}";
    } else {
      text += " sequences " + (gap.from_sequence ? std::to_string(*gap.from_sequence) : std::string("?")) + ".." +
              (gap.to_sequence ? std::to_string(*gap.to_sequence) : std::string("?")) + " were lost";
    }
    std::fprintf(stderr, "%s\n", text.c_str());
  };
  callbacks.on_status = [&](const model::Status& s) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s\n", status_text(s, json_status).c_str());
    if (s.kind == model::StatusKind::gave_up) outcome = exit_gave_up;
    if (s.kind == model::StatusKind::failed) outcome = exit_failed;
  };
  callbacks.on_diagnostic = [&](const io::Diagnostic& d) {
    if (d.kind == io::Diagnostic::Kind::fatal) outcome = exit_failed;
    if (json_status) {
      std::string text = "{\"diagnostic\":";
      append_json_string(text, d.text);
      text += "}";
      std::fprintf(stderr, "%s\n", text.c_str());
    } else {
      std::fprintf(stderr, "tether-watch: %s\n", d.text.c_str());
    }
  };

  auto runner = io::Runner::start(std::move(options), std::move(callbacks));
  if (!runner) {
    std::cerr << "tether-watch: " << runner.error() << "\n";
    return exit_usage;
  }
  // stdout to a pipe is block-buffered (one write per 4 KiB of lines, not per
  // line); this loop flushes it every 50 ms so a reader downstream (jq, a log
  // shipper) never waits longer than that for an event, and acks what it wrote.
  const timespec poll_interval{0, 50'000'000};
  for (;;) {
    const int sig = sigtimedwait(&signals, nullptr, &poll_interval);
    if (sig == SIGINT || sig == SIGTERM) break;
    if ((*runner)->finished()) break;
    if (!output.flush_and_ack(**runner, false)) break;
  }
  // The last lines, their ack, then the stop: the final checkpoint is the
  // last line written.
  output.flush_and_ack(**runner, true);
  (*runner)->stop();
  if (output.failed()) {
    const std::string why = "stdout: " + output.error() + "; stopped, the checkpoint covers the lines written";
    std::string text = json_status ? "{\"diagnostic\":" : "tether-watch: " + why;
    if (json_status) {
      append_json_string(text, why);
      text += "}";
    }
    std::fprintf(stderr, "%s\n", text.c_str());
    if (outcome.load() == exit_stopped) return exit_output_closed;
  }
  return outcome.load();
}
