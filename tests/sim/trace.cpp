#include <catch2/catch.hpp>

#include <algorithm>

#include <tether/sim/trace.hpp>

using namespace tether::sim;
namespace m = tether::model;

TEST_CASE("FNV-1a 64 matches the reference vectors", "[trace]") {
  CHECK(tether::model::fnv1a64(tether::model::fnv1a64_offset, "") == 0xcbf29ce484222325ULL);
  CHECK(tether::model::fnv1a64(tether::model::fnv1a64_offset, "a") == 0xaf63dc4c8601ec8cULL);
  CHECK(tether::model::fnv1a64(tether::model::fnv1a64_offset, "foobar") == 0x85944171f73967e8ULL);
}

TEST_CASE("traces are compact lines, hashed line by line", "[trace]") {
  Trace a(true), b(false);
  m::Effects fx;
  fx.push_back(m::Deliver{1, 7, 99});
  a.step(1500, 0, m::FrameReceived{m::Instant{1500}, 7, std::nullopt, std::nullopt, 99}, fx);
  b.step(1500, 0, m::FrameReceived{m::Instant{1500}, 7, std::nullopt, std::nullopt, 99}, fx);
  CHECK(a.text() == "1500 c0 FrameReceived 7 : Deliver 1 7\n");
  CHECK(a.hash() == b.hash());
  CHECK(a.hash() == tether::model::fnv1a64(tether::model::fnv1a64_offset, a.text()));
}

TEST_CASE("coverage counts (phase, event) pairs and lists the missing ones", "[trace]") {
  Coverage c;
  c.add(m::Phase{m::Idle{}}, m::Event{m::Started{}});
  CHECK(c.pairs_reached() == 1);
  const auto missing = c.never_reached();
  CHECK(missing.size() == phase_count * event_count - 1);
  CHECK(std::find(missing.begin(), missing.end(), "Idle/Started") == missing.end());
  CHECK(std::find(missing.begin(), missing.end(), "Idle/Tick") != missing.end());
}
