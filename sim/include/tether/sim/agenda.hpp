#pragma once
// The virtual clock: everything that will happen in a simulated world, ordered
// by (time, insertion order). Time only moves when the next item is taken, and
// it jumps straight there: nothing in sim/ ever reads a wall clock.

#include <cassert>
#include <cstdint>
#include <queue>
#include <utility>
#include <vector>

namespace tether::sim {

// Virtual milliseconds from the start of a run.
using Ms = std::int64_t;

template <class T>
class Agenda {
 public:
  // Schedules `item` at `at_ms`; the past is clamped to now (nothing happens
  // before now). Items at the same instant come out in the order they went in.
  void push(Ms at_ms, T item) {
    if (at_ms < now_ms_) at_ms = now_ms_;
    std::size_t slot = items_.size();
    if (free_slots_.empty()) {
      items_.push_back(std::move(item));
    } else {
      slot = free_slots_.back();
      free_slots_.pop_back();
      items_[slot] = std::move(item);
    }
    heap_.push(Entry{at_ms, order_++, slot});
  }

  bool empty() const { return heap_.empty(); }
  Ms next_ms() const { return heap_.top().at_ms; }  // precondition: !empty()
  Ms now_ms() const { return now_ms_; }
  std::size_t size() const { return heap_.size(); }

  // Takes the next item and moves the clock to its time.
  T pop() {
    assert(!heap_.empty());
    const Entry e = heap_.top();
    heap_.pop();
    now_ms_ = e.at_ms;
    free_slots_.push_back(e.slot);
    return std::move(items_[e.slot]);
  }

 private:
  // The heap orders small entries; the items stay in their slots (a heap
  // operation moves an entry log(n) times, an item only in and out).
  struct Entry {
    Ms at_ms;
    std::uint64_t order;
    std::size_t slot;  // in items_
    bool operator>(const Entry& o) const {
      return at_ms != o.at_ms ? at_ms > o.at_ms : order > o.order;
    }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap_;
  std::vector<T> items_;
  std::vector<std::size_t> free_slots_;
  Ms now_ms_ = 0;
  std::uint64_t order_ = 0;
};

}  // namespace tether::sim
