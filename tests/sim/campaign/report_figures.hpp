#pragma once
// The figures of a `tether-sim run --report FILE` summary, for the documents'
// markers (doc_figures.hpp): the CLI's own campaigns (ctest
// sim_campaign_custom_config writes one) are checked like the shards'.
//
//   NAME.seeds (scenarios run), NAME.events, NAME.failed, NAME.pairs_reached
//
// where NAME is what `--report NAME=FILE` gave the check.
#include <cstdint>
#include <expected>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "doc_figures.hpp"

namespace tether::sim::campaign {

inline std::expected<void, std::string> add_report_figures(Figures& figures,
                                                           const std::string& name,
                                                           const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(path + ": cannot read (did the run that writes it pass?)");
  const nlohmann::json report = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!report.is_object() || !report.contains("coverage") || !report["coverage"].is_object())
    return std::unexpected(path + ": not a tether-sim run report");
  const auto count = [](const nlohmann::json& object,
                        const char* key) -> std::optional<std::uint64_t> {
    if (!object.contains(key) || !object[key].is_number_unsigned()) return std::nullopt;
    return object[key].get<std::uint64_t>();
  };
  const auto scenarios = count(report, "scenarios");
  const auto events = count(report, "events");
  const auto failed = count(report, "failed");
  const auto reached = count(report["coverage"], "reached");
  if (!scenarios || !events || !failed || !reached)
    return std::unexpected(path +
                           ": a report without scenarios, events, failed or coverage.reached");
  figures.emplace(name + ".seeds", *scenarios);
  figures.emplace(name + ".events", *events);
  figures.emplace(name + ".failed", *failed);
  figures.emplace(name + ".pairs_reached", *reached);
  return {};
}

}  // namespace tether::sim::campaign
