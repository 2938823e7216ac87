#pragma once
// A simulated process's checkpoint store: the production algorithm
// (io::DiskCheckpointStore: the checkpoint codec, the stream check, the
// monotonic merge, write-temporary-fsync-rename-fsync) over the simulated
// disk (<tether/sim/disk.hpp>), so every byte it writes is a real checkpoint
// file and every crash the disk models meets the code users run.
//
// One store per process life: a restarted process makes a new one on the same
// disk (with its own process id), and its first save() removes the temporary
// file the dead one may have left.

#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <tether/io/checkpoint_store.hpp>
#include <tether/io/disk_checkpoint_store.hpp>
#include <tether/model/cursor.hpp>
#include <tether/sim/disk.hpp>

namespace tether::sim {

class SimCheckpointStore final : public io::CheckpointStore {
 public:
  // `file` in a directory made by disk.make_directory(); `options` must pass
  // io::DiskCheckpointStore::check (writer_id: the simulated process id).
  SimCheckpointStore(SimDisk& disk, std::filesystem::path file, io::DiskCheckpointOptions options);

  std::expected<std::optional<model::Cursor>, io::CheckpointError> load() override {
    return store_.load();
  }
  std::expected<void, io::CheckpointError> save(const model::Cursor& cursor) override {
    return store_.save(cursor);
  }

  // What load() would return after a crash that keeps nothing that is not yet
  // durable (no pending name change, no unsynced byte): the checkpoint the
  // next process is sure to find. Counts no disk step.
  std::expected<std::optional<model::Cursor>, io::CheckpointError> durable_cursor() const;

  const std::filesystem::path& path() const { return store_.path(); }

 private:
  std::expected<std::optional<model::Cursor>, io::CheckpointError> decode_durable(
      const std::string& bytes) const;

  SimDisk& disk_;
  io::DiskCheckpointStore store_;
  std::string stream_;
  // durable_cursor()'s last answer for a file and the bytes it came from: the
  // world asks after every step and the durable file seldom changes (the
  // answer is a function of the bytes alone).
  mutable std::string last_durable_bytes_;
  mutable std::optional<std::expected<std::optional<model::Cursor>, io::CheckpointError>>
      last_durable_answer_;
};

}  // namespace tether::sim
