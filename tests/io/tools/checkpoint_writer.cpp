// A process that saves checkpoints in a tight loop, for tests that kill it
// (tests/io/checkpoint_crash.cpp) or race it against another writer
// (tests/io/file_checkpoint_store.cpp).
//
//   tether_checkpoint_writer FILE [--first N] [--step N] [--count N] [--stale-every K] [--ready-fd
//   FD]
//
// Saves sequences first, first+step, ... (count of them; 0 = until killed).
// --first defaults to one past the loaded checkpoint (1 if there is none), so a
// restarted writer carries on. With --stale-every K, every K-th save is instead
// an older cursor (3 behind), which the monotonic merge must ignore.
// With --ready-fd FD, it writes one byte to FD (then closes it) once its first
// save is complete, so a test can wait for that instead of guessing how long a
// start takes (the crash test kills only after it).
// Exit status: 0 after `count` saves, 1 for bad arguments, 2 if a store call failed.

#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string_view>
#include <system_error>
#include <tether/io/file_checkpoint_store.hpp>

namespace {

std::optional<std::uint64_t> parse_count(std::string_view text) {
  std::uint64_t value = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc{} || result.ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

int fail(const tether::io::CheckpointError& error) {
  std::fprintf(stderr, "tether_checkpoint_writer: %s\n", error.message().c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(
        stderr,
        "usage: %s FILE [--first N] [--step N] [--count N] [--stale-every K] [--ready-fd FD]\n",
        argv[0]);
    return 1;
  }
  std::optional<std::uint64_t> first;
  std::uint64_t step = 1;
  std::uint64_t count = 0;
  std::uint64_t stale_every = 0;
  std::optional<int> ready_fd;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const auto value = parse_count(argv[i + 1]);
    if (!value || (flag == "--ready-fd" && *value > 65535)) {
      std::fprintf(stderr, "tether_checkpoint_writer: bad number for %s\n", argv[i]);
      return 1;
    }
    if (flag == "--first")
      first = *value;
    else if (flag == "--step")
      step = *value;
    else if (flag == "--count")
      count = *value;
    else if (flag == "--stale-every")
      stale_every = *value;
    else if (flag == "--ready-fd")
      ready_fd = static_cast<int>(*value);
    else {
      std::fprintf(stderr, "tether_checkpoint_writer: unknown flag %s\n", argv[i]);
      return 1;
    }
  }

  auto store = tether::io::FileCheckpointStore::open(argv[1]);
  if (!store) return fail(store.error());
  if (!first) {
    const auto loaded = (*store)->load();
    if (!loaded) return fail(loaded.error());
    first = *loaded ? (*loaded)->sequence + 1 : 1;
  }
  std::uint64_t sequence = *first;
  for (std::uint64_t n = 1; count == 0 || n <= count; ++n, sequence += step) {
    const bool stale = stale_every != 0 && n % stale_every == 0 && sequence > 3;
    const auto cursor = tether::model::Cursor::at_sequence(stale ? sequence - 3 : sequence);
    if (const auto saved = (*store)->save(cursor); !saved) return fail(saved.error());
    if (ready_fd) {
      const char ready = 'r';
      if (::write(*ready_fd, &ready, 1) != 1) {
        std::perror("tether_checkpoint_writer: --ready-fd");
        return 1;
      }
      ::close(*ready_fd);
      ready_fd.reset();
    }
  }
  return 0;
}
