#include <catch2/catch.hpp>

#include <tether/sim/store.hpp>

using namespace tether::sim;
using tether::model::Cursor;

TEST_CASE("a crash loses the writes still in flight, what completed survives", "[store]") {
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

TEST_CASE("a torn write in place is rejected by its checksum, load falls back", "[store][torn]") {
  Store s;
  s.begin_write(1, Cursor::at_sequence(10));
  REQUIRE(s.complete_next(false));
  s.begin_write(2, Cursor::at_sequence(20));
  REQUIRE(s.complete_next(false));
  s.begin_write(3, Cursor::at_sequence(30));
  s.begin_write(4, Cursor::at_sequence(40));
  CHECK(s.crash_tearing(TornWrites::in_place_checked));
  CHECK(s.in_flight() == 0);
  CHECK(s.writes_torn() == 1);
  CHECK(s.corrupt_slots() == 1);  // the torn half is on disk, newer than the rest...
  REQUIRE(s.load());
  CHECK(s.load()->sequence == 20);  // ...but never loaded: the previous durable one is
  // The next write goes over the corrupt slot, not over the only good one.
  s.begin_write(5, Cursor::at_sequence(50));
  REQUIRE(s.complete_next(false));
  CHECK(s.corrupt_slots() == 0);
  CHECK(s.load()->sequence == 50);
  // A second tear right away still leaves 50.
  s.begin_write(6, Cursor::at_sequence(60));
  CHECK(s.crash_tearing(TornWrites::in_place_checked));
  CHECK(s.load()->sequence == 50);
}

TEST_CASE("a torn write with atomic replace keeps the old checkpoint", "[store][torn]") {
  Store s;
  s.begin_write(1, Cursor::at_sequence(10));
  REQUIRE(s.complete_next(false));
  s.begin_write(2, Cursor::at_sequence(20));
  CHECK(s.crash_tearing(TornWrites::atomic_replace));
  CHECK(s.corrupt_slots() == 0);
  CHECK(s.load()->sequence == 10);
}

TEST_CASE("tearing the very first write leaves no checkpoint at all", "[store][torn]") {
  Store s;
  s.begin_write(1, Cursor::at_sequence(10));
  CHECK(s.crash_tearing(TornWrites::in_place_checked));
  CHECK_FALSE(s.load().has_value());
  CHECK_FALSE(s.crash_tearing(TornWrites::in_place_checked));  // nothing in flight: nothing torn
  CHECK(s.writes_torn() == 1);
}
