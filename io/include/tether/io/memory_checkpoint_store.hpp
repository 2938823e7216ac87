#pragma once
// A checkpoint store that keeps the cursor in memory: for tests, and for
// applications that resume only within one process lifetime. It applies the
// same monotonic merge (supersedes() in <tether/io/checkpoint_file.hpp>) and
// stores the same canonical form as FileCheckpointStore, so code tested against
// it sees what it would see with a file. Thread-safe (one mutex); never fails.

#include <cstdint>
#include <expected>
#include <mutex>
#include <optional>
#include <tether/io/checkpoint_store.hpp>
#include <tether/model/cursor.hpp>

namespace tether::io {

class MemoryCheckpointStore final : public CheckpointStore {
 public:
  MemoryCheckpointStore() = default;
  // A store that already holds `initial` (as if saved earlier).
  explicit MemoryCheckpointStore(const model::Cursor& initial);

  std::expected<std::optional<model::Cursor>, CheckpointError> load() override;
  std::expected<void, CheckpointError> save(const model::Cursor& cursor) override;

  // How many save() calls replaced the stored cursor (the merge skipped the rest).
  std::uint64_t writes() const;

 private:
  mutable std::mutex mutex_;
  std::optional<model::Cursor> cursor_;  // canonical; nullopt until the first save
  std::uint64_t writes_ = 0;
};

}  // namespace tether::io
