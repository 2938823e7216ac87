#include <catch2/catch.hpp>
#include <tether/model/presets.hpp>
#include <tether/sim/scenario.hpp>

using namespace tether::sim;
namespace model = tether::model;

TEST_CASE("the old form: a preset name plus overrides", "[scenario]") {
  CHECK_FALSE(make_config("no_such_preset", {}).has_value());
  Overrides o;
  o.heartbeat_interval_ms = 0;
  o.commit = model::CommitPolicy::on_next_delivery;
  o.checkpoint_every_events = 7;
  const auto c = make_config("aviso", o);
  REQUIRE(c);
  CHECK_FALSE(c->heartbeat.has_value());
  CHECK(c->backoff.delay_ms_initial == 250);
  CHECK(c->resume.commit == model::CommitPolicy::on_next_delivery);
  CHECK(c->resume.checkpoint_every_events == 7);
  CHECK(c->resume.start == model::Cursor::at_sequence(0));
  Overrides hb;
  hb.heartbeat_interval_ms = 5000;
  CHECK(make_config("zero_ws", hb)->heartbeat->interval_ms == 5000);
}

TEST_CASE("the liveness bound covers the policy's worst delay twice plus detection", "[scenario]") {
  Scenario s;
  const auto c = make_config("aviso", {}).value();
  const Ms bound = liveness_bound_ms(c, s);
  CHECK(bound >= 2 * (30000 + 10000) + c.heartbeat->budget_ms());
  s.faults.push_back(Fault{FaultKind::rate_limit, all_clients, 0, 1000, 1000000});
  CHECK(liveness_bound_ms(c, s) >= 2 * c.backoff.hint_ms_max);  // a Retry-After hint, clamped
}

TEST_CASE("a default scenario runs aviso from sequence 0, labelled aviso", "[scenario]") {
  const Scenario s;
  CHECK(s.label == "aviso");
  CHECK(s.config.backoff.delay_ms_initial == model::presets::aviso().backoff.delay_ms_initial);
  CHECK(s.config.resume.start == model::Cursor::at_sequence(0));
}
