// tests/io/memory_checkpoint_store.cpp tests io/src/memory_checkpoint_store.cpp.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <tether/io/memory_checkpoint_store.hpp>
#include <thread>
#include <vector>

using tether::io::MemoryCheckpointStore;
using tether::model::Cursor;
using tether::model::Token;

TEST_CASE("memory checkpoint store: empty until the first save", "[checkpoint][memory]") {
  MemoryCheckpointStore store;
  const auto loaded = store.load();
  REQUIRE(loaded);
  CHECK_FALSE(loaded->has_value());
  REQUIRE(store.save(Cursor::at_sequence(3)));
  CHECK(store.load().value() == Cursor::at_sequence(3));
  CHECK(store.writes() == 1);
}

TEST_CASE("memory checkpoint store: starts from an initial cursor", "[checkpoint][memory]") {
  MemoryCheckpointStore store(Cursor::at_token(Token::make("abc").value(), 9));
  CHECK(store.load().value() == Cursor::at_token(Token::make("abc").value(), 9));
  CHECK(store.writes() == 0);
}

TEST_CASE("memory checkpoint store: an older save after a newer one keeps the newer",
          "[checkpoint][memory]") {
  MemoryCheckpointStore store;
  REQUIRE(store.save(Cursor::at_sequence(10)));
  REQUIRE(store.save(Cursor::at_sequence(7)));  // succeeds, writes nothing
  REQUIRE(store.save(Cursor{}));
  REQUIRE(store.save(Cursor::at_start_time(1'700'000'000'000)));
  CHECK(store.load().value() == Cursor::at_sequence(10));
  CHECK(store.writes() == 1);
  REQUIRE(store.save(Cursor::at_sequence(11)));
  CHECK(store.load().value() == Cursor::at_sequence(11));
  CHECK(store.writes() == 2);
}

TEST_CASE("memory checkpoint store: stores the canonical form, like the file store",
          "[checkpoint][memory]") {
  MemoryCheckpointStore store;
  Cursor messy = Cursor::at_sequence(4);
  messy.start_time_ms = 123;
  REQUIRE(store.save(messy));
  CHECK(store.load().value() == Cursor::at_sequence(4));
}

TEST_CASE("memory checkpoint store: kind none is stored only when nothing is",
          "[checkpoint][memory]") {
  MemoryCheckpointStore store;
  REQUIRE(store.save(Cursor{}));
  CHECK(store.load().value() == std::optional<Cursor>(Cursor{}));
  CHECK(store.writes() == 1);
}

TEST_CASE("memory checkpoint store: concurrent saves keep the maximum", "[checkpoint][memory]") {
  MemoryCheckpointStore store;
  constexpr std::uint64_t threads_count = 4;
  constexpr std::uint64_t saves_per_thread = 2000;
  std::vector<std::thread> threads;
  for (std::uint64_t t = 0; t < threads_count; ++t) {
    threads.emplace_back([&store, t] {
      // Interleaved, partly descending sequences from each thread.
      for (std::uint64_t i = 0; i < saves_per_thread; ++i) {
        const std::uint64_t sequence = (i % 3 == 0 ? saves_per_thread - i : i) * threads_count + t;
        (void)store.save(Cursor::at_sequence(sequence));
        (void)store.load();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  // The largest is thread 3's first save: (2000 - 0) * 4 + 3.
  CHECK(store.load().value() ==
        Cursor::at_sequence(saves_per_thread * threads_count + threads_count - 1));
}
