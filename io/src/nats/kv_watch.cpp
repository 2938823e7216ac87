#include "kv_watch.hpp"

#include <utility>

#include "connection.hpp"

namespace tether::nats {

namespace {

// kvWatcher_Next's timeout: only how often the loop wakes with nothing to do;
// the destructor's kvWatcher_Stop wakes it at once.
constexpr std::int64_t next_wait_ms = 60000;

KvUpdate to_update(std::uint64_t hold, kvEntry* entry) {
  KvUpdate update;
  update.hold = hold;
  update.key = kvEntry_Key(entry);
  const auto* value = static_cast<const char*>(kvEntry_Value(entry));
  const int length = kvEntry_ValueLen(entry);
  if (value != nullptr && length > 0) update.value.assign(value, static_cast<std::size_t>(length));
  update.revision = kvEntry_Revision(entry);
  switch (kvEntry_Operation(entry)) {
    case kvOp_Delete:
      update.operation = KvUpdate::Operation::del;
      break;
    case kvOp_Purge:
      update.operation = KvUpdate::Operation::purge;
      break;
    default:
      update.operation = KvUpdate::Operation::put;
  }
  return update;
}

}  // namespace

KvWatch::~KvWatch() {
  stopping_ = true;
  kvWatcher_Stop(watcher_);  // wakes kvWatcher_Next
  if (thread_.joinable()) thread_.join();
  kvWatcher_Destroy(watcher_);
  kvStore_Destroy(kv_);
}

void KvWatch::start(std::uint64_t hold, KvWatchSink sink) {
  hold_ = hold;
  sink_ = std::move(sink);
  thread_ = std::thread([this] { run(); });
}

void KvWatch::run() {
  for (;;) {
    kvEntry* entry = nullptr;
    const natsStatus status = kvWatcher_Next(&entry, watcher_, next_wait_ms);
    if (stopping_) {
      kvEntry_Destroy(entry);
      return;
    }
    if (status == NATS_TIMEOUT) continue;
    if (status != NATS_OK) {
      sink_.on_end(hold_, status_text(status));
      return;
    }
    if (entry == nullptr) {  // nats.c's marker: the current values were all delivered
      sink_.on_current(hold_);
      continue;
    }
    const KvUpdate update = to_update(hold_, entry);
    kvEntry_Destroy(entry);
    sink_.on_update(update);
  }
}

KvWatchCloser::KvWatchCloser() : thread_([this] { run(); }) {}

KvWatchCloser::~KvWatchCloser() { finish(); }

void KvWatchCloser::close(std::unique_ptr<KvWatch> watch) {
  if (!watch) return;
  watch->retire();
  std::unique_lock lock(mutex_);
  if (finishing_) {  // no thread any more: here
    lock.unlock();
    watch.reset();
    return;
  }
  queue_.push_back(std::move(watch));
  changed_.notify_one();
}

void KvWatchCloser::finish() {
  {
    std::lock_guard lock(mutex_);
    finishing_ = true;
    changed_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void KvWatchCloser::run() {
  for (;;) {
    std::unique_ptr<KvWatch> next;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return finishing_ || !queue_.empty(); });
      if (queue_.empty()) return;
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    next.reset();
  }
}

}  // namespace tether::nats
