#include <tether/model/effects_hash.hpp>

#include <type_traits>
#include <variant>

#include <tether/model/names.hpp>

#include "log_text.hpp"

namespace tether::model {

namespace {

void write_effect(log_text::Writer& w, const Effect& effect) {
  w.out += name_of(effect);
  std::visit(
      [&w](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, Connect>) {
          w.field("attempt", e.attempt);
          w.name("from", name_of(e.from));
          w.cursor("cursor", e.cursor);
        } else if constexpr (std::is_same_v<T, Deliver>) {
          w.field("delivery", e.delivery_id);
          w.field("seq", e.sequence);
          w.field("ref", e.frame_ref);
        } else if constexpr (std::is_same_v<T, DiscardFrame>) {
          w.field("ref", e.frame_ref);
          w.field("seq", e.sequence);
          w.name("reason", name_of(e.reason));
        } else if constexpr (std::is_same_v<T, ReportGap>) {
          w.field("from", e.from_sequence);
          w.field("to", e.to_sequence);
          w.name("cause", name_of(e.cause));
        } else if constexpr (std::is_same_v<T, SaveCheckpoint>) {
          w.field("delivery", e.delivery_id);
          w.cursor("cursor", e.cursor);
        } else if constexpr (std::is_same_v<T, RefreshAuth>) {
          // Not its request number: bookkeeping the state derives (1, 2, ...),
          // left out so recordings made before it was added still verify.
          w.name("cause", name_of(e.cause));
        } else if constexpr (std::is_same_v<T, ReportStatus>) {
          w.name("status", name_of(e.status.kind));
          w.name("reason", name_of(e.status.reason));
          w.field("failures", e.status.failures);
          w.field("next_attempt_at", e.status.next_attempt_at.ms);
          w.field("http_status", e.status.http_status);
        } else {
          static_assert(std::is_same_v<T, CloseConnection>);
        }
      },
      effect);
}

}  // namespace

std::uint64_t fnv1a64(std::uint64_t hash, std::string_view bytes) noexcept {
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string encode_effect(const Effect& effect) {
  log_text::Writer w;
  write_effect(w, effect);
  return std::move(w.out);
}

std::string encode_effects(std::span<const Effect> effects) {
  log_text::Writer w;
  for (std::size_t i = 0; i < effects.size(); ++i) {
    if (i > 0) w.out += '\n';
    write_effect(w, effects[i]);
  }
  return std::move(w.out);
}

std::uint64_t effects_hash(std::span<const Effect> effects) {
  // Recording hashes every step of a session: reuse one buffer per thread.
  thread_local log_text::Writer w;
  w.out.clear();
  for (std::size_t i = 0; i < effects.size(); ++i) {
    if (i > 0) w.out += '\n';
    write_effect(w, effects[i]);
  }
  return fnv1a64(fnv1a64_offset, w.out);
}

std::string effect_kinds(std::span<const Effect> effects) {
  if (effects.empty()) return "-";
  std::string out;
  for (const Effect& e : effects) {
    if (!out.empty()) out += ',';
    out += name_of(e);
  }
  return out;
}

}  // namespace tether::model
