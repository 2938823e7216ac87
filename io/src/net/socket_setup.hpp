#pragma once
// Options every transport socket gets once connected: no Nagle delay, and TCP
// keepalive so that a peer that vanished (a half-open connection behind a NAT
// or a dead host) is noticed by the kernel even when the session's own
// read-idle budget is long or off.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <utility>

namespace tether::io::net {

// Probes after 60 s idle, every 10 s, 6 of them: a dead peer is found within
// about 2 minutes. Best effort: a failure leaves the kernel's defaults.
inline void tune_socket(boost::asio::ip::tcp::socket& socket) {
  boost::system::error_code ignored;
  socket.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
  socket.set_option(boost::asio::socket_base::keep_alive(true), ignored);
  constexpr int idle_s = 60;
  constexpr int interval_s = 10;
  constexpr int probes = 6;
  const int fd = socket.native_handle();
  static_cast<void>(::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof idle_s));
  static_cast<void>(::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval_s, sizeof interval_s));
  static_cast<void>(::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes));
}

}  // namespace tether::io::net
