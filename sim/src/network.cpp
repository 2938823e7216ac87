#include <algorithm>
#include <tether/sim/network.hpp>

namespace tether::sim {

void Link::block_to_server(Ms until_ms) {
  to_server_until_ms_ = std::max(to_server_until_ms_, until_ms);
}
void Link::block_to_client(Ms until_ms) {
  to_client_until_ms_ = std::max(to_client_until_ms_, until_ms);
}

Ms Link::latency_ms() {
  return prng_.uniform(params_.latency_ms_min, params_.latency_ms_max) + extra_latency_ms_;
}

bool Link::request_lost(Ms now) {
  if (blocked_to_server(now)) return true;
  return loss_permille_ > 0 && prng_.uniform(0, 999) < loss_permille_;
}

std::optional<Ms> Link::carry_to_client(Ms now, Wire& wire) {
  if (wire.dead) return std::nullopt;
  // A blocked direction holds the bytes (TCP retransmits) until it heals.
  const Ms sent = std::max(now, to_client_until_ms_);
  const Ms arrival = std::max(wire.last_arrival_ms, sent + latency_ms());
  wire.last_arrival_ms = arrival;
  return arrival;
}

}  // namespace tether::sim
