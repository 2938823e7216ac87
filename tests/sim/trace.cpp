#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <tether/model/event_log.hpp>
#include <tether/sim/trace.hpp>

using namespace tether::sim;
namespace model = tether::model;

TEST_CASE("FNV-1a 64 matches the reference vectors", "[trace]") {
  CHECK(tether::model::fnv1a64(tether::model::fnv1a64_offset, "") == 0xcbf29ce484222325ULL);
  CHECK(tether::model::fnv1a64(tether::model::fnv1a64_offset, "a") == 0xaf63dc4c8601ec8cULL);
  CHECK(tether::model::fnv1a64(tether::model::fnv1a64_offset, "foobar") == 0x85944171f73967e8ULL);
}

// A step is printed by the event-log encoder: the client, the recording's line
// for that step, and the effects' canonical text. The hash covers the client,
// the event line and the canonical text, whether the text is kept or not.
TEST_CASE("trace lines are the client, the event log's step line and the effects in full",
          "[trace]") {
  Trace a(true), b(false);
  const model::Event frame =
      model::FrameReceived{model::Instant{1500}, 7, std::nullopt, std::nullopt, 99};
  model::Effects fx;
  fx.push_back(model::Deliver{1, 7, 99});
  a.step(1500, 0, frame, fx);
  b.step(1500, 0, frame, fx);
  const std::string step = "c0 " + model::encode_step(frame, fx.span());
  CHECK(step.starts_with("c0 1500 FrameReceived seq=7 id=- retry=- ref=99 effects=Deliver hash="));
  CHECK(a.text() == step + " : Deliver delivery=1 seq=7 ref=99\n");
  CHECK(b.text().empty());
  CHECK(a.hash() == b.hash());
  CHECK(a.hash() ==
        trace_hash_step(model::fnv1a64_offset, "c0 " + model::encode_event(frame) + "\n" +
                                                   model::encode_effects(fx.span())));

  // Several effects: one after another; none: no detail.
  model::Effects two;
  two.push_back(model::CloseConnection{});
  two.push_back(model::ReportStatus{model::Status{
      model::StatusKind::backing_off, model::Reason::unexpected_eof, 1, model::Instant{2700}, 0}});
  const model::Event closed =
      model::ConnectionClosed{model::Instant{1700}, model::CloseCause::unexpected_eof};
  Trace c(true);
  c.step(1700, 2, closed, two);
  c.step(1800, 1, model::Tick{model::Instant{1800}}, model::Effects{});
  c.note(1900, "partition", 1);
  CHECK(c.text() ==
        "c2 " + model::encode_step(closed, two.span()) +
            " : CloseConnection ; ReportStatus status=backing_off reason=unexpected_eof failures=1 "
            "next_attempt_at=2700 http_status=0\n"
            "c1 1800 Tick effects=- hash=cbf29ce484222325\n"
            "world 1900 partition 1\n");
  Trace d(false);
  d.step(1700, 2, closed, two);
  d.step(1800, 1, model::Tick{model::Instant{1800}}, model::Effects{});
  d.note(1900, "partition", 1);
  CHECK(d.hash() == c.hash());
  CHECK(d.hash() != a.hash());
}

// Word by word, each step a bijection: one byte changed anywhere, the length
// changed, or the same bytes split differently between steps, changes it.
TEST_CASE("the trace hash sees every byte", "[trace]") {
  const std::string text =
      "c0 1500 FrameReceived seq=7 id=1:7 retry=- ref=3\nDeliver delivery=1 seq=7 ref=3";
  const std::uint64_t h = trace_hash_step(model::fnv1a64_offset, text);
  CHECK(h == trace_hash_step(model::fnv1a64_offset, text));
  for (std::size_t i = 0; i < text.size(); ++i) {
    for (const unsigned flip : {0x01u, 0x80u}) {
      std::string changed = text;
      changed[i] =
          static_cast<char>(static_cast<unsigned>(static_cast<unsigned char>(changed[i])) ^ flip);
      INFO("byte " << i << " flip " << flip);
      CHECK(trace_hash_step(model::fnv1a64_offset, changed) != h);
    }
  }
  CHECK(trace_hash_step(model::fnv1a64_offset, text + '\0') != h);
  CHECK(trace_hash_step(model::fnv1a64_offset, text.substr(0, text.size() - 1)) != h);
  CHECK(trace_hash_step(trace_hash_step(model::fnv1a64_offset, "ab"), "c") !=
        trace_hash_step(trace_hash_step(model::fnv1a64_offset, "a"), "bc"));
  CHECK(trace_hash_step(model::fnv1a64_offset, "") != model::fnv1a64_offset);
}

// The trace tells what the step did: any field of any effect changes the hash
// (through the line's effects hash), though the line shows only their names.
TEST_CASE("a trace hash covers every effect field", "[trace]") {
  const model::Event tick = model::Tick{model::Instant{10}};
  const auto hash_of = [&](const model::Effect& e) {
    model::Effects fx;
    fx.push_back(e);
    Trace t(false);
    t.step(10, 0, tick, fx);
    return t.hash();
  };
  CHECK(hash_of(model::Connect{1, model::ResumeFrom::cursor, model::Cursor::at_sequence(4)}) !=
        hash_of(model::Connect{1, model::ResumeFrom::cursor, model::Cursor::at_sequence(5)}));
  model::Cursor stale = model::Cursor::at_sequence(4);
  stale.token = model::Token::make("1:3").value();
  CHECK(hash_of(model::Connect{1, model::ResumeFrom::cursor, model::Cursor::at_sequence(4)}) !=
        hash_of(model::Connect{1, model::ResumeFrom::cursor, stale}));
  CHECK(hash_of(model::Deliver{1, 7, 99}) != hash_of(model::Deliver{1, 7, 98}));
}

TEST_CASE("coverage counts (phase, event) pairs and lists the missing ones", "[trace]") {
  Coverage c;
  c.add(model::Phase{model::Idle{}}, model::Event{model::Started{}});
  CHECK(c.pairs_reached() == 1);
  const auto missing = c.never_reached();
  CHECK(missing.size() == phase_count * event_count - 1);
  CHECK(std::find(missing.begin(), missing.end(), "Idle/Started") == missing.end());
  CHECK(std::find(missing.begin(), missing.end(), "Idle/Tick") != missing.end());
}
