#include <catch2/catch.hpp>

#include <tether/sim/agenda.hpp>

using tether::sim::Agenda;

TEST_CASE("the agenda jumps virtual time to the next item, in insertion order at one instant", "[agenda]") {
  Agenda<int> a;
  a.push(500, 1);
  a.push(100, 2);
  a.push(500, 3);
  a.push(100, 4);
  CHECK(a.now_ms() == 0);
  CHECK(a.pop() == 2);
  CHECK(a.now_ms() == 100);
  CHECK(a.pop() == 4);
  CHECK(a.pop() == 1);
  CHECK(a.now_ms() == 500);
  a.push(10, 5);  // the past is clamped to now
  CHECK(a.next_ms() == 500);
  CHECK(a.pop() == 3);
  CHECK(a.pop() == 5);
  CHECK(a.empty());
}
