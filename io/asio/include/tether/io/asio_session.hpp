#pragma once
// A session on the application's own io_context: no thread of its own, no
// copy of a payload across threads, a stop that never blocks the caller's
// loop, and completion tokens for both stop and pull (callbacks,
// boost::asio::use_awaitable, use_future...). The one tether header that
// includes Boost; <tether/io/runner.hpp> runs the same session on a thread
// of its own, for applications without Asio.
//
//   boost::asio::io_context io;  // the application's, run by ONE thread
//   auto session = tether::io::AsioSession::start(io, std::move(options), {}).value();
//   boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
//     while (auto d = co_await session->async_next(boost::asio::use_awaitable)) {
//       handle(d->data);
//       session->ack(d->delivery_id);
//     }
//   }, boost::asio::detached);
//   ...
//   session->async_stop([] { /* checkpoint flushed, no callback after this */ });
//
// Threading: the session's handlers and callbacks run on `io`, which exactly
// one thread may run (the strand); every member function may be called from
// any thread. Blocking work (checkpoint writes, token commands) never runs on
// `io`: it runs on the executor given in AsioSessionOptions (serialized), or
// on a one-thread pool of the session's own.
// clang-format off: first, before any Asio header
#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without it
// clang-format on
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tether/io/runner.hpp>

namespace tether::io {

namespace net {
struct SessionCore;
}

struct AsioSessionOptions {
  // Where blocking work runs, one job at a time (a strand over it); none: a
  // one-thread pool of the session's own.
  std::optional<boost::asio::any_io_executor> blocking;
};

class AsioSession {
 public:
  // Validates everything (URL, configuration, TLS files, trace file), as
  // Runner::start; the session starts once `io` runs.
  static std::expected<std::unique_ptr<AsioSession>, std::string> start(
      boost::asio::io_context& io, RunnerOptions options, Callbacks callbacks,
      AsioSessionOptions extra = {});
  // With the application's own io::Application (runner.hpp, start_application).
  static std::expected<std::unique_ptr<AsioSession>, std::string> start_application(
      boost::asio::io_context& io, RunnerOptions options, ApplicationFactory make_application,
      AsioSessionOptions extra = {});
  // Never blocks: a session still running is stopped (its checkpoint
  // flushed) and freed on `io` once nothing of it can run any more, so `io`
  // must keep running for the flush; an `io` destroyed first frees the
  // session without it. The blocking executor's pool may go first.
  ~AsioSession();
  AsioSession(const AsioSession&) = delete;
  AsioSession& operator=(const AsioSession&) = delete;

  // Stops gracefully (as Runner::stop) and completes, with signature void(),
  // once the session has ended: its checkpoint flushed, no callback after.
  // Completes at once if it had already ended (gave up, failed, stopped).
  template <class CompletionToken>
  auto async_stop(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void()>(
        [this](auto handler) {
          auto work = boost::asio::make_work_guard(handler, executor());
          stop_then([handler = std::move(handler), work = std::move(work)]() mutable {
            auto ex = work.get_executor();
            boost::asio::post(ex, std::move(handler));
            work.reset();
          });
        },
        token);
  }
  // Completes with the end of the session, without asking it to end.
  template <class CompletionToken>
  auto async_wait_finished(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void()>(
        [this](auto handler) {
          auto work = boost::asio::make_work_guard(handler, executor());
          when_finished([handler = std::move(handler), work = std::move(work)]() mutable {
            auto ex = work.get_executor();
            boost::asio::post(ex, std::move(handler));
            work.reset();
          });
        },
        token);
  }
  // The pull API (Callbacks::on_delivery empty, no Application): completes
  // with signature void(std::optional<OwnedDelivery>), the next delivery in
  // order, or none once the session has ended. One pull at a time: starting
  // another ends the waiting one with none. auto_ack acks on dequeue; the
  // queue's bound (RunnerOptions::pull_queue_max) pauses reading, so a slow
  // consumer slows the stream instead of growing memory.
  template <class CompletionToken>
  auto async_next(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(std::optional<OwnedDelivery>)>(
        [this](auto handler) {
          auto work = boost::asio::make_work_guard(handler, executor());
          next_then([handler = std::move(handler),
                     work = std::move(work)](std::optional<OwnedDelivery> d) mutable {
            auto ex = work.get_executor();
            boost::asio::post(ex, [handler = std::move(handler), d = std::move(d)]() mutable {
              std::move(handler)(std::move(d));
            });
            work.reset();
          });
        },
        token);
  }

  // As Runner's: thread-safe, applied on the strand in call order.
  void ack(std::uint64_t delivery_id);
  void network_restored();
  void network_changed();
  void pause();
  void resume();
  void restart();
  bool finished() const;
  model::Status status() const;
  model::Cursor resume_cursor() const;
  std::uint64_t deliveries() const;
  SessionSnapshot snapshot() const;

  boost::asio::io_context::executor_type executor() const;

 private:
  explicit AsioSession(std::unique_ptr<net::SessionCore> core);
  static std::expected<std::unique_ptr<AsioSession>, std::string> start(
      boost::asio::io_context& io, RunnerOptions options, Callbacks callbacks,
      ApplicationFactory make_application, AsioSessionOptions extra);
  void stop_then(std::move_only_function<void()> done);
  void when_finished(std::move_only_function<void()> done);
  void next_then(std::move_only_function<void(std::optional<OwnedDelivery>)> done);
  std::unique_ptr<net::SessionCore> core_;
};

}  // namespace tether::io
