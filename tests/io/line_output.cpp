// Tests of io/src/line_output.cpp: tether-watch's JSON lines, and acking only
// what a flush handed on.
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/line_output.hpp>

namespace io = tether::io;

namespace {

struct FakeSink final : io::OutputSink {
  std::string buffered, flushed;
  bool fail_write = false, fail_flush = false;
  bool write(std::string_view bytes) override {
    if (fail_write) return false;
    buffered.append(bytes);
    return true;
  }
  bool flush() override {
    if (fail_flush) return false;
    flushed += buffered;
    buffered.clear();
    return true;
  }
  int errno_value() const override { return ENOSPC; }
};

io::Delivery delivery(std::uint64_t id, std::optional<std::uint64_t> seq, std::string_view data) {
  io::Delivery d;
  d.delivery_id = id;
  d.sequence = seq;
  d.type = "message";
  d.data = data;
  return d;
}

}  // namespace

TEST_CASE("line output: one JSON line per delivery, strings escaped, bad UTF-8 replaced",
          "[line_output]") {
  std::string line;
  io::Delivery d = delivery(3, 41, "a\"b\\c\n\x01");
  const std::string id = "e:41";
  d.id = id;
  io::append_delivery_line(line, d);
  CHECK(line ==
        "{\"delivery\":3,\"seq\":41,\"id\":\"e:41\",\"event\":\"message\",\"data\":"
        "\"a\\\"b\\\\c\\n\\u0001\"}\n");
  line.clear();
  io::append_delivery_line(line, delivery(4, std::nullopt, "\xff"));
  CHECK(line == "{\"delivery\":4,\"event\":\"message\",\"data\":\"\xEF\xBF\xBD\"}\n");
}

TEST_CASE("line output: only what a flush handed on is acked, once", "[line_output]") {
  FakeSink sink;
  io::LineOutput out(sink);
  CHECK_FALSE(out.flush(false).has_value());  // nothing written
  out.write(delivery(1, 1, "a"));
  out.write(delivery(2, 2, "b"));
  CHECK(sink.flushed.empty());
  CHECK(out.flush(false) == std::optional<std::uint64_t>(2));
  CHECK(sink.flushed.find("\"delivery\":2") != std::string::npos);
  CHECK_FALSE(out.flush(false).has_value());  // nothing new
  out.write(delivery(3, 3, "c"));
  CHECK(out.flush(true) == std::optional<std::uint64_t>(3));
  out.write(delivery(4, 4, "d"));  // after the last flush: never written, never acked
  CHECK_FALSE(out.flush(true).has_value());
  CHECK(sink.flushed.find("\"delivery\":4") == std::string::npos);
  CHECK_FALSE(out.failed());
}

TEST_CASE("line output: a failed write or flush acks nothing more and says why", "[line_output]") {
  FakeSink sink;
  io::LineOutput out(sink);
  out.write(delivery(1, 1, "a"));
  sink.fail_flush = true;
  CHECK_FALSE(out.flush(false).has_value());  // line 1 may not have reached the reader
  CHECK(out.failed());
  CHECK(out.errno_value() == ENOSPC);
  sink.fail_flush = false;
  out.write(delivery(2, 2, "b"));
  CHECK_FALSE(out.flush(false).has_value());
  CHECK(sink.flushed.empty());

  FakeSink sink2;
  io::LineOutput out2(sink2);
  sink2.fail_write = true;
  out2.write(delivery(1, 1, "a"));
  CHECK(out2.failed());
  CHECK_FALSE(out2.flush(false).has_value());
}

TEST_CASE("line output: a comment is a line in order with the deliveries, and acks nothing",
          "[line_output]") {
  std::string line;
  io::append_comment_line(line, " keep \"alive\"\x01\xff");
  CHECK(line == "{\"comment\":\" keep \\\"alive\\\"\\u0001\xEF\xBF\xBD\"}\n");

  FakeSink sink;
  io::LineOutput out(sink);
  out.write_comment("first");
  CHECK_FALSE(out.flush(false).has_value());  // written, but nothing to ack
  CHECK(sink.flushed == "{\"comment\":\"first\"}\n");
  out.write(delivery(1, 1, "a"));
  out.write_comment("second");
  CHECK(out.flush(true) == std::optional<std::uint64_t>(1));
  CHECK(sink.flushed ==
        "{\"comment\":\"first\"}\n{\"delivery\":1,\"seq\":1,\"event\":\"message\",\"data\":\"a\"}\n"
        "{\"comment\":\"second\"}\n");
  out.write_comment("after the last flush");  // closing: never written
  CHECK(sink.buffered.empty());

  FakeSink failing;
  io::LineOutput out2(failing);
  failing.fail_write = true;
  out2.write_comment("x");
  CHECK(out2.failed());
  CHECK(out2.errno_value() == ENOSPC);
}
