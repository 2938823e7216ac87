// Id resets (WorldParams::id_reset_every): a stream whose opaque ids are reset
// mid-stream by an empty SSE `id:` field (which resets the stream's last event
// id), followed by events with no id field (the reset holds). The server's
// blocks, the bytes the production parser gets, the resume by the sequence
// alone, the scenario file field, and the swarm's share.
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <tether/sim/scenario_json.hpp>
#include <tether/sim/server.hpp>
#include <tether/sim/session_world.hpp>
#include <tether/sim/swarm.hpp>

#include "status_history.hpp"

using namespace tether::sim;

namespace {

// One aviso client, an event every 500 ms, ids reset in blocks of two
// (sequences 3-4, 7-8, ..., 39-40, ... carry none), and two connection resets:
// one while the last event delivered is one without an id (sequence 3, at
// 1.5 s), one while it is one with an id (42, at 21 s).
Scenario id_reset_world() {
  Scenario s = tether::sim::test::aviso_base(60000);
  s.world.opaque_ids = true;
  s.world.id_reset_every = 2;
  s.world.latency_ms_min = 5;
  s.world.latency_ms_max = 20;
  for (const Ms at : {1800, 21300}) s.faults.push_back(Fault{FaultKind::reset, 0, at, 0, 0});
  return s;
}

bool has(const std::string& text, std::string_view what) {
  return text.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("id resets: blocks with ids alternate with blocks without, each opened by a reset",
          "[server][ids]") {
  ServerParams p;
  p.opaque_ids = true;
  p.id_reset_every = 3;
  const Server s(p);
  using F = Server::IdField;
  const F expected[] = {F::id, F::id, F::id, F::reset, F::none, F::none,
                        F::id, F::id, F::id, F::reset, F::none};
  for (std::uint64_t seq = 1; seq <= std::size(expected); ++seq) {
    INFO("sequence " << seq);
    CHECK(s.id_field(seq) == expected[seq - 1]);
  }
  p.id_reset_every = 1;
  const Server every(p);
  CHECK(every.id_field(1) == F::id);
  CHECK(every.id_field(2) == F::reset);
  CHECK(every.id_field(3) == F::id);
  p.id_reset_every = 0;
  const Server never(p);
  for (std::uint64_t seq = 1; seq <= 20; ++seq) CHECK(never.id_field(seq) == F::id);
}

// The production parser turns the empty `id:` into an empty id, and so does an
// event with no id field after it; the session's cursor then holds the
// sequence alone, and a reconnect resumes by it with no id bytes (the trace
// shows each Connect in full). After ids come back it resumes by the id again.
TEST_CASE("id resets: a reconnect after a reset resumes by the sequence alone, with no stale id",
          "[situations][ids]") {
  RunOptions o;
  o.keep_trace_text = true;
  const RunResult r = run_session(id_reset_world(), o);
  if (std::getenv("TETHER_SIM_TRACE") != nullptr) std::fputs(r.trace.c_str(), stdout);
  INFO(describe(r));
  CHECK(r.ok());
  CHECK(has(r.trace, "FrameReceived seq=2 id=1:2 "));
  CHECK(has(r.trace, "FrameReceived seq=3 id= "));  // the empty `id:` field
  CHECK(has(r.trace, "FrameReceived seq=4 id= "));  // no id field: the reset holds
  CHECK(has(r.trace, "FrameReceived seq=5 id=1:5 "));
  CHECK(has(
      r.trace,
      "Connect attempt=2 from=cursor cursor=sequence cursor.seq=3 cursor.has_seq=1 cursor.start=0 "
      "cursor.token= ;"));
  CHECK(has(r.trace,
            "from=cursor cursor=token cursor.seq=42 cursor.has_seq=1 cursor.start=0 "
            "cursor.token=1:42 ;"));
  CHECK(r.clients.at(0).connect_at_ms.size() == 3);
}

TEST_CASE("id resets: a scenario file field, only with opaque ids", "[scenario-json][ids]") {
  const Scenario s = id_reset_world();
  const std::string text = to_json(s);
  CHECK(has(text, "\"id_reset_every\": 2"));
  const auto again = parse_scenario(text);
  REQUIRE(again);
  CHECK(again->world.id_reset_every == 2);
  CHECK(to_json(*again) == text);
  CHECK_FALSE(has(to_json(tether::sim::test::aviso_base(30000)), "id_reset_every"));
  Scenario no_ids = s;
  no_ids.world.opaque_ids = false;
  const auto refused = parse_scenario(to_json(no_ids));
  REQUIRE_FALSE(refused);
  CHECK(
      refused.error().message().starts_with("world.id_reset_every: needs world.opaque_ids = true"));
}

TEST_CASE("id resets: the swarm draws them in about 8% of seeds, with opaque ids",
          "[swarm][situations][ids]") {
  constexpr int seeds = 4000;
  int drawn = 0;
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    const Scenario s = swarm_scenario(seed);
    if (s.world.id_reset_every == 0) continue;
    ++drawn;
    INFO("seed " << seed);
    CHECK(s.world.opaque_ids);
    CHECK(s.world.id_reset_every <= 8);
    CHECK(swarm_scenario_base(seed).world.id_reset_every == 0);
  }
  std::printf("id resets in %d of %d seeds\n", drawn, seeds);
  CHECK(drawn > seeds * 0.08 * 0.6);
  CHECK(drawn < seeds * 0.08 * 1.5);
}
