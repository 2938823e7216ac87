#include "raw_socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tether::io::testing {

namespace {

using Clock = std::chrono::steady_clock;

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(left.count());
}

// Non-blocking connect bounded by `timeout`; returns a blocking fd or -1.
int connect_loopback(std::uint16_t port, std::chrono::milliseconds timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  const sockaddr_in addr = loopback(port);
  int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (rc == 1) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
    } else {
      rc = -1;
    }
  }
  if (rc != 0) {
    ::close(fd);
    return -1;
  }
  const int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::uint16_t pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw std::runtime_error(std::string("pick_free_port: socket: ") + std::strerror(errno));
  sockaddr_in addr = loopback(0);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error(std::string("pick_free_port: bind: ") + std::strerror(err));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool can_connect(std::uint16_t port, std::chrono::milliseconds timeout) {
  const int fd = connect_loopback(port, timeout);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

std::optional<std::string> find_header(std::string_view head, std::string_view name) {
  std::size_t pos = head.find('\n');  // skip the request/status line
  while (pos != std::string_view::npos && pos + 1 < head.size()) {
    const std::size_t start = pos + 1;
    const std::size_t end = head.find('\n', start);
    const std::string_view line =
        head.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos && iequals(trim(line.substr(0, colon)), name))
      return std::string(trim(line.substr(colon + 1)));
    pos = end;
  }
  return std::nullopt;
}

int parse_status(std::string_view head) {
  if (!head.starts_with("HTTP/")) return 0;
  const std::size_t sp = head.find(' ');
  if (sp == std::string_view::npos || sp + 4 > head.size()) return 0;
  int status = 0;
  for (std::size_t i = sp + 1; i < sp + 4; ++i) {
    const char c = head[i];
    if (c < '0' || c > '9') return 0;
    status = status * 10 + (c - '0');
  }
  return status;
}

RawConnection::RawConnection(std::uint16_t port, std::chrono::milliseconds timeout)
    : fd_(connect_loopback(port, timeout)) {
  if (fd_ < 0)
    throw std::runtime_error("RawConnection: cannot connect to 127.0.0.1:" + std::to_string(port));
}

RawConnection::~RawConnection() { close(); }

RawConnection::RawConnection(RawConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      received_(std::move(other.received_)),
      peer_closed_(other.peer_closed_),
      peer_reset_(other.peer_reset_) {}

RawConnection& RawConnection::operator=(RawConnection&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    received_ = std::move(other.received_);
    peer_closed_ = other.peer_closed_;
    peer_reset_ = other.peer_reset_;
  }
  return *this;
}

void RawConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void RawConnection::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

bool RawConnection::send_all(std::string_view bytes) {
  while (!bytes.empty()) {
    if (fd_ < 0) return false;
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool RawConnection::read_once(std::chrono::milliseconds timeout) {
  if (fd_ < 0 || peer_closed_) return false;
  pollfd p{fd_, POLLIN, 0};
  const int rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (rc <= 0) return true;  // timeout (or EINTR): nothing yet
  char buf[65536];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n > 0) {
    received_.append(buf, static_cast<std::size_t>(n));
    return true;
  }
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  peer_closed_ = true;
  peer_reset_ = n < 0 && errno == ECONNRESET;
  return false;
}

bool RawConnection::read_until(std::string_view needle, std::chrono::milliseconds timeout,
                               std::size_t from) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (from <= received_.size() && received_.find(needle, from) != std::string::npos) return true;
    const int left = remaining_ms(deadline);
    if (left == 0) return false;
    if (!read_once(std::chrono::milliseconds(left)))
      return from <= received_.size() && received_.find(needle, from) != std::string::npos;
  }
}

bool RawConnection::read_until_size(std::size_t size, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (received_.size() < size) {
    const int left = remaining_ms(deadline);
    if (left == 0 || !read_once(std::chrono::milliseconds(left))) break;
  }
  return received_.size() >= size;
}

bool RawConnection::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (peer_closed_) return true;
    const int left = remaining_ms(deadline);
    if (left == 0) return false;
    read_once(std::chrono::milliseconds(left));
  }
}

std::size_t RawConnection::read_for(std::chrono::milliseconds timeout) {
  const std::size_t before = received_.size();
  const auto deadline = Clock::now() + timeout;
  do {
    if (!read_once(std::chrono::milliseconds(remaining_ms(deadline)))) break;
  } while (remaining_ms(deadline) > 0);
  return received_.size() - before;
}

HttpResponse http_request(std::uint16_t port, std::string_view method, std::string_view target,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          std::string_view body, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  RawConnection conn(port, timeout);
  std::string req;
  req.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  req.append("Host: 127.0.0.1:").append(std::to_string(port)).append("\r\n");
  req.append("Connection: close\r\n");
  for (const auto& [name, value] : headers)
    req.append(name).append(": ").append(value).append("\r\n");
  if (!body.empty() || method == "POST" || method == "PUT")
    req.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  req.append("\r\n").append(body);
  const std::string what =
      std::string(method) + " " + std::string(target) + " on port " + std::to_string(port);
  if (!conn.send_all(req)) throw std::runtime_error("http_request: send failed: " + what);
  if (!conn.read_until("\r\n\r\n", std::chrono::milliseconds(remaining_ms(deadline))))
    throw std::runtime_error("http_request: no response head within the timeout: " + what +
                             "; received: " + conn.received().substr(0, 300));
  HttpResponse resp;
  const std::size_t head_end = conn.received().find("\r\n\r\n") + 4;
  resp.head = conn.received().substr(0, head_end);
  resp.status = parse_status(resp.head);
  const auto length = find_header(resp.head, "Content-Length");
  const bool bodyless = method == "HEAD" || resp.status == 204 || resp.status == 304 ||
                        (resp.status >= 100 && resp.status < 200);
  if (bodyless) return resp;
  if (length) {
    conn.read_until_size(head_end + std::stoul(*length),
                         std::chrono::milliseconds(remaining_ms(deadline)));
  } else {
    conn.wait_closed(std::chrono::milliseconds(remaining_ms(deadline)));
  }
  resp.body = conn.received().substr(head_end);
  return resp;
}

}  // namespace tether::io::testing
