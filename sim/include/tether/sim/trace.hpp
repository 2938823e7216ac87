#pragma once
// The trace of a run (one line per reducer step), its hash, and (state,
// event) coverage counts.
//
// A step is printed by the event-log encoder (<tether/model/event_log.hpp>),
// the one printer of a session step: its line is the client, then the line a
// recording (tether-events/2) holds for that step, then the step's effects in
// full (their canonical text, <tether/model/effects_hash.hpp>, which that
// line's effects hash covers), one after another:
//
//   c0 1500 FrameReceived seq=7 id=1:7 retry=- ref=3 effects=Deliver hash=8f1c... : Deliver
//   delivery=1 seq=7 ref=3
//
// so cutting the client and the detail off a replay's trace gives the
// recording's event lines back. A world happening is `world <ms> <what> <value>`.
//
// The hash (RunResult::trace_hash) is kept for every run, the text only when
// asked for: it covers, for each step, "c<client> <event line>\n<effects'
// canonical text>" and each world line, through trace_hash_step(). That is
// everything the printed line shows (its effects' names and hash follow from
// the canonical text), without computing the recording's FNV-1a effects hash
// per step: FNV-1a goes a byte at a time, and hashing the 1 KB ids of the
// long-ids situation that way cost more than the rest of the step.
// Lines never contain credentials: no event or effect carries one (resume
// ids, which they do carry, are not credentials).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <tether/model/effect.hpp>
#include <tether/model/effects_hash.hpp>
#include <tether/model/event.hpp>
#include <tether/model/state.hpp>
#include <tether/sim/agenda.hpp>
#include <variant>
#include <vector>

namespace tether::sim {

inline constexpr std::size_t phase_count = std::variant_size_v<model::Phase>;
inline constexpr std::size_t event_count = std::variant_size_v<model::Event>;

// How often each (phase before, event) pair was fed to the reducer.
struct Coverage {
  std::array<std::array<std::uint64_t, event_count>, phase_count> counts{};

  void add(const model::Phase& before, const model::Event& event) {
    ++counts[before.index()][event.index()];
  }
  void merge(const Coverage& other);
  std::size_t pairs_reached() const;
  // "phase/event" names of the pairs never reached.
  std::vector<std::string> never_reached() const;
};

// One step of the trace hash: 8 bytes at a time (little-endian words, then the
// tail with its length), each step a bijection of `hash` (xor, an odd
// multiplier, a rotation), so two traces that differ in one word never hash
// alike. Deterministic on every platform. Starts from model::fnv1a64_offset.
std::uint64_t trace_hash_step(std::uint64_t hash, std::string_view bytes) noexcept;

class Trace {
 public:
  explicit Trace(bool keep_text) : keep_text_(keep_text) {}

  // One reducer step: "c<client> <event-log step line> : <effect> ; <effect> ...".
  // The line shows the event's own time; `now`, the world's clock, is the same
  // wherever io::ReducerLoop stamps the events (and in a replay).
  void step(Ms now, std::uint32_t client, const model::Event& event, const model::Effects& effects);
  // A world happening worth a line ("world <ms> <what> <value>").
  void note(Ms now, std::string_view what, std::int64_t value);

  std::uint64_t hash() const { return hash_; }
  const std::string& text() const { return text_; }

 private:
  bool keep_text_;
  std::string line_;
  std::string text_;
  std::uint64_t hash_ = model::fnv1a64_offset;
};

}  // namespace tether::sim
