#pragma once
// A simulated disk: the checkpoint store's file-system port (<tether/io/disk.hpp>)
// in memory, deterministic, with the crash semantics POSIX allows and no
// kinder, so that the production store (io::DiskCheckpointStore) is tested
// against what a real disk may do (docs/simulation.md, "The simulated disk").
//
// The model:
//   - a file's bytes are durable once write_file_synced() returns (it writes,
//     then fsyncs); until then a crash loses them: the file reverts to its last
//     synced bytes (empty for a new file), or, for a torn crash, keeps a prefix
//     of the bytes written;
//   - names (a creation, a rename, a removal) are changes to their directory,
//     durable only after sync_directory_of() for that directory. A crash keeps
//     a prefix of each directory's pending changes, oldest first, and loses the
//     rest (as a journal commits them in order): before the directory sync a
//     renamed file may have the old name or the new one, never neither;
//   - full (set_full): writing any byte fails with ENOSPC; the file is created,
//     empty. A one-shot failure of any step (fail_next) injects other errnos;
//   - a process may die in the middle of a call (stop_after): the disk counts
//     steps (each call is one, write_file_synced three: create, write, fsync)
//     and after the given number every step fails with EIO and changes
//     nothing, until restart() (the process died, the machine did not: nothing
//     is lost) or crash() (power loss: unsynced state is lost as above).
//
// Every file lives in a directory made by make_directory(). No POSIX: paths
// are only names here.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/disk.hpp>
#include <tether/model/prng.hpp>
#include <vector>

namespace tether::sim {

// The steps a fault can target (fail_next).
enum class DiskStep : std::uint8_t {
  read,
  list,
  create,
  write,
  fsync,
  rename,
  sync_directory,
  remove
};

// What a crash keeps of what is not durable.
struct DiskCrash {
  // Of each directory's pending changes, how many survive, oldest first
  // (clipped to the number pending). 0: every name is as the last sync left it.
  std::size_t changes_kept = 0;
  // nullopt: an unsynced file reverts to its last synced bytes. A value n: it
  // keeps the first n bytes of what was written (a torn write; clipped).
  std::optional<std::size_t> torn_bytes{};
};

class SimDisk final : public io::Disk {
 public:
  // --- the world's side -----------------------------------------------------
  // A directory that exists (durably) from now on; "/" and its like included.
  void make_directory(const std::filesystem::path& directory);
  void set_full(bool full) { full_ = full; }
  // The next `step` fails with `errno_value` (once; the call fails as a real
  // one would at that step, and changes nothing more).
  void fail_next(DiskStep step, int errno_value);
  // The process using the disk dies after `steps` more steps (see the header).
  void stop_after(std::uint64_t steps) { stop_at_ = steps_ + steps; }
  // The process restarted, the machine did not: nothing is lost.
  void restart() { stop_at_ = no_stop; }
  // Power loss: unsynced data and pending names lost as `crash` says; ends a stop.
  void crash(const DiskCrash& crash);
  // Power loss with every choice drawn from `prng`: per directory, how many
  // pending changes survive; per unsynced file, whether it reverts or tears,
  // and where.
  void crash(model::Prng& prng);

  // --- inspection (no step counted) -----------------------------------------
  // What a read sees now, and what a crash that keeps nothing pending would
  // leave. nullopt: no such file.
  std::optional<std::string> contents(const std::filesystem::path& file) const;
  std::optional<std::string> durable_contents(const std::filesystem::path& file) const;
  // The names in `directory` now, sorted.
  std::vector<std::string> names(const std::filesystem::path& directory) const;
  std::size_t pending_changes(const std::filesystem::path& directory) const;
  std::uint64_t steps() const { return steps_; }
  bool stopped() const { return steps_ >= stop_at_; }

  // --- io::Disk --------------------------------------------------------------
  std::expected<std::optional<std::string>, io::DiskError> read_file(
      const std::filesystem::path& file, std::size_t bytes_max) override;
  std::expected<void, io::DiskError> write_file_synced(const std::filesystem::path& file,
                                                       std::string_view bytes) override;
  std::expected<void, io::DiskError> rename(const std::filesystem::path& from,
                                            const std::filesystem::path& to) override;
  std::expected<void, io::DiskError> sync_directory_of(const std::filesystem::path& file) override;
  void remove(const std::filesystem::path& file) override;
  std::vector<std::filesystem::path> list(const std::filesystem::path& directory,
                                          std::string_view prefix) override;

 private:
  static constexpr std::uint64_t no_stop = std::numeric_limits<std::uint64_t>::max();

  struct File {
    std::string bytes;    // what a read sees
    std::string durable;  // what a crash leaves (unless torn)
    bool synced = true;
  };
  // One change to a directory's names, replayed on its durable names at a crash.
  struct Change {
    enum class Kind : std::uint8_t { link, unlink, rename } kind = Kind::link;
    std::string name;
    std::string to;          // rename only
    std::uint64_t file = 0;  // link only
  };
  // Name -> file id; looked up by string_view (std::less<>).
  using Names = std::map<std::string, std::uint64_t, std::less<>>;
  struct Directory {
    Names names;                  // now
    Names durable;                // after the last sync
    std::vector<Change> pending;  // since then, oldest first
  };

  // A step of the process: false (and nothing may change) if it is dead or
  // the step was told to fail; `errno_value` says why.
  bool step(DiskStep kind, int& errno_value);
  Directory* directory_named(std::string_view directory);
  const Directory* directory_named(std::string_view directory) const;
  static void apply(Names& names, const Change& change);
  void settle(const std::function<std::size_t(std::size_t)>& changes_kept,
              const std::function<void(File&)>& settle_file);
  void collect_unreferenced_files();

  std::map<std::string, Directory, std::less<>> directories_;
  std::map<std::uint64_t, File> files_;
  std::uint64_t next_file_ = 1;
  std::map<DiskStep, int> fail_next_;
  bool full_ = false;
  std::uint64_t steps_ = 0;
  std::uint64_t stop_at_ = no_stop;
};

}  // namespace tether::sim
