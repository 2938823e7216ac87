#include <cinttypes>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <tether/model/names.hpp>
#include <tether/sim/herd_report.hpp>

#include "printf_string.hpp"

namespace tether::sim {

namespace {

using Json = nlohmann::ordered_json;  // keys in the order written

std::string jitter_of(const HerdFleet& fleet) {
  return std::string(model::name_of(fleet.config.backoff.jitter));
}

std::string streaming_line(const HerdPlot& p) {
  const auto needed = clients_99(p.fleet.clients);
  if (p.streaming_99_ms)
    return printf_string("99 %% streaming (%zu of %u clients): %" PRId64 " ms after recovery",
                         needed, p.fleet.clients, *p.streaming_99_ms);
  return printf_string(
      "99 %% streaming (%zu of %u clients): not within the horizon (%u streaming again)", needed,
      p.fleet.clients, p.streaming_again);
}

Json fleet_json(const HerdPlot& p) {
  const HerdFleet& f = p.fleet;
  Json j;
  j["policy"] = f.label;
  j["jitter"] = jitter_of(f);
  j["clients"] = f.clients;
  j["seed"] = f.seed;
  j["shared_seed"] = f.shared_seed ? Json(*f.shared_seed) : Json(nullptr);
  j["outage_ms"] = f.outage_ms;
  j["outage_at_ms"] = p.outage_at_ms;
  j["recovery_at_ms"] = p.recovery_at_ms;
  j["horizon_ms"] = p.horizon_ms;
  j["bucket_ms"] = f.bucket_ms;
  j["streaming_at_outage"] = p.streaming_at_outage;
  j["attempts_after_recovery"] = p.attempts_total;
  j["attempts_per_bucket"] = p.attempts;
  j["peak"] = Json{{"bucket", p.peak.index},
                   {"from_ms", static_cast<Ms>(p.peak.index) * f.bucket_ms},
                   {"attempts", p.peak.attempts}};
  j["busiest_window"] = Json{{"window_ms", f.bucket_ms},
                             {"from_ms", p.verdict.peak.window_start_ms},
                             {"attempts", p.verdict.peak.attempts}};
  j["herd_bound"] = Json{{"bound", p.verdict.bound},
                         {"expected_max", p.verdict.expected_max},
                         {"attempts_per_client_max", p.verdict.attempts_max},
                         {"widest_draw_ms", widest_draw_ms(f.config.backoff)},
                         {"policy_spreads", p.spreads()}};
  j["flagged"] = p.flagged();
  j["streaming_99"] =
      Json{{"clients", clients_99(f.clients)},
           {"after_ms", p.streaming_99_ms ? Json(*p.streaming_99_ms) : Json(nullptr)}};
  j["streaming_again"] = p.streaming_again;
  j["gave_up_or_failed"] = p.ended;
  j["violations"] = p.violations_count;
  return j;
}

}  // namespace

std::string seeding_of(const HerdFleet& fleet) {
  if (fleet.shared_seed) return printf_string("one shared seed %" PRIu64, *fleet.shared_seed);
  return printf_string("own seeds (from seed %" PRIu64 ")", fleet.seed);
}

std::string herd_summary(const HerdPlot& p) {
  const HerdFleet& f = p.fleet;
  std::string out;
  out += printf_string("herd: %s (jitter %s), %u clients, %s\n", f.label.c_str(),
                       jitter_of(f).c_str(), f.clients, seeding_of(f).c_str());
  out += printf_string(
      "  outage: %" PRId64 " ms from %" PRId64 " ms (%u clients streaming), recovery at %" PRId64
      " ms, horizon %" PRId64 " ms after it\n",
      f.outage_ms, p.outage_at_ms, p.streaming_at_outage, p.recovery_at_ms, p.horizon_ms);
  out += printf_string("  attempts after recovery: %" PRIu64 " in %zu buckets of %" PRId64 " ms\n",
                       p.attempts_total, p.attempts.size(), f.bucket_ms);
  out += printf_string("  peak: %u attempts in [%" PRId64 ", %" PRId64 ") ms after recovery\n",
                       p.peak.attempts, static_cast<Ms>(p.peak.index) * f.bucket_ms,
                       static_cast<Ms>(p.peak.index + 1) * f.bucket_ms);
  out += printf_string(
      "  busiest %" PRId64 " ms window: %zu attempts from %" PRId64
      " ms after recovery; herd bound %zu (expected <= %.1f, %u attempt(s) per client)\n",
      f.bucket_ms, p.verdict.peak.attempts, p.verdict.peak.window_start_ms, p.verdict.bound,
      p.verdict.expected_max, p.verdict.attempts_max);
  out += "  " + streaming_line(p) + "\n";
  std::string verdict = p.flagged() ? "FLAGGED (a herd)" : "within the herd bound";
  if (!p.recovered()) verdict += "; NOT RECOVERED";
  if (p.violations_count > 0) verdict += printf_string("; %zu violation(s)", p.violations_count);
  out += "  verdict: " + verdict + "\n";
  return out;
}

std::string herd_flag_line(const HerdPlot& p) {
  if (!p.flagged()) return {};
  const HerdFleet& f = p.fleet;
  std::string line = printf_string(
      "FLAGGED: %s, %u clients, %s: the busiest %" PRId64
      " ms window holds %zu attempts (from %" PRId64 " ms after recovery; peak bucket %u)",
      f.label.c_str(), f.clients, seeding_of(f).c_str(), f.bucket_ms, p.verdict.peak.attempts,
      p.verdict.peak.window_start_ms, p.peak.attempts);
  if (!p.verdict.ok()) return line + printf_string(", above the herd bound %zu", p.verdict.bound);
  return line + printf_string(": jitter %s cannot spread the fleet (its widest draw is %" PRId64
                              " ms, no wider than the window; herd bound %zu)",
                              jitter_of(f).c_str(), widest_draw_ms(f.config.backoff),
                              p.verdict.bound);
}

std::string herd_not_recovered_line(const HerdPlot& p) {
  if (p.recovered()) return {};
  return printf_string(
      "NOT RECOVERED: %s: %u of %u clients streaming again within the horizon (%" PRId64
      " ms after recovery), fewer than 99 %% (%zu); %u gave up or failed",
      p.fleet.label.c_str(), p.streaming_again, p.fleet.clients, p.horizon_ms,
      clients_99(p.fleet.clients), p.ended);
}

std::string herd_json(std::span<const HerdPlot> plots) {
  Json j;
  j["format"] = herd_format;
  Json fleets = Json::array();
  for (const HerdPlot& p : plots) fleets.push_back(fleet_json(p));
  j["fleets"] = std::move(fleets);
  return j.dump(2) + "\n";
}

}  // namespace tether::sim
