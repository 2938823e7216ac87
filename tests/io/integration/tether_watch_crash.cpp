// tether-watch's output and its checkpoint: the checkpoint never runs ahead
// of the lines it printed. The real binary against nginx + nchan, killed with
// SIGKILL at random moments while a publisher runs, and with its stdout pipe
// closed by the reader (issue 9, item 5).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <tether/io/checkpoint_file.hpp>
#include <thread>
#include <utility>
#include <vector>

#include "child_process.hpp"
#include "nginx_server.hpp"

#ifdef TETHER_WATCH

namespace {

using namespace tether::io::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr int exit_output_closed = 5;  // tether-watch: stdout could not be written

std::optional<std::uint64_t> number_after(std::string_view text, std::string_view key) {
  const auto at = text.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  const char* first = text.data() + at + key.size();
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(first, text.data() + text.size(), value);
  if (ec != std::errc{} || end == first) return std::nullopt;
  return value;
}

// The sequences of tether-watch's complete lines ("{"delivery":N,"seq":S,...}\n").
// An incomplete last line (a kill during write(2)) was not printed. 0 marks a
// line without a sequence (a failure for these tests).
std::vector<std::uint64_t> printed_sequences(std::string_view out) {
  std::vector<std::uint64_t> seqs;
  for (std::size_t end = out.find('\n'); end != std::string_view::npos; end = out.find('\n')) {
    seqs.push_back(number_after(out.substr(0, end), "\"seq\":").value_or(0));
    out.remove_prefix(end + 1);
  }
  return seqs;
}

// Gaps reported on stderr with --json-status: {"gap":"...","from":F,"to":T};
// a null bound is open (0 / UINT64_MAX).
std::vector<std::pair<std::uint64_t, std::uint64_t>> reported_gaps(std::string_view err) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> gaps;
  for (auto at = err.find("{\"gap\":"); at != std::string_view::npos;
       at = err.find("{\"gap\":", at + 1)) {
    const auto line = err.substr(at, err.find('\n', at) - at);
    gaps.emplace_back(number_after(line, "\"from\":").value_or(0),
                      number_after(line, "\"to\":").value_or(UINT64_MAX));
  }
  return gaps;
}

// The sequence in the checkpoint file; 0 when there is none yet.
std::uint64_t checkpoint_sequence(const fs::path& file) {
  if (!fs::exists(file)) return 0;
  auto decoded = tether::io::decode_checkpoint(read_all(file));
  return decoded ? decoded->sequence : UINT64_MAX;  // unreadable: fails every check below
}

// On tmpfs when there is one: these tests are about the order of output and
// checkpoint, and a slow fsync (13 ms a save on a busy ext4) only makes the
// checkpoint lag far behind, which would hide a checkpoint running ahead.
fs::path scratch_base() {
  return fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
}

// Publishes {"seq":1}, {"seq":2}, ... to `channel` until stopped, each one
// retried until nchan takes it, so the published sequences are contiguous.
class Publisher {
 public:
  Publisher(const NginxServer& server, std::string channel)
      : thread_([this, &server, channel = std::move(channel)] {
          std::uint64_t next = 1;
          while (!done_) {
            int status = 0;
            try {
              status = server.publish(channel, "{\"seq\":" + std::to_string(next) + "}");
            } catch (...) {
              status = 0;
            }
            if (status == 201 || status == 202) published_ = next++;
            std::this_thread::sleep_for(2ms);
          }
        }) {}
  ~Publisher() { stop(); }
  // The last sequence published.
  std::uint64_t stop() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
    return published_;
  }

 private:
  std::atomic<bool> done_{false};
  std::atomic<std::uint64_t> published_{0};
  std::thread thread_;
};

}  // namespace

TEST_CASE(
    "tether-watch: 50 kill -9s while a publisher runs: every sequence printed or reported, "
    "duplicates only after the durable checkpoint",
    "[tether_watch][output][crash]") {
  constexpr int kills_max = 50;
  constexpr int delay_ms_max =
      100;  // after the first output: a kill lands anywhere in the flush cycle
  NginxServer server = NginxServer::start();
  const Scratch dir("watch-crash-kill", scratch_base());
  const fs::path ckpt = dir / "watch.ckpt";
  const std::vector<std::string> args{server.url("/sub/crash"), "--seq-from",  "json:seq",
                                      "--checkpoint",           ckpt.string(), "--json-status"};
  std::mt19937 rng(Catch::rngSeed() != 0 ? Catch::rngSeed() : 20261122u);
  std::uniform_int_distribution<int> delay_ms(0, delay_ms_max);

  // Run i's output and stderr, and the checkpoint left when it died.
  std::vector<std::string> outs, errs;
  std::vector<std::uint64_t> durable;
  Publisher publisher(server, "crash");
  for (int kill = 0; kill < kills_max; ++kill) {
    Child run(TETHER_WATCH, args, dir, "run" + std::to_string(kill));
    REQUIRE(run.pid() > 0);
    // An event, not a sleep: the run printed something.
    const bool printed = eventually([&] { return fs::file_size(run.out_path()) > 0; }, 60s);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    ::kill(run.pid(), SIGKILL);
    const int code = run.wait_exit(60s);
    INFO("run " << kill << ": exit " << code << "\n" << run.err());
    REQUIRE(printed);
    REQUIRE(code == 128 + SIGKILL);
    outs.push_back(run.out());
    errs.push_back(run.err());
    durable.push_back(checkpoint_sequence(ckpt));
  }
  const std::uint64_t published = publisher.stop();

  // The last run catches up with the publisher, then stops by SIGTERM.
  const std::uint64_t resumed_at = checkpoint_sequence(ckpt);
  Child last(TETHER_WATCH, args, dir, "final");
  REQUIRE(last.pid() > 0);
  const bool caught_up =
      resumed_at >= published || eventually(
                                     [&] {
                                       const auto seqs = printed_sequences(last.out());
                                       return !seqs.empty() && seqs.back() >= published;
                                     },
                                     60s);
  ::kill(last.pid(), SIGTERM);
  const int final_code = last.wait_exit(60s);
  outs.push_back(last.out());
  errs.push_back(last.err());
  durable.push_back(checkpoint_sequence(ckpt));

  // Every run resumes after the checkpoint the previous one left; a duplicate
  // (printed by an earlier run too) must come after that checkpoint.
  std::vector<bool> printed(published + 1, false);
  std::uint64_t lines = 0, duplicates = 0, before_checkpoint = 0, out_of_order = 0,
                ahead_of_output = 0;
  std::uint64_t printed_max = 0, resume_from = 0;
  for (std::size_t run = 0; run < outs.size(); ++run) {
    std::uint64_t previous = 0;
    for (const std::uint64_t seq : printed_sequences(outs[run])) {
      ++lines;
      if (seq <= previous || seq > published) ++out_of_order;  // also: a line without a sequence
      previous = seq;
      if (seq <= resume_from) ++before_checkpoint;
      if (seq == 0 || seq > published) continue;
      if (printed[seq]) ++duplicates;
      printed[seq] = true;
      printed_max = std::max(printed_max, seq);
    }
    if (durable[run] > printed_max) ++ahead_of_output;
    resume_from = durable[run];
  }
  std::vector<bool> covered = printed;
  std::uint64_t gaps = 0;
  for (const auto& err_text : errs) {
    for (const auto& [from, to] : reported_gaps(err_text)) {
      ++gaps;
      for (std::uint64_t s = std::max<std::uint64_t>(from, 1); s <= std::min(to, published); ++s)
        covered[s] = true;
    }
  }
  std::uint64_t delivered = 0, lost = 0;
  for (std::uint64_t s = 1; s <= published; ++s) {
    if (printed[s]) ++delivered;
    if (!covered[s]) ++lost;
  }
  WARN("tether-watch crash: " << kills_max << " kills, published " << published << ", delivered "
                              << delivered << " (" << lines << " lines), duplicates " << duplicates
                              << ", gaps reported " << gaps << ", lost silently " << lost
                              << ", checkpoint ahead of the output after " << ahead_of_output
                              << " run(s)");
  INFO("last run: exit " << final_code << "\n" << errs.back());
  CHECK(published > static_cast<std::uint64_t>(kills_max));
  CHECK(caught_up);
  CHECK(final_code == 0);
  CHECK(lost == 0);
  CHECK(ahead_of_output == 0);
  CHECK(before_checkpoint == 0);
  CHECK(out_of_order == 0);
  CHECK(durable.back() == published);  // SIGTERM: the final checkpoint is the last line printed
}

TEST_CASE(
    "tether-watch: a closed stdout pipe stops it with exit 5, the checkpoint at the last line read",
    "[tether_watch][output]") {
  NginxServer server = NginxServer::start();
  const Scratch dir("watch-crash-pipe", scratch_base());
  const fs::path ckpt = dir / "pipe.ckpt";
  for (int i = 1; i <= 5; ++i)
    REQUIRE(server.publish("pipe", "{\"seq\":" + std::to_string(i) + "}") / 100 == 2);
  int fds[2] = {-1, -1};
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  Child run(TETHER_WATCH,
            {server.url("/sub/pipe"), "--seq-from", "json:seq", "--checkpoint", ckpt.string(),
             "--json-status"},
            fds[1], dir / "pipe.err");
  ::close(fds[1]);
  REQUIRE(run.pid() > 0);

  // Read the 5 lines (nothing else is published yet, so nothing else is written).
  std::string got;
  const bool read_five = eventually(
      [&] {
        pollfd p{fds[0], POLLIN, 0};
        if (::poll(&p, 1, 10) == 1) {
          char buffer[4096];
          const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
          if (n > 0) got.append(buffer, static_cast<std::size_t>(n));
        }
        return printed_sequences(got).size() >= 5;
      },
      30s);
  INFO(run.err());
  REQUIRE(read_five);
  CHECK(printed_sequences(got) == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
  CHECK(got.ends_with('\n'));
  // The lines read were acked: the checkpoint reaches 5 (an event, not a sleep).
  CHECK(eventually([&] { return checkpoint_sequence(ckpt) == 5; }, 30s));

  // The reader goes away; the next lines cannot be written.
  ::close(fds[0]);
  for (int i = 6; i <= 15; ++i)
    REQUIRE(server.publish("pipe", "{\"seq\":" + std::to_string(i) + "}") / 100 == 2);
  const int code = run.wait_exit(30s);
  const std::string err = run.err();
  INFO(err);
  CHECK(code == exit_output_closed);      // not 141 (SIGPIPE)
  CHECK(checkpoint_sequence(ckpt) == 5);  // never past the last line read
  CHECK(err.find("stdout") != std::string::npos);
}

#endif  // TETHER_WATCH
