#pragma once
// `tether-sim run`'s campaign: the seeds of one shard run on `jobs` threads.
// Deterministic whatever `jobs` is: every seed's run depends on the seed
// alone, and what is summed (scenarios, events, violations, coverage) or
// listed (the lowest failing seeds) does not depend on which thread ran what.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <tether/model/config.hpp>
#include <tether/sim/trace.hpp>
#include <tether/sim/violation.hpp>
#include <vector>

namespace tether::sim::tools {

// How many guarantees docs/guarantees.md numbers (the last is the client's
// invariant): a campaign's summary counts each, "g1" .. "g11".
inline constexpr auto guarantees_numbered =
    static_cast<std::size_t>(number(Guarantee::client_invariant));
inline constexpr std::size_t failures_kept_max = 20;

struct Shard {
  std::uint64_t index = 0;
  std::uint64_t count = 1;
};
// "i/n" with 0 <= i < n; nullopt for anything else.
std::optional<Shard> parse_shard(const std::string& text);

// The policy a campaign runs: the swarm's presets with variations, or one
// configuration file's session policy.
struct Policy {
  std::string file;    // empty: the swarm draws a configuration per seed
  std::string preset;  // the file's named base, if any
  model::SessionConfig session;
  // The file's "seed": the whole fleet draws its jitter from it, as a fleet
  // deployed with that file does (Scenario::fixed_seed).
  std::optional<std::uint64_t> seed;
};

enum class Progress : std::uint8_t {
  none,
  terminal,  // one line rewritten in place, a few times a second
  lines,     // a line every few seconds (logs, CI)
};

struct Plan {
  std::uint64_t start = 1;  // seeds start .. start + count - 1,
  std::uint64_t count = 0;  // those of `shard` (seed - start = index mod shard.count)
  Shard shard;
  Policy policy;
  unsigned jobs = 1;
  bool fail_fast = false;  // stop at the lowest failing seed (what ran besides it may vary)
  Progress progress = Progress::none;
};

struct Failure {
  std::uint64_t seed;
  std::string what;
};

struct Campaign {
  std::uint64_t scenarios = 0;
  std::uint64_t events = 0;
  // [0]: could not run; [g]: the guarantee whose number(Guarantee) is g.
  std::array<std::uint64_t, guarantees_numbered + 1> violations{};
  std::vector<Failure> failures;  // the lowest failing seeds, at most failures_kept_max
  std::uint64_t failed = 0;
  Coverage coverage;
  double wall_s = 0;
  // Interrupted (SIGINT): only the shard's first `seeds_covered` seeds ran.
  bool interrupted = false;
  std::uint64_t seeds_covered = 0;  // of the shard's seeds, in order
};

// The shard's number of seeds.
std::uint64_t seeds_of(const Plan& plan);
// The k-th seed of the shard.
inline std::uint64_t seed_at(const Plan& plan, std::uint64_t k) {
  return plan.start + plan.shard.index + k * plan.shard.count;
}

// Runs the plan. SIGINT (Ctrl-C) stops it cleanly: no new seed starts, the
// running ones finish, and the result says how far it got.
Campaign run_campaign(const Plan& plan);

// The one command that reproduces seed `seed` of this campaign.
std::string reproduce(const Policy& policy, std::uint64_t seed);

}  // namespace tether::sim::tools
