#include <tether/io/runner_config.hpp>

namespace tether::io {

RunnerOptions runner_options(const Config& config) {
  RunnerOptions o;
  o.config = config.session;
  o.seed = config.seed;
  if (!config.shell.sequence.empty()) {
    // validate(Config) has parsed it already; a hand-built Config that skipped
    // validation gets no sequence rather than a crash, and Runner::start's own
    // checks still apply to everything else.
    if (auto parsed = SequenceExtractor::parse(config.shell.sequence))
      o.sequence = std::move(*parsed);
  }
  o.id_bytes_max = config.shell.id_bytes_max;
  o.auto_ack = config.shell.auto_ack;
  o.pull_queue_max = config.shell.pull_queue_max;
  o.http = config.shell.http;
  o.sse = config.shell.sse;
  o.websocket = config.shell.websocket;
  o.tls = config.shell.tls;
  return o;
}

std::string sequence_spec(const std::optional<SequenceExtractor>& sequence) {
  if (!sequence) return "";
  switch (sequence->source()) {
    case SequenceSource::id:
      return "id";
    case SequenceSource::id_suffix:
      return "id-suffix";
    case SequenceSource::json_field:
      return "json:" + std::string(sequence->json_field());
  }
  return "";
}

ShellConfig shell_of(const RunnerOptions& options) {
  ShellConfig s;
  s.sequence = sequence_spec(options.sequence);
  s.id_bytes_max = options.id_bytes_max;
  s.auto_ack = options.auto_ack;
  s.pull_queue_max = options.pull_queue_max;
  s.http = options.http;
  s.sse = options.sse;
  s.websocket = options.websocket;
  s.tls = options.tls;
  return s;
}

Config config_of(const RunnerOptions& options) {
  Config c;
  c.session = options.config;
  c.seed = options.seed;
  c.shell = shell_of(options);
  // Recordings state this configuration and are shared: header values and a
  // POST body may carry credentials (-H "Authorization: ..."), so neither is
  // kept, nor a subprotocol (some servers take a bearer token as one) other
  // than nchan's. Replay needs none of them: the reducer never sees them.
  c.shell.http.headers.clear();
  c.shell.sse.body_template.clear();
  if (c.shell.websocket.subprotocol != "ws+meta.nchan") c.shell.websocket.subprotocol.clear();
  return c;
}

}  // namespace tether::io
