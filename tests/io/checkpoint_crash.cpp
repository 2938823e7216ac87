// tests/io/checkpoint_crash.cpp: the file checkpoint store survives kill -9 at
// any moment. A writer process (tests/io/tools/checkpoint_writer.cpp) saves
// increasing sequences in a tight loop, every 5th save a stale one; this test
// waits until the writer reports its first completed save (one byte on a pipe),
// kills it after a further random delay, then a fresh store (as a restarted
// application would) must load the file without error, and the sequence must
// never be lower than the one observed after the previous kill.
//
// Bounded by kills, not by time: exactly 200 kills, each after the writer's
// handshake, so a slow machine (ASan, a busy CPU) runs the same test, only
// slower (8-10 s where a save's fsyncs take ~13 ms; 18-21 s pinned to one CPU
// shared with a busy loop). The time limits are safety nets against a hang,
// never a way to end early. Prints the figures.

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <tether/io/file_checkpoint_store.hpp>
#include <thread>

#include "checkpoint_test_support.hpp"

using namespace tether::io;
using tether::io::test::TempDir;

TEST_CASE("checkpoint crash: kill -9 at random moments never loses or corrupts the checkpoint",
          "[checkpoint][crash]") {
  using namespace std::chrono;
  constexpr int kills_max = 200;
  constexpr int ready_timeout_ms =
      60'000;                           // safety net: a writer that never reports its first save
  constexpr auto budget = minutes(10);  // safety net for the whole loop
  // After the handshake the writer is in its save loop (a save takes ~1-3 ms
  // on a quiet machine): a kill up to 5 ms later lands anywhere in a save.
  constexpr std::uint64_t delay_us_max = 5'000;
  const std::uint32_t seed = Catch::rngSeed() != 0 ? Catch::rngSeed() : 20261122u;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::uint64_t> delay_us(0, delay_us_max);

  TempDir dir;
  const std::string file = (dir / "crash.ckpt").string();
  const auto started = steady_clock::now();
  int kills = 0;
  int kills_with_temp_file = 0;   // killed between creating the temp file and the rename
  int kills_before_any_save = 0;  // none expected: every kill follows a completed save
  std::uint64_t last_sequence = 0;
  std::uint64_t first_sequence = 0;

  for (; kills < kills_max; ++kills) {
    INFO("kill " << kills << ", seed " << seed);
    REQUIRE(steady_clock::now() - started < budget);
    tether::io::test::ReadyPipe ready;
    REQUIRE(ready.valid());
    const pid_t writer =
        tether::io::test::spawn({TETHER_CHECKPOINT_WRITER, file, "--stale-every", "5", "--ready-fd",
                                 std::to_string(ready.write_fd())});
    REQUIRE(writer > 0);
    const bool saved_once = ready.wait(ready_timeout_ms);
    if (saved_once) std::this_thread::sleep_for(microseconds(delay_us(rng)));
    REQUIRE(::kill(writer, SIGKILL) == 0);
    const int status = tether::io::test::wait_for(writer);
    // Exited on its own only if a save failed (it says why on stderr).
    REQUIRE(saved_once);
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);
    if (tether::io::test::count_files_starting(dir.path(), "crash.ckpt.tmp.") > 0)
      ++kills_with_temp_file;

    auto store = FileCheckpointStore::open(file);
    REQUIRE(store);
    const auto loaded = (*store)->load();
    INFO((loaded ? std::string() : loaded.error().message()));
    REQUIRE(loaded);
    if (!loaded->has_value()) {
      ++kills_before_any_save;
      continue;
    }
    REQUIRE((*loaded)->kind == tether::model::CursorKind::sequence);
    REQUIRE((*loaded)->sequence >= last_sequence);
    last_sequence = (*loaded)->sequence;
    if (first_sequence == 0) first_sequence = last_sequence;
  }
  const auto elapsed_ms = duration_cast<milliseconds>(steady_clock::now() - started).count();
  std::printf(
      "checkpoint crash test: %d kills in %lld ms (seed %u); %d left a temp file, %d came before "
      "the "
      "first save; sequence %llu after the first kill, %llu after the last\n",
      kills, static_cast<long long>(elapsed_ms), seed, kills_with_temp_file, kills_before_any_save,
      static_cast<unsigned long long>(first_sequence),
      static_cast<unsigned long long>(last_sequence));
  CHECK(kills == kills_max);
  // The handshake comes after a completed save (renamed and fsynced): the file
  // must exist from the first kill on.
  CHECK(kills_before_any_save == 0);
  // Every writer saved at least once, carrying on from the previous one.
  CHECK(last_sequence >= static_cast<std::uint64_t>(kills_max));
}
