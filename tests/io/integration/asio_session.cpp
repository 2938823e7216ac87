// A session on the application's own io_context (io::AsioSession) against the
// scripted loopback server: the application's thread runs everything, a
// coroutine pulls, acks and stops, a stop never blocks the loop (a checkpoint
// write held on the application's pool while the loop keeps running), and a
// session destroyed mid-stream stops and frees itself on the io_context. The
// io_context is run with a bound (run_for) and asked whether it ran out of
// work, so a session that leaves a handler behind fails instead of hanging.

// clang-format off: first, before any Asio header
#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without it
// clang-format on
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <tether/io/asio_session.hpp>
#include <tether/io/memory_checkpoint_store.hpp>
#include <thread>
#include <vector>

#include "scripted_server.hpp"
#include "session_support.hpp"

namespace {

using namespace tether;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using io::testing::Behaviour;
using io::testing::numbered_events;
using io::testing::ScriptedServer;

std::size_t threads_in_process() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& task : std::filesystem::directory_iterator("/proc/self/task"))
    ++n;
  return n;
}

io::RunnerOptions acked_options(const ScriptedServer& server,
                                std::shared_ptr<io::CheckpointStore> store) {
  io::RunnerOptions o = io::testing::quick_options(server);
  o.config.resume.commit = model::CommitPolicy::on_ack;
  o.store = std::move(store);
  return o;
}

// A store whose saves wait at a gate once it is closed: a slow disk the test
// opens when it chooses.
class GatedStore final : public io::CheckpointStore {
 public:
  std::expected<std::optional<model::Cursor>, io::CheckpointError> load() override {
    return inner_.load();
  }
  std::expected<void, io::CheckpointError> save(const model::Cursor& cursor) override {
    std::unique_lock lock(mutex_);
    if (closed_) {
      waiting_ = true;
      changed_.wait(lock, [this] { return !closed_; });
    }
    lock.unlock();
    return inner_.save(cursor);
  }
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  void open() {
    std::lock_guard lock(mutex_);
    closed_ = false;
    changed_.notify_all();
  }
  bool save_waiting() const {
    std::lock_guard lock(mutex_);
    return waiting_;
  }
  io::MemoryCheckpointStore& inner() { return inner_; }

 private:
  io::MemoryCheckpointStore inner_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool closed_ = false;
  bool waiting_ = false;
};

}  // namespace

TEST_CASE(
    "asio session: the application's thread runs the session, a coroutine pulls, acks and stops",
    "[asio_session]") {
  ScriptedServer server({Behaviour::sse(numbered_events(5))});
  auto store = std::make_shared<io::MemoryCheckpointStore>();
  asio::io_context io;
  asio::thread_pool blocking(1);  // the application's pool for blocking work
  io::RunnerOptions options = acked_options(server, store);
  options.auto_ack = false;
  const std::size_t threads_before = threads_in_process();
  auto started = io::AsioSession::start(io, std::move(options), {}, {blocking.get_executor()});
  REQUIRE(started);
  io::AsioSession& session = **started;
  CHECK(threads_in_process() == threads_before);  // no thread of its own

  const auto loop_thread = std::this_thread::get_id();
  std::vector<std::string> got;
  bool all_on_loop = true;
  bool stopped = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        while (got.size() < 5) {
          auto d = co_await session.async_next(asio::use_awaitable);
          if (!d) break;
          all_on_loop = all_on_loop && std::this_thread::get_id() == loop_thread;
          got.push_back(d->data);
          session.ack(d->delivery_id);
        }
        co_await session.async_stop(asio::use_awaitable);
        stopped = true;
      },
      asio::detached);
  io.run_for(30s);
  CHECK(io.stopped());  // ran out of work: the stopped session left nothing queued
  REQUIRE(stopped);
  CHECK(all_on_loop);
  CHECK(got == std::vector<std::string>{"event 1", "event 2", "event 3", "event 4", "event 5"});
  CHECK(session.status().kind == model::StatusKind::stopped);
  const auto saved = store->load();
  REQUIRE(saved);
  REQUIRE(saved->has_value());
  CHECK((*saved)->sequence == 5);
}

TEST_CASE(
    "asio session: async_stop never blocks the loop, it completes after a slow checkpoint write",
    "[asio_session]") {
  ScriptedServer server({Behaviour::sse(numbered_events(3))});
  auto store = std::make_shared<GatedStore>();
  asio::io_context io;
  io::RunnerOptions options = acked_options(server, store);
  options.config.resume.checkpoint_every_events = 1000;  // nothing saved before the stop
  int delivered = 0;
  bool stopped = false;
  bool loop_ran_while_stopping = false;
  io::Callbacks callbacks;
  io::AsioSession* session = nullptr;
  asio::steady_timer poll(io);
  // Runs on the loop while the stop waits for the gated save; opens the gate
  // once the save is waiting at it. A blocked loop would never get here.
  std::function<void()> watch = [&] {
    if (!store->save_waiting()) {
      poll.expires_after(1ms);
      return poll.async_wait([&](auto) { watch(); });
    }
    loop_ran_while_stopping = !stopped;
    store->open();
  };
  callbacks.on_delivery = [&](const io::Delivery&) {
    if (++delivered < 3) return;
    store->close();
    session->async_stop([&] { stopped = true; });
    watch();
  };
  auto started = io::AsioSession::start(io, std::move(options), std::move(callbacks));
  REQUIRE(started);
  session = started->get();
  io.run_for(30s);
  CHECK(io.stopped());
  REQUIRE(stopped);
  CHECK(loop_ran_while_stopping);
  const auto saved = store->inner().load();
  REQUIRE(saved);
  REQUIRE(saved->has_value());
  CHECK((*saved)->sequence == 3);  // the stop's flush, after the gate opened
}

namespace {

// Counts its own destruction: the session owns it, so it is destroyed with
// the session's core.
struct CountingApp final : io::Application {
  io::SessionControl& session;
  int& deliveries;
  bool& destroyed;
  std::function<void()> after_third;
  CountingApp(io::SessionControl& s, int& d, bool& gone, std::function<void()> f)
      : session(s), deliveries(d), destroyed(gone), after_third(std::move(f)) {}
  ~CountingApp() override { destroyed = true; }
  // Acks from inside the callback, through SessionControl: no pointer to the
  // session object needed.
  void on_delivery(const io::Delivery& d) override {
    session.ack(d.delivery_id);
    if (++deliveries == 3) after_third();
  }
  void on_gap(const model::ReportGap&) override {}
  void on_status(const model::Status&) override {}
  void on_diagnostic(const io::Diagnostic&) override {}
};

}  // namespace

TEST_CASE(
    "asio session: destroyed mid-stream, it stops, flushes its checkpoint and frees itself on the "
    "loop",
    "[asio_session]") {
  ScriptedServer server({Behaviour::sse(numbered_events(3))});  // stays open after event 3
  auto store = std::make_shared<io::MemoryCheckpointStore>();
  asio::io_context io;
  io::RunnerOptions options = acked_options(server, store);
  options.config.resume.checkpoint_every_events = 1000;  // only the stop's flush saves
  int deliveries = 0;
  bool destroyed = false;
  std::unique_ptr<io::AsioSession> session;
  auto started =
      io::AsioSession::start_application(io, std::move(options), [&](io::SessionControl& control) {
        return std::make_unique<CountingApp>(control, deliveries, destroyed, [&] {
          // Posted: the destructor runs outside the session's own callback.
          asio::post(io, [&] { session.reset(); });
        });
      });
  REQUIRE(started);
  session = std::move(*started);
  io.run_for(30s);
  CHECK(io.stopped());  // the open stream was closed: nothing of the session is left
  CHECK(deliveries == 3);
  CHECK(destroyed);  // the core, which owns the application, was freed
  CHECK(server.wait_for_finished(1));
  const auto saved = store->load();
  REQUIRE(saved);
  REQUIRE(saved->has_value());
  CHECK((*saved)->sequence == 3);
}

TEST_CASE("asio session: a bad option is a start error, and nothing runs", "[asio_session]") {
  asio::io_context io;
  io::RunnerOptions options;
  options.url = "ftp://example.com/feed";
  const auto started = io::AsioSession::start(io, std::move(options), {});
  REQUIRE_FALSE(started);
  CHECK(started.error().find("ftp") != std::string::npos);
  CHECK(io.run_for(1s) == 0);  // no handler was queued
}
