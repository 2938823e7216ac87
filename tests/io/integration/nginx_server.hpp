#pragma once
// NginxServer: a real nginx + nchan on loopback for integration tests, in a
// fresh temporary prefix, with a generated config (see kConfigTemplate in
// nginx_server.cpp). Locations (on the plain port and, if enabled, the TLS port):
//
//   POST /pub/<ch>       nchan publisher (202 queued / 201 delivered to a subscriber;
//                        header X-EventSource-Event sets `event:`); DELETE drops the channel
//   GET  /sub/<ch>       SSE (needs Accept: text/event-stream, else 403) and WebSocket
//                        subscriber; ping every Options::ping_interval (":ping" +
//                        "event: ping"), WS ping frames at the same interval
//   GET  /authsub/<ch>   same channel as /sub/<ch>; 401 unless the request carries
//                        `Authorization: Bearer <Options::auth_token>`
//   POST /bigpub/<ch>, GET /bigsub/<ch>   channel "big_<ch>", buffer Options::big_buffer_length
//   GET  /files/<name>   static files from files_dir() (ETag, Last-Modified, 304)
//   GET  /nchan_status   nchan_stub_status
//
// Observed nchan facts beyond /work/shared/reference/nchan.md: a frame with an
// event name is "event: E\nid: T:I\ndata: ...\n\n" (event before id); publish
// answers 201 when a subscriber got the message, 202 when none is connected.
// nchan_message_buffer_length has no configured maximum (100,000,000 passes
// `nginx -t`); the limit is shared memory, see Options::shared_memory_mb.
//
// nchan keeps channels in shared memory: stop(), restart() and kill9() lose
// every message. The master runs in the foreground (`daemon off`) as a child
// of the test process; a watchdog process (started once) stops any nginx that
// is still running when the test process dies, even by SIGKILL (ctest timeout).
//
// Side effects on the test process: it becomes a child subreaper
// (PR_SET_CHILD_SUBREAPER, so killed masters' workers are reaped rather than left
// as zombies), and one watchdog /bin/sh child lives until exit. Running as root,
// the config says `user root;` (no permission surprises for files_dir()).
// Not thread-safe: call stop/kill9/restart from one thread at a time (publish and
// http only read the port, so they may run concurrently with each other).
//
// Test code: failures throw std::runtime_error with nginx's stderr/error.log tail
// (publish/http also throw when nginx is not running).

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "raw_socket.hpp"

namespace tether::io::testing {

class NginxServer {
 public:
  // The TLS port's certificate: valid (the test CA's, for localhost and
  // 127.0.0.1), or one a verifying client refuses: signed by the test CA but
  // expired (2020) or for another name (other.invalid), or self-signed.
  enum class Certificate { valid, expired, wrong_name, self_signed };

  struct Options {
    bool tls = false;  // also listen with TLS (test CA)
    Certificate certificate = Certificate::valid;
    std::chrono::seconds ping_interval{5};       // /sub, /authsub, /bigsub; 0 = no pings
    std::string auth_token = "good-token";       // /authsub wants "Bearer <auth_token>"
    std::size_t buffer_length = 1000;            // messages kept per channel (/pub)
    std::size_t big_buffer_length = 25000;       // messages kept per channel (/bigpub)
    std::chrono::seconds message_timeout{3600};  // message lifetime in the buffer
    // nchan's shared memory (all channels), about 540 bytes per ~100-byte
    // message: 128 MiB holds about 260,000; beyond that publish fails with 500
    // ("Out of shared memory"). Measured: 1,000,000 messages in a channel with
    // big_buffer_length 1,000,000 and 600 MiB: publish_many 32 s, worker RSS 540 MB.
    std::size_t shared_memory_mb = 128;
    std::string extra_server_config;  // appended inside server { } verbatim
    std::chrono::milliseconds start_timeout{5000};
  };

  // nginx and the nchan module are installed (otherwise: scripts/install-deps.sh).
  static bool available();
  // Empty when available(); otherwise what is missing and how to install it.
  static std::string availability_problem();

  // Starts nginx on fresh free loopback port(s) and waits until it serves.
  static NginxServer start(Options options);
  static NginxServer start() { return start(Options{}); }

  NginxServer(NginxServer&&) noexcept;
  NginxServer& operator=(NginxServer&&) noexcept;
  NginxServer(const NginxServer&) = delete;
  NginxServer& operator=(const NginxServer&) = delete;
  ~NginxServer();  // stop(); removes the prefix unless TETHER_KEEP_NGINX_PREFIX=1

  std::uint16_t port() const;
  std::uint16_t tls_port() const;    // 0 unless Options::tls
  std::string base_url() const;      // "http://127.0.0.1:PORT"
  std::string tls_base_url() const;  // "https://localhost:PORT" (or 127.0.0.1 if
                                     // localhost does not resolve to it)
  std::string ws_base_url() const;   // "ws://127.0.0.1:PORT"
  std::string url(std::string_view path) const { return base_url() + std::string(path); }
  std::string tls_url(std::string_view path) const { return tls_base_url() + std::string(path); }

  // The test CA (signed the server cert: SAN DNS:localhost, IP:127.0.0.1) and an
  // unrelated CA, PEM. Generated once per process; valid whether or not tls is on.
  static std::filesystem::path ca_cert_path();
  static std::filesystem::path wrong_ca_cert_path();

  const std::filesystem::path& prefix() const;
  std::filesystem::path files_dir() const;  // served at /files/
  // Writes files_dir()/name atomically (temp + rename) and gives it an mtime
  // strictly later than the previous write's, so the ETag always changes (nginx's
  // ETag is mtime-seconds + size: two same-size writes in one second would share it).
  void write_file(std::string_view name, std::string_view content) const;

  // POST /pub/<channel> (or /bigpub/) with the body; returns the HTTP status
  // (202: stored, no subscriber; 201: stored and delivered to a subscriber).
  int publish(std::string_view channel, std::string_view body,
              std::optional<std::string_view> event = std::nullopt) const;
  int publish_big(std::string_view channel, std::string_view body) const;
  // Publishes many messages over one keep-alive connection (fast: ~20,000 in a
  // few seconds). Returns how many got 201/202; stops at the first other status.
  std::size_t publish_many(std::string_view channel, std::span<const std::string> bodies,
                           bool big = false) const;
  // Any request on the plain port (Connection: close).
  HttpResponse http(std::string_view method, std::string_view target,
                    const std::vector<std::pair<std::string, std::string>>& headers = {},
                    std::string_view body = {}) const;
  std::string stub_status() const;  // body of /nchan_status

  // Graceful: SIGQUIT, wait for exit (5 s), then SIGTERM (2 s), then SIGKILL.
  // Connected SSE subscribers get ":410: 410 Gone" then EOF. No-op if stopped.
  void stop();
  // SIGKILL the master and its workers (a crash: subscribers see a bare EOF).
  void kill9();
  // Starts again (stopping first if running) on the same port(s) and prefix;
  // waits until it serves (bounded by Options::start_timeout, retrying the bind).
  void restart();
  bool running() const;
  pid_t pid() const;                                               // master pid, 0 when stopped
  std::vector<pid_t> worker_pids() const;                          // children of the master
  std::string error_log_tail(std::size_t max_bytes = 4000) const;  // + nginx stderr
  // Seconds the last start/restart took until the first successful request.
  std::chrono::duration<double> last_start_duration() const;

  struct Impl;

 private:
  explicit NginxServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tether::io::testing
