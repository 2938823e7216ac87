#include <catch2/catch.hpp>

#include <tether/sim/store.hpp>

using namespace tether::sim;
using tether::model::Cursor;

TEST_CASE("a crash loses the writes still in flight; what completed survives", "[store]") {
  Store s;
  CHECK_FALSE(s.load().has_value());
  s.begin_write(1, Cursor::at_sequence(10));
  s.begin_write(2, Cursor::at_sequence(20));
  const auto w = s.complete_next(false);
  REQUIRE(w);
  CHECK(w->delivery_id == 1);
  CHECK(s.load()->sequence == 10);
  s.crash();
  CHECK(s.in_flight() == 0);
  CHECK_FALSE(s.complete_next(false).has_value());
  CHECK(s.load()->sequence == 10);
}

TEST_CASE("a failed write is not durable", "[store]") {
  Store s;
  s.begin_write(1, Cursor::at_sequence(10));
  s.begin_write(2, Cursor::at_sequence(20));
  CHECK(s.complete_next(false));
  CHECK(s.complete_next(true)->delivery_id == 2);
  CHECK(s.load()->sequence == 10);
  CHECK(s.writes_durable() == 1);
}
