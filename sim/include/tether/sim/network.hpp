#pragma once
// The simulated network between one client and the server: a latency range,
// connect loss, partitions (both ways, or one way), half-open links (bytes
// silently stop, no error) and resets. Bytes on one connection arrive in order.

#include <cstdint>
#include <optional>
#include <tether/model/prng.hpp>
#include <tether/sim/agenda.hpp>

namespace tether::sim {

struct LinkParams {
  Ms latency_ms_min = 5;
  Ms latency_ms_max = 50;
};

// The link's view of one connection.
struct Wire {
  std::uint64_t id = 0;
  Ms last_arrival_ms = 0;  // keeps bytes in order
  bool dead = false;       // half-open: nothing arrives any more
};

class Link {
 public:
  Link(LinkParams params, model::Prng prng) : params_(params), prng_(prng) {}

  // --- faults. A partition blocks a direction until `until_ms`; overlapping
  // partitions extend it. Half-open and loss nest (counts).
  void block_to_server(Ms until_ms);
  void block_to_client(Ms until_ms);
  void set_half_open(bool on) { half_open_ += on ? 1 : -1; }
  void set_loss_permille(std::int64_t permille) { loss_permille_ = permille; }
  void add_latency_ms(Ms extra_ms) { extra_latency_ms_ += extra_ms; }

  bool half_open() const { return half_open_ > 0; }
  bool blocked_to_server(Ms now) const { return now < to_server_until_ms_; }
  bool blocked_to_client(Ms now) const { return now < to_client_until_ms_; }

  // One way latency, drawn from this link's own PRNG stream.
  Ms latency_ms();
  // Whether a connect request sent now is lost (partition or loss draw).
  bool request_lost(Ms now);
  // When bytes the server sends now on `wire` arrive (nullopt: never, half-open).
  std::optional<Ms> carry_to_client(Ms now, Wire& wire);

  Ms latency_ms_max() const { return params_.latency_ms_max + extra_latency_ms_; }

 private:
  LinkParams params_;
  model::Prng prng_;
  Ms to_server_until_ms_ = 0;
  Ms to_client_until_ms_ = 0;
  int half_open_ = 0;
  std::int64_t loss_permille_ = 0;
  Ms extra_latency_ms_ = 0;
};

}  // namespace tether::sim
