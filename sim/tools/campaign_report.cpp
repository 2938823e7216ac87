#include "campaign_report.hpp"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <utility>

namespace tether::sim::tools {

namespace {

using Json = nlohmann::ordered_json;  // keys in the order written

std::string policy_text(const Report& r) {
  if (r.policy_config.empty()) return "swarm (a preset with variations, per seed)";
  return r.policy_config +
         (r.policy_preset.empty() ? " (no preset base)"
                                  : " (preset base " + r.policy_preset + ")") +
         ", varied: world, fleet, faults only";
}

std::string shard_text(const Shard& s) {
  return std::to_string(s.index) + "/" + std::to_string(s.count);
}

Plan plan_of(const Report& r) {
  Plan p;
  p.start = r.start;
  p.count = r.count;
  p.shard = r.shard;
  p.policy.file = r.policy_config;
  return p;
}

Json json_of(const Report& r) {
  Json violations = Json::object();
  for (std::size_t g = 1; g <= guarantees_numbered; ++g)
    violations[std::to_string(g)] = r.violations[g];
  Json failures = Json::array();
  for (const Failure& f : r.failures)
    failures.push_back(
        {{"seed", f.seed}, {"replay", reproduce(plan_of(r).policy, f.seed)}, {"what", f.what}});
  return Json{{"policy",
               {{"config", r.policy_config.empty() ? Json(nullptr) : Json(r.policy_config)},
                {"preset", r.policy_config.empty()   ? Json("swarm")
                           : r.policy_preset.empty() ? Json(nullptr)
                                                     : Json(r.policy_preset)}}},
              {"seeds",
               {{"start", r.start},
                {"count", r.count},
                {"shard", shard_text(r.shard)},
                {"covered", r.covered}}},
              {"scenarios", r.scenarios},
              {"failed", r.failed},
              {"events", r.events},
              {"violations", violations},
              {"could_not_run", r.violations[0]},
              {"coverage",
               {{"reached", r.pairs_reached},
                {"total", r.pairs_total},
                {"never_reached", r.never_reached}}},
              {"wall_s", r.wall_s},
              {"events_per_s", r.wall_s > 0 ? static_cast<double>(r.events) / r.wall_s : 0.0},
              {"failures", failures}};
}

}  // namespace

Report report_of(const Campaign& c, const Plan& plan) {
  Report r;
  r.policy_config = plan.policy.file;
  r.policy_preset = plan.policy.preset;
  r.start = plan.start;
  r.count = plan.count;
  r.shard = plan.shard;
  r.covered = c.seeds_covered;
  r.scenarios = c.scenarios;
  r.failed = c.failed;
  r.events = c.events;
  r.violations = c.violations;
  r.pairs_reached = c.coverage.pairs_reached();
  r.pairs_total = phase_count * event_count;
  r.never_reached = c.coverage.never_reached();
  std::sort(r.never_reached.begin(), r.never_reached.end());
  r.wall_s = c.wall_s;
  r.failures = c.failures;
  return r;
}

void print_table(const Report& r) {
  const double rate = r.wall_s > 0 ? static_cast<double>(r.events) / r.wall_s : 0;
  std::printf("policy             %s\n", policy_text(r).c_str());
  std::printf("scenarios          %" PRIu64 "\n", r.scenarios);
  std::printf("failed scenarios   %" PRIu64 "\n", r.failed);
  std::printf("events             %" PRIu64 "\n", r.events);
  std::printf("violations         ");
  for (std::size_t g = 1; g <= guarantees_numbered; ++g)
    std::printf("g%zu:%" PRIu64 " ", g, r.violations[g]);
  std::printf("\n");
  if (r.violations[0] > 0) std::printf("could not run      %" PRIu64 "\n", r.violations[0]);
  std::printf("coverage           %" PRIu64 "/%" PRIu64 " (state, event) pairs\n", r.pairs_reached,
              r.pairs_total);
  std::printf("wall time          %.2f s\n", r.wall_s);
  std::printf("events/s           %.0f\n", rate);
  const Plan plan = plan_of(r);
  if (r.covered < seeds_of(plan)) {
    std::printf("INTERRUPTED        after %" PRIu64 " of the shard's %" PRIu64 " seeds", r.covered,
                seeds_of(plan));
    if (r.covered > 0)
      std::printf(
          " (seeds %" PRIu64 "..%" PRIu64 "%s)", seed_at(plan, 0), seed_at(plan, r.covered - 1),
          r.shard.count > 1 ? (", every " + std::to_string(r.shard.count) + "th").c_str() : "");
    std::printf("\n");
  }
  for (const Failure& f : r.failures)
    std::printf("\nFAILED seed %" PRIu64 "\n%s  reproduce: %s\n", f.seed, f.what.c_str(),
                reproduce(plan.policy, f.seed).c_str());
  if (r.failed > r.failures.size())
    std::printf("\n... and %" PRIu64 " more failed seeds\n", r.failed - r.failures.size());
}

void print_json(std::FILE* out, const Report& r) {
  std::fprintf(out, "%s\n", json_of(r).dump(2).c_str());
}

std::expected<void, std::string> prepare_report(const std::string& path) {
  std::remove(path.c_str());
  const std::string partial = path + ".partial";
  std::FILE* probe = std::fopen(partial.c_str(), "w");
  if (probe == nullptr) return std::unexpected("--report " + path + ": " + std::strerror(errno));
  std::fclose(probe);
  std::remove(partial.c_str());
  return {};
}

std::expected<void, std::string> write_report(const std::string& path, const Report& r) {
  const std::string partial = path + ".partial";
  std::FILE* out = std::fopen(partial.c_str(), "w");
  if (out == nullptr) return std::unexpected("--report " + path + ": " + std::strerror(errno));
  print_json(out, r);
  const bool written = std::fflush(out) == 0 && std::ferror(out) == 0;
  if (std::fclose(out) != 0 || !written || std::rename(partial.c_str(), path.c_str()) != 0) {
    std::remove(partial.c_str());
    return std::unexpected("--report " + path + ": cannot write it");
  }
  return {};
}

namespace {

// Reading: each field, or an error naming it.
struct Reader {
  const std::string& path;
  std::string error;

  const Json* at(const Json& object, const char* key) {
    if (!error.empty()) return nullptr;
    if (!object.is_object() || !object.contains(key)) {
      error = path + ": field '" + key + "' is missing";
      return nullptr;
    }
    return &object.at(key);
  }
  std::uint64_t count(const Json& object, const char* key) {
    const Json* v = at(object, key);
    if (v == nullptr) return 0;
    if (!v->is_number_unsigned()) {
      error = path + ": field '" + key + "': expected an unsigned integer";
      return 0;
    }
    return v->get<std::uint64_t>();
  }
  std::string text(const Json& object, const char* key) {
    const Json* v = at(object, key);
    if (v == nullptr || v->is_null()) return "";
    if (!v->is_string()) {
      error = path + ": field '" + key + "': expected a string or null";
      return "";
    }
    return v->get<std::string>();
  }
};

void read_seeds(Reader& in, const Json& doc, Report& r) {
  const Json* seeds = in.at(doc, "seeds");
  if (seeds == nullptr) return;
  r.start = in.count(*seeds, "start");
  r.count = in.count(*seeds, "count");
  r.covered = in.count(*seeds, "covered");
  const std::string shard = in.text(*seeds, "shard");
  const auto parsed = parse_shard(shard);
  if (in.error.empty() && !parsed)
    in.error = in.path + ": field 'shard': expected i/n, got " + shard;
  if (parsed) r.shard = *parsed;
}

void read_outcome(Reader& in, const Json& doc, Report& r) {
  r.scenarios = in.count(doc, "scenarios");
  r.failed = in.count(doc, "failed");
  r.events = in.count(doc, "events");
  r.violations[0] = in.count(doc, "could_not_run");
  if (const Json* v = in.at(doc, "violations"))
    for (std::size_t g = 1; g <= guarantees_numbered; ++g)
      r.violations[g] = in.count(*v, std::to_string(g).c_str());
  if (const Json* cov = in.at(doc, "coverage")) {
    r.pairs_reached = in.count(*cov, "reached");
    r.pairs_total = in.count(*cov, "total");
    if (const Json* never = in.at(*cov, "never_reached"); never && never->is_array())
      for (const Json& name : *never)
        if (name.is_string()) r.never_reached.push_back(name.get<std::string>());
    std::sort(r.never_reached.begin(), r.never_reached.end());
  }
  if (const Json* w = in.at(doc, "wall_s"); w && w->is_number()) r.wall_s = w->get<double>();
  if (const Json* fs = in.at(doc, "failures"); fs && fs->is_array())
    for (const Json& f : *fs)
      r.failures.push_back(Failure{in.count(f, "seed"), in.text(f, "what")});
}

// The reports' seeds, checked to be one range covered exactly once.
std::expected<void, std::string> check_tiling(const std::vector<Report>& reports,
                                              const std::vector<std::string>& paths) {
  const Report& a = reports.front();
  if (a.shard.count > 1) {
    constexpr std::size_t none = SIZE_MAX;
    // Checked before the table below is sized by it: a report names the count.
    if (a.shard.count > reports.size())
      return std::unexpected(paths[0] + " is one of " + std::to_string(a.shard.count) +
                             " shards, but " + std::to_string(reports.size()) +
                             " reports were given: the missing shards' seeds would be a gap");
    std::vector<std::size_t> seen(a.shard.count, none);
    for (std::size_t k = 0; k < reports.size(); ++k) {
      const Report& r = reports[k];
      if (r.start != a.start || r.count != a.count || r.shard.count != a.shard.count)
        return std::unexpected(paths[k] + " is not a shard of the range of " + paths[0] +
                               " (seeds " + std::to_string(a.start) + ", " +
                               std::to_string(a.count) + " of them, in " +
                               std::to_string(a.shard.count) + " shards)");
      if (seen[r.shard.index] != none)
        return std::unexpected(paths[k] + " and " + paths[seen[r.shard.index]] +
                               " are both shard " + shard_text(r.shard) + ": their seeds overlap");
      seen[r.shard.index] = k;
    }
    for (std::size_t i = 0; i < seen.size(); ++i)
      if (seen[i] == none)
        return std::unexpected("shard " + std::to_string(i) + "/" + std::to_string(a.shard.count) +
                               " is missing: its seeds would be a gap");
    return {};
  }
  std::vector<std::size_t> order(reports.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(),
            [&](std::size_t x, std::size_t y) { return reports[x].start < reports[y].start; });
  for (std::size_t k = 0; k < reports.size(); ++k)
    if (reports[k].shard.count != 1)
      return std::unexpected(paths[k] + " is a shard, " + paths[0] +
                             " a whole range: merge shards of one range, or whole ranges");
  for (std::size_t k = 1; k < order.size(); ++k) {
    const Report& before = reports[order[k - 1]];
    const Report& next = reports[order[k]];
    const std::uint64_t end = before.start + before.count;  // one past its last seed
    if (next.start < end)
      return std::unexpected(paths[order[k]] + " and " + paths[order[k - 1]] + " overlap at seed " +
                             std::to_string(next.start));
    if (next.start > end)
      return std::unexpected("seeds " + std::to_string(end) + ".." +
                             std::to_string(next.start - 1) + " are in no report (a gap between " +
                             paths[order[k - 1]] + " and " + paths[order[k]] + ")");
  }
  return {};
}

}  // namespace

std::expected<Report, std::string> read_report(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return std::unexpected(path + ": cannot read the file");
  const Json doc = Json::parse(file, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object())
    return std::unexpected(path + ": not JSON (a tether-sim run --report file?)");
  Reader in{path, {}};
  Report r;
  if (const Json* policy = in.at(doc, "policy")) {
    r.policy_config = in.text(*policy, "config");
    r.policy_preset = in.text(*policy, "preset");
    if (r.policy_config.empty()) r.policy_preset.clear();  // "swarm"
  }
  read_seeds(in, doc, r);
  read_outcome(in, doc, r);
  if (!in.error.empty()) return std::unexpected(in.error);
  return r;
}

std::expected<Report, std::string> merge_reports(const std::vector<Report>& reports,
                                                 const std::vector<std::string>& paths) {
  if (reports.empty()) return std::unexpected("no report to merge");
  const Report& a = reports.front();
  for (std::size_t k = 0; k < reports.size(); ++k) {
    const Report& r = reports[k];
    if (r.policy_config != a.policy_config || r.policy_preset != a.policy_preset)
      return std::unexpected(paths[k] + " ran another policy than " + paths[0] + " (" +
                             policy_text(r) + " against " + policy_text(a) + ")");
    if (r.pairs_total != a.pairs_total)
      return std::unexpected(paths[k] + " counts " + std::to_string(r.pairs_total) +
                             " (state, event) pairs, " + paths[0] + " " +
                             std::to_string(a.pairs_total) + ": another tether version");
    if (r.covered != seeds_of(plan_of(r)))
      return std::unexpected(paths[k] + " was interrupted after " + std::to_string(r.covered) +
                             " of its " + std::to_string(seeds_of(plan_of(r))) +
                             " seeds: rerun it whole");
  }
  if (auto tiled = check_tiling(reports, paths); !tiled) return std::unexpected(tiled.error());
  Report m = a;
  m.shard = Shard{};
  m.start = a.start;
  m.count = 0;
  m.scenarios = m.failed = m.events = 0;
  m.violations = {};
  m.wall_s = 0;
  m.failures.clear();
  std::vector<std::string> never = a.never_reached;
  for (const Report& r : reports) {
    m.start = std::min(m.start, r.start);
    m.count = a.shard.count > 1 ? a.count : m.count + r.count;
    m.scenarios += r.scenarios;
    m.failed += r.failed;
    m.events += r.events;
    for (std::size_t g = 0; g < m.violations.size(); ++g) m.violations[g] += r.violations[g];
    m.wall_s += r.wall_s;
    m.failures.insert(m.failures.end(), r.failures.begin(), r.failures.end());
    std::vector<std::string> both;
    std::set_intersection(never.begin(), never.end(), r.never_reached.begin(),
                          r.never_reached.end(), std::back_inserter(both));
    never = std::move(both);
  }
  m.covered = m.count;
  m.never_reached = std::move(never);
  m.pairs_reached = m.pairs_total - m.never_reached.size();
  std::sort(m.failures.begin(), m.failures.end(),
            [](const Failure& x, const Failure& y) { return x.seed < y.seed; });
  if (m.failures.size() > failures_kept_max) m.failures.resize(failures_kept_max);
  return m;
}

}  // namespace tether::sim::tools
