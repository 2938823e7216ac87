#include <tether/model/effects_hash.hpp>
#include <tether/model/names.hpp>
#include <type_traits>
#include <variant>

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

void write_effects(std::string& out, std::span<const Effect> effects) {
  log_text::Writer w(out);
  for (std::size_t i = 0; i < effects.size(); ++i) {
    if (i > 0) w.out += '\n';
    write_effect(w, effects[i]);
  }
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
  std::string out;
  append_effect(out, effect);
  return out;
}

void append_effect(std::string& out, const Effect& effect) {
  log_text::Writer w(out);
  write_effect(w, effect);
}

void append_effects(std::string& out, std::span<const Effect> effects) {
  write_effects(out, effects);
}

std::string encode_effects(std::span<const Effect> effects) {
  std::string out;
  write_effects(out, effects);
  return out;
}

std::uint64_t effects_hash(std::span<const Effect> effects) {
  // Recording hashes every step of a session: reuse one buffer per thread.
  thread_local std::string buffer;
  buffer.clear();
  write_effects(buffer, effects);
  return fnv1a64(fnv1a64_offset, buffer);
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
