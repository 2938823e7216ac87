// tests/io/file_checkpoint_store.cpp tests io/src/file_checkpoint_store.cpp on
// real files in a temporary directory: missing, corrupt and truncated files,
// the monotonic merge, write failures, the per-operation lock and concurrent
// writers in threads and in processes (shared stores), the exclusive session
// lock, and the stream identity. The kill -9 test is tests/io/checkpoint_crash.cpp.

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <tether/io/checkpoint_file.hpp>
#include <tether/io/file_checkpoint_store.hpp>
#include <thread>
#include <vector>

#include "checkpoint_test_support.hpp"

using namespace tether::io;
using tether::io::test::TempDir;
using tether::model::Cursor;
using tether::model::Token;
namespace fs = std::filesystem;
using Code = CheckpointError::Code;

namespace {

// For the tests of stores that share one file on purpose (per-operation locks).
const FileCheckpointOptions shared{.exclusive = false};

std::unique_ptr<FileCheckpointStore> open_store(const fs::path& file,
                                                FileCheckpointOptions options = {}) {
  auto store = FileCheckpointStore::open(file, options);
  INFO((store ? std::string() : store.error().message()));
  REQUIRE(store);
  return std::move(*store);
}

void write_bytes(const fs::path& file, std::string_view bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A writer process sharing `file` (exclusive = false), as tether_checkpoint_writer
// but in a fork of this process (that tool holds its file exclusively): saves
// `count` sequences first, first + step, ..., every `stale_every`-th one 3
// behind instead, which the merge must ignore. Exits 0, or 2 if a call failed.
// fork() without exec is safe here: the test process runs no other thread.
pid_t fork_shared_writer(const fs::path& file, std::uint64_t first, std::uint64_t step,
                         std::uint64_t count, std::uint64_t stale_every) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  int status = 0;
  {
    auto store = FileCheckpointStore::open(file, shared);
    std::uint64_t sequence = first;
    for (std::uint64_t n = 1; store && status == 0 && n <= count; ++n, sequence += step) {
      const bool stale = n % stale_every == 0 && sequence > 3;
      if (!(*store)->save(Cursor::at_sequence(stale ? sequence - 3 : sequence))) status = 2;
    }
    if (!store) status = 2;
  }
  ::_exit(status);
}

// A process that opens `file` with `options`, saves `cursor` (if any), tells
// the test over a pipe whether it holds the store ('y') or not ('n'), and then
// waits to be killed (or exits 2 if open failed). fork() as above. Killed and
// reaped at the latest when the Holder goes, so a failed REQUIRE leaves no
// process behind.
struct Holder {
  pid_t pid = -1;
  bool holding = false;
  bool reaped = false;

  Holder(pid_t child, bool holds) : pid(child), holding(holds) {}
  Holder(const Holder&) = delete;
  Holder& operator=(const Holder&) = delete;
  ~Holder() {
    if (pid > 0 && !reaped) {
      ::kill(pid, SIGKILL);
      tether::io::test::wait_for(pid);
    }
  }
  // kill -9 (unless it exited already); its wait status.
  int kill_and_wait() {
    if (holding) ::kill(pid, SIGKILL);
    reaped = true;
    return tether::io::test::wait_for(pid);
  }
};
Holder fork_holder(const fs::path& file, FileCheckpointOptions options,
                   std::optional<Cursor> cursor = {}) {
  int answer_pipe[2] = {-1, -1};
  REQUIRE(::pipe(answer_pipe) == 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(answer_pipe[0]);
    auto store = FileCheckpointStore::open(file, options);
    const bool holding = store && (!cursor || (*store)->save(*cursor));
    const char answer = holding ? 'y' : 'n';
    (void)!::write(answer_pipe[1], &answer, 1);
    if (!holding) ::_exit(2);
    for (;;) ::pause();
  }
  ::close(answer_pipe[1]);
  char answer = 0;
  ssize_t got = 0;
  do got = ::read(answer_pipe[0], &answer, 1);  // the child's answer, or EOF if it died
  while (got < 0 && errno == EINTR);
  ::close(answer_pipe[0]);
  return Holder(pid, got == 1 && answer == 'y');
}

// The load error for `file`, which must not load.
CheckpointError load_error(FileCheckpointStore& store) {
  const auto loaded = store.load();
  REQUIRE_FALSE(loaded);
  INFO(loaded.error().message());
  CHECK(loaded.error().path == store.path().string());
  CHECK(loaded.error().message().starts_with("checkpoint file " + store.path().string() + ": "));
  return loaded.error();
}

}  // namespace

TEST_CASE("file checkpoint store: a missing file is the one fresh start", "[checkpoint][file]") {
  TempDir dir;
  auto store = open_store(dir / "a.ckpt");
  const auto loaded = store->load();
  REQUIRE(loaded);
  CHECK_FALSE(loaded->has_value());
  CHECK_FALSE(fs::exists(dir / "a.ckpt"));  // open and load create only the lock file
  CHECK(fs::exists(dir / "a.ckpt.lock"));
}

TEST_CASE("file checkpoint store: save then load, in the documented format", "[checkpoint][file]") {
  TempDir dir;
  auto store = open_store(dir / "a.ckpt");
  const Cursor cursor = Cursor::at_token(Token::make("1700000000:12").value(), 42);
  REQUIRE(store->save(cursor));
  CHECK(store->load().value() == cursor);
  CHECK(read_bytes(dir / "a.ckpt") == encode_checkpoint(cursor));
  // A second store (a restarted process) sees it too.
  store.reset();
  CHECK(open_store(dir / "a.ckpt")->load().value() == cursor);
  CHECK(tether::io::test::count_files_starting(dir.path(), "a.ckpt.tmp.") == 0);
}

TEST_CASE("file checkpoint store: a relative path is made absolute", "[checkpoint][file]") {
  TempDir dir;
  const fs::path before = fs::current_path();
  fs::current_path(dir.path());
  auto store = open_store("rel.ckpt");
  fs::current_path(before);
  CHECK(store->path().is_absolute());
  REQUIRE(store->save(Cursor::at_sequence(1)));
  CHECK(fs::exists(dir / "rel.ckpt"));
}

TEST_CASE("file checkpoint store: a corrupt file is an error naming it, never a fresh start",
          "[checkpoint][file]") {
  TempDir dir;
  const fs::path file = dir / "a.ckpt";
  auto store = open_store(file);
  REQUIRE(store->save(Cursor::at_sequence(42)));
  std::string bytes = read_bytes(file);

  SECTION("a changed digit") {
    bytes.replace(bytes.find("42"), 2, "24");
    write_bytes(file, bytes);
    const auto e = load_error(*store);
    CHECK(e.code == Code::bad_checksum);
    CHECK(e.message().find("checksum mismatch (stored 0x") != std::string::npos);
  }
  SECTION("truncated") {
    write_bytes(file, bytes.substr(0, bytes.size() - 5));
    CHECK(load_error(*store).code == Code::truncated);
  }
  SECTION("empty") {
    write_bytes(file, "");
    const auto e = load_error(*store);
    CHECK(e.code == Code::truncated);
    CHECK(e.message() == "checkpoint file " + file.string() + ": the file is empty");
  }
  SECTION("another version") {
    write_bytes(file, tether::io::test::sealed("tether-checkpoint/9\nkind=none\n"));
    CHECK(load_error(*store).code == Code::bad_version);
  }
  SECTION("garbage") {
    write_bytes(file, std::string(5000, '\0'));
    CHECK(load_error(*store).code == Code::corrupt);
  }
  SECTION("save refuses to overwrite it") {
    write_bytes(file, "junk\n");
    const auto saved = store->save(Cursor::at_sequence(43));
    REQUIRE_FALSE(saved);
    CHECK(saved.error().code == Code::corrupt);
    CHECK(read_bytes(file) == "junk\n");
  }
}

TEST_CASE("file checkpoint store: an older save after a newer one leaves the newer",
          "[checkpoint][file]") {
  TempDir dir;
  const fs::path file = dir / "a.ckpt";
  auto store = open_store(file, shared);
  REQUIRE(store->save(Cursor::at_sequence(10)));
  const std::string newer = read_bytes(file);
  struct stat before {};
  REQUIRE(::stat(file.c_str(), &before) == 0);

  REQUIRE(store->save(Cursor::at_sequence(7)));  // succeeds without writing
  REQUIRE(open_store(file, shared)->save(Cursor::at_sequence(9)));
  REQUIRE(store->save(Cursor{}));
  REQUIRE(store->save(Cursor::at_start_time(1'700'000'000'000)));
  CHECK(read_bytes(file) == newer);
  struct stat after {};
  REQUIRE(::stat(file.c_str(), &after) == 0);
  CHECK(after.st_ino == before.st_ino);  // never replaced

  REQUIRE(store->save(Cursor::at_sequence(11)));
  CHECK(store->load().value() == Cursor::at_sequence(11));
}

TEST_CASE("file checkpoint store: a directory that is a regular file fails open with ENOTDIR",
          "[checkpoint][file]") {
  TempDir dir;
  write_bytes(dir / "plain", "not a directory");
  const auto store = FileCheckpointStore::open(dir / "plain" / "a.ckpt");
  REQUIRE_FALSE(store);
  CHECK(store.error().code == Code::io_error);
  CHECK(store.error().errno_value == ENOTDIR);
  CHECK(store.error().message() ==
        "checkpoint file " + (dir / "plain" / "a.ckpt").string() + ": cannot create lock file " +
            (dir / "plain" / "a.ckpt.lock").string() + ": Not a directory (errno 20)");
  CHECK_FALSE(FileCheckpointStore::open(dir / "missing-dir" / "a.ckpt"));
  CHECK_FALSE(FileCheckpointStore::open(""));
  CHECK_FALSE(FileCheckpointStore::open(dir.path() / ""));
}

TEST_CASE("file checkpoint store: a vanished directory is an error, not a fresh start",
          "[checkpoint][file]") {
  TempDir dir;
  fs::create_directory(dir / "sub");
  auto store = open_store(dir / "sub" / "a.ckpt");
  REQUIRE(store->save(Cursor::at_sequence(1)));
  fs::remove_all(dir / "sub");
  const auto e = load_error(*store);
  CHECK(e.code == Code::io_error);
  CHECK(e.errno_value == ENOENT);
  CHECK(e.detail.starts_with("cannot find the directory of"));
  CHECK_FALSE(store->save(Cursor::at_sequence(2)));
}

TEST_CASE("file checkpoint store: a directory or FIFO at the path is an error",
          "[checkpoint][file]") {
  TempDir dir;
  fs::create_directory(dir / "d.ckpt");
  CHECK(load_error(*open_store(dir / "d.ckpt")).detail == "not a regular file");
  REQUIRE(::mkfifo((dir / "f.ckpt").c_str(), 0600) == 0);
  const auto e = load_error(*open_store(dir / "f.ckpt"));
  CHECK(e.code == Code::corrupt);
  CHECK(e.detail == "not a regular file");
}

TEST_CASE("file checkpoint store: a failed write leaves the previous checkpoint",
          "[checkpoint][file]") {
  TempDir dir;
  const fs::path file = dir / "a.ckpt";
  auto store = open_store(file);
  REQUIRE(store->save(Cursor::at_sequence(1)));
  const std::string before = read_bytes(file);

  // A file size limit smaller than a checkpoint: the first write is short, the
  // next fails with EFBIG (as a full disk fails with ENOSPC). Even root obeys it.
  rlimit saved_limit{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved_limit) == 0);
  const auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = saved_limit;
  small.rlim_cur = 20;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  const auto saved = store->save(Cursor::at_token(Token::make(std::string(60, 'x')).value(), 2));
  ::setrlimit(RLIMIT_FSIZE, &saved_limit);
  std::signal(SIGXFSZ, previous_handler);

  REQUIRE_FALSE(saved);
  CHECK(saved.error().code == Code::io_error);
  CHECK(saved.error().errno_value == EFBIG);
  CHECK(saved.error().detail.starts_with("cannot write " + file.string() + ".tmp."));
  CHECK(read_bytes(file) == before);
  CHECK(tether::io::test::count_files_starting(dir.path(), "a.ckpt.tmp.") == 0);
  REQUIRE(store->save(Cursor::at_sequence(3)));
  CHECK(store->load().value() == Cursor::at_sequence(3));
}

TEST_CASE("file checkpoint store: temporary files of a crashed writer are removed",
          "[checkpoint][file]") {
  TempDir dir;
  write_bytes(dir / "a.ckpt.tmp.99999", "half a checkp");
  write_bytes(dir / "a.ckpt.tmp.1", "");
  write_bytes(dir / "other.ckpt.tmp.5", "not ours");
  auto store = open_store(dir / "a.ckpt");
  CHECK(store->load().value() == std::nullopt);  // temporary files are never read
  REQUIRE(store->save(Cursor::at_sequence(1)));
  CHECK(tether::io::test::count_files_starting(dir.path(), "a.ckpt.tmp.") == 0);
  CHECK(fs::exists(dir / "other.ckpt.tmp.5"));
}

TEST_CASE("file checkpoint store: a held lock times out as `locked`", "[checkpoint][file]") {
  TempDir dir;
  auto store =
      open_store(dir / "a.ckpt", FileCheckpointOptions{.lock_wait_ms_max = 50, .exclusive = false});
  const int holder = ::open((dir / "a.ckpt.lock").c_str(), O_RDWR | O_CLOEXEC);
  REQUIRE(holder >= 0);
  REQUIRE(::flock(holder, LOCK_EX) == 0);
  const auto saved = store->save(Cursor::at_sequence(1));
  REQUIRE_FALSE(saved);
  CHECK(saved.error().code == Code::locked);
  CHECK(saved.error().message().find("for more than 50 ms") != std::string::npos);
  CHECK_FALSE(store->load());
  ::flock(holder, LOCK_UN);
  REQUIRE(::flock(holder, LOCK_SH) == 0);  // readers share
  CHECK(store->load());
  CHECK_FALSE(store->save(Cursor::at_sequence(1)));
  ::close(holder);
  CHECK(store->save(Cursor::at_sequence(1)));
}

TEST_CASE("file checkpoint store: by default a held lock is waited for", "[checkpoint][file]") {
  TempDir dir;
  auto store = open_store(dir / "a.ckpt", shared);
  const int holder = ::open((dir / "a.ckpt.lock").c_str(), O_RDWR | O_CLOEXEC);
  REQUIRE(holder >= 0);
  REQUIRE(::flock(holder, LOCK_EX) == 0);
  std::atomic<bool> done{false};
  bool saved = false;
  std::thread saver([&] {
    saved = store->save(Cursor::at_sequence(1)).has_value();
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const bool finished_while_locked = done;
  ::close(holder);  // releases the lock
  saver.join();
  CHECK_FALSE(finished_while_locked);
  CHECK(saved);
  CHECK(store->load().value() == Cursor::at_sequence(1));
}

TEST_CASE("file checkpoint store: two stores in two threads never interleave",
          "[checkpoint][file][hammer]") {
  TempDir dir;
  const fs::path file = dir / "a.ckpt";
  constexpr std::uint64_t saves_per_writer = 200;
  std::atomic<bool> writing{true};
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  const auto failed = [&](std::string what) {
    const std::lock_guard lock(failures_mutex);
    failures.push_back(std::move(what));
  };
  std::atomic<std::uint64_t> max_saved{0};

  const auto writer = [&](std::uint64_t seed) {
    auto store = FileCheckpointStore::open(file, shared);
    if (!store) return failed(store.error().message());
    std::mt19937_64 rng(seed);
    for (std::uint64_t i = 0; i < saves_per_writer; ++i) {
      // Mostly rising (so most saves write), every third one somewhere older.
      const std::uint64_t rising = i * 2 + seed;
      const std::uint64_t sequence = i % 3 == 2 ? rng() % (rising + 1) : rising;
      const Cursor cursor =
          i % 2 == 0 ? Cursor::at_sequence(sequence)
                     : Cursor::at_token(Token::make(std::to_string(sequence)).value(), sequence);
      if (const auto saved = (*store)->save(cursor); !saved) return failed(saved.error().message());
      std::uint64_t seen = max_saved.load();
      while (seen < sequence && !max_saved.compare_exchange_weak(seen, sequence)) {
      }
    }
  };
  std::uint64_t loads = 0;
  const auto reader = [&] {
    auto store = FileCheckpointStore::open(file, shared);
    if (!store) return failed(store.error().message());
    std::uint64_t last = 0;
    while (writing) {
      const auto loaded = (*store)->load();
      ++loads;
      if (!loaded) return failed("load: " + loaded.error().message());
      if (*loaded && (*loaded)->sequence < last) return failed("went backwards");
      if (*loaded) last = (*loaded)->sequence;
    }
  };
  std::thread read_thread(reader);
  std::thread a(writer, 1), b(writer, 2);
  a.join();
  b.join();
  writing = false;
  read_thread.join();

  for (const auto& f : failures) FAIL_CHECK(f);
  const auto final_cursor = open_store(file)->load();
  REQUIRE(final_cursor);
  REQUIRE(final_cursor->has_value());
  CHECK((*final_cursor)->sequence == max_saved.load());
  CHECK(loads > 0);
}

TEST_CASE("file checkpoint store: two writer processes never interleave",
          "[checkpoint][file][hammer]") {
  TempDir dir;
  const fs::path file = dir / "a.ckpt";
  // Odd and even sequences, every 4th save a stale one (3 behind). The 301st
  // save is not stale, so the largest is the even writer's last, 2 + 300 * 2.
  constexpr std::uint64_t count = 301;
  const std::uint64_t largest = 602;
  const pid_t odd = fork_shared_writer(file, 1, 2, count, 4);
  const pid_t even = fork_shared_writer(file, 2, 2, count, 4);
  REQUIRE(odd > 0);
  REQUIRE(even > 0);

  // Load while they write: never an error, never backwards. Bounded: the
  // writers finish in well under a second; give up after 30 s.
  auto store = open_store(file, shared);
  std::uint64_t last = 0;
  std::uint64_t loads = 0;
  std::vector<std::string> failures;
  int odd_status = -1;
  int even_status = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while ((odd_status == -1 || even_status == -1) && std::chrono::steady_clock::now() < deadline) {
    const auto loaded = store->load();
    ++loads;
    if (!loaded)
      failures.push_back(loaded.error().message());
    else if (loaded->has_value() && (*loaded)->sequence < last)
      failures.push_back("went backwards");
    else if (loaded->has_value())
      last = (*loaded)->sequence;
    int status = 0;
    if (odd_status == -1 && ::waitpid(odd, &status, WNOHANG) == odd) odd_status = status;
    if (even_status == -1 && ::waitpid(even, &status, WNOHANG) == even) even_status = status;
  }
  for (const auto& [pid, status] : {std::pair{odd, &odd_status}, std::pair{even, &even_status}}) {
    if (*status != -1) continue;
    ::kill(pid, SIGKILL);
    *status = tether::io::test::wait_for(pid);
  }
  for (const auto& f : failures) FAIL_CHECK(f);
  CHECK(loads > 1);
  CHECK(WIFEXITED(odd_status));
  CHECK(WEXITSTATUS(odd_status) == 0);
  CHECK(WIFEXITED(even_status));
  CHECK(WEXITSTATUS(even_status) == 0);
  CHECK(store->load().value() == Cursor::at_sequence(largest));
}

// --- the exclusive session lock -------------------------------------------------

TEST_CASE(
    "file checkpoint store: an exclusive store refuses a second store of this process until "
    "destroyed",
    "[checkpoint][file][exclusive]") {
  TempDir dir;
  const fs::path file = dir / "a.ckpt";
  auto holder = open_store(file);  // exclusive by default
  CHECK(read_bytes(dir / "a.ckpt.lock") == std::to_string(::getpid()) + "\n");

  const auto refused =
      FileCheckpointStore::open(file);  // fails at once: a blocking wait would hang here
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Code::locked);
  CHECK(refused.error().errno_value == EWOULDBLOCK);
  CHECK(refused.error().message() ==
        "checkpoint file " + file.string() + ": in use by another store of this process (pid " +
            std::to_string(::getpid()) +
            "); a checkpoint serves one session at a time (lock file " + file.string() + ".lock)");

  // load() and save() of the holder must not release or downgrade its lock
  // (a flock on the same open file description would).
  REQUIRE(holder->save(Cursor::at_sequence(1)));
  REQUIRE(holder->load().value() == Cursor::at_sequence(1));
  REQUIRE(holder->save(Cursor::at_sequence(2)));
  CHECK_FALSE(FileCheckpointStore::open(file));
  CHECK_FALSE(FileCheckpointStore::open(file, FileCheckpointOptions{.stream = "s"}));

  // Not even a shared store gets through while it is held.
  auto sharing =
      open_store(file, FileCheckpointOptions{.lock_wait_ms_max = 20, .exclusive = false});
  const auto shared_load = sharing->load();
  REQUIRE_FALSE(shared_load);
  CHECK(shared_load.error().code == Code::locked);

  holder.reset();
  CHECK(read_bytes(dir / "a.ckpt.lock").empty());  // released cleanly: no pid left behind
  CHECK(sharing->load().value() == Cursor::at_sequence(2));
  sharing.reset();
  auto next = open_store(file);
  CHECK(next->load().value() == Cursor::at_sequence(2));
}

TEST_CASE(
    "file checkpoint store: another process's exclusive store refuses open, until it is killed",
    "[checkpoint][file][exclusive]") {
  TempDir dir;
  const fs::path file = dir / "a.ckpt";
  Holder holder = fork_holder(file, {}, Cursor::at_sequence(5));
  REQUIRE(holder.pid > 0);
  REQUIRE(holder.holding);

  const auto refused = FileCheckpointStore::open(file);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Code::locked);
  CHECK(refused.error().message().starts_with(
      "checkpoint file " + file.string() + ": in use by another process (pid " +
      std::to_string(holder.pid) + "); a checkpoint serves one session at a time"));
  // A third process is refused too.
  Holder second = fork_holder(file, {});
  CHECK_FALSE(second.holding);
  const int second_status = second.kill_and_wait();
  CHECK(WIFEXITED(second_status));
  CHECK(WEXITSTATUS(second_status) == 2);

  // kill -9 releases the lock (the kernel drops it with the process); the
  // checkpoint it saved is intact.
  const int holder_status = holder.kill_and_wait();
  CHECK(WIFSIGNALED(holder_status));
  auto next = open_store(file);
  CHECK(next->load().value() == Cursor::at_sequence(5));
}

TEST_CASE("file checkpoint store: shared stores share the file, and an exclusive one excludes them",
          "[checkpoint][file][exclusive]") {
  TempDir dir;
  const fs::path file = dir / "a.ckpt";
  auto a = open_store(file, FileCheckpointOptions{.lock_wait_ms_max = 20, .exclusive = false});
  auto b = open_store(file, shared);
  REQUIRE(a->save(Cursor::at_sequence(1)));
  CHECK(b->load().value() == Cursor::at_sequence(1));
  CHECK(read_bytes(dir / "a.ckpt.lock").empty());  // shared stores record no holder
  // Between their operations nobody holds the lock: an exclusive store opens,
  // and then they wait (here: time out) until it is gone.
  auto exclusive = open_store(file);
  const auto saved = a->save(Cursor::at_sequence(2));
  REQUIRE_FALSE(saved);
  CHECK(saved.error().code == Code::locked);
  exclusive.reset();
  CHECK(a->save(Cursor::at_sequence(2)));
}

// --- the stream identity ------------------------------------------------------------

TEST_CASE("file checkpoint store: a checkpoint of another stream is refused, and never overwritten",
          "[checkpoint][file][stream]") {
  TempDir dir;
  const fs::path file = dir / "a.ckpt";
  const std::string stream_a = "http://127.0.0.1:8080/sub/a seq=json:seq";
  const std::string stream_b = "http://127.0.0.1:8080/sub/b seq=json:seq";
  {
    auto a = open_store(file, FileCheckpointOptions{.stream = stream_a});
    REQUIRE(a->save(Cursor::at_sequence(10)));
    CHECK(read_bytes(file) ==
          encode_checkpoint(Cursor::at_sequence(10), stream_a));  // written, version 2
  }
  const std::string before = read_bytes(file);
  struct stat before_status {};
  REQUIRE(::stat(file.c_str(), &before_status) == 0);
  {
    auto b = open_store(file, FileCheckpointOptions{.stream = stream_b});
    const auto e = load_error(*b);
    CHECK(e.code == Code::wrong_stream);
    CHECK(name_of(e.code) == "wrong_stream");
    CHECK(e.message() ==
          "checkpoint file " + file.string() + ": belongs to stream '" + stream_a + "', not '" +
              stream_b +
              "' (use another checkpoint file for this stream, or delete this one to start over)");
    for (const Cursor& cursor : {Cursor::at_sequence(11), Cursor::at_sequence(1), Cursor{}}) {
      const auto saved = b->save(cursor);
      REQUIRE_FALSE(saved);
      CHECK(saved.error().code == Code::wrong_stream);
    }
  }
  CHECK(read_bytes(file) == before);
  struct stat after_status {};
  REQUIRE(::stat(file.c_str(), &after_status) == 0);
  CHECK(after_status.st_ino == before_status.st_ino);
  CHECK(tether::io::test::count_files_starting(dir.path(), "a.ckpt.tmp.") == 0);

  // Its own stream resumes; a store that names no stream reads it and keeps its identity.
  CHECK(open_store(file, FileCheckpointOptions{.stream = stream_a})->load().value() ==
        Cursor::at_sequence(10));
  {
    auto anonymous = open_store(file);
    CHECK(anonymous->load().value() == Cursor::at_sequence(10));
    REQUIRE(anonymous->save(Cursor::at_sequence(12)));
  }
  CHECK(read_bytes(file) == encode_checkpoint(Cursor::at_sequence(12), stream_a));
  // Odd bytes in an identity are escaped in the message.
  const auto odd = load_error(*open_store(file, FileCheckpointOptions{.stream = "x\n'y"}));
  CHECK(odd.detail.find(", not 'x\\x0A\\x27y' (") != std::string::npos);
}

TEST_CASE(
    "file checkpoint store: a version-1 checkpoint belongs to any stream until the next save names "
    "it",
    "[checkpoint][file][stream]") {
  TempDir dir;
  const fs::path file = dir / "a.ckpt";
  const std::string v1 = encode_checkpoint(Cursor::at_sequence(10));
  REQUIRE(v1.starts_with("tether-checkpoint/1\n"));
  write_bytes(file, v1);
  {
    auto store = open_store(file, FileCheckpointOptions{.stream = "s"});
    CHECK(store->load().value() == Cursor::at_sequence(10));
    SECTION("an older save keeps the cursor and writes the identity") {
      REQUIRE(store->save(Cursor::at_sequence(7)));
      CHECK(read_bytes(file) == encode_checkpoint(Cursor::at_sequence(10), "s"));
    }
    SECTION("a newer save writes both") {
      REQUIRE(store->save(Cursor::at_sequence(11)));
      CHECK(read_bytes(file) == encode_checkpoint(Cursor::at_sequence(11), "s"));
    }
  }
  CHECK(open_store(file, FileCheckpointOptions{.stream = "t"})->load().error().code ==
        Code::wrong_stream);
}

TEST_CASE("file checkpoint store: a store without an identity writes version 1, as before",
          "[checkpoint][file][stream]") {
  TempDir dir;
  const fs::path file = dir / "a.ckpt";
  REQUIRE(open_store(file)->save(Cursor::at_sequence(3)));
  CHECK(read_bytes(file) == encode_checkpoint(Cursor::at_sequence(3)));
}

TEST_CASE("file checkpoint store: an identity longer than a checkpoint holds is refused at open",
          "[checkpoint][file][stream]") {
  TempDir dir;
  const fs::path file = dir / "a.ckpt";
  const auto refused = FileCheckpointStore::open(
      file, FileCheckpointOptions{.stream = std::string(checkpoint_stream_bytes_max + 1, 's')});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Code::io_error);
  CHECK(refused.error().errno_value == EINVAL);
  CHECK(refused.error().detail.starts_with(
      "a stream identity of " + std::to_string(checkpoint_stream_bytes_max + 1) +
      " bytes, more than the " + std::to_string(checkpoint_stream_bytes_max)));
  const std::string longest(checkpoint_stream_bytes_max, '\n');
  auto store = open_store(file, FileCheckpointOptions{.stream = longest});
  REQUIRE(store->save(Cursor::at_token(Token::make(std::string(Token::capacity, '%')).value(), 1)));
  CHECK(store->load().value() ==
        Cursor::at_token(Token::make(std::string(Token::capacity, '%')).value(), 1));
}
