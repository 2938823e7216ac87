#pragma once
// The compact trace of a run (one line per reducer step), its FNV-1a 64 hash,
// and (state, event) coverage counts. Lines never contain credentials: tokens
// are not part of any event or effect the trace prints.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <tether/model/effect.hpp>
#include <tether/model/effects_hash.hpp>
#include <tether/model/event.hpp>
#include <tether/model/state.hpp>
#include <tether/sim/agenda.hpp>

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


class Trace {
 public:
  explicit Trace(bool keep_text) : keep_text_(keep_text) {}

  // One reducer step: "<ms> c<client> <event> <fields> : <effect> <fields>, ...".
  void step(Ms now, std::uint32_t client, const model::Event& event, const model::Effects& effects);
  // A world happening worth a line ("<ms> world <what>").
  void note(Ms now, std::string_view what, std::int64_t value);

  std::uint64_t hash() const { return hash_; }
  const std::string& text() const { return text_; }

 private:
  void end_line();

  bool keep_text_;
  std::string line_;
  std::string text_;
  std::uint64_t hash_ = model::fnv1a64_offset;  // the one trace hash (model/effects_hash.hpp)
};

}  // namespace tether::sim
