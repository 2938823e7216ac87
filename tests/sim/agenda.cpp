#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <tether/sim/agenda.hpp>
#include <vector>

using tether::sim::Agenda;

TEST_CASE("the agenda jumps virtual time to the next item, in insertion order at one instant",
          "[agenda]") {
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

// Items wait in reused slots while the heap orders (time, order, slot): pushes
// and pops interleaved at random, with strings that own memory, come out as a
// plain sorted list of (time, insertion order) says, each item intact.
TEST_CASE("the agenda's order and items survive interleaved pushes and pops that reuse its slots",
          "[agenda]") {
  struct Pending {
    tether::sim::Ms at_ms;
    std::uint64_t order;
    std::string text;
  };
  Agenda<std::string> a;
  std::vector<Pending> reference;
  std::uint64_t order = 0;
  std::uint32_t state = 7;
  const auto draw = [&](std::uint32_t n) {
    state = state * 1103515245u + 12345u;
    return (state >> 16) % n;
  };
  for (int round = 0; round < 2000; ++round) {
    if (draw(3) != 0 || reference.empty()) {
      const tether::sim::Ms at = a.now_ms() + static_cast<tether::sim::Ms>(draw(50));
      std::string text =
          "item " + std::to_string(order) + std::string(draw(40), 'x');  // some on the heap
      a.push(at, text);
      reference.push_back(Pending{at, order++, std::move(text)});
      continue;
    }
    const auto next = std::ranges::min_element(reference, [](const Pending& l, const Pending& r) {
      return l.at_ms != r.at_ms ? l.at_ms < r.at_ms : l.order < r.order;
    });
    REQUIRE(a.next_ms() == next->at_ms);
    REQUIRE(a.pop() == next->text);
    CHECK(a.now_ms() == next->at_ms);
    reference.erase(next);
    REQUIRE(a.size() == reference.size());
  }
}
