#include <tether/io/checkpoint_file.hpp>
#include <tether/io/memory_checkpoint_store.hpp>

namespace tether::io {

MemoryCheckpointStore::MemoryCheckpointStore(const model::Cursor& initial)
    : cursor_(canonical(initial)) {}

std::expected<std::optional<model::Cursor>, CheckpointError> MemoryCheckpointStore::load() {
  const std::lock_guard lock(mutex_);
  return cursor_;
}

std::expected<void, CheckpointError> MemoryCheckpointStore::save(const model::Cursor& cursor) {
  const std::lock_guard lock(mutex_);
  // No checkpoint yet: anything is news, even kind none (as with a missing file).
  if (cursor_ && !supersedes(cursor, *cursor_)) return {};
  cursor_ = canonical(cursor);
  ++writes_;
  return {};
}

std::uint64_t MemoryCheckpointStore::writes() const {
  const std::lock_guard lock(mutex_);
  return writes_;
}

}  // namespace tether::io
