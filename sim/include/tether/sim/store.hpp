#pragma once
// The application's checkpoint store as the simulator sees it. A write is
// durable once it completes (the driver then feeds CheckpointSaved); writes
// complete in the order they were issued; a crash loses every write still in
// flight. What survives a crash is what load() returns.
//
// A torn write (fault torn_write) is a crash that cuts the write in progress
// mid-way. The store is modelled as two checkpoint slots with a generation and
// a checksum each: a write goes to the slot not holding the newest valid
// checkpoint, so tearing it leaves that slot corrupt and the other intact. How
// the store meets the tear (TornWrites) decides whether the torn half is ever
// on disk — but never whether load() returns it: either the old checkpoint is
// kept (atomic replace: the torn temporary file is discarded) or the torn slot
// is rejected as corrupt by its checksum and load() returns the previous
// durable checkpoint from the other slot.

#include <array>
#include <cstdint>
#include <deque>
#include <optional>

#include <tether/model/cursor.hpp>

namespace tether::sim {

enum class TornWrites : std::uint8_t {
  atomic_replace,    // write a temporary file, then rename: a torn write never lands
  in_place_checked,  // write the slot in place; load() rejects a bad checksum
};

class Store {
 public:
  struct Write {
    std::uint64_t delivery_id;
    model::Cursor cursor;
  };
  struct Slot {
    std::uint64_t generation = 0;  // 0: never written
    model::Cursor cursor;
    bool checksum_ok = false;
  };

  void begin_write(std::uint64_t delivery_id, const model::Cursor& cursor) {
    in_flight_.push_back(Write{delivery_id, cursor});
  }
  // Completes the oldest write in flight: durable unless `fails`. Returns it
  // (nullopt if none was in flight, e.g. after a crash).
  std::optional<Write> complete_next(bool fails);
  // The process died: unsynced writes are gone.
  void crash() { in_flight_.clear(); }
  // The process died while the oldest write in flight was half written (if
  // one was in flight); the later ones are gone. Returns whether one was torn.
  bool crash_tearing(TornWrites mode);

  // The newest slot whose checksum holds; a torn slot is never returned.
  std::optional<model::Cursor> load() const;
  std::size_t in_flight() const { return in_flight_.size(); }
  std::uint64_t writes_durable() const { return writes_durable_; }
  std::uint64_t writes_torn() const { return writes_torn_; }
  std::uint64_t corrupt_slots() const;
  const std::array<Slot, 2>& slots() const { return slots_; }

 private:
  std::size_t target_slot() const;  // the slot a new write overwrites

  std::deque<Write> in_flight_;
  std::array<Slot, 2> slots_{};
  std::uint64_t generation_ = 0;
  std::uint64_t writes_durable_ = 0;
  std::uint64_t writes_torn_ = 0;
};

}  // namespace tether::sim
