#include <tether/sim/store.hpp>

namespace tether::sim {

namespace {
bool valid(const Store::Slot& s) { return s.generation > 0 && s.checksum_ok; }
}  // namespace

std::size_t Store::target_slot() const {
  // Never overwrite the newest valid checkpoint: if a write into the other slot
  // is torn, this one is what load() falls back to.
  const Slot& a = slots_[0];
  const Slot& b = slots_[1];
  if (!valid(a)) return 0;
  if (!valid(b)) return 1;
  return a.generation < b.generation ? 0 : 1;
}

std::optional<Store::Write> Store::complete_next(bool fails) {
  if (in_flight_.empty()) return std::nullopt;
  Write w = in_flight_.front();
  in_flight_.pop_front();
  if (!fails) {
    slots_[target_slot()] = Slot{++generation_, w.cursor, true};
    ++writes_durable_;
  }
  return w;
}

bool Store::crash_tearing(TornWrites mode) {
  if (in_flight_.empty()) return false;
  const Write torn = in_flight_.front();
  in_flight_.clear();
  ++writes_torn_;
  if (mode == TornWrites::in_place_checked) {
    // Half of the record landed: a newer generation, a garbled cursor, and a
    // checksum that no longer matches.
    model::Cursor half = torn.cursor;
    half.sequence = torn.cursor.sequence ^ 0x5A5A5A5A5A5A5A5Aull;
    slots_[target_slot()] = Slot{++generation_, half, false};
  }
  return true;
}

std::optional<model::Cursor> Store::load() const {
  const Slot* best = nullptr;
  for (const Slot& s : slots_)
    if (valid(s) && (best == nullptr || s.generation > best->generation)) best = &s;
  if (best == nullptr) return std::nullopt;
  return best->cursor;
}

std::uint64_t Store::corrupt_slots() const {
  std::uint64_t n = 0;
  for (const Slot& s : slots_) n += (s.generation > 0 && !s.checksum_ok) ? 1 : 0;
  return n;
}

}  // namespace tether::sim
