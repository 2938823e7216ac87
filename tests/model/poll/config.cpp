// The polling reducer's configuration (model/src/poll/config.cpp): every
// field validated, with the path of the first one that cannot work.
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <tether/model/poll/config.hpp>
#include <tether/model/poll/reducer.hpp>
#include <tether/model/presets.hpp>

#include "harness.hpp"

namespace presets = tether::model::presets;

// --- configuration -----------------------------------------------------------

TEST_CASE("poll configurations are validated field by field", "[poll][config]") {
  const auto field_of = [](const poll::Config& c) {
    const auto r = poll::validate(c);
    return r ? std::string("ok") : std::string(r.error().field);
  };
  CHECK(field_of(presets::zero_poll()) == "ok");
  CHECK(field_of(presets::koprs_poll(250)) == "ok");
  CHECK(field_of(poll::Config{}) == "endpoints");
  poll::Config c = poll_test::single(1000, poll::Backoff::fixed(1000));
  SECTION("names") {
    c.endpoints[0].name.clear();
    CHECK(field_of(c) == "endpoints[].name");
    c.endpoints[0].name = "a";
    c.endpoints.push_back(c.endpoints[0]);
    CHECK(field_of(c) == "endpoints[].name");
  }
  SECTION("cadence") {
    c.endpoints[0].cadence_ms = 0;
    CHECK(field_of(c) == "endpoints[].cadence_ms");
    c.endpoints[0].cadence_ms = poll::poll_ms_max + 1;
    CHECK(field_of(c) == "endpoints[].cadence_ms");
  }
  SECTION("backoff") {
    c.endpoints[0].backoff.delay_ms_initial = 0;
    CHECK(field_of(c) == "endpoints[].backoff.delay_ms_initial");
    c.endpoints[0].backoff = poll::Backoff::exponential(1000, 0.5, 2000);
    CHECK(field_of(c) == "endpoints[].backoff.multiplier");
    c.endpoints[0].backoff = poll::Backoff::exponential(1000, 2.0, 999);
    CHECK(field_of(c) == "endpoints[].backoff.delay_ms_max");
    c.endpoints[0].backoff = poll::Backoff::exponential(1000, 2.0, poll::poll_ms_max + 1);
    CHECK(field_of(c) == "endpoints[].backoff.delay_ms_max");
    c.endpoints[0].backoff = poll::Backoff::fixed(1000);
    c.endpoints[0].backoff.jitter_fraction = 1.5;
    CHECK(field_of(c) == "endpoints[].backoff.jitter_fraction");
  }
  SECTION("a limit on endpoints") {
    c.endpoints.clear();
    for (std::size_t i = 0; i <= poll::endpoints_max; ++i)
      c.endpoints.push_back(
          poll::EndpointConfig{"e" + std::to_string(i), 1000, poll::Backoff::fixed(1000)});
    CHECK(field_of(c) == "endpoints");
    c.endpoints.pop_back();
    CHECK(field_of(c) == "ok");
  }
  CHECK_FALSE(poll::make(poll_test::seeded(poll::Config{}, 1)).has_value());
  CHECK_FALSE(poll::validate(presets::koprs_poll(0)).has_value());
  CHECK_FALSE(poll::validate(presets::koprs_poll(INT64_MAX)).has_value());
}
