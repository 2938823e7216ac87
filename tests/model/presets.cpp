#include <catch2/catch.hpp>
#include <tether/model/backoff.hpp>
#include <tether/model/presets.hpp>
#include <vector>

using namespace tether::model;

namespace {
std::vector<std::int64_t> ceilings(const SessionConfig& c, std::uint32_t n) {
  std::vector<std::int64_t> out;
  for (std::uint32_t i = 1; i <= n; ++i) out.push_back(ceiling_ms(c.backoff, i));
  return out;
}
}  // namespace

TEST_CASE("aviso: 250 ms base, 30 s cap, full jitter, 5 s short backoff", "[presets]") {
  const SessionConfig c = presets::aviso();
  CHECK(ceilings(c, 9) ==
        std::vector<std::int64_t>{250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000});
  CHECK(c.backoff.jitter == JitterKind::full);
  // The first retry is uniform in [0, 250 ms).
  Prng prng(7);
  std::int64_t hi = 0;
  for (int i = 0; i < 2000; ++i) {
    const auto d = sample_delay_ms(c.backoff, 1, 0, prng);
    REQUIRE(d >= 0);
    REQUIRE(d < 250);
    hi = std::max(hi, d);
  }
  CHECK(hi >= 240);
  CHECK(c.backoff.short_session_delay_ms_min == 5000);
  CHECK(c.backoff.hint_ms_max == 300000);
  REQUIRE(c.heartbeat);
  CHECK(c.heartbeat->budget_ms() ==
        std::max(3 * c.heartbeat->interval_ms, c.heartbeat->interval_ms + 30000));
}

TEST_CASE("every streaming preset detects a silent (half-open) link", "[presets]") {
  for (const auto& preset : presets::all()) {
    INFO(preset.name);
    const SessionConfig c = preset.make();
    REQUIRE(c.heartbeat);
    CHECK(c.heartbeat->budget_ms() >= 30000);   // longer than any sane server heartbeat
    CHECK(c.heartbeat->budget_ms() <= 300000);  // a dead link is noticed within 5 minutes
  }
}

TEST_CASE("zero_ws: 500 ms doubling to 30 s, saturating", "[presets]") {
  const SessionConfig c = presets::zero_ws();
  CHECK(ceilings(c, 8) ==
        std::vector<std::int64_t>{500, 1000, 2000, 4000, 8000, 16000, 30000, 30000});
  CHECK(ceiling_ms(c.backoff, 1000000) == 30000);
  CHECK(ceiling_ms(c.backoff, UINT32_MAX) == 30000);
  CHECK(c.backoff.reset_on == ResetOn::first_frame);
}

TEST_CASE("kanade: 1 s doubling to 300 s, every sample within +-25 %", "[presets]") {
  const SessionConfig c = presets::kanade();
  CHECK(ceilings(c, 11) == std::vector<std::int64_t>{1000, 2000, 4000, 8000, 16000, 32000, 64000,
                                                     128000, 256000, 300000, 300000});
  Prng prng(1);
  for (std::uint32_t n = 1; n <= 12; ++n) {
    const double base = static_cast<double>(ceiling_ms(c.backoff, n));
    for (int i = 0; i < 500; ++i) {
      const auto d = static_cast<double>(sample_delay_ms(c.backoff, n, 0, prng));
      REQUIRE(d >= base * 0.75);
      REQUIRE(d <= base * 1.25);
    }
  }
  CHECK(c.give_up.attempts_max == 0);
  CHECK(c.give_up.outage_ms_max == 0);
}

TEST_CASE("koprs: interval doubling up to interval x 32", "[presets]") {
  const SessionConfig c = presets::koprs(2000);
  CHECK(ceilings(c, 7) == std::vector<std::int64_t>{2000, 4000, 8000, 16000, 32000, 64000, 64000});
  CHECK(c.backoff.jitter == JitterKind::none);
}

TEST_CASE("grpc: 1 s x 1.6 up to 120 s, +-20 %, 20 s minimum connect timeout", "[presets]") {
  const SessionConfig c = presets::grpc();
  CHECK(ceilings(c, 4) == std::vector<std::int64_t>{1000, 1600, 2560, 4096});
  CHECK(ceiling_ms(c.backoff, 12) == 120000);  // 1.6^11 = 175.9 s, capped
  CHECK(ceiling_ms(c.backoff, 11) == 109951);  // 1.6^10 = 109.95 s
  const auto b = jitter_bounds(c.backoff, 12, 0);
  CHECK(b.delay_ms_min == 96000);
  CHECK(b.delay_ms_max == 144000);
  CHECK(c.connect.timeout_ms == 20000);
  CHECK(c.connect.timeout_tracks_backoff);
}

TEST_CASE("client_go: 800 ms x 2 up to 30 s, jitter 1.0, reset after 2 min stable", "[presets]") {
  const SessionConfig c = presets::client_go();
  CHECK(ceilings(c, 7) == std::vector<std::int64_t>{800, 1600, 3200, 6400, 12800, 25600, 30000});
  const auto b = jitter_bounds(c.backoff, 7, 0);
  CHECK(b.delay_ms_min == 30000);
  CHECK(b.delay_ms_max == 60000);
  CHECK(c.backoff.reset_on == ResetOn::stable_period);
  CHECK(c.backoff.stable_ms == 120000);
}
