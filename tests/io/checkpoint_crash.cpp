// tests/io/checkpoint_crash.cpp: the file checkpoint store survives kill -9 at
// any moment. A writer process (tests/io/tools/checkpoint_writer.cpp) saves
// increasing sequences in a tight loop, every 5th save a stale one; this test
// kills it after a random delay, then a fresh store (as a restarted
// application would) must load the file without error, and the sequence must
// never be lower than the one observed after the previous kill.
//
// Bounded: at most 200 kills and 20 seconds (about 2 s on a quiet machine). Prints the figures.

#include <tether/io/file_checkpoint_store.hpp>

#include <catch2/catch.hpp>

#include <csignal>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <thread>

#include "checkpoint_test_support.hpp"

using namespace tether::io;
using tether::io::test::TempDir;

TEST_CASE("checkpoint crash: kill -9 at random moments never loses or corrupts the checkpoint",
          "[checkpoint][crash]") {
  using namespace std::chrono;
  constexpr int kills_max = 200;
  // Generous: under ASan on a loaded 2-core machine a writer takes far longer
  // to start; the minimum below counts kills, not speed.
  constexpr auto budget = seconds(20);
  constexpr std::uint64_t delay_us_max = 15'000;  // the writer needs ~1-3 ms to start saving
  const std::uint32_t seed = Catch::rngSeed() != 0 ? Catch::rngSeed() : 20261122u;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::uint64_t> delay_us(0, delay_us_max);

  TempDir dir;
  const std::string file = (dir / "crash.ckpt").string();
  const auto started = steady_clock::now();
  int kills = 0;
  int kills_with_temp_file = 0;  // killed between creating the temp file and the rename
  int kills_before_any_save = 0;
  std::uint64_t last_sequence = 0;
  bool any_checkpoint = false;

  for (; kills < kills_max && steady_clock::now() - started < budget; ++kills) {
    const pid_t writer = tether::io::test::spawn({TETHER_CHECKPOINT_WRITER, file, "--stale-every", "5"});
    REQUIRE(writer > 0);
    std::this_thread::sleep_for(microseconds(delay_us(rng)));
    REQUIRE(::kill(writer, SIGKILL) == 0);
    const int status = tether::io::test::wait_for(writer);
    INFO("kill " << kills << ", seed " << seed);
    REQUIRE(WIFSIGNALED(status));  // exited on its own only if a save failed (it says why on stderr)
    REQUIRE(WTERMSIG(status) == SIGKILL);
    if (tether::io::test::count_files_starting(dir.path(), "crash.ckpt.tmp.") > 0) ++kills_with_temp_file;

    auto store = FileCheckpointStore::open(file);
    REQUIRE(store);
    const auto loaded = (*store)->load();
    INFO((loaded ? std::string() : loaded.error().message()));
    REQUIRE(loaded);
    if (!loaded->has_value()) {
      REQUIRE_FALSE(any_checkpoint);  // once written, a checkpoint never disappears
      ++kills_before_any_save;
      continue;
    }
    REQUIRE((*loaded)->kind == tether::model::CursorKind::sequence);
    REQUIRE((*loaded)->sequence >= last_sequence);
    last_sequence = (*loaded)->sequence;
    any_checkpoint = true;
  }
  const auto elapsed_ms = duration_cast<milliseconds>(steady_clock::now() - started).count();
  std::printf("checkpoint crash test: %d kills in %lld ms (seed %u); %d left a temp file, %d came before the "
              "first save; final sequence %llu\n",
              kills, static_cast<long long>(elapsed_ms), seed, kills_with_temp_file, kills_before_any_save,
              static_cast<unsigned long long>(last_sequence));
  CHECK(kills >= 20);
  CHECK(any_checkpoint);
}
