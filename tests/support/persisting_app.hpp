#pragma once
// An application written once against io::Application and io::SessionControl,
// run unchanged by the simulator (tests/sim/client_code.cpp, every simulated
// process) and by the real Runner (tests/io/integration/application.cpp): it
// persists each delivery to its own database, then acks it — or, with
// `ack_first`, the classic bug: acks at once and persists later.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <tether/io/application.hpp>

namespace tether::testing {

// The application's own database: what it has persisted. It outlives the
// session (and, under the simulator, the process's crashes). Locked: the
// Runner writes it on its strand while a test thread waits on it.
class Database {
 public:
  void insert(std::uint64_t sequence) {
    std::lock_guard lock(mutex_);
    sequences_.insert(sequence);
    changed_.notify_all();
  }
  bool contains(std::uint64_t sequence) const {
    std::lock_guard lock(mutex_);
    return sequences_.contains(sequence);
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return sequences_.size();
  }
  // Waits (bounded) until `count` sequences are persisted.
  bool wait_for_size(std::size_t count, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return sequences_.size() >= count; });
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::set<std::uint64_t> sequences_;
};

class PersistingApp final : public io::Application {
 public:
  static constexpr std::int64_t write_ms = 150;  // a database write's latency

  PersistingApp(io::SessionControl& session, Database& db, bool ack_first,
                std::optional<std::uint64_t> stop_after = std::nullopt)
      : session_(session), database_(db), ack_first_(ack_first), stop_after_(stop_after) {}

  void on_delivery(const io::Delivery& d) override {
    if (!d.sequence) return;
    const std::uint64_t sequence = *d.sequence;
    const std::uint64_t id = d.delivery_id;
    Database& db = database_;
    io::SessionControl& session = session_;
    if (ack_first_) {
      session.ack(id);
      session.after(write_ms, [&db, sequence] { db.insert(sequence); });
    } else {
      // Durable first, then the stream may checkpoint past it; and a stop
      // asked for after the last write goes behind its ack.
      const bool last = stop_after_ && sequence >= *stop_after_;
      session.after(write_ms, [&db, &session, sequence, id, last] {
        db.insert(sequence);
        session.ack(id);
        if (last) session.stop();
      });
    }
  }
  void on_gap(const model::ReportGap&) override {}
  void on_status(const model::Status&) override {}
  void on_diagnostic(const io::Diagnostic&) override {}

 private:
  io::SessionControl& session_;
  Database& database_;
  bool ack_first_;
  std::optional<std::uint64_t> stop_after_;
};

}  // namespace tether::testing
