// The herd plot drawn (sim/include/tether/sim/herd_svg.hpp): well-formed SVG
// with a bar per non-empty bucket, the marks where the figures put them, the
// comparison overlaid, and names escaped.
#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <tether/model/presets.hpp>
#include <tether/sim/herd_svg.hpp>
#include <vector>

using namespace tether::sim;
namespace model = tether::model;

namespace {

HerdPlot plot(std::string label, std::vector<std::uint32_t> attempts, std::size_t bound) {
  HerdPlot p;
  p.fleet.label = std::move(label);
  p.fleet.config = model::presets::aviso();
  p.fleet.clients = 100;
  p.horizon_ms = 60000;
  p.attempts = std::move(attempts);
  for (std::size_t k = 0; k < p.attempts.size(); ++k)
    if (p.attempts[k] > p.peak.attempts) p.peak = HerdBucket{k, p.attempts[k]};
  p.verdict = HerdVerdict{{p.peak.attempts, 0}, 1, 40.0, bound};
  p.streaming_99_ms = 1234;
  return p;
}

std::size_t count(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Well-formed XML, as far as this SVG goes: tags nest and close, attribute
// values are quoted, and text holds no bare '<' or '&'. Empty: well-formed;
// else what is wrong.
std::string xml_problem(std::string_view x) {
  std::vector<std::string> open;
  std::size_t i = 0;
  while (i < x.size()) {
    if (x[i] == '&') {
      const auto semi = x.find(';', i);
      const std::string_view entity =
          x.substr(i, semi == std::string_view::npos ? 1 : semi - i + 1);
      if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;")
        return "bare & at " + std::to_string(i);
    }
    if (x[i] != '<') {
      ++i;
      continue;
    }
    const auto end = x.find('>', i);
    if (end == std::string_view::npos) return "unclosed tag at " + std::to_string(i);
    const std::string_view tag = x.substr(i + 1, end - i - 1);
    if (count(tag, "\"") % 2 != 0 || tag.find('<') != std::string_view::npos)
      return "bad tag at " + std::to_string(i);
    const std::string name(tag.substr(
        tag.starts_with('/') ? 1 : 0,
        tag.find_first_of(" />", tag.starts_with('/') ? 1 : 0) - (tag.starts_with('/') ? 1 : 0)));
    if (tag.starts_with('/')) {
      if (open.empty() || open.back() != name) return "</" + name + "> closes nothing open";
      open.pop_back();
    } else if (!tag.ends_with('/')) {
      open.push_back(name);
    }
    i = end + 1;
  }
  return open.empty() ? std::string() : "<" + open.back() + "> never closed";
}

}  // namespace

TEST_CASE("herd svg: ticks step by 1, 2 or 5 times a power of ten", "[herd-plot]") {
  CHECK(nice_step(1, 10) == 1);
  CHECK(nice_step(10, 10) == 1);
  CHECK(nice_step(11, 10) == 2);
  CHECK(nice_step(47, 8) == 10);
  CHECK(nice_step(1000, 8) == 200);
  CHECK(nice_step(16000, 10) == 2000);
  CHECK(nice_step(335179, 10) == 50000);
  CHECK(nice_step(7, 1) == 10);
  CHECK(nice_step(0, 10) == 1);
}

TEST_CASE("herd svg: a well-formed plot with a bar per non-empty bucket", "[herd-plot]") {
  const std::vector<HerdPlot> one{plot("aviso", {5, 0, 7, 12, 0, 3}, 20)};
  const std::string svg = herd_svg(one);
  INFO(svg);
  CHECK(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  CHECK(svg.ends_with("</svg>\n"));
  CHECK(xml_problem(svg).empty());
  CHECK(count(svg, "<rect class=\"bar\"") == 4);
  CHECK(count(svg, "class=\"peak\"") == 1);
  CHECK(svg.find("peak 12 at 300 ms") != std::string::npos);
  CHECK(count(svg, "class=\"streaming-99\"") == 1);
  CHECK(svg.find("99 % streaming: 1234 ms") != std::string::npos);
  CHECK(count(svg, "class=\"bound\"") == 1);  // 20 is within twice the peak: drawn
  CHECK(svg.find("time after the server's recovery (s)") != std::string::npos);
  CHECK(svg.find("connection attempts per 100 ms") != std::string::npos);
  CHECK(svg.find("within the herd bound") != std::string::npos);
  CHECK(count(svg, "class=\"fleet-1 step\"") == 0);
  // The same plots, the same bytes.
  CHECK(herd_svg(one) == svg);
}

TEST_CASE("herd svg: a bound far above the bars is given in the legend, not drawn", "[herd-plot]") {
  std::vector<HerdPlot> one{plot("aviso", {5, 7}, 480)};
  one[0].streaming_99_ms.reset();
  const std::string svg = herd_svg(one);
  CHECK(xml_problem(svg).empty());
  CHECK(count(svg, "class=\"bound\"") == 0);
  CHECK(svg.find("herd bound 480 (above the axis)") != std::string::npos);
  CHECK(count(svg, "class=\"streaming-99\"") == 0);
  CHECK(svg.find("99 % NOT streaming by 60000 ms") != std::string::npos);
  // A fleet that never came back made no attempt: no bar, no peak to mark.
  one[0].attempts.clear();
  one[0].peak = HerdBucket{};
  const std::string none = herd_svg(one);
  CHECK(xml_problem(none).empty());
  CHECK(count(none, "<rect class=\"bar\"") == 0);
  CHECK(count(none, "class=\"peak\"") == 0);
  CHECK(none.find("no attempt after the recovery") != std::string::npos);
}

TEST_CASE("herd svg: the comparison is overlaid as a step line, names escaped", "[herd-plot]") {
  std::vector<HerdPlot> two{plot("a<b>&\"c\".json", {5, 0, 7}, 30), plot("koprs", {100}, 117)};
  two[1].fleet.config = model::presets::koprs();  // flagged: no jitter
  two[1].verdict = HerdVerdict{{100, 40}, 1, 100.0, 117};
  const std::string svg = herd_svg(two);
  INFO(svg);
  CHECK(xml_problem(svg).empty());
  CHECK(count(svg, "<rect class=\"bar\"") == 2);  // the bars are the first fleet's
  CHECK(count(svg, "class=\"fleet-1 step\"") == 1);
  CHECK(count(svg, "class=\"peak\"") == 2);
  CHECK(svg.find("a&lt;b&gt;&amp;&quot;c&quot;.json vs koprs") != std::string::npos);
  CHECK(svg.find("FLAGGED: a herd") != std::string::npos);
  CHECK(svg.find("its jitter cannot spread the fleet") != std::string::npos);
  CHECK(svg.find("#e66100") != std::string::npos);  // the comparison's colour
}

TEST_CASE("herd svg: the checker refuses what is not well-formed", "[herd-plot]") {
  CHECK(xml_problem("<svg><g></svg>") == "</svg> closes nothing open");
  CHECK(xml_problem("<svg><text>a & b</text></svg>") == "bare & at 13");
  CHECK(xml_problem("<svg><rect x=\"1/></svg>") == "bad tag at 5");
  CHECK(xml_problem("<svg>") == "<svg> never closed");
  CHECK(xml_problem("<svg><rect x=\"1\"/><text>a &lt; b</text></svg>").empty());
}
