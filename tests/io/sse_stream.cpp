// Tests of io/src/sse_stream.cpp: an SSE body, split every way, becomes the
// same listener calls; signals, liveness, limits and cancellation.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/sse_stream.hpp>
#include <vector>

namespace io = tether::io;
namespace model = tether::model;

namespace {

// Every listener call as one line.
struct Recorder final : io::TransportListener {
  std::vector<std::string> calls;
  io::SseStream* close_on_message = nullptr;  // cancels the stream from inside a call
  io::SseStream* close_on_comment = nullptr;

  void on_opened() override { calls.emplace_back("opened"); }
  void on_rejected(std::uint16_t status, std::optional<std::int64_t>, std::string_view) override {
    calls.push_back("rejected " + std::to_string(status));
  }
  void on_bytes() override { calls.emplace_back("bytes"); }
  void on_comment(std::string_view text) override {
    calls.push_back("comment [" + std::string(text) + "]");
    if (close_on_comment != nullptr) close_on_comment->cancel();
  }
  void on_message(const io::Message& m) override {
    std::string line = "message " + std::string(m.type) + " [" + std::string(m.data) + "]";
    line += " id=" + (m.id ? "'" + std::string(*m.id) + "'" : std::string("none"));
    if (m.retry_ms) line += " retry=" + std::to_string(*m.retry_ms);
    calls.push_back(line);
    if (close_on_message != nullptr) close_on_message->cancel();
  }
  void on_closed(model::CloseCause cause, std::string_view detail) override {
    calls.push_back("closed " + std::to_string(static_cast<int>(cause)) + " " +
                    std::string(detail));
  }
  void on_cursor_expired() override { calls.emplace_back("cursor_expired"); }
  void on_replay_finished() override { calls.emplace_back("replay_finished"); }
};

const io::SseSignals signals{"x-expired", "x-done"};

// Liveness calls depend on where chunks end (a chunk that completes a line of
// an event still in progress is one); everything else must not.
std::vector<std::string> without_liveness(std::vector<std::string> calls) {
  std::erase(calls, std::string("bytes"));
  return calls;
}

// The calls for `body` fed in chunks cut at `cuts` (ascending offsets).
std::vector<std::string> calls_for(std::string_view body, const std::vector<std::size_t>& cuts,
                                   std::string_view resumed_from = {}, bool comments = false) {
  Recorder recorder;
  io::SseStream stream({}, signals, comments);
  stream.begin(resumed_from, recorder);
  std::size_t from = 0;
  for (const std::size_t cut : cuts) {
    stream.feed(body.substr(from, cut - from));
    from = cut;
  }
  stream.feed(body.substr(from));
  stream.finish();
  return recorder.calls;
}

}  // namespace

TEST_CASE("sse stream: the same calls however the body is split", "[sse_stream]") {
  const std::string body =
      ": hi\nretry: 2500\nid: 7\ndata: {\"seq\":7}\n\nevent: x-expired\ndata: -\n\nid:\ndata: "
      "b\n\nevent: x-done\ndata: -\n\n";
  const std::vector<std::string> whole = calls_for(body, {}, "6");
  const std::vector<std::string> expected = {
      "bytes",           "message message [{\"seq\":7}] id='7' retry=2500",
      "cursor_expired",  "message message [b] id=''",
      "replay_finished", "closed 0 stream ended",
  };
  REQUIRE(whole == expected);
  const std::vector<std::string> content = without_liveness(expected);
  for (std::size_t a = 1; a < body.size(); ++a) {
    INFO("split at " << a);
    CHECK(without_liveness(calls_for(body, {a}, "6")) == content);
    for (std::size_t b = a + 1; b < body.size(); b += 7) {
      const std::vector<std::string> calls = calls_for(body, {a, b}, "6");
      CHECK(without_liveness(calls) == content);
      CHECK(calls.front() == "bytes");  // the comment comes first, whatever the split
    }
  }
}

TEST_CASE(
    "sse stream: a resumed stream's events carry the id resumed from until the server sends one",
    "[sse_stream]") {
  CHECK(calls_for("data: a\n\n", {}, "e41") ==
        std::vector<std::string>{"message message [a] id='e41'", "closed 0 stream ended"});
}

TEST_CASE("sse stream: a completed line of an event in progress is liveness, a partial line is not",
          "[sse_stream]") {
  Recorder recorder;
  io::SseStream stream;
  stream.begin({}, recorder);
  stream.feed("data: part");
  CHECK(recorder.calls.empty());
  stream.feed("ial\n");
  CHECK(recorder.calls == std::vector<std::string>{"bytes"});
  stream.feed("\n");
  CHECK(recorder.calls.back() == "message message [partial] id=''");
}

TEST_CASE("sse stream: no signal is recognised unless configured", "[sse_stream]") {
  Recorder recorder;
  io::SseStream stream;
  stream.begin({}, recorder);
  stream.feed("event: x-done\ndata: -\n\n");
  CHECK(recorder.calls == std::vector<std::string>{"message x-done [-] id=''"});
}

TEST_CASE("sse stream: an unterminated final event is discarded and said so", "[sse_stream]") {
  CHECK(calls_for("data: a\n\ndata: b", {}) ==
        std::vector<std::string>{
            "message message [a] id=''",
            "closed 0 stream ended (an unterminated final event was discarded)"});
}

TEST_CASE("sse stream: a limit exceeded ends the stream as unrecoverable, naming the option",
          "[sse_stream]") {
  Recorder recorder;
  io::SseStream stream(io::SseLimits{16, 64});
  stream.begin({}, recorder);
  CHECK_FALSE(stream.feed("data: this line is longer than sixteen bytes\n\n"));
  REQUIRE(recorder.calls.size() == 1);
  CHECK(recorder.calls[0].starts_with(
      "closed " + std::to_string(static_cast<int>(model::CloseCause::unrecoverable))));
  CHECK(recorder.calls[0].find("line_bytes_max") != std::string::npos);
  CHECK(recorder.calls[0].find("--line-bytes-max") != std::string::npos);
  stream.feed("data: more\n\n");  // ended: nothing more is said
  stream.finish();
  CHECK(recorder.calls.size() == 1);
}

TEST_CASE("sse stream: after cancel, not even the rest of the chunk reaches the listener",
          "[sse_stream]") {
  Recorder recorder;
  io::SseStream stream;
  recorder.close_on_message = &stream;
  stream.begin({}, recorder);
  CHECK_FALSE(stream.feed("data: a\n\ndata: b\n\n: ping\n"));
  CHECK(recorder.calls == std::vector<std::string>{"message message [a] id=''"});
  stream.finish();
  CHECK(recorder.calls.size() == 1);
  // A new body starts afresh.
  recorder.close_on_message = nullptr;
  stream.begin({}, recorder);
  CHECK(stream.feed("data: c\n\n"));
  CHECK(recorder.calls.back() == "message message [c] id=''");
}

TEST_CASE("sse stream: comments reach the listener only when delivered, always as liveness",
          "[sse_stream]") {
  const std::string body = ": hi\nid: 7\n:\n:in: an event\ndata: a\n\n:bye\n";
  const std::vector<std::string> delivered = {
      "comment [ hi]",
      "bytes",
      "comment []",
      "bytes",
      "comment [in: an event]",
      "bytes",
      "message message [a] id='7'",
      "comment [bye]",
      "bytes",
      "closed 0 stream ended",
  };
  CHECK(calls_for(body, {}, {}, true) == delivered);
  // Off (the default): the same stream, each comment only liveness.
  std::vector<std::string> liveness_only = delivered;
  std::erase_if(liveness_only, [](const std::string& c) { return c.starts_with("comment"); });
  CHECK(calls_for(body, {}) == liveness_only);
  // However the body is split, the comments and the events come in order,
  // each comment once and whole.
  std::vector<std::string> content = without_liveness(delivered);
  for (std::size_t a = 1; a < body.size(); ++a) {
    INFO("split at " << a);
    CHECK(without_liveness(calls_for(body, {a}, {}, true)) == content);
  }
}

TEST_CASE("sse stream: a comment obeys the line limit, delivered or not", "[sse_stream]") {
  for (const bool comments : {false, true}) {
    Recorder recorder;
    io::SseStream stream(io::SseLimits{16, 64}, {}, comments);
    stream.begin({}, recorder);
    CHECK(stream.feed(":short\n"));
    CHECK_FALSE(stream.feed(": a comment longer than sixteen bytes\n"));
    REQUIRE_FALSE(recorder.calls.empty());
    CHECK(recorder.calls.back().starts_with(
        "closed " + std::to_string(static_cast<int>(model::CloseCause::unrecoverable))));
    CHECK(recorder.calls.back().find("line_bytes_max") != std::string::npos);
    CHECK(std::count(recorder.calls.begin(), recorder.calls.end(), "comment [short]") ==
          (comments ? 1 : 0));
  }
}

TEST_CASE("sse stream: a listener that closes from inside on_comment hears nothing more",
          "[sse_stream]") {
  Recorder recorder;
  io::SseStream stream({}, {}, true);
  recorder.close_on_comment = &stream;
  stream.begin({}, recorder);
  CHECK_FALSE(stream.feed(":stop here\ndata: a\n\n"));
  CHECK(recorder.calls == std::vector<std::string>{"comment [stop here]"});
  stream.finish();
  CHECK(recorder.calls.size() == 1);
}
