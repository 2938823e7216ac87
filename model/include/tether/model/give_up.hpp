#pragma once
// The one give-up rule for every reducer that retries: stop after
// `attempts_max` consecutive failures, or once an outage has lasted
// `outage_ms_max` (0: no such limit). The attempts limit is asked first, so a
// failure that reaches both is named by its count.

#include <cstdint>
#include <optional>
#include <tether/model/config.hpp>
#include <tether/model/time.hpp>

namespace tether::model {

enum class GiveUpLimit : std::uint8_t { attempts, outage };

bool attempts_exhausted(const GiveUpPolicy& policy, std::uint32_t failures);
bool outage_exceeded(const GiveUpPolicy& policy, Instant outage_since, Instant now);

// Which limit `failures` consecutive failures in an outage that began at
// `outage_since` (none: no outage is being timed) have reached, if any.
std::optional<GiveUpLimit> give_up_limit(const GiveUpPolicy& policy, std::uint32_t failures,
                                         std::optional<Instant> outage_since, Instant now);

}  // namespace tether::model
