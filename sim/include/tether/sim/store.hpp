#pragma once
// The application's checkpoint store as the simulator sees it. A write is
// durable once it completes (the driver then feeds CheckpointSaved); writes
// complete in the order they were issued; a crash loses every write still in
// flight. What survives a crash is what load() returns.

#include <cstdint>
#include <deque>
#include <optional>

#include <tether/model/cursor.hpp>

namespace tether::sim {

class Store {
 public:
  struct Write {
    std::uint64_t delivery_id;
    model::Cursor cursor;
  };

  void begin_write(std::uint64_t delivery_id, const model::Cursor& cursor) {
    in_flight_.push_back(Write{delivery_id, cursor});
  }
  // Completes the oldest write in flight: durable unless `fails`. Returns it
  // (nullopt if none was in flight, e.g. after a crash).
  std::optional<Write> complete_next(bool fails);
  // The process died: unsynced writes are gone.
  void crash() { in_flight_.clear(); }

  std::optional<model::Cursor> load() const { return durable_; }
  std::size_t in_flight() const { return in_flight_.size(); }
  std::uint64_t writes_durable() const { return writes_durable_; }

 private:
  std::deque<Write> in_flight_;
  std::optional<model::Cursor> durable_;
  std::uint64_t writes_durable_ = 0;
};

}  // namespace tether::sim
