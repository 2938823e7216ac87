// Docs that cannot drift (tests/sim/campaign/doc_figures.hpp): a figure marked
// in a document must be the number the campaign measured; a wrong number, an
// unknown name or a marker with no number before it fails, naming file and
// line. The real documents' markers all name known figures.
#include "campaign/doc_figures.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "campaign/report_figures.hpp"

namespace campaign = tether::sim::campaign;

namespace {

// The custom.* figures come from a `tether-sim run --report` file
// (report_figures.hpp); only their names matter here.
const campaign::Figures measured{{"campaign.seeds", 10000},
                                 {"campaign.events", 21856988},
                                 {"campaign.pairs", 144},
                                 {"campaign.pairs_reached", 78},
                                 {"campaign.pairs_unreachable", 66},
                                 {"custom.seeds", 10000},
                                 {"custom.events", 18940434},
                                 {"custom.failed", 0},
                                 {"custom.pairs_reached", 54}};

campaign::FigureCheck check(const std::string& text) {
  campaign::FigureCheck out;
  campaign::check_figures(measured, "doc.md", text, out);
  return out;
}

}  // namespace

TEST_CASE("figures as measured pass, with or without thousands separators", "[campaign][docs]") {
  const auto ok = check(
      "10,000<!-- figure campaign.seeds --> scenarios,\n"
      "21,856,988<!-- figure campaign.events --> events, 78<!-- figure campaign.pairs_reached -->"
      " of 144<!-- figure campaign.pairs --> (21856988<!-- figure campaign.events -->)");
  CHECK(ok.problems.empty());
  CHECK(ok.checked == 5);
  CHECK(check("no figures here").checked == 0);
}

TEST_CASE("a figure that drifted is named with its file and line", "[campaign][docs]") {
  const auto drifted = check("intro\n21,856,989<!-- figure campaign.events --> events\n");
  CHECK(drifted.checked == 0);
  CHECK(drifted.problems ==
        "doc.md:2: campaign.events is written 21856989, but the campaign measured 21856988\n");
}

TEST_CASE("unknown names, missing numbers and broken markers fail", "[campaign][docs]") {
  CHECK(check("12<!-- figure campaign.bogus -->").problems ==
        "doc.md:1: unknown figure 'campaign.bogus'\n");
  CHECK(check("about <!-- figure campaign.seeds -->").problems ==
        "doc.md:1: no number before the marker of 'campaign.seeds'\n");
  CHECK(check("1,<!-- figure campaign.seeds -->").problems ==
        "doc.md:1: no number before the marker of 'campaign.seeds'\n");
  CHECK(check("10000<!-- figure campaign.seeds").problems ==
        "doc.md:1: an unterminated figure marker\n");
  CHECK(campaign::figure_value("99,999,999,999,999,999,999") == std::nullopt);  // overflow
}

TEST_CASE("the committed documents' figure markers name known figures", "[campaign][docs]") {
  for (const char* doc : {"/../README.md", "/simulation.md"}) {
    const std::string path = std::string(TETHER_DOCS_DIR) + doc;
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    campaign::FigureCheck out;
    campaign::check_figures(measured, path, text, out);
    // Values are the campaign's to check (ctest docs_campaign_figures); here,
    // only that every marker is well-formed and known.
    CAPTURE(out.problems);
    CHECK(out.problems.find("unknown figure") == std::string::npos);
    CHECK(out.problems.find("no number") == std::string::npos);
    CHECK(out.problems.find("unterminated") == std::string::npos);
  }
}

TEST_CASE("a tether-sim run report's figures are read by name, a report without one is refused",
          "[campaign][docs]") {
  const std::string path = "doc_figures_test_report.json";
  {
    std::ofstream out(path, std::ios::binary);
    out << R"({"scenarios": 40, "failed": 0, "events": 81234,
              "coverage": {"reached": 61, "total": 144, "never_reached": []}})";
  }
  campaign::Figures figures;
  REQUIRE(campaign::add_report_figures(figures, "custom", path));
  CHECK(figures.at("custom.seeds") == 40);
  CHECK(figures.at("custom.events") == 81234);
  CHECK(figures.at("custom.failed") == 0);
  CHECK(figures.at("custom.pairs_reached") == 61);
  {
    std::ofstream out(path, std::ios::binary);
    out << R"({"scenarios": 40, "failed": 0, "coverage": {"reached": 61}})";
  }
  const auto refused = campaign::add_report_figures(figures, "custom", path);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().find("events") != std::string::npos);
  std::remove(path.c_str());
  CHECK_FALSE(
      campaign::add_report_figures(figures, "custom", path));  // missing: named, not a crash
}
