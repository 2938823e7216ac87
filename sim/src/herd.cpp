#include <algorithm>
#include <cmath>
#include <iterator>
#include <tether/model/backoff.hpp>
#include <tether/sim/herd.hpp>
#include <vector>

namespace tether::sim {

HerdPeak busiest_window(std::span<const Ms> attempt_at_ms, Ms window_ms) {
  std::vector<Ms> at(attempt_at_ms.begin(), attempt_at_ms.end());
  std::sort(at.begin(), at.end());
  // The busiest window can always start at an attempt: slide its start over
  // them, its end (the first attempt at or past start + window_ms) following.
  HerdPeak peak;
  std::size_t end = 0;
  for (std::size_t begin = 0; begin < at.size(); ++begin) {
    while (end < at.size() && at[end] < at[begin] + window_ms) ++end;
    if (end - begin > peak.attempts) peak = HerdPeak{end - begin, at[begin]};
  }
  return peak;
}

HerdPeak busiest_window(const RunResult& result, Ms from_ms, Ms window_ms) {
  std::vector<Ms> at;
  for (const ClientReport& c : result.clients)
    std::copy_if(c.connect_at_ms.begin(), c.connect_at_ms.end(), std::back_inserter(at),
                 [&](Ms t) { return t >= from_ms; });
  return busiest_window(at, window_ms);
}

double herd_expected_max(const model::BackoffPolicy& policy, std::uint32_t clients,
                         std::uint32_t attempts_max, Ms window_ms) {
  double per_client = 0;
  for (std::uint32_t k = 1; k <= attempts_max; ++k) {
    const model::DelayBounds b = model::jitter_bounds(policy, k, 0);
    const auto width = static_cast<double>(b.delay_ms_max - b.delay_ms_min + 1);
    per_client += std::min(1.0, static_cast<double>(window_ms) / width);
  }
  return static_cast<double>(clients) * per_client;
}

std::size_t herd_bound(const model::BackoffPolicy& policy, std::uint32_t clients,
                       std::uint32_t attempts_max, Ms window_ms) {
  const double expected = herd_expected_max(policy, clients, attempts_max, window_ms);
  return static_cast<std::size_t>(std::ceil(expected + 4 * std::sqrt(expected)));
}

HerdVerdict check_herd(const Scenario& scenario, const RunResult& result, Ms from_ms,
                       Ms window_ms) {
  HerdVerdict v;
  v.peak = busiest_window(result, from_ms, window_ms);
  for (const ClientReport& c : result.clients) {
    const auto n = std::count_if(c.connect_at_ms.begin(), c.connect_at_ms.end(),
                                 [&](Ms t) { return t >= from_ms; });
    v.attempts_max = std::max(v.attempts_max, static_cast<std::uint32_t>(n));
  }
  const model::BackoffPolicy& policy = scenario.config.backoff;
  v.expected_max = herd_expected_max(policy, scenario.clients, v.attempts_max, window_ms);
  v.bound = herd_bound(policy, scenario.clients, v.attempts_max, window_ms);
  return v;
}

}  // namespace tether::sim
