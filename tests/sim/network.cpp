#include <catch2/catch.hpp>
#include <tether/sim/network.hpp>

using namespace tether::sim;
using tether::model::Prng;

TEST_CASE("bytes on one connection arrive in order within the latency range", "[network]") {
  Link link(LinkParams{10, 100}, Prng::derive(1, 2));
  Wire w{1, 0, false};
  Ms last = 0;
  for (Ms t = 0; t < 1000; t += 7) {
    const auto at = link.carry_to_client(t, w);
    REQUIRE(at);
    CHECK(*at >= last);
    CHECK(*at >= t + 10);
    CHECK(*at <= std::max(last, t + 100));
    last = *at;
  }
}

TEST_CASE("partitions lose requests and hold bytes until they heal", "[network]") {
  Link link(LinkParams{5, 5}, Prng(0));
  Wire w{1, 0, false};
  link.block_to_server(30000);
  CHECK(link.request_lost(29999));
  CHECK_FALSE(link.request_lost(30000));
  CHECK(link.carry_to_client(1000, w) == 1005);  // the other direction still flows
  link.block_to_client(50000);
  CHECK(link.carry_to_client(2000, w) == 50005);  // held, then delivered in order
  CHECK(link.carry_to_client(60000, w) == 60005);
}

TEST_CASE("a half-open connection goes silent without an error, new ones may too", "[network]") {
  Link link(LinkParams{5, 5}, Prng(0));
  Wire w{1, 0, false};
  link.set_half_open(true);
  CHECK(link.half_open());
  w.dead = true;  // the driver marks the open connection dead when the fault begins
  CHECK_FALSE(link.carry_to_client(1000, w).has_value());
  link.set_half_open(false);
  CHECK_FALSE(link.half_open());
  CHECK_FALSE(link.carry_to_client(2000, w).has_value());  // a dead connection stays dead
}

TEST_CASE("loss drops connects by its rate", "[network]") {
  Link all(LinkParams{}, Prng(3));
  all.set_loss_permille(1000);
  Link none(LinkParams{}, Prng(3));
  int lost_all = 0, lost_none = 0;
  for (int k = 0; k < 100; ++k) {
    lost_all += all.request_lost(k) ? 1 : 0;
    lost_none += none.request_lost(k) ? 1 : 0;
  }
  CHECK(lost_all == 100);
  CHECK(lost_none == 0);
}
