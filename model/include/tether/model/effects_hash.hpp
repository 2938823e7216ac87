#pragma once
// A step's effects as canonical text, and a 64-bit hash of that text: what a
// recording (tether-events/2, <tether/model/event_log.hpp>) keeps for every
// event, so that a replay names the first step whose effects differ.
//
//   Connect attempt=1 from=cursor cursor=sequence cursor.seq=41 cursor.has_seq=1 cursor.start=0
//   cursor.token= ReportStatus status=connecting reason=none failures=0 next_attempt_at=0
//   http_status=0
//
// One effect is one line of text: its name (name_of(Effect)), then every field
// in a fixed order, in the event log's vocabulary (`-` for an absent optional,
// percent-encoded tokens, cursors in full). A step's encoding is its effects'
// lines joined by '\n', in order (empty for none). The hash is FNV-1a 64 over
// those bytes: the same on every platform and build, so a recording made on
// one machine replays on another. Renaming an effect, a field or an enum value
// (names.hpp) changes the hashes: do it only with a new format version.
//
// Effects carry no credentials (the bearer token never enters the model).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <tether/model/effect.hpp>

namespace tether::model {

inline constexpr std::uint64_t fnv1a64_offset = 0xcbf29ce484222325ULL;
// FNV-1a 64 of `bytes`, continuing from `hash`.
std::uint64_t fnv1a64(std::uint64_t hash, std::string_view bytes) noexcept;

// One effect as one line (no newline).
std::string encode_effect(const Effect& effect);
// A step's effects, one line each, joined by '\n' (no trailing newline).
std::string encode_effects(std::span<const Effect> effects);
// fnv1a64(fnv1a64_offset, encode_effects(effects)).
std::uint64_t effects_hash(std::span<const Effect> effects);
// Appending forms, for a caller that encodes every step into one reused
// buffer (the simulator's trace): encode_effect(effect) and
// encode_effects(effects) appended to `out` (effects_hash() is fnv1a64 of
// what append_effects() appended).
void append_effect(std::string& out, const Effect& effect);
void append_effects(std::string& out, std::span<const Effect> effects);
// The effects' names joined by ',' ("Connect,ReportStatus"); "-" for none.
std::string effect_kinds(std::span<const Effect> effects);

}  // namespace tether::model
