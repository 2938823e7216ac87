#pragma once
// Swarm testing (TigerBeetle's VOPR): every seed draws its own world, fleet and
// fault mix (some fault kinds disabled, the others weighted differently), and a
// concrete fault timeline. The result is plain data: a Scenario does not depend
// on the generator's PRNG call order once drawn.

#include <cstdint>
#include <tether/model/config.hpp>
#include <tether/sim/scenario.hpp>

namespace tether::sim {

// The configuration is drawn too: a preset with variations (heartbeat, commit
// policy, checkpoint cadence, too-old policy, auth provider, give-up limit,
// retry budget, jitter, ...). Scenario::label is the preset's name. On top of
// the base draw below come situations, each in some seeds and from a PRNG
// stream of its own: quiet streams, a server that opens before it answers,
// 5xx with Retry-After, outage give-up limits, link flaps, ids near and over
// the client's limit, decorrelated and equal jitter, a slow and failing
// credential source, stops at any moment, replay-only sessions
// (docs/simulation.md, "Situations").
Scenario swarm_scenario(std::uint64_t seed);

// swarm_scenario(seed) without its situations: the base draws they leave as
// they were (tests/sim/swarm.cpp pins them).
Scenario swarm_scenario_base(std::uint64_t seed);

// The configuration is `policy`, exactly, for every seed: only the world, the
// fleet and the faults vary, and they respect what the policy implies instead
// of failing on it. A filtered stream only when policy.resume.gaps is relaxed;
// an auth-checking world (and so token faults and revocations) only with
// auth.has_provider; half-open links only with a heartbeat policy; latencies
// that fit the connect timeout; refreshes that answer within their timeout;
// server heartbeats (and a latency spread) that keep a healthy stream inside
// the heartbeat budget and the confirm timeout; a replay that ends
// (WorldParams::replay_end_sequence) only for a replay_only policy, and for
// most of its seeds. Outcomes the policy prescribes (GaveUp under a give-up
// limit, Failed on a cursor too old with too_old = fail, Stopped when a replay
// completes, ...) are no violations: the oracle judges them from the policy.
// Scenario::label is "custom".
Scenario swarm_scenario(std::uint64_t seed, const model::SessionConfig& policy);

}  // namespace tether::sim
