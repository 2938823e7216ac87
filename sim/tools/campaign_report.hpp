#pragma once
// A campaign's summary: the table a person reads, and the JSON report that
// `--json` prints, `--report FILE` writes and `tether-sim merge` combines.
//
// The report names the seeds it covers ("seeds": start, count, shard and how
// many of the shard's seeds ran), so shards can be merged into the report of
// the whole range, and are refused when they overlap, leave a gap, were
// interrupted or ran different policies.
#include <array>
#include <cstdint>
#include <cstdio>
#include <expected>
#include <string>
#include <vector>

#include "campaign_run.hpp"

namespace tether::sim::tools {

struct Report {
  std::string policy_config;  // "" for the swarm
  std::string policy_preset;  // the configuration's named base, if any
  std::uint64_t start = 1, count = 0;
  Shard shard;
  std::uint64_t covered = 0;  // of the shard's seeds, run in order (fewer: interrupted)
  std::uint64_t scenarios = 0, failed = 0, events = 0;
  std::array<std::uint64_t, guarantees_numbered + 1> violations{};  // [0]: could not run
  std::uint64_t pairs_reached = 0, pairs_total = 0;
  std::vector<std::string> never_reached;
  double wall_s = 0;              // merged: the shards' sum
  std::vector<Failure> failures;  // the lowest failing seeds
};

Report report_of(const Campaign& c, const Plan& plan);

void print_table(const Report& r);
void print_json(std::FILE* out, const Report& r);

// Writes the JSON report to `path`, whole or not at all (written aside, then
// renamed); the error names the file.
std::expected<void, std::string> write_report(const std::string& path, const Report& r);
// Removes an earlier report at `path` and checks that one can be written
// there (before a run that may take hours, not after it).
std::expected<void, std::string> prepare_report(const std::string& path);

// Reads a report back; the error names the file and the field.
std::expected<Report, std::string> read_report(const std::string& path);

// The shards' reports as the report of their whole range. Every report must
// have run the same policy to the end, and together they must cover their
// seeds exactly once: the shards 0/n .. n-1/n of one range, each once, or
// unsharded ranges that follow each other with no gap and no overlap. The
// error names the reports and the seeds at fault.
std::expected<Report, std::string> merge_reports(const std::vector<Report>& reports,
                                                 const std::vector<std::string>& paths);

}  // namespace tether::sim::tools
