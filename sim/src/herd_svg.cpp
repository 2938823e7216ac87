#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <string_view>
#include <tether/model/names.hpp>
#include <tether/sim/herd_report.hpp>
#include <tether/sim/herd_svg.hpp>

#include "printf_string.hpp"

namespace tether::sim {

namespace {

// The page, in SVG user units (pixels): the plot's frame and the legend to its right.
constexpr double width = 1010;
constexpr double height = 520;
constexpr double left = 80;
constexpr double right = 700;
constexpr double top = 70;
constexpr double bottom = 450;
constexpr double legend_x = 722;
constexpr double row = 17;  // a legend line
constexpr Ms buckets_min = 20;
// The policy's colour, then the comparison's (colour-blind safe: blue, orange).
constexpr std::array<std::string_view, 2> colours{"#1f77b4", "#e66100"};
constexpr std::string_view flag_colour = "#c00000";
// A label over the plot: a white halo keeps it legible over bars and lines.
constexpr std::string_view halo = "stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\"";
// A label this close to the plot's right edge is written leftwards of its mark.
constexpr double label_width = 150;

std::string escaped(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Milliseconds as seconds, with as many decimals as the step between ticks needs.
std::string seconds(Ms ms, Ms step_ms) {
  const double s = static_cast<double>(ms) / 1000.0;
  if (step_ms >= 1000) return printf_string("%.0f", s);
  if (step_ms >= 100) return printf_string("%.1f", s);
  if (step_ms >= 10) return printf_string("%.2f", s);
  return printf_string("%.3f", s);
}

std::string colour_of(std::size_t fleet) {
  return std::string(colours[std::min<std::size_t>(fleet, 1)]);
}

// The axes' ranges and the mapping from data to the page.
struct Frame {
  Ms x_max_ms = 1;
  Ms x_step_ms = 1;
  std::int64_t y_max = 1;
  std::int64_t y_step = 1;
  Ms bucket_ms = 1;

  double x(Ms ms) const {
    return left + (right - left) * static_cast<double>(ms) / static_cast<double>(x_max_ms);
  }
  double y(double count) const {
    return bottom - (bottom - top) * count / static_cast<double>(y_max);
  }
  bool shows(std::size_t bound) const { return static_cast<std::int64_t>(bound) <= y_max; }
};

// The x axis spans at least buckets_min buckets (a herd in one bucket shows
// as a spike, not a wall) and reaches past every fleet's last attempt and
// 99 % time; the y
// axis past every peak, and past a bound unless it is more than twice the
// highest peak (which would flatten the bars: the legend gives it then).
Frame frame_of(std::span<const HerdPlot> plots) {
  Frame f;
  f.bucket_ms = plots.front().fleet.bucket_ms;
  Ms x_needed = f.bucket_ms * buckets_min;
  std::int64_t peak = 1;
  for (const HerdPlot& p : plots) {
    x_needed = std::max(x_needed, static_cast<Ms>(p.attempts.size()) * f.bucket_ms);
    if (p.streaming_99_ms) x_needed = std::max(x_needed, *p.streaming_99_ms + 1);
    peak = std::max<std::int64_t>(peak, p.peak.attempts);
  }
  std::int64_t y_needed = peak;
  for (const HerdPlot& p : plots)
    if (static_cast<std::int64_t>(p.verdict.bound) <= 2 * peak)
      y_needed = std::max(y_needed, static_cast<std::int64_t>(p.verdict.bound));
  f.x_step_ms = nice_step(x_needed, 10);
  f.x_max_ms = (x_needed + f.x_step_ms - 1) / f.x_step_ms * f.x_step_ms;
  y_needed += y_needed / 8 + 1;  // headroom for the peak's mark and label
  f.y_step = nice_step(y_needed, 8);
  f.y_max = (y_needed + f.y_step - 1) / f.y_step * f.y_step;
  return f;
}

std::string axes(const Frame& f, const HerdPlot& first) {
  std::string out = "<g class=\"axes\" font-size=\"12\" fill=\"#000\">\n";
  for (std::int64_t v = 0; v <= f.y_max; v += f.y_step) {
    const double y = f.y(static_cast<double>(v));
    out +=
        printf_string("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                      left, y, right, y);
    out += printf_string("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%" PRId64 "</text>\n",
                         left - 6, y + 4, v);
  }
  for (Ms t = 0; t <= f.x_max_ms; t += f.x_step_ms) {
    const double x = f.x(t);
    out +=
        printf_string("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\"/>\n",
                      x, bottom, x, bottom + 5);
    out += printf_string("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x,
                         bottom + 19, seconds(t, f.x_step_ms).c_str());
  }
  out += printf_string("<path d=\"M%.1f %.1fV%.1fH%.1f\" fill=\"none\" stroke=\"#000\"/>\n", left,
                       top, bottom, right);
  out += printf_string(
      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\">time after the "
      "server's recovery (s)</text>\n",
      (left + right) / 2, bottom + 42);
  out += printf_string(
      "<text transform=\"translate(24 %.1f) rotate(-90)\" text-anchor=\"middle\" "
      "font-size=\"13\">connection attempts per %" PRId64 " ms</text>\n",
      (top + bottom) / 2, first.fleet.bucket_ms);
  return out + "</g>\n";
}

// The policy's buckets as bars, one per non-empty bucket.
std::string bars(const Frame& f, const HerdPlot& p) {
  std::string out = printf_string("<g class=\"fleet-0\" fill=\"%s\">\n", colour_of(0).c_str());
  for (std::size_t k = 0; k < p.attempts.size(); ++k) {
    if (p.attempts[k] == 0) continue;
    const Ms from_ms = static_cast<Ms>(k) * f.bucket_ms;
    const double x0 = f.x(from_ms);
    const double y = f.y(p.attempts[k]);
    out += printf_string(
        "<rect class=\"bar\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"><title>%s s: "
        "%u</title></rect>\n",
        x0, y, f.x(from_ms + f.bucket_ms) - x0, bottom - y, seconds(from_ms, 1).c_str(),
        p.attempts[k]);
  }
  return out + "</g>\n";
}

// The comparison's buckets as a step line over the bars.
std::string steps(const Frame& f, const HerdPlot& p) {
  std::string d = printf_string("M%.2f %.2f", f.x(0), f.y(0));
  for (std::size_t k = 0; k < p.attempts.size(); ++k) {
    const Ms from_ms = static_cast<Ms>(k) * f.bucket_ms;
    d += printf_string("H%.2fV%.2f", f.x(from_ms), f.y(p.attempts[k]));
  }
  d += printf_string("H%.2fV%.2f", f.x(static_cast<Ms>(p.attempts.size()) * f.bucket_ms), f.y(0));
  return printf_string(
      "<path class=\"fleet-1 step\" d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"/>\n",
      d.c_str(), colour_of(1).c_str());
}

// A label at (x, y), leftwards of x near the plot's right edge.
std::string label(double x, double y, const std::string& text) {
  const bool leftwards = x > right - label_width;
  return printf_string("<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\" %s>%s</text>\n",
                       leftwards ? x - 8 : x + 6, y, leftwards ? "end" : "start",
                       std::string(halo).c_str(), text.c_str());
}

// A fleet's peak (a triangle over its bucket), 99 % time and herd bound.
std::string marks(const Frame& f, const HerdPlot& p, std::size_t i) {
  const std::string c = colour_of(i);
  const double shift = 15.0 * static_cast<double>(i);  // the comparison's labels one line lower
  std::string out =
      printf_string("<g class=\"marks-%zu\" font-size=\"12\" fill=\"%s\">\n", i, c.c_str());
  const Ms peak_ms = static_cast<Ms>(p.peak.index) * f.bucket_ms;
  const double px = (f.x(peak_ms) + f.x(peak_ms + f.bucket_ms)) / 2;
  const double py = f.y(p.peak.attempts) - 3;
  if (p.peak.attempts > 0) {
    out += printf_string(
        "<path class=\"peak\" d=\"M%.2f %.2fl-5 -8h10z\" stroke=\"#000\" stroke-width=\"0.5\"/>\n",
        px, py);
    out += label(px, py - 4 - shift,
                 printf_string("peak %u at %" PRId64 " ms", p.peak.attempts, peak_ms));
  }
  if (p.streaming_99_ms) {
    const double x = f.x(*p.streaming_99_ms);
    out += printf_string(
        "<line class=\"streaming-99\" x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" "
        "stroke=\"%s\" stroke-dasharray=\"6 4\" stroke-width=\"1.5\"/>\n",
        x, top, x, bottom, c.c_str());
    out += label(x, top + 12 + shift,
                 printf_string("99 %% streaming: %" PRId64 " ms", *p.streaming_99_ms));
  }
  if (f.shows(p.verdict.bound)) {
    const double y = f.y(static_cast<double>(p.verdict.bound));
    out += printf_string(
        "<line class=\"bound\" x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" stroke=\"%s\" "
        "stroke-dasharray=\"2 3\" stroke-width=\"1.5\"/>\n",
        left, y, right, y, c.c_str());
    out += label(right, y - 4, printf_string("herd bound %zu", p.verdict.bound));
  }
  return out + "</g>\n";
}

std::string legend_swatch(std::size_t i, double y, std::string_view kind) {
  const std::string c = colour_of(i);
  if (kind == "fleet" && i == 0)
    return printf_string("<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"10\" fill=\"%s\"/>\n",
                         legend_x, y - 9, c.c_str());
  const std::string_view dash = kind == "99" ? "6 4" : kind == "bound" ? "2 3" : "none";
  return printf_string(
      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\" "
      "stroke-dasharray=\"%s\"/>\n",
      legend_x, y - 4, legend_x + 18, y - 4, c.c_str(), std::string(dash).c_str());
}

// A fleet's block of the legend, from `y` down; returns its text.
std::string legend(const Frame& f, const HerdPlot& p, std::size_t i, double y) {
  const double tx = legend_x + 24;
  const HerdFleet& fl = p.fleet;
  std::string out = legend_swatch(i, y, "fleet");
  out += printf_string("<text x=\"%.1f\" y=\"%.1f\" font-weight=\"bold\">%s (jitter %s)</text>\n",
                       tx, y, escaped(fl.label).c_str(),
                       std::string(model::name_of(fl.config.backoff.jitter)).c_str());
  out += printf_string("<text x=\"%.1f\" y=\"%.1f\">%u clients, %s</text>\n", tx, y + row,
                       fl.clients, escaped(seeding_of(fl)).c_str());
  out += p.peak.attempts > 0
             ? printf_string(
                   "<text x=\"%.1f\" y=\"%.1f\">peak %u in [%" PRId64 ", %" PRId64 ") ms</text>\n",
                   tx, y + 2 * row, p.peak.attempts, static_cast<Ms>(p.peak.index) * fl.bucket_ms,
                   static_cast<Ms>(p.peak.index + 1) * fl.bucket_ms)
             : printf_string("<text x=\"%.1f\" y=\"%.1f\">no attempt after the recovery</text>\n",
                             tx, y + 2 * row);
  out += legend_swatch(i, y + 3 * row, "99");
  out += p.streaming_99_ms
             ? printf_string("<text x=\"%.1f\" y=\"%.1f\">99 %% streaming after %" PRId64
                             " ms</text>\n",
                             tx, y + 3 * row, *p.streaming_99_ms)
             : printf_string("<text x=\"%.1f\" y=\"%.1f\">99 %% NOT streaming by %" PRId64
                             " ms</text>\n",
                             tx, y + 3 * row, p.horizon_ms);
  out += legend_swatch(i, y + 4 * row, "bound");
  out += printf_string("<text x=\"%.1f\" y=\"%.1f\">herd bound %zu%s</text>\n", tx, y + 4 * row,
                       p.verdict.bound, f.shows(p.verdict.bound) ? "" : " (above the axis)");
  out += printf_string("<text x=\"%.1f\" y=\"%.1f\">busiest %" PRId64 " ms window %zu</text>\n", tx,
                       y + 5 * row, fl.bucket_ms, p.verdict.peak.attempts);
  out += p.flagged() ? printf_string(
                           "<text x=\"%.1f\" y=\"%.1f\" font-weight=\"bold\" fill=\"%s\">FLAGGED: "
                           "a herd</text>\n",
                           tx, y + 6 * row, std::string(flag_colour).c_str())
                     : printf_string("<text x=\"%.1f\" y=\"%.1f\">within the herd bound</text>\n",
                                     tx, y + 6 * row);
  if (p.flagged())
    out += printf_string(
        "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\">%s</text>\n", tx, y + 7 * row,
        std::string(flag_colour).c_str(),
        p.verdict.ok() ? "its jitter cannot spread the fleet" : "busiest window above the bound");
  return out;
}

std::string header(std::span<const HerdPlot> plots) {
  const HerdFleet& f = plots.front().fleet;
  std::string names = escaped(f.label);
  if (plots.size() > 1) names += " vs " + escaped(plots[1].fleet.label);
  std::string out = printf_string(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f "
      "%.0f\" font-family=\"sans-serif\">\n",
      width, height, width, height);
  out += printf_string("<title>tether-sim herd: %s</title>\n", names.c_str());
  out += printf_string("<rect width=\"%.0f\" height=\"%.0f\" fill=\"#fff\"/>\n", width, height);
  out += printf_string(
      "<text x=\"%.1f\" y=\"28\" font-size=\"16\" font-weight=\"bold\">Connection attempts after a "
      "%" PRId64 " ms server outage: %s</text>\n",
      left, f.outage_ms, names.c_str());
  out += printf_string(
      "<text x=\"%.1f\" y=\"48\" font-size=\"12\">%u clients, buckets of %" PRId64
      " ms; dashed: 99 %% of the clients streaming again, and the herd bound (tether-sim "
      "herd)</text>\n",
      left, f.clients, f.bucket_ms);
  return out;
}

}  // namespace

std::int64_t nice_step(std::int64_t span, std::int64_t ticks_max) {
  span = std::clamp<std::int64_t>(span, 1, std::int64_t{1} << 50);  // no power of ten overflows
  ticks_max = std::max<std::int64_t>(ticks_max, 1);
  std::int64_t power = 1;
  for (; power <= span; power *= 10)
    for (const std::int64_t m : {1, 2, 5})
      if ((span + m * power - 1) / (m * power) <= ticks_max) return m * power;
  return power;  // one step: the first power of ten above the span
}

std::string herd_svg(std::span<const HerdPlot> plots) {
  if (plots.empty()) return {};
  const Frame f = frame_of(plots);
  std::string out = header(plots);
  out += axes(f, plots.front());
  out += bars(f, plots.front());
  if (plots.size() > 1) out += steps(f, plots[1]);
  for (std::size_t i = 0; i < plots.size() && i < 2; ++i) {
    out += marks(f, plots[i], i);
    out += legend(f, plots[i], i, top + 10 + 9 * row * static_cast<double>(i));
  }
  return out + "</svg>\n";
}

}  // namespace tether::sim
