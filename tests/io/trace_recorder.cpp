// The recording header (io/src/trace_recorder.cpp): the effective
// configuration as one line that parses back to the same configuration, with
// the seed actually used, this tether's version and a wall-clock anchor; and
// no header value (a header may carry an API key).
#include <catch2/catch.hpp>
#include <string>
#include <tether/io/config.hpp>
#include <tether/io/trace_recorder.hpp>
#include <tether/model/version.hpp>

namespace {

using namespace tether;

struct FixedClock final : io::Clock {
  model::Instant now() override { return model::Instant{250}; }
  std::int64_t unix_now_ms() override { return 1'765'101'600'000; }
};

}  // namespace

TEST_CASE(
    "trace_recorder: the header states the effective configuration, the seed used, the version and "
    "the clock",
    "[trace]") {
  io::Config config = io::preset_config("zero_ws").value();
  config.session.backoff.delay_ms_initial = 777;
  config.session.heartbeat.reset();
  config.seed = std::nullopt;  // drawn from the OS: the header says which one
  FixedClock clock;
  const model::RecordingHeader h = io::recording_header(config, 0xFEEDULL, clock);
  CHECK(h.version == model::version);
  CHECK(h.seed == 0xFEED);
  CHECK(h.clock == model::WallClockAnchor{1'765'101'600'000, model::Instant{250}});
  CHECK(h.config.find('\n') == std::string::npos);
  auto back = io::parse_config(h.config);
  INFO(h.config);
  REQUIRE(back);
  CHECK(back->seed == 0xFEEDULL);
  CHECK(back->session.backoff.delay_ms_initial == 777);
  CHECK_FALSE(back->session.heartbeat.has_value());
  CHECK(io::to_json(*back) == io::to_json([&] {
          io::Config c = config;
          c.seed = 0xFEED;
          c.session.seed = 0xFEED;
          return c;
        }()));
  CHECK(model::encode_header(h).has_value());
}

TEST_CASE("trace_recorder: the header never holds a header value", "[trace]") {
  io::Config config = io::preset_config("aviso").value();
  config.shell.http.headers = {
      {"X-Api-Key", "SECRET-KEY-VALUE"}, {"X-Team", "ops"}, {"authorization", "Bearer SECRET2"}};
  FixedClock clock;
  const model::RecordingHeader h = io::recording_header(config, 1, clock);
  INFO(h.config);
  CHECK(h.config.find("SECRET") == std::string::npos);
  CHECK(h.config.find("ops") == std::string::npos);
  CHECK(h.config.find("X-Api-Key") != std::string::npos);
  CHECK(h.config.find(std::string(io::recorded_header_value)) != std::string::npos);
  auto back =
      io::parse_config(h.config);  // credential headers, which the format refuses, are left out
  REQUIRE(back);
  REQUIRE(back->shell.http.headers.size() == 2);
  CHECK(back->shell.http.headers[0].second == io::recorded_header_value);
}
