// WebSocket session restore against the real Runner and a scripted loopback
// WebSocket server (Beast's, synchronous, on a thread of the test): the
// subscribe messages arrive on every connection, in order, before any frame
// counts, with {cursor} replaced by the resume id; a message too large, or
// subscribe messages on an SSE URL, are start errors that name the message
// by its number, never its text.
// clang-format off: first, before any Asio header
#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without it
// clang-format on
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <tether/io/runner.hpp>
#include <thread>
#include <vector>

#include "collector.hpp"
#include "session_support.hpp"

namespace {

using namespace tether;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using io::testing::Collector;

// Accepts `script.size()` connections in turn. On each it reads
// `subscribe_count` messages (what the client sent first), then sends that
// connection's frames (ws+meta.nchan: "id: N\n\n<data>"), then closes it
// normally, or for the last one waits for the client to close.
class SubscribeServer {
 public:
  SubscribeServer(std::size_t subscribe_count, std::vector<std::vector<int>> script)
      : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}),
        subscribe_count_(subscribe_count),
        script_(std::move(script)),
        thread_([this] { run(); }) {}
  ~SubscribeServer() {
    beast::error_code ignored;
    acceptor_.close(ignored);
    if (thread_.joinable()) thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  // What each connection received before the server sent anything.
  std::vector<std::vector<std::string>> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  bool wait_for_connections(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return received_.size() >= n; });
  }

 private:
  void run() {
    for (const std::vector<int>& frames : script_) {
      beast::error_code ec;
      tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec) return;
      websocket::stream<tcp::socket> ws(std::move(socket));
      ws.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
        res.set(beast::http::field::sec_websocket_protocol, "ws+meta.nchan");
      }));
      ws.accept(ec);
      if (ec) return;
      std::vector<std::string> got;
      for (std::size_t i = 0; i < subscribe_count_ && !ec; ++i) {
        beast::flat_buffer buffer;
        ws.read(buffer, ec);
        if (!ec) got.push_back(beast::buffers_to_string(buffer.data()));
      }
      {
        std::lock_guard lock(mutex_);
        received_.push_back(std::move(got));
      }
      changed_.notify_all();
      for (int id : frames)
        ws.write(asio::buffer("id: " + std::to_string(id) + "\n\nevent " + std::to_string(id)), ec);
      if (&frames != &script_.back()) {
        ws.close(websocket::close_code::normal, ec);
        continue;
      }
      beast::flat_buffer rest;
      while (!ec) ws.read(rest, ec);  // until the client goes
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::size_t subscribe_count_;
  std::vector<std::vector<int>> script_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<std::vector<std::string>> received_;
  std::thread thread_;
};

io::RunnerOptions ws_options(std::uint16_t port) {
  io::RunnerOptions o =
      io::testing::quick_options("ws://127.0.0.1:" + std::to_string(port) + "/ws");
  o.websocket.subprotocol = "ws+meta.nchan";
  o.websocket.nchan_meta_frames = true;
  o.websocket.subscribe = {R"({"op":"auth","key":"s3cret"})",
                           R"({"op":"subscribe","since":"{cursor}"})"};
  return o;
}

}  // namespace

TEST_CASE(
    "websocket subscribe: every connection sends the messages first, in order, with the cursor",
    "[websocket_subscribe]") {
  // Connection 1 sends events 1 and 2 and closes; connection 2 resumes.
  SubscribeServer server(2, {{1, 2}, {3}});
  Collector c;
  auto runner = io::Runner::start(ws_options(server.port()), c.callbacks());
  REQUIRE(runner);
  REQUIRE(c.wait_for_deliveries(3, 10s));
  REQUIRE(server.wait_for_connections(2, 5s));
  (*runner)->stop();
  const auto received = server.received();
  REQUIRE(received.size() == 2);
  CHECK(received[0] == std::vector<std::string>{R"({"op":"auth","key":"s3cret"})",
                                                R"({"op":"subscribe","since":""})"});
  CHECK(received[1] == std::vector<std::string>{R"({"op":"auth","key":"s3cret"})",
                                                R"({"op":"subscribe","since":"2"})"});
  const auto deliveries = c.deliveries();
  REQUIRE(deliveries.size() == 3);
  CHECK(deliveries[2].data == "event 3");
  // The messages' text (a key here) appears in no diagnostic.
  CHECK(c.diagnostics_text().find("s3cret") == std::string::npos);
}

TEST_CASE("websocket subscribe: a message too large or an SSE URL is a start error",
          "[websocket_subscribe]") {
  io::RunnerOptions big = ws_options(1);
  big.websocket.message_bytes_max = 64;
  big.websocket.subscribe.push_back(std::string(65, 'k'));
  Collector c;
  const auto too_large = io::Runner::start(std::move(big), c.callbacks());
  REQUIRE_FALSE(too_large);
  CHECK(too_large.error().find("subscribe message 3 is 65 bytes") != std::string::npos);
  CHECK(too_large.error().find("kkkk") == std::string::npos);
  io::RunnerOptions sse = io::testing::quick_options("http://127.0.0.1:1/stream");
  sse.websocket.subscribe = {"hello"};
  const auto wrong_scheme = io::Runner::start(std::move(sse), c.callbacks());
  REQUIRE_FALSE(wrong_scheme);
  CHECK(wrong_scheme.error().find("needs a ws:// or wss:// URL") != std::string::npos);
}
