// tests/io/disk_checkpoint_store.cpp tests io/src/disk_checkpoint_store.cpp
// over a scripted in-memory Disk that records every call: the order of a
// save's steps, what each failed step reports and cleans up, and how load()
// maps the port's answers. FileCheckpointStore (the same algorithm over
// PosixDisk) is tested on real files in tests/io/file_checkpoint_store.cpp;
// crashes at every step, on a disk that loses and tears, in tests/sim/disk_store.cpp.

#include <catch2/catch.hpp>
#include <cerrno>
#include <map>
#include <optional>
#include <string>
#include <tether/io/checkpoint_file.hpp>
#include <tether/io/disk.hpp>
#include <tether/io/disk_checkpoint_store.hpp>
#include <vector>

using namespace tether::io;
using tether::model::Cursor;
namespace fs = std::filesystem;
using Code = CheckpointError::Code;

namespace {

// Files in memory, every call recorded as "<op> <path>", and one scripted
// failure per op name ("read", "write", "rename", "sync").
class ScriptedDisk final : public Disk {
 public:
  std::map<std::string, std::string> files;
  std::vector<std::string> calls;
  std::map<std::string, DiskError> fail;  // op name -> its failure, once
  bool read_not_regular = false;

  std::expected<std::optional<std::string>, DiskError> read_file(const fs::path& file,
                                                                 std::size_t bytes_max) override {
    calls.push_back("read " + file.string());
    if (auto e = failure("read")) return std::unexpected(*e);
    if (read_not_regular)
      return std::unexpected(DiskError{DiskError::Kind::not_a_regular_file, "", file, 0});
    const auto it = files.find(file.string());
    if (it == files.end()) return std::nullopt;
    return it->second.substr(0, bytes_max);
  }
  std::expected<void, DiskError> write_file_synced(const fs::path& file,
                                                   std::string_view bytes) override {
    calls.push_back("write " + file.string());
    files[file.string()] = std::string(bytes.substr(0, bytes.size() / 2));  // a failure leaves half
    if (auto e = failure("write")) return std::unexpected(*e);
    files[file.string()] = std::string(bytes);
    return {};
  }
  std::expected<void, DiskError> rename(const fs::path& from, const fs::path& to) override {
    calls.push_back("rename " + from.string() + " " + to.string());
    if (auto e = failure("rename")) return std::unexpected(*e);
    files[to.string()] = files.at(from.string());
    files.erase(from.string());
    return {};
  }
  std::expected<void, DiskError> sync_directory_of(const fs::path& file) override {
    calls.push_back("sync " + file.string());
    if (auto e = failure("sync")) return std::unexpected(*e);
    return {};
  }
  void remove(const fs::path& file) override {
    calls.push_back("remove " + file.string());
    files.erase(file.string());
  }
  std::vector<fs::path> list(const fs::path& directory, std::string_view prefix) override {
    calls.push_back("list " + directory.string() + " " + std::string(prefix));
    std::vector<fs::path> found;
    for (const auto& [name, bytes] : files) {
      const fs::path path(name);
      if (path.parent_path() == directory && path.filename().string().starts_with(prefix))
        found.push_back(path);
    }
    return found;
  }

 private:
  std::optional<DiskError> failure(const std::string& op) {
    const auto it = fail.find(op);
    if (it == fail.end()) return std::nullopt;
    DiskError e = it->second;
    fail.erase(it);
    return e;
  }
};

DiskError system_failure(std::string step, const fs::path& subject, int errno_value) {
  return DiskError{DiskError::Kind::system, std::move(step), subject, errno_value};
}

const fs::path file = "/d/a.ckpt";
const fs::path temp = "/d/a.ckpt.tmp.7";
const DiskCheckpointOptions options{.stream = "s", .writer_id = 7};

}  // namespace

TEST_CASE(
    "disk checkpoint store: a save reads, writes the temporary file, renames it over the file, "
    "syncs the "
    "directory, in that order",
    "[checkpoint][disk]") {
  ScriptedDisk disk;
  disk.files["/d/a.ckpt.tmp.99"] = "half";
  disk.files["/d/other.ckpt.tmp.5"] = "not ours";
  DiskCheckpointStore store(disk, file, options);
  CHECK(store.temp_path() == temp);
  REQUIRE(store.save(Cursor::at_sequence(5)));
  CHECK(disk.calls == std::vector<std::string>{"list /d a.ckpt.tmp.", "remove /d/a.ckpt.tmp.99",
                                               "read /d/a.ckpt", "write /d/a.ckpt.tmp.7",
                                               "rename /d/a.ckpt.tmp.7 /d/a.ckpt",
                                               "sync /d/a.ckpt"});
  CHECK(disk.files.at(file.string()) == encode_checkpoint(Cursor::at_sequence(5), "s"));
  CHECK(disk.files.contains("/d/other.ckpt.tmp.5"));

  // Only the first save of a store sweeps.
  disk.calls.clear();
  REQUIRE(store.save(Cursor::at_sequence(6)));
  CHECK(disk.calls == std::vector<std::string>{"read /d/a.ckpt", "write /d/a.ckpt.tmp.7",
                                               "rename /d/a.ckpt.tmp.7 /d/a.ckpt",
                                               "sync /d/a.ckpt"});
  CHECK(store.load().value() == Cursor::at_sequence(6));
}

TEST_CASE(
    "disk checkpoint store: a failed step names the step, the path and errno, and removes the "
    "temporary file",
    "[checkpoint][disk]") {
  ScriptedDisk disk;
  DiskCheckpointStore store(disk, file, options);
  REQUIRE(store.save(Cursor::at_sequence(1)));
  const std::string before = disk.files.at(file.string());
  disk.calls.clear();

  SECTION("a full disk") {
    disk.fail["write"] = system_failure("cannot write", temp, ENOSPC);
    const auto saved = store.save(Cursor::at_sequence(2));
    REQUIRE_FALSE(saved);
    CHECK(saved.error().code == Code::io_error);
    CHECK(saved.error().errno_value == ENOSPC);
    CHECK(saved.error().message() ==
          "checkpoint file /d/a.ckpt: cannot write /d/a.ckpt.tmp.7: No space left on device (errno "
          "28)");
    CHECK(disk.calls == std::vector<std::string>{"read /d/a.ckpt", "write /d/a.ckpt.tmp.7",
                                                 "remove /d/a.ckpt.tmp.7"});
  }
  SECTION("a failed rename") {
    disk.fail["rename"] = system_failure("cannot rename", temp, EXDEV);
    const auto saved = store.save(Cursor::at_sequence(2));
    REQUIRE_FALSE(saved);
    CHECK(saved.error().detail == "cannot rename over the checkpoint /d/a.ckpt.tmp.7: " +
                                      std::generic_category().message(EXDEV) + " (errno " +
                                      std::to_string(EXDEV) + ")");
    CHECK(disk.calls.back() == "remove /d/a.ckpt.tmp.7");
  }
  SECTION("a failed directory fsync: the file is replaced, the save still fails") {
    disk.fail["sync"] = system_failure("cannot fsync the directory of", file, EIO);
    const auto saved = store.save(Cursor::at_sequence(2));
    REQUIRE_FALSE(saved);
    CHECK(saved.error().detail ==
          "cannot fsync the directory of /d/a.ckpt: Input/output error (errno 5)");
    CHECK(disk.calls.back() == "sync /d/a.ckpt");
    CHECK(store.load().value() == Cursor::at_sequence(2));
    return;
  }
  CHECK(disk.files.at(file.string()) == before);
  CHECK_FALSE(disk.files.contains(temp.string()));
  CHECK(store.load().value() == Cursor::at_sequence(1));
}

TEST_CASE("disk checkpoint store: load maps the port's answers", "[checkpoint][disk]") {
  ScriptedDisk disk;
  DiskCheckpointStore store(disk, file, options);
  CHECK(store.load().value() == std::nullopt);

  disk.fail["read"] = system_failure("cannot find the directory of", file, ENOENT);
  auto loaded = store.load();
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().code == Code::io_error);
  CHECK(loaded.error().errno_value == ENOENT);
  CHECK(loaded.error().message() ==
        "checkpoint file /d/a.ckpt: cannot find the directory of /d/a.ckpt: No such file or "
        "directory (errno 2)");

  disk.read_not_regular = true;
  loaded = store.load();
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().code == Code::corrupt);
  CHECK(loaded.error().detail == "not a regular file");
  CHECK_FALSE(store.save(Cursor::at_sequence(1)));
  disk.read_not_regular = false;

  // Torn: a prefix of a checkpoint is never a shorter cursor.
  const std::string whole = encode_checkpoint(Cursor::at_sequence(123), "s");
  disk.files[file.string()] = whole.substr(0, whole.size() - 3);
  loaded = store.load();
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().code == Code::truncated);
  CHECK_FALSE(store.save(Cursor::at_sequence(200)));
  CHECK(disk.files.at(file.string()) == whole.substr(0, whole.size() - 3));  // left for an operator

  disk.files[file.string()] = encode_checkpoint(Cursor::at_sequence(9), "another");
  loaded = store.load();
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().code == Code::wrong_stream);
}

TEST_CASE("disk checkpoint store: check() refuses a stream identity a checkpoint cannot hold",
          "[checkpoint][disk]") {
  CHECK(DiskCheckpointStore::check(file, options));
  const DiskCheckpointOptions too_long{.stream = std::string(checkpoint_stream_bytes_max + 1, 'x')};
  const auto refused = DiskCheckpointStore::check(file, too_long);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().errno_value == EINVAL);
  CHECK(refused.error().detail.starts_with("a stream identity of 1025 bytes, more than the 1024"));
}

TEST_CASE("disk checkpoint store: a save the merge skips writes nothing but syncs the directory",
          "[checkpoint][disk]") {
  ScriptedDisk disk;
  DiskCheckpointStore store(disk, file, options);
  REQUIRE(store.save(Cursor::at_sequence(9)));
  const std::string before = disk.files.at(file.string());
  disk.calls.clear();
  REQUIRE(store.save(Cursor::at_sequence(4)));
  CHECK(disk.calls == std::vector<std::string>{"read /d/a.ckpt", "sync /d/a.ckpt"});
  CHECK(disk.files.at(file.string()) == before);

  // It can fail, then: success would promise a durability it does not have.
  disk.fail["sync"] = system_failure("cannot fsync the directory of", file, EIO);
  const auto saved = store.save(Cursor::at_sequence(9));
  REQUIRE_FALSE(saved);
  CHECK(saved.error().errno_value == EIO);
}

// The store remembers the last bytes it encoded or decoded and what they decode
// to; any other bytes, even a file of the same length, are decoded again.
TEST_CASE(
    "disk checkpoint store: a file changed behind the store's back is decoded again, never taken "
    "as the one "
    "it wrote",
    "[checkpoint][disk]") {
  ScriptedDisk disk;
  DiskCheckpointStore store(disk, file, options);
  REQUIRE(store.save(Cursor::at_sequence(50)));
  const std::string written = disk.files.at(file.string());
  CHECK(store.decoded_if_known(written) == Checkpoint{Cursor::at_sequence(50), "s"});

  SECTION("torn") {
    disk.files[file.string()] = written.substr(0, written.size() - 1);
    CHECK(store.load().error().code == Code::truncated);
    CHECK_FALSE(store.save(Cursor::at_sequence(60)));
  }
  SECTION("one byte changed") {
    std::string flipped = written;
    flipped[flipped.find("50")] = '6';
    disk.files[file.string()] = flipped;
    CHECK(store.load().error().code == Code::bad_checksum);
    CHECK_FALSE(store.save(Cursor::at_sequence(60)));
  }
  SECTION("another writer's older checkpoint, of the same length: the merge is against it") {
    const std::string older = encode_checkpoint(Cursor::at_sequence(40), "s");
    REQUIRE(older.size() == written.size());
    disk.files[file.string()] = older;
    CHECK_FALSE(store.decoded_if_known(older));
    CHECK(store.load().value() == Cursor::at_sequence(40));
    CHECK(store.decoded_if_known(older) == Checkpoint{Cursor::at_sequence(40), "s"});
    REQUIRE(
        store.save(Cursor::at_sequence(45)));  // newer than 40, though older than the 50 it wrote
    CHECK(disk.files.at(file.string()) == encode_checkpoint(Cursor::at_sequence(45), "s"));
  }
  SECTION("lost: the file is gone") {
    disk.files.erase(file.string());
    CHECK(store.load().value() == std::nullopt);
  }
}
