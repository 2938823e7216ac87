// Replaying a recording exactly (sim/src/recording_replay.cpp) and the operator
// summary (sim/src/operator_summary.cpp): a faithful recording replays with
// every step and the final state checked; a different configuration or seed,
// an edited event or an edited @state line is named at the first step that
// differs; the summary tells the outages, reconnects, refreshes and gaps.

#include <catch2/catch.hpp>
#include <string>
#include <tether/model/effects_hash.hpp>
#include <tether/model/event_log.hpp>
#include <tether/model/names.hpp>
#include <tether/model/presets.hpp>
#include <tether/model/session.hpp>
#include <tether/sim/operator_summary.hpp>
#include <tether/sim/recording_replay.hpp>
#include <vector>

using namespace tether;
using namespace tether::sim;
namespace model = tether::model;

namespace {

constexpr std::int64_t anchor_unix_ms = 1765101600000;  // 2025-12-07T10:00:00.000Z

// Records a session as the io driver does: every event with its effects, and
// the state at the end.
class Recorder {
 public:
  explicit Recorder(model::SessionConfig config) : state_(model::make(config).value()) {
    const model::RecordingHeader header{"0.1.0", config.seed,
                                        model::WallClockAnchor{anchor_unix_ms, model::Instant{0}},
                                        R"({"format":"tether-config/1"})"};
    text_ = model::encode_header(header).value();
  }
  void feed(const model::Event& e) {
    const model::Effects effects = model::transition_in_place(state_, e);
    text_ += model::encode_step(e, effects.span()) + "\n";
    now_ = model::time_of(e);
  }
  // A Tick at the reducer's next deadline.
  void tick() { feed(model::Tick{model::next_deadline(state_).value()}); }
  model::Instant at(std::int64_t later_ms) const { return model::Instant{now_.ms + later_ms}; }
  std::string finish() {
    text_ += model::encode_state(model::state_check_of(state_)) + "\n";
    return text_;
  }
  const model::State& state() const { return state_; }

 private:
  model::State state_;
  std::string text_;
  model::Instant now_{};
};

model::SessionConfig config_under_test() {
  model::SessionConfig c = model::presets::aviso();
  c.seed = 42;
  c.auth.has_provider = true;
  return c;
}

// A session with a bit of everything: frames, an outage with a refused
// reconnect, a gap, a credential refresh after a 401, and a stop.
std::string incident(const model::SessionConfig& config) {
  Recorder r(config);
  r.feed(model::Started{model::Instant{0}, std::nullopt, std::nullopt});
  r.feed(model::ConnectionOpened{r.at(15)});
  r.feed(model::FrameReceived{r.at(5), 1, std::nullopt, std::nullopt, 1});
  r.feed(model::DeliveryAcked{r.at(1), 1, model::Cursor::at_sequence(1)});
  r.feed(model::CheckpointSaved{r.at(2), 1});
  r.feed(model::ConnectionClosed{r.at(3000), model::CloseCause::unexpected_eof});
  r.tick();
  r.feed(model::ServerRejected{r.at(20), 503, std::nullopt});
  r.tick();
  r.feed(model::ServerRejected{r.at(20), 401, std::nullopt});
  r.feed(model::AuthRefreshed{r.at(40), std::nullopt});  // reconnects at once
  r.feed(model::ConnectionOpened{r.at(10)});
  r.feed(model::FrameReceived{r.at(5), 4, std::nullopt, std::nullopt, 2});  // 2 and 3 never came
  r.feed(model::DeliveryAcked{r.at(1), 2, model::Cursor::at_sequence(4)});
  r.feed(model::CheckpointSaved{r.at(2), 2});
  r.feed(model::StopRequested{r.at(1000)});
  if (!model::is_terminal(r.state())) r.feed(model::CheckpointSaved{r.at(2), 2});
  return r.finish();
}

model::Recording decode(const std::string& text) {
  auto r = model::decode_recording(text);
  INFO((r ? std::string() : r.error().message()));
  REQUIRE(r.has_value());
  return std::move(*r);
}

std::string replace_once(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE(
    "recording_replay: a faithful recording replays with every step and the final state checked",
    "[recording_replay]") {
  const std::string text = incident(config_under_test());
  const model::Recording rec = decode(text);
  const ReplayResult r = replay_recording(rec, config_under_test());
  INFO(text << (r.divergence ? describe(*r.divergence) : std::string()));
  CHECK(r.ok());
  CHECK(r.steps == rec.steps.size());
  CHECK(r.effects_checked == rec.steps.size());
  CHECK(r.states_checked == 1);
  CHECK(std::string(model::name_of(r.state.phase)) == "Stopped");
}

// One printer: a replay's trace prints each step as the recording does (the
// event log's line after the client), so the recording's event lines come back
// out of the trace, and the trace hash is the same whether the text is kept.
TEST_CASE("recording_replay: the trace's step lines are the recording's lines",
          "[recording_replay][trace]") {
  const std::string text = incident(config_under_test());
  const model::Recording rec = decode(text);
  ReplayOptions keep;
  keep.keep_trace_text = true;
  const ReplayResult r = replay_recording(rec, config_under_test(), keep);
  REQUIRE(r.ok());
  std::vector<std::string> recorded;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t nl = text.find('\n', start);
    const std::string line = text.substr(start, nl - start);
    if (!line.empty() && line[0] != '@' && line != model::event_log_header)
      recorded.push_back(line);
    start = nl + 1;
  }
  std::vector<std::string> traced;
  for (std::size_t start = 0; start < r.trace.size();) {
    const std::size_t nl = r.trace.find('\n', start);
    std::string line = r.trace.substr(start, nl - start);
    REQUIRE(line.starts_with("c0 "));
    line = line.substr(
        3, line.find(" : ") == std::string::npos ? std::string::npos : line.find(" : ") - 3);
    traced.push_back(line);
    start = nl + 1;
  }
  CHECK(traced == recorded);
  CHECK(recorded.size() == rec.steps.size());
  CHECK(replay_recording(rec, config_under_test()).trace_hash == r.trace_hash);
}

TEST_CASE(
    "recording_replay: another seed or configuration is named at the first step whose effects "
    "differ",
    "[recording_replay]") {
  const std::string text = incident(config_under_test());
  const model::Recording rec = decode(text);
  model::SessionConfig other_seed = config_under_test();
  other_seed.seed = 43;
  model::SessionConfig other_delay = config_under_test();
  other_delay.backoff.delay_ms_initial = 400;
  for (const model::SessionConfig& config : {other_seed, other_delay}) {
    // Where the effects first differ, step by step.
    model::State state = model::make(config).value();
    std::size_t first = 0;
    for (std::size_t i = 0; i < rec.steps.size() && first == 0; ++i) {
      const model::Effects e = model::transition_in_place(state, rec.steps[i].event);
      if (model::effects_hash(e.span()) != rec.steps[i].effects->hash) first = i + 1;
    }
    REQUIRE(first > 0);
    const model::RecordedStep& at = rec.steps[first - 1];
    // The first backoff after the outage is aviso's 5 s short-session floor
    // with the first jittered draw above it.
    CHECK(std::holds_alternative<model::ConnectionClosed>(at.event));

    const ReplayResult r = replay_recording(rec, config);
    REQUIRE(r.divergence.has_value());
    const Divergence& d = *r.divergence;
    INFO(describe(d));
    CHECK_FALSE(r.ok());
    CHECK(d.step == first);
    CHECK(r.steps == first);  // stopped there
    CHECK(d.line == at.line);
    CHECK(d.event == model::encode_event(at.event));
    CHECK(d.at == model::time_of(at.event));
    CHECK(d.when ==
          OperatorSummary(model::WallClockAnchor{anchor_unix_ms, model::Instant{0}}).time(d.at));
    CHECK(d.when.starts_with("2025-12-07T10:00:0"));
    CHECK(d.what.find("recorded effects: ReportStatus (hash ") != std::string::npos);
    CHECK(d.what.find("replayed effects: ReportStatus (hash ") != std::string::npos);
    CHECK(d.what.find("the same effects with different fields") != std::string::npos);
    CHECK(d.what.find("\n  ReportStatus status=backing_off reason=unexpected_eof failures=1 "
                      "next_attempt_at=") != std::string::npos);
    CHECK(describe(d).starts_with("DIVERGED at step " + std::to_string(first) + " (line " +
                                  std::to_string(at.line) + ", " + d.when + "): " + d.event +
                                  "\n  recorded effects: "));
  }
}

TEST_CASE("recording_replay: an edited event or state line is a divergence", "[recording_replay]") {
  const std::string text = incident(config_under_test());
  {
    // Frame 4 claims sequence 2: no gap is reported, so the effects differ.
    const model::Recording rec =
        decode(replace_once(text, "FrameReceived seq=4", "FrameReceived seq=2"));
    const ReplayResult r = replay_recording(rec, config_under_test());
    REQUIRE(r.divergence.has_value());
    INFO(describe(*r.divergence));
    CHECK(r.divergence->event.find("FrameReceived seq=2") != std::string::npos);
    CHECK(r.divergence->what.find("recorded effects: ReportGap,Deliver") != std::string::npos);
    CHECK(r.divergence->what.find("replayed effects: Deliver (hash") != std::string::npos);
  }
  {
    // The effects match, the final state line does not.
    const model::Recording rec =
        decode(replace_once(text, "delivered=2 durable=2", "delivered=2 durable=1"));
    const ReplayResult r = replay_recording(rec, config_under_test());
    REQUIRE(r.divergence.has_value());
    INFO(describe(*r.divergence));
    CHECK(r.effects_checked == rec.steps.size());
    CHECK(r.divergence->event == "@state");
    CHECK(r.divergence->step == rec.steps.size());
    CHECK(r.divergence->line == rec.states.front().line);
    CHECK(r.divergence->what ==
          "recorded state: phase=Stopped status=stopped reason=stop_requested failures=0 "
          "next_attempt_at=0 http_status=0 delivered=2 durable=1\n"
          "replayed state: phase=Stopped status=stopped reason=stop_requested failures=0 "
          "next_attempt_at=0 http_status=0 delivered=2 durable=2");
    CHECK(describe(*r.divergence)
              .starts_with("DIVERGED at the state check after step " +
                           std::to_string(rec.steps.size())));
  }
  {
    // A tampered hash alone.
    const model::Recording rec = decode(text);
    std::string edited = text;
    const auto at = edited.find(" hash=", edited.find("ConnectionOpened")) + 6;
    edited[at] = edited[at] == '0' ? '1' : '0';
    const ReplayResult r = replay_recording(decode(edited), config_under_test());
    REQUIRE(r.divergence.has_value());
    CHECK(r.divergence->step == 2);
  }
}

TEST_CASE("recording_replay: an invalid configuration replays nothing", "[recording_replay]") {
  model::SessionConfig bad = config_under_test();
  bad.backoff.multiplier = 0.5;
  const ReplayResult r = replay_recording(decode(incident(config_under_test())), bad);
  CHECK_FALSE(r.ok());
  CHECK(r.error.find("backoff.multiplier") != std::string::npos);
  CHECK(r.steps == 0);
}

TEST_CASE("operator_summary: outages, reconnects, refreshes, gaps and the end in plain words",
          "[operator_summary]") {
  const ReplayResult r =
      replay_recording(decode(incident(config_under_test())), config_under_test());
  REQUIRE(r.ok());
  const std::string& s = r.summary;
  INFO(s);
  CHECK(s.starts_with("summary (times UTC)\n"));
  CHECK(s.find("  session      2025-12-07T10:00:00.000Z to ") != std::string::npos);
  CHECK(s.find("  delivered    2 events; checkpoint durable through delivery 2\n") !=
        std::string::npos);
  CHECK(s.find("  outages      1 (") != std::string::npos);
  CHECK(s.find("    #1 2025-12-07T10:00:03.023Z to ") != std::string::npos);
  CHECK(s.find("the connection ended without a close (unexpected_eof)\n") != std::string::npos);
  // aviso's 5 s short-session floor, with the jitter's draw above it.
  CHECK(s.find("       attempt 2 at 2025-12-07T10:00:08.208Z after a 5.2 s wait: failed") !=
        std::string::npos);
  CHECK(s.find("failed: the server asked to slow down (rate limited), HTTP 503 (rate_limited)\n") !=
        std::string::npos);
  CHECK(s.find("after a 79 ms wait: refused") != std::string::npos);  // the 503's jittered backoff
  CHECK(s.find(": refused the credentials (HTTP 401); refreshing them\n") != std::string::npos);
  CHECK(s.find(": connected\n") != std::string::npos);
  CHECK(s.find("  reconnects   3 attempt(s), waits ") != std::string::npos);
  CHECK(s.find("  refreshes    1\n") != std::string::npos);
  CHECK(s.find("the server refused the credentials; refresh succeeded") != std::string::npos);
  CHECK(s.find("  gaps         1\n") != std::string::npos);
  CHECK(s.find(": events 2 to 3 never arrived\n") != std::string::npos);
  CHECK(s.find("  final state  stopped: the application asked to stop (stop_requested)\n") !=
        std::string::npos);
}

TEST_CASE("operator_summary: ISO-8601 UTC times and readable durations", "[operator_summary]") {
  const OperatorSummary utc(model::WallClockAnchor{anchor_unix_ms, model::Instant{500}});
  CHECK(utc.time(model::Instant{500}) == "2025-12-07T10:00:00.000Z");
  CHECK(utc.time(model::Instant{500 + 86'399'999}) == "2025-12-08T09:59:59.999Z");
  CHECK(OperatorSummary(model::WallClockAnchor{0, model::Instant{0}}).time(model::Instant{-1}) ==
        "1969-12-31T23:59:59.999Z");
  CHECK(OperatorSummary(model::WallClockAnchor{951782400000, model::Instant{0}})
            .time(model::Instant{0}) == "2000-02-29T00:00:00.000Z");
  CHECK(OperatorSummary(std::nullopt).time(model::Instant{3100}) == "t=3100 ms");
  CHECK(OperatorSummary::duration(850) == "850 ms");
  CHECK(OperatorSummary::duration(2500) == "2.5 s");
  CHECK(OperatorSummary::duration(192'000) == "3 min 12 s");
  CHECK(OperatorSummary::duration(7'500'000) == "2 h 5 min");
  for (unsigned i = 0; i < 22; ++i)
    CHECK_FALSE(std::string(OperatorSummary::words(static_cast<model::Reason>(i))).empty());
}
