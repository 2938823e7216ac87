// Wait-for-resource: the preset and the configuration checks (the reducer's
// rules are in reducer.cpp, the properties over random scripts in rules.cpp).
#include <catch2/catch.hpp>
#include <cstdint>
#include <tether/model/presets.hpp>
#include <tether/model/wait/config.hpp>
#include <tether/model/wait/reducer.hpp>

#include "harness.hpp"

using namespace tether::model;
using namespace tether::model::wait;
using namespace tether::test::wait_harness;

// --- presets and configuration ---------------------------------------------

TEST_CASE("kanade_wait: 1 s doubling to 300 s, +-25 %, forever, 1 s reopen pause",
          "[wait][presets]") {
  const Config c = presets::kanade_wait();
  CHECK(c.backoff.delay_ms_initial == 1000);
  CHECK(c.backoff.multiplier == 2.0);
  CHECK(c.backoff.delay_ms_max == 300000);
  CHECK(c.backoff.jitter == JitterKind::proportional);
  CHECK(c.backoff.jitter_fraction == 0.25);
  CHECK(c.give_up.attempts_max == 0);
  CHECK(c.give_up.outage_ms_max == 0);
  CHECK(c.reopen_pause_ms == 1000);
  CHECK(c.backoff.restored_delay_ms_max == presets::kanade().backoff.restored_delay_ms_max);
  // The delays the reducer draws: ceiling 1000 * 2^(n-1) capped at 300000, +-25 %.
  Harness h(c);
  h.feed(Started{at(0)});
  std::int64_t t = 0;
  const auto delays = refuse(h, 12, t);
  REQUIRE(delays.size() == 12);
  for (std::size_t i = 0; i < delays.size(); ++i) {
    const std::int64_t ceiling = std::min<std::int64_t>(300000, std::int64_t{1000} << i);
    CHECK(delays[i] >= ceiling - ceiling / 4);
    CHECK(delays[i] <= ceiling + ceiling / 4);
  }
}

TEST_CASE("a wait configuration that cannot work names its field", "[wait][config]") {
  Config c = presets::kanade_wait();
  REQUIRE(validate(c));
  SECTION("backoff fields are checked as for a session") {
    c.backoff.multiplier = 0.5;
    REQUIRE_FALSE(validate(c));
    CHECK(validate(c).error().field == "backoff.multiplier");
  }
  SECTION("give-up") {
    c.give_up.outage_ms_max = -1;
    CHECK(validate(c).error().field == "give_up.outage_ms_max");
  }
  SECTION("reopen pause") {
    c.reopen_pause_ms = -1;
    CHECK(validate(c).error().field == "reopen_pause_ms");
  }
  SECTION("acquire timeout") {
    c.acquire_timeout_ms = duration_ms_max + 1;
    CHECK(validate(c).error().field == "acquire_timeout_ms");
  }
  SECTION("wait::make refuses it too") {
    c.backoff.delay_ms_initial = 0;
    CHECK_FALSE(make(c).has_value());
  }
}
