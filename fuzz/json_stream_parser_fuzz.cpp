// Fuzz target for the JSON stream parser (<tether/io/json_stream_parser.hpp>):
// any split of a stream into chunks gives exactly the values (with their
// offsets), error and finish() result of feeding it whole; the limits hold
// (no value longer than value_bytes_max or deeper than depth_max is emitted,
// the parser never holds more than value_bytes_max); every value is balanced
// (starts with '{' or '[' and ends with its closer); an error's offset is in
// the stream and names the byte there; a parser reused through start_stream()
// behaves like a new one.
//
// Input layout (FuzzedDataProvider reads integers from the END of the input,
// the stream from the front, so a plain JSON-lines file is a valid input):
//   last byte      flags: bit 0 small limits, bits 1-3 the number of split points
//   small limits   value_bytes_max in [0, 256] (2 bytes), depth_max in [0, 8] (1 byte)
//   split points   2 bytes each, taken modulo the stream length
//   the rest       the stream
// Streams of up to 64 bytes are also split at every offset.
//
// Built with replay_main.cpp for any compiler (ctest replays
// fuzz/corpus/json_stream_parser/), and as a libFuzzer binary with
// TETHER_FUZZ_LIBFUZZER.

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/json_stream_parser.hpp>
#include <utility>
#include <vector>

#include "chunks.hpp"

namespace {

using tether::io::JsonStreamError;
using tether::io::JsonStreamLimits;
using tether::io::JsonStreamParser;

[[noreturn]] void report(const char* what, std::string_view stream) {
  std::fprintf(stderr, "\ntether JSON stream parser fuzz: %s\nstream (%zu bytes): ", what,
               stream.size());
  for (const char c : stream)
    std::fprintf(stderr, "\\x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
  std::fprintf(stderr, "\n");
  std::fflush(stderr);
  std::abort();
}

struct Outcome {
  std::vector<std::string> values;
  std::vector<std::uint64_t> offsets;
  std::optional<JsonStreamError> error;
  bool discarded = false;
  friend bool operator==(const Outcome&, const Outcome&) = default;
};

// The deepest nesting of a balanced value, counting brackets outside strings.
std::size_t depth_of(std::string_view value) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  bool escape = false;
  for (const char c : value) {
    if (in_string) {
      if (escape) {
        escape = false;
      } else if (c == '\\') {
        escape = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

class Recorder final : public tether::io::JsonStreamSink {
 public:
  Recorder(Outcome& out, const JsonStreamLimits& limits, std::string_view stream)
      : out_(out), limits_(limits), stream_(stream) {}
  void on_value(const tether::io::JsonStreamValue& v) override {
    if (v.text.size() > limits_.value_bytes_max) report("a value above value_bytes_max", stream_);
    if (v.text.size() < 2 || v.offset + v.text.size() > stream_.size() ||
        stream_.substr(v.offset, v.text.size()) != v.text)
      report("a value that is not the stream's bytes at its offset", stream_);
    const char open = v.text.front();
    const char close = v.text.back();
    if (!((open == '{' && close == '}') || (open == '[' && close == ']')))
      report("a value not bracketed", stream_);
    if (depth_of(v.text) > limits_.depth_max) report("a value above depth_max", stream_);
    out_.values.emplace_back(v.text);
    out_.offsets.push_back(v.offset);
  }

 private:
  Outcome& out_;
  const JsonStreamLimits& limits_;
  std::string_view stream_;
};

// Feeds the chunks (stopping at the first error), checking the memory bound.
Outcome parse_chunks(JsonStreamParser& parser, const std::vector<std::string_view>& chunks,
                     std::string_view stream) {
  Outcome out;
  Recorder sink(out, parser.limits(), stream);
  for (const std::string_view chunk : chunks) {
    const auto r = parser.feed(chunk, sink);
    if (parser.buffered_bytes() > parser.limits().value_bytes_max)
      report("buffered_bytes() above value_bytes_max", stream);
    if (parser.depth() > parser.limits().depth_max) report("depth() above depth_max", stream);
    if (!r) {
      out.error = r.error();
      if (out.error->offset >= stream.size()) report("an error offset past the stream", stream);
      if (stream[out.error->offset] != out.error->byte)
        report("an error naming another byte than the one at its offset", stream);
      if (parser.feed("{}", sink).error() != *out.error)
        report("a second feed changed the error", stream);
      break;
    }
  }
  out.discarded = parser.finish();
  return out;
}

Outcome parse_split(const JsonStreamLimits& limits, std::string_view stream,
                    std::vector<std::size_t> cuts) {
  const std::vector<std::string_view> chunks = tether::fuzz::split_at(stream, std::move(cuts));
  JsonStreamParser parser(limits);
  return parse_chunks(parser, chunks, stream);
}

void expect_same(const Outcome& got, const Outcome& whole, const char* what,
                 std::string_view stream) {
  if (!(got == whole)) report(what, stream);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider provider(data, size);
  const auto flags = provider.ConsumeIntegral<std::uint8_t>();
  JsonStreamLimits limits;
  if ((flags & 1U) != 0) {
    limits.value_bytes_max = provider.ConsumeIntegralInRange<std::size_t>(0, 256);
    limits.depth_max = provider.ConsumeIntegralInRange<std::size_t>(0, 8);
  }
  std::vector<std::size_t> cuts((flags >> 1U) & 7U);
  for (std::size_t& cut : cuts) cut = provider.ConsumeIntegral<std::uint16_t>();
  const std::string stream = provider.ConsumeRemainingBytesAsString();
  for (std::size_t& cut : cuts) cut %= stream.size() + 1;

  JsonStreamParser reused(limits);
  const Outcome whole = parse_chunks(reused, {stream}, stream);

  expect_same(parse_split(limits, stream, cuts), whole,
              "chunks at the chosen points differ from the whole", stream);

  std::vector<std::size_t> every_byte(stream.size() > 0 ? stream.size() - 1 : 0);
  for (std::size_t i = 0; i < every_byte.size(); ++i) every_byte[i] = i + 1;
  expect_same(parse_split(limits, stream, every_byte), whole, "byte-by-byte differs from the whole",
              stream);

  if (stream.size() <= 64) {
    for (std::size_t cut = 0; cut <= stream.size(); ++cut)
      expect_same(parse_split(limits, stream, {cut}), whole,
                  "a two-way split differs from the whole", stream);
  }

  // A parser reused for a new stream is as good as a new one.
  reused.start_stream();
  expect_same(parse_chunks(reused, {stream}, stream), whole, "start_stream() left state behind",
              stream);
  return 0;
}
