#pragma once
// A watch on all keys of a JetStream KV bucket (private to tether::nats):
// nats.c's kvWatcher, read on a thread of its own from start() until the
// destructor. nats.c's watcher is an ordered consumer that recreates itself
// after a gap or missed heartbeats; it ends only when nats.c reports an error
// from kvWatcher_Next (other than a timeout), which is `on_end`.
//
// Destroying one can block: nats.c's kvWatcher_Stop deletes the watch's
// consumer with a JetStream request, which waits for the server (up to the
// request timeout while the link is down). KvWatchCloser destroys released
// watches on a thread of its own, so that neither the runner's strand nor
// stop() waits for that.
#include <nats/nats.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <tether/nats/jetstream_wait.hpp>
#include <thread>

namespace tether::nats {

struct KvWatchSink {
  std::function<void(const KvUpdate&)> on_update;
  std::function<void(std::uint64_t hold)> on_current;  // the current values were delivered
  // The watch ended by itself (never called for the destructor's stop).
  std::function<void(std::uint64_t hold, const std::string& why)> on_end;
};

class KvWatch {
 public:
  // Takes both: the watcher holds the store (nats.c counts its references).
  KvWatch(kvStore* kv, kvWatcher* watcher) : kv_(kv), watcher_(watcher) {}
  ~KvWatch();  // stops the watcher, joins the thread, destroys both
  KvWatch(const KvWatch&) = delete;
  KvWatch& operator=(const KvWatch&) = delete;

  // Reads the watch on its own thread, reporting to `sink` as `hold`. Once.
  void start(std::uint64_t hold, KvWatchSink sink);
  // No sink call starts after this (one under way may finish).
  void retire() { stopping_ = true; }
  std::uint64_t hold() const { return hold_; }

 private:
  void run();

  kvStore* kv_;
  kvWatcher* watcher_;
  std::uint64_t hold_ = 0;
  KvWatchSink sink_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// Destroys the watches it is given, in order, on its own thread.
class KvWatchCloser {
 public:
  KvWatchCloser();
  ~KvWatchCloser();  // finish()
  KvWatchCloser(const KvWatchCloser&) = delete;
  KvWatchCloser& operator=(const KvWatchCloser&) = delete;

  // Retires it now (nullptr: nothing); after finish(), destroys it here.
  void close(std::unique_ptr<KvWatch> watch);
  void finish();  // destroys what is left, then the thread ends

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::unique_ptr<KvWatch>> queue_;
  bool finishing_ = false;
  std::thread thread_;
};

}  // namespace tether::nats
