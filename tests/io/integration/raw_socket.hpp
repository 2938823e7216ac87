#pragma once
// Blocking POSIX-socket helpers for the integration-test fixtures: a raw
// loopback TCP connection with bounded reads, a one-shot HTTP/1.1 request, a
// free-port picker and a header lookup. Test code: failures throw
// std::runtime_error. No Boost, no TLS.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tether::io::testing {

using namespace std::chrono_literals;

// A port on 127.0.0.1 that was free a moment ago (bound to port 0, then closed).
std::uint16_t pick_free_port();

// True when a TCP connection to 127.0.0.1:port succeeds within `timeout`.
bool can_connect(std::uint16_t port, std::chrono::milliseconds timeout = 200ms);

// Case-insensitive lookup of a header field in a raw HTTP head (request or
// response). Returns the value with surrounding blanks removed.
std::optional<std::string> find_header(std::string_view head, std::string_view name);

// The status code of a raw HTTP response head ("HTTP/1.1 200 OK..."), or 0.
int parse_status(std::string_view head);

// One loopback TCP connection. Reads accumulate into received(); every wait is
// bounded. Sends use MSG_NOSIGNAL (no SIGPIPE).
class RawConnection {
 public:
  // Throws if the connection fails within `timeout`.
  explicit RawConnection(std::uint16_t port, std::chrono::milliseconds timeout = 2000ms);
  ~RawConnection();
  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&& other) noexcept;
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // Sends everything; false if the peer has gone.
  bool send_all(std::string_view bytes);
  // Reads until received() contains `needle` (searching from `from`), the peer
  // closes, or `timeout`. True if found.
  bool read_until(std::string_view needle, std::chrono::milliseconds timeout = 3000ms,
                  std::size_t from = 0);
  // Reads until received().size() >= size, the peer closes, or `timeout`.
  bool read_until_size(std::size_t size, std::chrono::milliseconds timeout = 3000ms);
  // Reads until the peer closes (EOF or reset) or `timeout`. True on close.
  bool wait_closed(std::chrono::milliseconds timeout = 3000ms);
  // Reads whatever arrives within `timeout` (at least one poll). Returns bytes read.
  std::size_t read_for(std::chrono::milliseconds timeout);

  const std::string& received() const { return received_; }
  void clear_received() { received_.clear(); }
  bool peer_closed() const { return peer_closed_; }
  // True if the close was a reset (ECONNRESET) rather than an orderly EOF.
  bool peer_reset() const { return peer_reset_; }
  void shutdown_write();
  void close();
  int fd() const { return fd_; }

 private:
  // One poll+recv step; returns false when nothing more can arrive (closed).
  bool read_once(std::chrono::milliseconds timeout);

  int fd_ = -1;
  std::string received_;
  bool peer_closed_ = false;
  bool peer_reset_ = false;
};

struct HttpResponse {
  int status = 0;    // 0: no parsable status line
  std::string head;  // status line and header fields, up to and including CRLFCRLF
  std::string body;  // as received (no de-chunking)
  std::optional<std::string> header(std::string_view name) const { return find_header(head, name); }
};

// One HTTP/1.1 request with `Connection: close` on a fresh connection; reads
// the response until Content-Length is satisfied, the peer closes, or
// `timeout`. `headers` are extra "Name: value" pairs. Throws if the
// connection fails or no status line arrives in time.
HttpResponse http_request(std::uint16_t port, std::string_view method, std::string_view target,
                          const std::vector<std::pair<std::string, std::string>>& headers = {},
                          std::string_view body = {}, std::chrono::milliseconds timeout = 5000ms);

}  // namespace tether::io::testing
