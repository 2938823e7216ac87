#include "scripted_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace tether::io::testing {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kPollMs = 50;  // how often blocked loops look at the stop flag

std::string reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

}  // namespace

// --- Behaviour ---------------------------------------------------------------------
Behaviour Behaviour::raw(std::string bytes) {
  Behaviour b;
  b.steps_.push_back({std::move(bytes), {}});
  return b;
}

Behaviour Behaviour::raw_then_idle(std::string bytes) {
  Behaviour b = raw(std::move(bytes));
  b.end_ = End::idle;
  return b;
}

Behaviour Behaviour::stream_forever(std::string head, std::string chunk) {
  Behaviour b = raw(std::move(head));
  b.end_ = End::stream_forever;
  b.chunk_ = chunk.empty() ? "data: " + std::string(64 * 1024, 'x') : std::move(chunk);
  return b;
}

Behaviour Behaviour::close_at_once() {
  Behaviour b;
  b.read_request_ = false;
  return b;
}

Behaviour Behaviour::silent() {
  Behaviour b;
  b.end_ = End::idle;
  return b;
}

Behaviour Behaviour::http_response(int status,
                                   std::vector<std::pair<std::string, std::string>> headers,
                                   std::string body) {
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
  for (const auto& [name, value] : headers) r += name + ": " + value + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  return raw(std::move(r));
}

std::string Behaviour::sse_head() {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
         "Connection: close\r\n\r\n";
}

Behaviour Behaviour::sse(std::string events, bool then_close) {
  Behaviour b = raw(sse_head() + events);
  b.end_ = then_close ? End::close : End::idle;
  return b;
}

Behaviour& Behaviour::then_send(std::string bytes) {
  steps_.push_back({std::move(bytes), {}});
  return *this;
}

Behaviour& Behaviour::then_sleep(std::chrono::milliseconds pause) {
  if (steps_.empty()) steps_.push_back({});
  steps_.back().pause += pause;
  return *this;
}

Behaviour& Behaviour::ending(End end) {
  end_ = end;
  if (end_ == End::stream_forever && chunk_.empty())
    chunk_ = "data: " + std::string(64 * 1024, 'x');
  return *this;
}

Behaviour& Behaviour::read_request(bool yes) {
  read_request_ = yes;
  return *this;
}

// --- ScriptedServer ------------------------------------------------------------------
ScriptedServer::ScriptedServer(std::vector<Behaviour> script)
    : ScriptedServer(std::move(script), Options{}) {}

ScriptedServer::ScriptedServer(std::vector<Behaviour> script, Options options)
    : script_(std::move(script)), options_(options) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0)
    throw std::runtime_error(std::string("ScriptedServer: socket: ") + std::strerror(errno));
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    ::close(listen_fd_);
    throw std::runtime_error(std::string("ScriptedServer: bind/listen: ") + std::strerror(err));
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

ScriptedServer::~ScriptedServer() { stop(); }

void ScriptedServer::stop() {
  stopping_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mutex_);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

void ScriptedServer::accept_loop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, kPollMs) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lock(mutex_);
    const std::size_t index = connections_.size();
    connections_.push_back({});
    workers_.emplace_back([this, fd, index] { serve(fd, index); });
    changed_.notify_all();
  }
  // Close the listener here so that late connection attempts are refused.
  ::close(listen_fd_);
  listen_fd_ = -1;
}

void ScriptedServer::serve(int fd, std::size_t index) {
  const Behaviour* behaviour = nullptr;
  if (index < script_.size())
    behaviour = &script_[index];
  else if (options_.repeat_last && !script_.empty())
    behaviour = &script_.back();
  static const Behaviour kCloseAtOnce = Behaviour::close_at_once();
  if (behaviour == nullptr) behaviour = &kCloseAtOnce;

  bool peer_closed = false;
  std::size_t sent_total = 0;
  const auto update = [&](auto&& fn) {
    std::lock_guard lock(mutex_);
    fn(connections_[index]);
    changed_.notify_all();
  };

  // Reads what is available; records the request head, then its body (as
  // long as its Content-Length says). False when the peer closed.
  std::string inbox;
  bool head_done = false;
  bool body_done = false;
  std::size_t body_at = 0;
  std::size_t body_bytes = 0;
  const auto read_some = [&](int timeout_ms) -> bool {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return true;
    char buf[16384];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
      peer_closed = true;
      return false;
    }
    if (body_done) return true;
    inbox.append(buf, static_cast<std::size_t>(n));
    if (!head_done) {
      const std::size_t end = inbox.find("\r\n\r\n");
      if (end == std::string::npos) return true;
      head_done = true;
      body_at = end + 4;
      const std::string head = inbox.substr(0, body_at);
      if (const auto length = find_header(head, "Content-Length"))
        body_bytes = std::strtoul(length->c_str(), nullptr, 10);
      update([&](Connection& c) { c.request_head = head; });
    }
    if (inbox.size() - body_at >= body_bytes) {
      body_done = true;
      update([&](Connection& c) { c.request_body = inbox.substr(body_at, body_bytes); });
    }
    return true;
  };
  // Sends all bytes, polling for writability so that stop() is honoured.
  const auto send_all = [&](std::string_view bytes) -> bool {
    while (!bytes.empty()) {
      if (stopping_) return false;
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, kPollMs) <= 0) continue;
      if ((p.revents & (POLLERR | POLLHUP)) != 0) {
        peer_closed = true;
        return false;
      }
      const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        peer_closed = true;
        return false;
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
      sent_total += static_cast<std::size_t>(n);
    }
    return true;
  };

  bool ok = true;
  if (behaviour->reads_request()) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(2000);
    while (!body_done && !stopping_ && Clock::now() < deadline && read_some(kPollMs)) {
    }
    if (!head_done && !inbox.empty())
      update([&](Connection& c) { c.request_head = inbox; });  // partial head
    ok = !peer_closed;
  }
  for (const auto& step : behaviour->steps()) {
    if (!ok || stopping_) break;
    if (!step.bytes.empty()) ok = send_all(step.bytes);
    const auto until = Clock::now() + step.pause;
    while (ok && !stopping_ && Clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (ok && !stopping_) {
    switch (behaviour->end()) {
      case Behaviour::End::close:
        break;
      case Behaviour::End::reset: {
        const linger lin{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof lin);
        break;
      }
      case Behaviour::End::idle:
        while (!stopping_ && read_some(kPollMs)) {
        }
        break;
      case Behaviour::End::stream_forever:
        while (!stopping_ && send_all(behaviour->chunk())) {
        }
        break;
    }
  }
  update([&](Connection& c) {
    c.bytes_sent = sent_total;
    c.peer_closed = peer_closed;
  });
  ::close(fd);
  update([&](Connection& c) { c.finished = true; });
}

std::size_t ScriptedServer::connections_accepted() const {
  std::lock_guard lock(mutex_);
  return connections_.size();
}

std::vector<std::string> ScriptedServer::bodies() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& c : connections_) out.push_back(c.request_body);
  return out;
}

std::vector<std::string> ScriptedServer::requests() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  out.reserve(connections_.size());
  for (const auto& c : connections_) out.push_back(c.request_head);
  return out;
}

std::vector<ScriptedServer::Connection> ScriptedServer::connections() const {
  std::lock_guard lock(mutex_);
  return connections_;
}

template <class Pred>
bool ScriptedServer::wait_until(Pred pred, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return pred(); });
}

bool ScriptedServer::wait_for_connections(std::size_t n, std::chrono::milliseconds timeout) const {
  return wait_until([&] { return connections_.size() >= n; }, timeout);
}

bool ScriptedServer::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
  return wait_until(
      [&] {
        std::size_t count = 0;
        for (const auto& c : connections_) count += c.request_head.empty() ? 0U : 1U;
        return count >= n;
      },
      timeout);
}

bool ScriptedServer::wait_for_finished(std::size_t n, std::chrono::milliseconds timeout) const {
  return wait_until(
      [&] {
        std::size_t count = 0;
        for (const auto& c : connections_) count += c.finished ? 1U : 0U;
        return count >= n;
      },
      timeout);
}

}  // namespace tether::io::testing
