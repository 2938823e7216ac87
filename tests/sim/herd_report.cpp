// The herd plot's words and record (sim/include/tether/sim/herd_report.hpp):
// the JSON holds every figure, and the flag lines name the policy, the peak
// and the bound.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <tether/model/presets.hpp>
#include <tether/sim/herd_report.hpp>
#include <vector>

using namespace tether::sim;
namespace model = tether::model;

namespace {

// A plot as herd_plot_of makes it, by hand: 1,000 aviso clients after a 3 s outage.
HerdPlot aviso_plot() {
  HerdPlot p;
  p.fleet.label = "aviso";
  p.fleet.config = model::presets::aviso();
  p.fleet.clients = 1000;
  p.fleet.outage_ms = 3000;
  p.outage_at_ms = 10000;
  p.recovery_at_ms = 13000;
  p.horizon_ms = 335179;
  p.attempts = {47, 0, 40, 52, 13};
  p.attempts_total = 152;
  p.peak = HerdBucket{3, 52};
  p.verdict = HerdVerdict{{53, 57}, 1, 400.0, 480};
  p.streaming_at_outage = 1000;
  p.streaming_again = 1000;
  p.streaming_99_ms = 7491;
  return p;
}

}  // namespace

TEST_CASE("herd report: the JSON holds every figure of every fleet", "[herd-plot]") {
  HerdPlot koprs = aviso_plot();
  koprs.fleet.label = "koprs";
  koprs.fleet.config = model::presets::koprs();
  koprs.fleet.shared_seed = 9;
  koprs.verdict = HerdVerdict{{1000, 40}, 1, 1000.0, 1127};
  koprs.streaming_99_ms.reset();
  koprs.streaming_again = 12;
  koprs.ended = 988;
  const std::vector<HerdPlot> plots{aviso_plot(), koprs};
  const std::string text = herd_json(plots);
  const auto j = nlohmann::json::parse(text);
  CHECK(j["format"] == "tether-herd/1");
  REQUIRE(j["fleets"].size() == 2);
  const auto& a = j["fleets"][0];
  CHECK(a["policy"] == "aviso");
  CHECK(a["jitter"] == "full");
  CHECK(a["clients"] == 1000);
  CHECK(a["shared_seed"].is_null());
  CHECK(a["recovery_at_ms"] == 13000);
  CHECK(a["attempts_per_bucket"] == nlohmann::json::array({47, 0, 40, 52, 13}));
  CHECK(a["peak"] == nlohmann::json({{"bucket", 3}, {"from_ms", 300}, {"attempts", 52}}));
  CHECK(a["busiest_window"]["attempts"] == 53);
  CHECK(a["busiest_window"]["from_ms"] == 57);
  CHECK(a["herd_bound"]["bound"] == 480);
  CHECK(a["herd_bound"]["policy_spreads"] == true);
  CHECK(a["flagged"] == false);
  CHECK(a["streaming_99"]["clients"] == 990);
  CHECK(a["streaming_99"]["after_ms"] == 7491);
  const auto& k = j["fleets"][1];
  CHECK(k["jitter"] == "none");
  CHECK(k["shared_seed"] == 9);
  CHECK(k["flagged"] == true);
  CHECK(k["herd_bound"]["policy_spreads"] == false);
  CHECK(k["herd_bound"]["widest_draw_ms"] == 1);
  CHECK(a["herd_bound"]["widest_draw_ms"] == 30000);
  CHECK(k["streaming_99"]["after_ms"].is_null());
  CHECK(k["gave_up_or_failed"] == 988);
  CHECK(text.back() == '\n');
}

TEST_CASE("herd report: a herd is flagged naming the policy, the peak and the bound",
          "[herd-plot]") {
  HerdPlot p = aviso_plot();
  CHECK(herd_flag_line(p).empty());
  CHECK(herd_not_recovered_line(p).empty());
  p.fleet.shared_seed = 42;
  p.verdict.peak = HerdPeak{1000, 1249};
  CHECK(herd_flag_line(p) ==
        "FLAGGED: aviso, 1000 clients, one shared seed 42: the busiest 100 ms window holds 1000 "
        "attempts (from 1249 ms after recovery; peak bucket 52), above the herd bound 480");
  p.fleet.label = "koprs";
  p.fleet.config.backoff.jitter = model::JitterKind::none;
  p.verdict = HerdVerdict{{1000, 40}, 1, 1000.0, 1127};
  CHECK(herd_flag_line(p).ends_with(
      ": jitter none cannot spread the fleet (its widest draw is 1 ms, no wider than the window; "
      "herd bound 1127)"));
}

TEST_CASE("herd report: a fleet that did not come back is said so", "[herd-plot]") {
  HerdPlot p = aviso_plot();
  p.streaming_99_ms.reset();
  p.streaming_again = 500;
  p.ended = 500;
  CHECK(herd_not_recovered_line(p) ==
        "NOT RECOVERED: aviso: 500 of 1000 clients streaming again within the horizon (335179 ms "
        "after recovery), fewer than 99 % (990); 500 gave up or failed");
  CHECK(herd_summary(p).find("verdict: within the herd bound; NOT RECOVERED\n") !=
        std::string::npos);
}

TEST_CASE("herd report: the summary gives the figures", "[herd-plot]") {
  const std::string s = herd_summary(aviso_plot());
  CHECK(s.starts_with("herd: aviso (jitter full), 1000 clients, own seeds (from seed 1)\n"));
  CHECK(s.find("  peak: 52 attempts in [300, 400) ms after recovery\n") != std::string::npos);
  CHECK(s.find("  busiest 100 ms window: 53 attempts from 57 ms after recovery; herd bound 480 "
               "(expected <= 400.0, 1 attempt(s) per client)\n") != std::string::npos);
  CHECK(s.find("  99 % streaming (990 of 1000 clients): 7491 ms after recovery\n") !=
        std::string::npos);
  CHECK(s.ends_with("  verdict: within the herd bound\n"));
}
