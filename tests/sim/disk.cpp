// tests/sim/disk.cpp tests sim/src/disk.cpp: what a crash keeps and loses
// (unsynced bytes, names not yet synced, torn writes), a full disk, a process
// that dies mid-call, one-shot faults, and determinism of random crashes.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <set>
#include <string>
#include <tether/sim/disk.hpp>
#include <vector>

using namespace tether::sim;
using tether::model::Prng;
using Names = std::vector<std::string>;

namespace {

// A disk with "/d" holding a.ckpt = "old", durably.
SimDisk disk_with_old_file() {
  SimDisk disk;
  disk.make_directory("/d");
  REQUIRE(disk.write_file_synced("/d/a.ckpt", "old"));
  REQUIRE(disk.sync_directory_of("/d/a.ckpt"));
  return disk;
}

// write "/d/a.ckpt.tmp", rename it over a.ckpt: two pending changes.
void replace_without_sync(SimDisk& disk, std::string_view bytes) {
  REQUIRE(disk.write_file_synced("/d/a.ckpt.tmp", bytes));
  REQUIRE(disk.rename("/d/a.ckpt.tmp", "/d/a.ckpt"));
  REQUIRE(disk.pending_changes("/d") == 2);
}

}  // namespace

TEST_CASE("sim disk: a synced file whose name was never synced may vanish in a crash", "[disk]") {
  SimDisk disk;
  disk.make_directory("/d");
  REQUIRE(disk.write_file_synced("/d/f", "bytes"));
  CHECK(disk.contents("/d/f") == "bytes");
  CHECK(disk.durable_contents("/d/f") == std::nullopt);
  SimDisk kept = disk;
  disk.crash(DiskCrash{.changes_kept = 0});
  CHECK(disk.names("/d").empty());
  kept.crash(DiskCrash{.changes_kept = 1});
  CHECK(kept.contents("/d/f") == "bytes");
}

TEST_CASE(
    "sim disk: before the directory sync a crash leaves the old name or the new, after it the new",
    "[disk]") {
  SimDisk disk = disk_with_old_file();
  replace_without_sync(disk, "new");
  CHECK(disk.contents("/d/a.ckpt") == "new");
  CHECK(disk.durable_contents("/d/a.ckpt") == "old");

  SimDisk none = disk, created = disk, renamed = disk, synced = disk;
  none.crash(DiskCrash{.changes_kept = 0});
  CHECK(none.names("/d") == Names{"a.ckpt"});
  CHECK(none.contents("/d/a.ckpt") == "old");
  created.crash(DiskCrash{.changes_kept = 1});
  CHECK(created.names("/d") == Names{"a.ckpt", "a.ckpt.tmp"});
  CHECK(created.contents("/d/a.ckpt") == "old");
  CHECK(created.contents("/d/a.ckpt.tmp") == "new");
  renamed.crash(DiskCrash{.changes_kept = 99});
  CHECK(renamed.names("/d") == Names{"a.ckpt"});
  CHECK(renamed.contents("/d/a.ckpt") == "new");

  REQUIRE(synced.sync_directory_of("/d/a.ckpt"));
  CHECK(synced.pending_changes("/d") == 0);
  CHECK(synced.durable_contents("/d/a.ckpt") == "new");
  synced.crash(DiskCrash{.changes_kept = 0});
  CHECK(synced.contents("/d/a.ckpt") == "new");
}

TEST_CASE("sim disk: a crash loses unsynced bytes, or tears them to a prefix", "[disk][torn]") {
  SimDisk disk = disk_with_old_file();
  disk.stop_after(2);  // create and write; the process dies before the fsync
  const auto written = disk.write_file_synced("/d/b", "0123456789");
  REQUIRE_FALSE(written);
  CHECK(written.error().step == "cannot fsync");
  CHECK(written.error().errno_value == EIO);
  CHECK(disk.stopped());
  CHECK(disk.contents("/d/b") == "0123456789");  // in the page cache

  SimDisk lost = disk, torn = disk, whole = disk;
  lost.crash(DiskCrash{.changes_kept = 1});
  CHECK(lost.contents("/d/b") == "");
  torn.crash(DiskCrash{.changes_kept = 1, .torn_bytes = 4});
  CHECK(torn.contents("/d/b") == "0123");
  whole.crash(DiskCrash{.changes_kept = 1, .torn_bytes = 100});
  CHECK(whole.contents("/d/b") == "0123456789");
  CHECK(torn.contents("/d/a.ckpt") == "old");  // synced bytes are never torn
  CHECK_FALSE(torn.stopped());
}

TEST_CASE("sim disk: a full disk fails writes with ENOSPC and leaves the file empty",
          "[disk][full]") {
  SimDisk disk = disk_with_old_file();
  disk.set_full(true);
  const auto written = disk.write_file_synced("/d/t", "bytes");
  REQUIRE_FALSE(written);
  CHECK(written.error().step == "cannot write");
  CHECK(written.error().subject == "/d/t");
  CHECK(written.error().errno_value == ENOSPC);
  CHECK(disk.contents("/d/t") == "");
  CHECK(disk.contents("/d/a.ckpt") == "old");
  disk.set_full(false);
  CHECK(disk.write_file_synced("/d/t", "bytes"));
}

TEST_CASE("sim disk: a dead process changes nothing until it restarts", "[disk]") {
  SimDisk disk = disk_with_old_file();
  const auto steps = disk.steps();
  disk.stop_after(0);
  CHECK_FALSE(disk.read_file("/d/a.ckpt", 100));
  CHECK_FALSE(disk.write_file_synced("/d/a.ckpt", "dead"));
  CHECK_FALSE(disk.rename("/d/a.ckpt", "/d/b"));
  CHECK_FALSE(disk.sync_directory_of("/d/a.ckpt"));
  disk.remove("/d/a.ckpt");
  CHECK(disk.list("/d", "").empty());
  CHECK(disk.steps() == steps);
  CHECK(disk.contents("/d/a.ckpt") == "old");
  disk.restart();
  CHECK(disk.read_file("/d/a.ckpt", 100).value() == "old");
  CHECK(disk.steps() == steps + 1);
}

TEST_CASE("sim disk: a one-shot fault fails its step once, and the rest of the call does nothing",
          "[disk]") {
  SimDisk disk = disk_with_old_file();
  disk.fail_next(DiskStep::sync_directory, EIO);
  REQUIRE(disk.rename("/d/a.ckpt", "/d/b"));
  const auto synced = disk.sync_directory_of("/d/b");
  REQUIRE_FALSE(synced);
  CHECK(synced.error().step == "cannot fsync the directory of");
  CHECK(synced.error().errno_value == EIO);
  CHECK(disk.pending_changes("/d") == 1);
  CHECK(disk.sync_directory_of("/d/b"));
  CHECK(disk.pending_changes("/d") == 0);
}

TEST_CASE("sim disk: a missing directory is an error, never \"no file\"", "[disk]") {
  SimDisk disk;
  const auto read = disk.read_file("/nowhere/a.ckpt", 100);
  REQUIRE_FALSE(read);
  CHECK(read.error().step == "cannot find the directory of");
  CHECK(read.error().errno_value == ENOENT);
  CHECK(disk.write_file_synced("/nowhere/a", "x").error().errno_value == ENOENT);
  disk.make_directory("/d");
  CHECK(disk.read_file("/d/a.ckpt", 100).value() == std::nullopt);
  CHECK(disk.rename("/d/a", "/e/a").error().errno_value == ENOENT);
}

TEST_CASE("sim disk: a random crash is a function of the seed, and reaches every outcome",
          "[disk][torn]") {
  std::set<std::string> outcomes;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    SimDisk disk = disk_with_old_file();
    replace_without_sync(disk, "new");
    disk.stop_after(2);
    (void)disk.write_file_synced("/d/c", "0123456789");  // dies before the fsync
    SimDisk twin = disk;
    Prng prng(seed);
    Prng twin_prng(seed);
    disk.crash(prng);
    twin.crash(twin_prng);
    REQUIRE(disk.names("/d") == twin.names("/d"));
    REQUIRE(disk.contents("/d/c") == twin.contents("/d/c"));
    const auto a = disk.contents("/d/a.ckpt");
    REQUIRE(a);
    CHECK((*a == "old" || *a == "new"));
    std::string outcome = *a + (disk.contents("/d/a.ckpt.tmp") ? "+tmp" : "");
    if (const auto c = disk.contents("/d/c")) outcome += "+c" + std::to_string(c->size());
    outcomes.insert(outcome);
  }
  CHECK(outcomes.contains("old"));
  CHECK(outcomes.contains("old+tmp"));
  CHECK(outcomes.contains("new"));
  CHECK(outcomes.contains("new+c0"));
  CHECK(outcomes.contains("new+c10"));
  const auto torn = [](const std::string& o) {
    return o.starts_with("new+c") && o != "new+c0" && o != "new+c10";
  };
  CHECK(std::ranges::any_of(outcomes, torn));
}

// The disk splits "<dir>/<name>" itself and leaves other spellings to
// std::filesystem::path: both find the same directory and name.
TEST_CASE(
    "sim disk: a file's directory and name are what std::filesystem::path says, however the path "
    "is spelled",
    "[disk]") {
  SimDisk disk;
  disk.make_directory("/");
  disk.make_directory("/d");
  disk.make_directory("rel");
  REQUIRE(disk.write_file_synced("/top", "at the root"));
  REQUIRE(disk.write_file_synced("rel/f", "relative"));
  REQUIRE(disk.write_file_synced("/d//f", "doubled slash"));
  CHECK(disk.names("/") == Names{"top"});
  CHECK(disk.names("rel") == Names{"f"});
  CHECK(disk.contents("/d/f") == "doubled slash");
  REQUIRE(disk.rename("/d/f", "/d//g"));  // one directory, spelled two ways
  CHECK(disk.names("/d") == Names{"g"});
  const auto across = disk.rename("/d/g", "/top2");
  REQUIRE_FALSE(across);
  CHECK(across.error().errno_value == EXDEV);
  CHECK_FALSE(disk.write_file_synced("/nowhere/f", "x"));  // no such directory
  disk.remove("/d//g");
  CHECK(disk.names("/d").empty());
}
