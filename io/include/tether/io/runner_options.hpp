#pragma once
// What a streaming session is given to run: the URL, the session policy, the
// shell's options (HTTP, SSE, WebSocket, TLS), the checkpoint store, the auth
// provider, the hooks and the recording. Plain data in io_core, so a
// configuration file can be turned into one (<tether/io/runner_config.hpp>)
// without the Asio runner that runs it (<tether/io/runner.hpp>).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <tether/io/auth_provider.hpp>
#include <tether/io/checkpoint_store.hpp>
#include <tether/io/request_hook.hpp>
#include <tether/io/sequence_extractor.hpp>
#include <tether/io/transport_options.hpp>
#include <tether/model/config.hpp>
#include <tether/model/cursor.hpp>

namespace tether::io {

struct RunnerOptions {
  std::string url;  // http(s):// for SSE, ws(s):// for WebSocket
  // config.seed is replaced by `seed` below.
  model::SessionConfig config;
  // The jitter seed. nullopt (the default): drawn from the OS for every
  // session, so a fleet's retries spread out; fix it only to replay a
  // recording. Recordings note the seed used.
  std::optional<std::uint64_t> seed;
  // Resume ids (SSE `id:`, nchan message ids) longer than this end the session
  // (Failed, unrecoverable): the server would resend the same id. At most
  // model::Token::capacity (1024).
  std::size_t id_bytes_max = model::Token::capacity;
  // Where a message's sequence number comes from (gaps and duplicates are only
  // detectable with one); nullopt: messages carry none.
  std::optional<SequenceExtractor> sequence;
  HttpOptions http;
  SseOptions sse;
  WebSocketOptions websocket;
  TlsOptions tls;
  // Null: nothing persists (a restart starts from config.resume.start).
  std::shared_ptr<CheckpointStore> store;
  // Required when config.auth.has_provider.
  std::shared_ptr<AuthProvider> auth;
  // Called before every connection attempt, on the runner's thread: may
  // change the request's path and query, method, extra headers and body, and
  // complete later from any thread (<tether/io/request_hook.hpp>; docs/io.md,
  // "Request and response hooks"). Empty: none.
  RequestHook request_hook;
  // Sees every attempt's response status and headers, on the runner's
  // thread, before the session acts on them. Empty: none.
  ResponseHook response_hook;
  // Record the session (tether-events/2: the effective configuration, the
  // seed, every event fed to the reducer and its effects) for exact replay
  // with `tether-sim replay --events FILE`. Header values are not recorded.
  std::optional<std::filesystem::path> record_path;
  std::string record_comment;
  // Ack each delivery when its callback returns (pull API: when next() hands
  // it out). Right when the callback finishes everything it does with the
  // event before returning; an application that buffers (a batch, stdio, a
  // queue to another thread) sets this to false and calls Runner::ack() once
  // the event is durably handled, or a crash loses what was buffered.
  bool auto_ack = true;
  // Pull API: at this many queued deliveries the transport stops reading
  // (backpressure; memory stays bounded: the queue exceeds this by at most the
  // messages of one 64 KiB read) until next() drains half of them.
  // A consumer that stalls past the heartbeat budget causes a reconnect, which
  // resumes from the cursor: nothing is lost.
  std::size_t pull_queue_max = 10000;
};

}  // namespace tether::io
