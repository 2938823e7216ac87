#include <tether/model/give_up.hpp>

namespace tether::model {

bool attempts_exhausted(const GiveUpPolicy& policy, std::uint32_t failures) {
  return policy.attempts_max > 0 && failures >= policy.attempts_max;
}

bool outage_exceeded(const GiveUpPolicy& policy, Instant outage_since, Instant now) {
  return policy.outage_ms_max > 0 && elapsed_ms(outage_since, now) >= policy.outage_ms_max;
}

std::optional<GiveUpLimit> give_up_limit(const GiveUpPolicy& policy, std::uint32_t failures,
                                         std::optional<Instant> outage_since, Instant now) {
  if (attempts_exhausted(policy, failures)) return GiveUpLimit::attempts;
  if (outage_since && outage_exceeded(policy, *outage_since, now)) return GiveUpLimit::outage;
  return std::nullopt;
}

}  // namespace tether::model
