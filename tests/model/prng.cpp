#include <catch2/catch.hpp>
#include <tether/model/prng.hpp>

using tether::model::Prng;

TEST_CASE("the same seed gives the same stream", "[prng]") {
  Prng a(123), b(123), c(124);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next();
    CHECK(x == b.next());
    differs = differs || x != c.next();
  }
  CHECK(differs);
}

TEST_CASE("uniform stays in [lo, hi] and reaches both ends", "[prng]") {
  Prng p(9);
  bool lo_seen = false, hi_seen = false;
  for (int i = 0; i < 10000; ++i) {
    const auto v = p.uniform(-3, 3);
    REQUIRE(v >= -3);
    REQUIRE(v <= 3);
    lo_seen = lo_seen || v == -3;
    hi_seen = hi_seen || v == 3;
  }
  CHECK(lo_seen);
  CHECK(hi_seen);
  CHECK(p.uniform(5, 5) == 5);
  CHECK(p.uniform(5, 1) == 5);
  CHECK(p.uniform(INT64_MIN / 2, INT64_MAX / 2) >= INT64_MIN / 2);
}

TEST_CASE("derived streams are independent of each other", "[prng]") {
  Prng a = Prng::derive(1, 0), b = Prng::derive(1, 1), a2 = Prng::derive(1, 0);
  CHECK(a == a2);
  int same = 0;
  for (int i = 0; i < 64; ++i) same += a.next() == b.next() ? 1 : 0;
  CHECK(same == 0);
}
