#include <tether/sim/store.hpp>

namespace tether::sim {

std::optional<Store::Write> Store::complete_next(bool fails) {
  if (in_flight_.empty()) return std::nullopt;
  Write w = in_flight_.front();
  in_flight_.pop_front();
  if (!fails) {
    durable_ = w.cursor;
    ++writes_durable_;
  }
  return w;
}

}  // namespace tether::sim
