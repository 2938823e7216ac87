// The freshness mirror's configuration: its preset and validate(), which names
// the first field that cannot work.
#include <catch2/catch.hpp>
#include <tether/model/mirror/config.hpp>
#include <tether/model/mirror/reducer.hpp>
#include <tether/model/presets.hpp>

#include "harness.hpp"

using namespace tether::model;
using namespace tether::model::mirror;

using tether::test::mirror_tests::small;

// --- presets and configuration ---------------------------------------------

TEST_CASE("aviso_mirror: aviso's 90 s heartbeat budget, values stale after 30 s",
          "[mirror][presets]") {
  const Config c = presets::aviso_mirror();
  CHECK(c.heartbeat.budget_ms() == 90000);
  CHECK(c.heartbeat.budget_ms() == presets::aviso().heartbeat->budget_ms());
  CHECK(c.stale_after_ms == 30000);
  CHECK(validate(c));
}

TEST_CASE("a mirror configuration that cannot work names its field", "[mirror][config]") {
  Config c = small();
  SECTION("threshold") {
    c.stale_after_ms = 0;
    CHECK(validate(c).error().field == "stale_after_ms");
  }
  SECTION("heartbeat fields are checked as for a session") {
    c.heartbeat.interval_ms = 0;
    CHECK(validate(c).error().field == "heartbeat.interval_ms");
  }
  SECTION("limits") {
    c.keys_max = 0;
    CHECK(validate(c).error().field == "keys_max");
  }
  CHECK_FALSE(make(c).has_value());
}
