// Fuzz target for the SSE parser (<tether/io/sse_parser.hpp>): any split of a
// stream into chunks gives exactly the sink calls, error and finish() result of
// feeding it whole; the parser never holds more than its limits allow; a parser
// reused through start_stream() behaves like a new one. Each dispatched event
// also goes through the sequence extractor and the Retry-After parser, which
// must not crash and must stay in range.
//
// Input layout (FuzzedDataProvider reads integers from the END of the input,
// the stream from the front, so a plain event-stream file is a valid input):
//   last byte      flags: bit 0 small limits, bits 1-3 the number of split points
//   small limits   line_bytes_max in [0, 64] (1 byte), event_bytes_max in [0, 256] (2 bytes)
//   split points   2 bytes each, taken modulo the stream length
//   the rest       the stream
// Streams of up to 64 bytes are also split at every offset.
//
// Built with replay_main.cpp for any compiler (ctest replays
// fuzz/corpus/sse_parser/), and as a libFuzzer binary with TETHER_FUZZ_LIBFUZZER.

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/retry_after.hpp>
#include <tether/io/sequence_extractor.hpp>
#include <tether/io/sse_parser.hpp>
#include <utility>
#include <vector>

#include "chunks.hpp"

namespace {

using tether::io::SseError;
using tether::io::SseLimits;
using tether::io::SseParser;

[[noreturn]] void report(const char* what, std::string_view stream) {
  std::fprintf(stderr, "\ntether SSE parser fuzz: %s\nstream (%zu bytes): ", what, stream.size());
  for (const char c : stream)
    std::fprintf(stderr, "\\x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
  std::fprintf(stderr, "\n");
  std::fflush(stderr);
  std::abort();
}

// Everything observable, flattened: one string per sink call.
struct Outcome {
  std::vector<std::string> calls;
  std::optional<SseError> error;
  bool discarded = false;
  std::string last_event_id;
  friend bool operator==(const Outcome&, const Outcome&) = default;
};

class Recorder final : public tether::io::SseSink {
 public:
  Recorder(Outcome& out, bool extract) : out_(out), extract_(extract) {}
  void on_event(const tether::io::SseEvent& e) override {
    std::string call = "E";
    for (const std::string_view part : {e.type, e.data, e.last_event_id}) {
      call += std::to_string(part.size());  // lengths first: the parts may hold anything
      call += ':';
      call += part;
    }
    out_.calls.push_back(std::move(call));
    if (extract_) exercise_extractors(e);
  }
  void on_comment(std::string_view text) override { out_.calls.push_back("C" + std::string(text)); }
  void on_retry(std::uint64_t retry_ms) override {
    out_.calls.push_back("R" + std::to_string(retry_ms));
  }

 private:
  static void exercise_extractors(const tether::io::SseEvent& e) {
    static const auto json = tether::io::SequenceExtractor::from_json_field("seq");
    static const auto suffix = tether::io::SequenceExtractor::from_id_suffix();
    static_cast<void>(json.extract_or_reason(e.last_event_id, e.data));
    static_cast<void>(suffix.extract_or_reason(e.last_event_id, e.data));
    static_cast<void>(tether::io::json_top_level_u64(e.data, e.type));
    const auto delay_ms = tether::io::retry_after_ms(e.data, 1'700'000'000'000);
    if (delay_ms && (*delay_ms < 0 || *delay_ms > tether::io::retry_after_s_max * 1000))
      report("retry_after_ms out of range", e.data);
  }

  Outcome& out_;
  bool extract_;
};

std::size_t buffered_max(const SseLimits& limits) {
  return 3 + limits.line_bytes_max + limits.event_bytes_max + 2 * limits.line_bytes_max;
}

// Feeds the chunks (stopping at the first error), checking the memory bound.
Outcome parse_chunks(SseParser& parser, const std::vector<std::string_view>& chunks,
                     std::string_view stream, bool extract = false) {
  Outcome out;
  Recorder sink(out, extract);
  for (const std::string_view chunk : chunks) {
    const auto r = parser.feed(chunk, sink);
    if (parser.buffered_bytes() > buffered_max(parser.limits()))
      report("buffered_bytes() above the limits", stream);
    if (!r) {
      out.error = r.error();
      if (out.error->offset >= stream.size()) report("an error offset past the stream", stream);
      if (parser.feed("data: more\n\n", sink).error() != *out.error)
        report("a second feed changed the error", stream);
      break;
    }
  }
  out.last_event_id = std::string(parser.last_event_id());
  out.discarded = parser.finish();
  return out;
}

Outcome parse_split(const SseLimits& limits, std::string_view stream,
                    std::vector<std::size_t> cuts) {
  const std::vector<std::string_view> chunks = tether::fuzz::split_at(stream, std::move(cuts));
  SseParser parser(limits);
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
  SseLimits limits;
  if ((flags & 1U) != 0) {
    limits.line_bytes_max = provider.ConsumeIntegralInRange<std::size_t>(0, 64);
    limits.event_bytes_max = provider.ConsumeIntegralInRange<std::size_t>(0, 256);
  }
  std::vector<std::size_t> cuts((flags >> 1U) & 7U);
  for (std::size_t& cut : cuts) cut = provider.ConsumeIntegral<std::uint16_t>();
  const std::string stream = provider.ConsumeRemainingBytesAsString();
  for (std::size_t& cut : cuts) cut %= stream.size() + 1;

  SseParser reused(limits);
  const Outcome whole = parse_chunks(reused, {stream}, stream, /*extract=*/true);

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
