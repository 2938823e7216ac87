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
    heap_.push(Entry{at_ms, order_++, std::move(item)});
  }

  bool empty() const { return heap_.empty(); }
  Ms next_ms() const { return heap_.top().at_ms; }  // precondition: !empty()
  Ms now_ms() const { return now_ms_; }
  std::size_t size() const { return heap_.size(); }

  // Takes the next item and moves the clock to its time.
  T pop() {
    assert(!heap_.empty());
    Entry e = std::move(const_cast<Entry&>(heap_.top()));  // NOLINT: moved out, then popped
    heap_.pop();
    now_ms_ = e.at_ms;
    return std::move(e.item);
  }

 private:
  struct Entry {
    Ms at_ms;
    std::uint64_t order;
    T item;
    bool operator>(const Entry& o) const {
      return at_ms != o.at_ms ? at_ms > o.at_ms : order > o.order;
    }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap_;
  Ms now_ms_ = 0;
  std::uint64_t order_ = 0;
};

}  // namespace tether::sim
