#pragma once
// ScriptedServer: a loopback TCP server (own thread, one thread per connection)
// whose N-th accepted connection runs the N-th scripted Behaviour (the last one
// repeats unless Options::repeat_last is false; then extra connections are
// closed at once). For testing a client against bad or unusual servers.
//
//   ScriptedServer server({
//       Behaviour::http_response(503, {{"Retry-After", "1"}}),
//       Behaviour::sse("id: 1\ndata: a\n\n"),          // stays open
//   });
//   ... client connects to server.base_url() + "/stream" ...
//   REQUIRE(server.wait_for_connections(2));
//   CHECK(find_header(server.requests()[1], "Last-Event-ID") == "1");
//
// A behaviour first reads the request head (up to CRLFCRLF, and a body of its
// Content-Length; 2 s bound;
// close_at_once() does not read), then runs its steps (send bytes, sleep), then
// ends: close, idle until the peer closes or the server stops, reset (RST), or
// stream a chunk forever until the peer goes away. Every wait polls with a
// short timeout, so stop()/the destructor never hangs.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "raw_socket.hpp"

namespace tether::io::testing {

class Behaviour {
 public:
  enum class End {
    close,           // orderly close (FIN)
    idle,            // keep the connection open until the peer closes or stop()
    reset,           // abortive close (SO_LINGER 0: RST)
    stream_forever,  // send `chunk` again and again until the peer goes away or stop()
  };
  struct Step {
    std::string bytes;                   // sent first
    std::chrono::milliseconds pause{0};  // then slept
  };

  // (a) read the request, send `bytes`, close.
  static Behaviour raw(std::string bytes);
  // (b) read the request, send `bytes`, stay open (idle).
  static Behaviour raw_then_idle(std::string bytes);
  // (c) read the request, send `head`, then `chunk` forever (default: "data: " then
  //     64 KiB of 'x' at a time, never a newline).
  static Behaviour stream_forever(std::string head, std::string chunk = {});
  // (d) accept and close at once (without reading the request).
  static Behaviour close_at_once();
  // (e) accept, read the request, never send anything (idle until peer closes/stop).
  static Behaviour silent();
  // A complete HTTP/1.1 response (Content-Length, Connection: close), then close.
  static Behaviour http_response(int status,
                                 std::vector<std::pair<std::string, std::string>> headers = {},
                                 std::string body = {});
  // "HTTP/1.1 200 OK" with Content-Type: text/event-stream, then `events`; stays
  // open (idle) unless `then_close`.
  static Behaviour sse(std::string events, bool then_close = false);
  // The SSE response head alone (for chaining: sse_head().then_send(...)).
  static std::string sse_head();

  Behaviour& then_send(std::string bytes);
  Behaviour& then_sleep(std::chrono::milliseconds pause);
  Behaviour& ending(End end);
  Behaviour& read_request(bool yes);

  bool reads_request() const { return read_request_; }
  const std::vector<Step>& steps() const { return steps_; }
  End end() const { return end_; }
  const std::string& chunk() const { return chunk_; }

 private:
  bool read_request_ = true;
  std::vector<Step> steps_;
  End end_ = End::close;
  std::string chunk_;
};

class ScriptedServer {
 public:
  struct Options {
    bool repeat_last = true;  // connections beyond the script reuse the last behaviour
  };

  struct Connection {
    std::string request_head;  // as received, up to and including CRLFCRLF ("" if none)
    std::string request_body;  // the Content-Length bytes after it ("" if none)
    std::size_t bytes_sent = 0;
    bool peer_closed = false;  // the client closed (EOF/reset) while we waited or sent
    bool finished = false;     // the behaviour has ended (socket closed)
  };

  explicit ScriptedServer(std::vector<Behaviour> script);
  ScriptedServer(std::vector<Behaviour> script, Options options);
  ~ScriptedServer();  // stop()
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  // The SSE response head Behaviour::sse() sends (same as Behaviour::sse_head()).
  static std::string sse_head() { return Behaviour::sse_head(); }

  std::uint16_t port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::size_t connections_accepted() const;
  std::vector<std::string> requests() const;    // request head per connection, accept order
  std::vector<std::string> bodies() const;      // request body per connection, accept order
  std::vector<Connection> connections() const;  // snapshot
  // Bounded waits (true if reached).
  bool wait_for_connections(std::size_t n, std::chrono::milliseconds timeout = 5000ms) const;
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout = 5000ms) const;
  bool wait_for_finished(std::size_t n, std::chrono::milliseconds timeout = 5000ms) const;

  // Closes the listening socket, ends every connection, joins all threads.
  void stop();

 private:
  void accept_loop();
  void serve(int fd, std::size_t index);
  template <class Pred>
  bool wait_until(Pred pred, std::chrono::milliseconds timeout) const;

  std::vector<Behaviour> script_;
  Options options_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<Connection> connections_;
  std::vector<std::thread> workers_;  // guarded by mutex_
  std::thread acceptor_;
};

}  // namespace tether::io::testing
