// tests/sim/checkpoint_store.cpp tests sim/src/checkpoint_store.cpp: the
// production checkpoint store (io::DiskCheckpointStore: codec, merge, write,
// fsync, rename, directory fsync) over the simulated disk. A crash at every step
// of a save, keeping any prefix of the directory's pending changes and tearing
// unsynced bytes anywhere, leaves the old cursor or the new one; a torn
// temporary file is never loaded; a full disk fails the save and keeps the old
// checkpoint; an older cursor never overwrites a newer one.

#include <catch2/catch.hpp>
#include <cerrno>
#include <optional>
#include <string>
#include <tether/io/checkpoint_file.hpp>
#include <tether/model/prng.hpp>
#include <tether/sim/checkpoint_store.hpp>
#include <tether/sim/disk.hpp>
#include <vector>

using namespace tether::sim;
using tether::io::CheckpointError;
using tether::io::DiskCheckpointOptions;
using tether::model::Cursor;
using tether::model::Prng;
using tether::model::Token;
using Names = std::vector<std::string>;
namespace fs = std::filesystem;

namespace {

const fs::path directory = "/ckpt";
const fs::path file = "/ckpt/a.ckpt";
const std::string stream = "http://sim:80/stream seq=json:seq";

// The store of simulated process `pid`.
DiskCheckpointOptions process(std::uint64_t pid) {
  return DiskCheckpointOptions{.stream = stream, .writer_id = pid};
}

// A disk on which process 1 left `old` durably (or nothing).
SimDisk disk_holding(const std::optional<Cursor>& old) {
  SimDisk disk;
  disk.make_directory(directory);
  if (old) {
    SimCheckpointStore first(disk, file, process(1));
    REQUIRE(first.save(*old));
  }
  return disk;
}

// How many disk steps a new process's first save of `cursor` takes on `disk`.
std::uint64_t steps_of_save(const SimDisk& disk, const Cursor& cursor) {
  SimDisk probe = disk;
  SimCheckpointStore store(probe, file, process(2));
  const auto before = probe.steps();
  REQUIRE(store.save(cursor));
  return probe.steps() - before;
}

std::string shown(const std::optional<Cursor>& cursor) {
  return cursor ? tether::io::encode_checkpoint(*cursor) : std::string("(none)");
}

// After the crash, what the next process (pid 3) loads: it must load, and be
// `old` or `now`; then it saves on top and no temporary file is left.
void check_after_crash(SimDisk& disk, const std::optional<Cursor>& old, const Cursor& now,
                       bool saved) {
  SimCheckpointStore next(disk, file, process(3));
  const auto loaded = next.load();
  INFO("old " << shown(old) << "new " << shown(now));
  INFO((loaded ? "loaded " + shown(*loaded) : "error " + loaded.error().message()));
  REQUIRE(loaded);
  CHECK((*loaded == old || *loaded == now));
  if (saved) CHECK(*loaded == now);  // a save that succeeded is durable
  const Cursor later = Cursor::at_sequence(1000);
  REQUIRE(next.save(later));
  CHECK(next.load().value() == later);
  CHECK(disk.names(directory) == Names{"a.ckpt"});
}

}  // namespace

TEST_CASE(
    "sim checkpoint store: a crash at every step of a save leaves the old cursor or the new, never "
    "an error",
    "[checkpoint_store][crash]") {
  struct Case {
    std::optional<Cursor> old;
    Cursor now;
  };
  const std::vector<Case> cases{
      {std::nullopt, Cursor::at_sequence(9)},
      {Cursor::at_sequence(5), Cursor::at_sequence(9)},
      {Cursor::at_token(Token::make("1700000000:5").value(), 5),
       Cursor::at_token(Token::make("1700000000:9").value(), 9)},
  };
  const std::vector<std::optional<std::size_t>> tears{std::nullopt, 0, 1, 30, 10'000};
  std::uint64_t crashes = 0;
  for (const Case& c : cases) {
    const SimDisk base = disk_holding(c.old);
    const std::uint64_t total = steps_of_save(base, c.now);
    CHECK(total == 7);  // list, read, create, write, fsync, rename, sync the directory
    for (std::uint64_t n = 0; n <= total; ++n) {
      for (std::size_t kept = 0; kept <= 3; ++kept) {
        for (const auto& torn : tears) {
          INFO("crash after step " << n << ", " << kept << " change(s) kept, torn at "
                                   << (torn ? std::to_string(*torn) : "none"));
          SimDisk disk = base;
          SimCheckpointStore writer(disk, file, process(2));
          disk.stop_after(n);
          const bool saved = writer.save(c.now).has_value();
          CHECK(saved == (n == total));
          disk.crash(DiskCrash{.changes_kept = kept, .torn_bytes = torn});
          check_after_crash(disk, c.old, c.now, saved);
          ++crashes;
        }
      }
    }
  }
  CHECK(crashes == 3 * 8 * 4 * 5);
}

TEST_CASE(
    "sim checkpoint store: random crashes in random saves keep the old cursor or the merged one",
    "[checkpoint_store][crash]") {
  for (std::uint64_t seed = 1; seed <= 2000; ++seed) {
    Prng prng = Prng::derive(20260101, seed);
    const auto sequence = [&] {
      return Cursor::at_sequence(static_cast<std::uint64_t>(prng.uniform(1, 20)));
    };
    const std::optional<Cursor> old =
        prng.uniform(0, 3) == 0 ? std::nullopt : std::optional(sequence());
    const Cursor candidate = sequence();
    const Cursor merged = !old || tether::io::supersedes(candidate, *old) ? candidate : *old;
    SimDisk disk = disk_holding(old);
    SimCheckpointStore writer(disk, file, process(2));
    disk.stop_after(static_cast<std::uint64_t>(prng.uniform(0, 8)));
    const bool saved = writer.save(candidate).has_value();
    disk.crash(prng);
    INFO("seed " << seed);
    check_after_crash(disk, old, merged, saved);
  }
}

TEST_CASE(
    "sim checkpoint store: a torn temporary file is never loaded, and the next save removes it",
    "[checkpoint_store][torn]") {
  const SimDisk base = disk_holding(Cursor::at_sequence(5));
  const std::string whole = tether::io::encode_checkpoint(Cursor::at_sequence(9), stream);
  SimDisk dying = base;
  SimCheckpointStore writer(dying, file, process(2));
  dying.stop_after(4);  // list, read, create, write: the process dies before the fsync
  REQUIRE_FALSE(writer.save(Cursor::at_sequence(9)));
  for (std::size_t torn = 1; torn < whole.size(); ++torn) {
    INFO("torn at " << torn);
    SimDisk disk = dying;
    disk.crash(DiskCrash{.changes_kept = 1, .torn_bytes = torn});
    REQUIRE(disk.contents("/ckpt/a.ckpt.tmp.2") == whole.substr(0, torn));
    SimCheckpointStore next(disk, file, process(3));
    CHECK(next.load().value() == Cursor::at_sequence(5));
    REQUIRE(next.save(Cursor::at_sequence(6)));
    CHECK(disk.names(directory) == Names{"a.ckpt"});
  }
}

TEST_CASE(
    "sim checkpoint store: a full disk fails the save naming ENOSPC and keeps the old checkpoint",
    "[checkpoint_store][full]") {
  SimDisk disk = disk_holding(Cursor::at_sequence(5));
  disk.set_full(true);
  SimCheckpointStore store(disk, file, process(2));
  const auto saved = store.save(Cursor::at_sequence(9));
  REQUIRE_FALSE(saved);
  CHECK(saved.error().code == CheckpointError::Code::io_error);
  CHECK(saved.error().errno_value == ENOSPC);
  CHECK(saved.error().message() ==
        "checkpoint file /ckpt/a.ckpt: cannot write /ckpt/a.ckpt.tmp.2: No space left on device "
        "(errno 28)");
  CHECK(store.load().value() == Cursor::at_sequence(5));
  CHECK(disk.names(directory) == Names{"a.ckpt"});  // the empty temporary file is removed
  CHECK(store.durable_cursor().value() == Cursor::at_sequence(5));

  disk.crash(DiskCrash{.changes_kept = 99});
  CHECK(SimCheckpointStore(disk, file, process(3)).load().value() == Cursor::at_sequence(5));
  disk.set_full(false);
  SimCheckpointStore after(disk, file, process(3));
  REQUIRE(after.save(Cursor::at_sequence(9)));
  CHECK(after.durable_cursor().value() == Cursor::at_sequence(9));
}

TEST_CASE(
    "sim checkpoint store: an older cursor never overwrites a newer one, across processes and "
    "crashes",
    "[checkpoint_store][merge]") {
  SimDisk disk = disk_holding(Cursor::at_sequence(10));
  const auto bytes = disk.contents(file);
  {
    SimCheckpointStore late(disk, file, process(2));
    REQUIRE(late.save(Cursor::at_sequence(4)));  // succeeds, writes nothing
    REQUIRE(late.save(Cursor::at_sequence(10)));
    CHECK(late.load().value() == Cursor::at_sequence(10));
  }
  CHECK(disk.contents(file) == bytes);
  disk.crash(DiskCrash{});
  SimCheckpointStore next(disk, file, process(3));
  CHECK(next.load().value() == Cursor::at_sequence(10));
  REQUIRE(next.save(Cursor::at_sequence(11)));
  REQUIRE(next.save(Cursor::at_sequence(7)));
  CHECK(next.durable_cursor().value() == Cursor::at_sequence(11));
  // Token-only cursors cannot be ordered: the last writer wins.
  REQUIRE(next.save(Cursor::at_token(Token::make("b").value())));
  REQUIRE(next.save(Cursor::at_token(Token::make("a").value())));
  CHECK(next.load().value() == Cursor::at_token(Token::make("a").value()));
}

// A save the merge skips claims what save() promises: the stored cursor, as new
// or newer, is durable. The file it read may not be: its rename may still be
// pending in the directory.
TEST_CASE("sim checkpoint store: a save that succeeds is durable, even one the merge skips",
          "[checkpoint_store][crash][merge]") {
  SimDisk disk = disk_holding(Cursor::at_sequence(5));
  SECTION("the retry of a save whose directory fsync failed") {
    SimCheckpointStore store(disk, file, process(2));
    disk.fail_next(DiskStep::sync_directory, EIO);
    const auto failed = store.save(Cursor::at_sequence(9));
    REQUIRE_FALSE(failed);
    CHECK(failed.error().detail ==
          "cannot fsync the directory of /ckpt/a.ckpt: Input/output error (errno 5)");
    REQUIRE(store.save(Cursor::at_sequence(9)));  // the file holds 9 already
    CHECK(store.durable_cursor().value() == Cursor::at_sequence(9));
  }
  SECTION("an older save after a writer was killed before its directory fsync") {
    {
      SimCheckpointStore killed(disk, file, process(2));
      disk.stop_after(6);  // list, read, create, write, fsync, rename
      REQUIRE_FALSE(killed.save(Cursor::at_sequence(9)));
    }
    disk.restart();  // the process died, the machine did not
    SimCheckpointStore next(disk, file, process(3));
    CHECK(next.load().value() == Cursor::at_sequence(9));
    REQUIRE(next.save(Cursor::at_sequence(7)));  // 9 is newer: nothing to write
    CHECK(next.durable_cursor().value() == Cursor::at_sequence(9));
  }
  disk.crash(DiskCrash{.changes_kept = 0});
  CHECK(SimCheckpointStore(disk, file, process(4)).load().value() == Cursor::at_sequence(9));
}
