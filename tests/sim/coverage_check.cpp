// (state, event) coverage as a CI assertion (tests/sim/campaign/coverage_file.hpp):
// the check that ctest sim_campaign_coverage runs over the campaign's shards
// fails on a reachable pair missed, on a listed pair reached and on shards that
// do not cover the seeds; the list of unreachable pairs is well-formed and
// docs/simulation.md names the same pairs.
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "campaign/coverage_file.hpp"

using namespace tether::sim;
namespace campaign = tether::sim::campaign;

namespace {

const std::string list_path = std::string(TETHER_SIM_CAMPAIGN_DIR) + "/unreachable_pairs.txt";

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A campaign's coverage that reaches exactly the pairs not listed (each by
// `seeds` seeds), written as shard files for seeds first..last.
struct Shards {
  std::filesystem::path dir;
  Coverage coverage;
  campaign::SeedCounts seeds{};

  explicit Shards(const std::string& name)
      : dir(std::filesystem::temp_directory_path() / "tether_coverage_check" / name) {
    std::filesystem::create_directories(dir);
    const auto listed = campaign::read_unreachable(list_path).value();
    for (std::size_t k = 0; k < campaign::pair_names().size(); ++k)
      if (!listed.contains(campaign::pair_names()[k])) set(campaign::pair_names()[k], 3);
  }
  void set(const std::string& pair, std::uint64_t n) {
    const std::size_t k = campaign::pair_index(pair);
    coverage.counts[k / event_count][k % event_count] = n * 10;
    seeds[k / event_count][k % event_count] = n;
  }
  std::string write(std::uint64_t first, std::uint64_t last) const {
    const std::string path = (dir / ("shard_" + std::to_string(first) + ".coverage")).string();
    REQUIRE(campaign::write_coverage(path, first, last, coverage, seeds));
    return path;
  }
};

}  // namespace

TEST_CASE("coverage: the unreachable list names known pairs, each with a reason", "[coverage]") {
  const auto listed = campaign::read_unreachable(list_path);
  INFO((listed ? std::string() : listed.error()));
  REQUIRE(listed);
  CHECK(listed->size() == 73);
  for (const auto& [pair, reason] : *listed) {
    CHECK(campaign::pair_index(pair) < campaign::pair_names().size());
    CHECK(reason.size() > 20);
  }
  std::istringstream bad("Idle/Tick\n");
  CHECK_FALSE(campaign::read_unreachable(bad, "x"));  // a pair before any reason
  std::istringstream unknown("reason: r\nIdle/Nap\n");
  CHECK_FALSE(campaign::read_unreachable(unknown, "x"));
  std::istringstream twice("reason: r\nIdle/Tick\nIdle/Tick\n");
  CHECK_FALSE(campaign::read_unreachable(twice, "x"));
}

TEST_CASE("coverage: docs/simulation.md names the same unreachable pairs as the list",
          "[coverage]") {
  const std::string docs = read_all(std::string(TETHER_DOCS_DIR) + "/simulation.md");
  // The table after "The pairs that cannot occur" in the Coverage section.
  const auto section = docs.find("## Coverage");
  REQUIRE(section != std::string::npos);
  const auto from = docs.find("The pairs that cannot occur", section);
  REQUIRE(from != std::string::npos);
  const auto table = docs.find("\n|", from);
  REQUIRE(table != std::string::npos);
  const std::string rows = docs.substr(table, docs.find("\n\n", table) - table);
  std::set<std::string> named;
  const std::regex pair("`([A-Za-z]+/[A-Za-z]+)`");
  for (auto it = std::sregex_iterator(rows.begin(), rows.end(), pair); it != std::sregex_iterator();
       ++it)
    named.insert((*it)[1]);
  std::set<std::string> listed;
  const auto list = campaign::read_unreachable(list_path).value();
  for (const auto& [p, reason] : list) listed.insert(p);
  CHECK(named == listed);
}

TEST_CASE("coverage: the check fails on a reachable pair missed and on a listed pair reached",
          "[coverage]") {
  Shards s("fine");
  const std::string a = s.write(1, 5000);
  const std::string b = s.write(5001, 10000);
  const auto fine = campaign::check_coverage(list_path, 1, 10000, {a, b});
  INFO(fine.report);
  CHECK(fine.ok);
  CHECK(fine.report.find("117 of 190") != std::string::npos);

  Shards missed("missed");
  missed.set("Confirming/ServerRejected", 0);
  const auto m = campaign::check_coverage(list_path, 1, 10000,
                                          {missed.write(1, 5000), missed.write(5001, 10000)});
  CHECK_FALSE(m.ok);
  CHECK(m.report.find("NEVER REACHED, and not listed as unreachable: Confirming/ServerRejected") !=
        std::string::npos);

  Shards wrong("wrong");
  wrong.set("Stopped/Tick", 1);
  const auto w = campaign::check_coverage(list_path, 1, 10000, {a, wrong.write(5001, 10000)});
  CHECK_FALSE(w.ok);
  CHECK(w.report.find("REACHED although listed as unreachable: Stopped/Tick") != std::string::npos);
  CHECK(w.report.find("no deadline") != std::string::npos);  // the reason the list gave
}

TEST_CASE("coverage: the check fails unless the shards cover the seeds exactly", "[coverage]") {
  Shards s("ranges");
  const std::string a = s.write(1, 5000);
  const std::string b = s.write(5001, 10000);
  CHECK_FALSE(campaign::check_coverage(list_path, 1, 10000, {a}).ok);        // a shard missing
  CHECK_FALSE(campaign::check_coverage(list_path, 1, 10000, {a, a, b}).ok);  // twice
  CHECK_FALSE(campaign::check_coverage(list_path, 1, 20000, {a, b}).ok);     // a stale range
  std::filesystem::remove(b);
  const auto gone =
      campaign::check_coverage(list_path, 1, 10000, {a, b});  // a shard that left no file
  CHECK_FALSE(gone.ok);
  CHECK(gone.report.find("missing") != std::string::npos);
  std::ofstream(b) << "tether-sim-coverage/1\nseeds 5001 10000\nIdle/Started 1 1\n";
  CHECK_FALSE(campaign::check_coverage(list_path, 1, 10000, {a, b}).ok);  // truncated
}
