#pragma once
// What a JetStreamWait told its application, each with the steady_clock time
// it was told; the tests wait on it (a condition variable, bounded), never on
// sleeps, and read the timeline afterwards.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tether/nats/jetstream_wait.hpp>
#include <vector>

namespace tether::nats::testing {

using Clock = std::chrono::steady_clock;

inline std::int64_t ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

struct Recorder {
  struct Link {
    Clock::time_point at;
    bool up;
  };
  struct Lookup {
    Clock::time_point at;
    std::uint64_t number;
  };
  struct Hold {
    Clock::time_point at;
    std::uint64_t hold;
  };
  struct Lost {
    Clock::time_point at;
    std::uint64_t hold;
    std::string why;
  };

  mutable std::mutex mutex;
  std::condition_variable changed;
  std::vector<Link> links;
  std::vector<Lookup> lookups;
  std::vector<Hold> ready;
  std::vector<Lost> lost;
  std::vector<Hold> current;
  std::vector<KvUpdate> updates;
  std::vector<model::wait::Status> statuses;
  std::vector<std::string> diagnostics;
  bool after_stop = false;  // a callback came after stop() returned
  bool stopped = false;

  JetStreamWaitCallbacks callbacks() {
    JetStreamWaitCallbacks c;
    c.on_link = [this](bool up) { add([&] { links.push_back({Clock::now(), up}); }); };
    c.on_lookup = [this](std::uint64_t n) { add([&] { lookups.push_back({Clock::now(), n}); }); };
    c.on_ready = [this](std::uint64_t h) { add([&] { ready.push_back({Clock::now(), h}); }); };
    c.on_lost = [this](std::uint64_t h, const std::string& why) {
      add([&] { lost.push_back({Clock::now(), h, why}); });
    };
    c.on_current = [this](std::uint64_t h) { add([&] { current.push_back({Clock::now(), h}); }); };
    c.on_update = [this](const KvUpdate& u) { add([&] { updates.push_back(u); }); };
    c.on_status = [this](const model::wait::Status& s) { add([&] { statuses.push_back(s); }); };
    c.on_diagnostic = [this](const io::Diagnostic& d) {
      add([&] { diagnostics.push_back(d.text); });
    };
    return c;
  }
  template <class Fn>
  void add(Fn fn) {
    std::lock_guard lock(mutex);
    if (stopped) after_stop = true;
    fn();
    changed.notify_all();
  }
  // Waits until `done(*this)` holds under the lock, `timeout` at most.
  template <class Pred>
  bool until(Pred done, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return done(*this); });
  }
  bool said(std::string_view text) const {
    return std::any_of(diagnostics.begin(), diagnostics.end(),
                       [&](const std::string& d) { return d.find(text) != std::string::npos; });
  }
  std::size_t ups() const {
    return static_cast<std::size_t>(
        std::count_if(links.begin(), links.end(), [](const Link& l) { return l.up; }));
  }
  std::size_t downs() const { return links.size() - ups(); }
  bool has_update(std::uint64_t hold, std::string_view key, std::string_view value) const {
    return std::any_of(updates.begin(), updates.end(), [&](const KvUpdate& u) {
      return u.hold == hold && u.key == key && u.value == value;
    });
  }
  bool reported(model::wait::StatusKind kind) const {
    return std::any_of(statuses.begin(), statuses.end(),
                       [&](const model::wait::Status& s) { return s.kind == kind; });
  }
  // The first link change of that direction at or after `from`.
  std::optional<Clock::time_point> link_after(Clock::time_point from, bool up) const {
    for (const Link& l : links)
      if (l.up == up && l.at >= from) return l.at;
    return std::nullopt;
  }
  // The first lookup at or after `from`.
  std::optional<Clock::time_point> lookup_after(Clock::time_point from) const {
    for (const Lookup& l : lookups)
      if (l.at >= from) return l.at;
    return std::nullopt;
  }
  std::size_t lookups_between(Clock::time_point from, Clock::time_point to) const {
    return static_cast<std::size_t>(
        std::count_if(lookups.begin(), lookups.end(),
                      [&](const Lookup& l) { return l.at >= from && l.at < to; }));
  }
};

}  // namespace tether::nats::testing
