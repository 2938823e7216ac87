#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <tether/model/config.hpp>
#include <tether/model/session.hpp>

using namespace tether::model;

namespace {
std::string rejected_field(const SessionConfig& c) {
  const auto r = validate(c);
  if (r) return "(accepted)";
  CHECK_FALSE(r.error().reason.empty());
  return std::string(r.error().field);
}
}  // namespace

TEST_CASE("the default configuration and every preset are valid", "[config]") {
  CHECK(validate(SessionConfig{}).has_value());
  for (const auto& p : presets::all()) {
    INFO(p.name);
    CHECK(validate(p.make()).has_value());
  }
}

TEST_CASE("invalid values are rejected naming the field", "[config]") {
  SessionConfig c;
  SECTION("multiplier < 1") {
    c.backoff.multiplier = 0.5;
    CHECK(rejected_field(c) == "backoff.multiplier");
  }
  SECTION("multiplier NaN") {
    c.backoff.multiplier = std::numeric_limits<double>::quiet_NaN();
    CHECK(rejected_field(c) == "backoff.multiplier");
  }
  SECTION("cap < initial") {
    c.backoff.delay_ms_initial = 5000;
    c.backoff.delay_ms_max = 1000;
    CHECK(rejected_field(c) == "backoff.delay_ms_max");
  }
  SECTION("zero initial delay") {
    c.backoff.delay_ms_initial = 0;
    CHECK(rejected_field(c) == "backoff.delay_ms_initial");
  }
  SECTION("jitter fraction outside [0, 1]") {
    c.backoff.jitter_fraction = 1.5;
    CHECK(rejected_field(c) == "backoff.jitter_fraction");
    c.backoff.jitter_fraction = -0.1;
    CHECK(rejected_field(c) == "backoff.jitter_fraction");
  }
  SECTION("zero heartbeat interval") {
    c.heartbeat = HeartbeatPolicy{.interval_ms = 0, .interval_multiple = 3, .slack_ms = 0};
    CHECK(rejected_field(c) == "heartbeat.interval_ms");
  }
  SECTION("replay-only without a start") {
    c.resume.mode = StreamMode::replay_only;
    CHECK(rejected_field(c) == "resume.start");
    c.resume.start = Cursor::at_sequence(10);
    CHECK(rejected_field(c) == "(accepted)");
  }
  SECTION("stable-period reset without a period") {
    c.backoff.reset_on = ResetOn::stable_period;
    c.backoff.stable_ms = 0;
    CHECK(rejected_field(c) == "backoff.stable_ms");
  }
  SECTION("zero connect timeout") {
    c.connect.timeout_ms = 0;
    CHECK(rejected_field(c) == "connect.timeout_ms");
  }
  SECTION("checkpoint batch of zero events") {
    c.resume.checkpoint_every_events = 0;
    CHECK(rejected_field(c) == "resume.checkpoint_every_events");
  }
  SECTION("retry budget without a refill rate") {
    c.budget.tokens_max = 3;
    c.budget.refill_ms_per_token = 0;
    CHECK(rejected_field(c) == "budget.refill_ms_per_token");
  }
}

TEST_CASE("make refuses an invalid configuration", "[config]") {
  SessionConfig c;
  c.backoff.multiplier = 0.0;
  const auto s = make(c);
  REQUIRE_FALSE(s.has_value());
  CHECK(s.error().field == "backoff.multiplier");
}

TEST_CASE("the heartbeat budget formula max(k * interval, interval + slack)", "[config]") {
  HeartbeatPolicy h{.interval_ms = 10000, .interval_multiple = 3, .slack_ms = 30000};
  CHECK(h.budget_ms() == 40000);
  h.interval_ms = 20000;
  CHECK(h.budget_ms() == 60000);
  h.interval_ms = 60000;
  CHECK(h.budget_ms() == 180000);
}

// Every duration has an upper bound too (2^61 - 1 ms), so deadline arithmetic
// on Instants cannot overflow, and the multiplier is at most 1000.
TEST_CASE("every numeric field is bounded above and below", "[config]") {
  constexpr std::int64_t too_long = std::numeric_limits<std::int64_t>::max() / 2;
  struct Case {
    void (*edit)(SessionConfig&);
    const char* field;
  };
  const Case cases[] = {
      {[](SessionConfig& c) { c.backoff.hint_ms_max = -1; }, "backoff.hint_ms_max"},
      {[](SessionConfig& c) { c.backoff.delay_ms_initial = too_long; }, "backoff.delay_ms_initial"},
      {[](SessionConfig& c) { c.backoff.multiplier = 1000.5; }, "backoff.multiplier"},
      {[](SessionConfig& c) { c.backoff.stable_ms = -1; }, "backoff.stable_ms"},
      {[](SessionConfig& c) { c.backoff.short_session_ms = too_long; }, "backoff.short_session_ms"},
      {[](SessionConfig& c) { c.backoff.short_session_delay_ms_min = too_long; },
       "backoff.short_session_delay_ms_min"},
      {[](SessionConfig& c) { c.backoff.clean_close_delay_ms = too_long; },
       "backoff.clean_close_delay_ms"},
      {[](SessionConfig& c) { c.backoff.restored_delay_ms_max = too_long; },
       "backoff.restored_delay_ms_max"},
      {[](SessionConfig& c) { c.give_up.outage_ms_max = too_long; }, "give_up.outage_ms_max"},
      {[](SessionConfig& c) { c.budget.refill_ms_per_token = 0; }, "budget.refill_ms_per_token"},
      {[](SessionConfig& c) { c.connect.timeout_ms = too_long; }, "connect.timeout_ms"},
      {[](SessionConfig& c) { c.connect.confirm_timeout_ms = too_long; },
       "connect.confirm_timeout_ms"},
      {[](SessionConfig& c) { c.auth.refresh_ahead_ms = too_long; }, "auth.refresh_ahead_ms"},
      {[](SessionConfig& c) { c.auth.refresh_timeout_ms = too_long; }, "auth.refresh_timeout_ms"},
      {[](SessionConfig& c) { c.resume.checkpoint_every_ms = too_long; },
       "resume.checkpoint_every_ms"},
      {[](SessionConfig& c) {
         c.heartbeat = HeartbeatPolicy{.interval_ms = 1000, .interval_multiple = 65, .slack_ms = 0};
       },
       "heartbeat.interval_multiple"},
      {[](SessionConfig& c) {
         c.heartbeat = HeartbeatPolicy{.interval_ms = 1000, .interval_multiple = 3, .slack_ms = -1};
       },
       "heartbeat.slack_ms"},
  };
  for (const Case& k : cases) {
    SessionConfig c = presets::aviso();
    k.edit(c);
    CHECK(rejected_field(c) == k.field);
  }
}
