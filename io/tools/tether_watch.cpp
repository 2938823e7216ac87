// tether-watch: follow an SSE or WebSocket stream and print each delivered
// event as one JSON line on stdout; status changes and diagnostics go to
// stderr. See docs/io.md for examples against nchan.
//
// Exit codes: 0 stopped (SIGINT/SIGTERM, or --max-events reached);
// 2 usage or configuration error; 3 gave up (retry policy exhausted);
// 4 failed (a fatal answer such as 401 after a refresh or 404, a cursor too
// old under the fail policy, or an unreadable checkpoint file).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include <tether/io/file_checkpoint_store.hpp>
#include <tether/io/http_header.hpp>
#include <tether/io/runner.hpp>
#include <tether/io/sse_parser.hpp>
#include <tether/io/token_auth.hpp>
#include <tether/model/names.hpp>
#include <tether/model/presets.hpp>

namespace {

using namespace tether;

constexpr int exit_stopped = 0;
constexpr int exit_usage = 2;
constexpr int exit_gave_up = 3;
constexpr int exit_failed = 4;

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
  app.add_option("url", url, "http(s):// (SSE) or ws(s):// (WebSocket) URL")->required();
  app.add_option("--preset", preset, "retry/resume preset (aviso, zero_ws, kanade, koprs, grpc, client_go)");
  app.add_option("--checkpoint", checkpoint, "checkpoint file: resume from it, save to it");
  auto* tf = app.add_option("--token-file", token_file, "bearer token from this file (re-read on refresh)");
  auto* tc = app.add_option("--token-cmd", token_cmd, "bearer token printed by this shell command");
  tf->excludes(tc);
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
  app.add_option("--max-events", max_events, "stop after this many deliveries (0: never)");
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
  if (!seq_from.empty()) {
    auto extractor = io::SequenceExtractor::parse(seq_from);
    if (!extractor) {
      std::cerr << "tether-watch: --seq-from '" << seq_from << "': " << extractor.error().reason << "\n";
      return exit_usage;
    }
    options.sequence = std::move(*extractor);
  }
  if (!checkpoint.empty()) {
    auto store = io::FileCheckpointStore::open(checkpoint);
    if (!store) {
      std::cerr << "tether-watch: " << store.error().message() << "\n";
      return exit_usage;
    }
    options.store = std::move(*store);
  }
  if (!token_file.empty()) options.auth = std::make_shared<io::TokenFileAuth>(token_file);
  if (!token_cmd.empty()) options.auth = std::make_shared<io::TokenCommandAuth>(token_cmd);
  options.config.auth.has_provider = static_cast<bool>(options.auth);
  if (!record.empty()) {
    options.record_path = record;
    options.record_comment = "tether-watch " + url + "\npreset " + preset +
                             "\nreplay: tether-sim replay --events " + record + " --preset " + preset;
  }
  options.tls.ca_file = ca_file;
  options.tls.insecure_skip_verify_DANGEROUS = insecure;
  if (!cursor_param.empty()) options.http.cursor_query_parameter = cursor_param;
  for (const std::string& header : headers) {
    const auto colon = header.find(':');
    if (colon == std::string::npos || colon == 0) {
      std::cerr << "tether-watch: --header '" << header << "': expected 'Name: value'\n";
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
  io::Callbacks callbacks;
  callbacks.on_delivery = [&](const io::Delivery& d) {
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
    std::fwrite(line.data(), 1, line.size(), stdout);
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
  // shipper) never waits longer than that for an event.
  const timespec poll_interval{0, 50'000'000};
  for (;;) {
    const int sig = sigtimedwait(&signals, nullptr, &poll_interval);
    if (sig == SIGINT || sig == SIGTERM) break;
    if ((*runner)->finished()) break;
    std::fflush(stdout);
  }
  (*runner)->stop();
  std::fflush(stdout);
  return outcome.load();
}
