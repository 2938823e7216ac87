// The canonical encoding of a step's effects and its hash
// (model/src/effects_hash.cpp): every effect and field is in the text, so any
// difference changes the hash, and the hash of a fixed text never changes.

#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <tether/model/effects_hash.hpp>
#include <vector>

using namespace tether::model;

namespace {

Token tok(std::string_view s) { return *Token::make(s); }

Effects of(std::initializer_list<Effect> list) {
  Effects e;
  for (const Effect& x : list) e.push_back(x);
  return e;
}

std::vector<Effect> one_of_each() {
  return {
      Connect{2, ResumeFrom::cursor, Cursor::at_token(tok("17:4"), 41)},
      CloseConnection{},
      Deliver{7, 41, 9},
      DiscardFrame{10, 40, DiscardReason::duplicate},
      ReportGap{41, 44, GapCause::missing},
      SaveCheckpoint{7, Cursor::at_sequence(41)},
      RefreshAuth{RefreshCause::expiring},
      ReportStatus{Status{StatusKind::backing_off, Reason::server_error, 3, Instant{1500}, 503}}};
}

}  // namespace

TEST_CASE("effects_hash: the canonical encoding is the documented one", "[effects_hash]") {
  const auto e = one_of_each();
  CHECK(encode_effect(e[0]) ==
        "Connect attempt=2 from=cursor cursor=token cursor.seq=41 cursor.has_seq=1 cursor.start=0 "
        "cursor.token=17:4");
  CHECK(encode_effect(e[1]) == "CloseConnection");
  CHECK(encode_effect(e[2]) == "Deliver delivery=7 seq=41 ref=9");
  CHECK(encode_effect(Deliver{7, std::nullopt, 9}) == "Deliver delivery=7 seq=- ref=9");
  CHECK(encode_effect(e[3]) == "DiscardFrame ref=10 seq=40 reason=duplicate");
  CHECK(encode_effect(e[4]) == "ReportGap from=41 to=44 cause=missing");
  CHECK(encode_effect(e[5]) ==
        "SaveCheckpoint delivery=7 cursor=sequence cursor.seq=41 cursor.has_seq=1 cursor.start=0 "
        "cursor.token=");
  CHECK(encode_effect(e[6]) == "RefreshAuth cause=expiring");
  CHECK(encode_effect(e[7]) ==
        "ReportStatus status=backing_off reason=server_error failures=3 next_attempt_at=1500 "
        "http_status=503");
  const Effects two = of({e[1], e[2]});
  CHECK(encode_effects(two.span()) == "CloseConnection\nDeliver delivery=7 seq=41 ref=9");
  CHECK(effect_kinds(two.span()) == "CloseConnection,Deliver");
  CHECK(effect_kinds(Effects{}.span()) == "-");
}

TEST_CASE("effects_hash: FNV-1a 64 of the canonical text, the same on every build",
          "[effects_hash]") {
  // Computed independently (Python) from the documented text; a change here
  // breaks every recording made before it.
  CHECK(effects_hash(Effects{}.span()) == 0xcbf29ce484222325ULL);
  CHECK(fnv1a64(fnv1a64_offset, "a") == 0xaf63dc4c8601ec8cULL);
  const Effects two = of({CloseConnection{}, Deliver{7, 41, 9}});
  CHECK(effects_hash(two.span()) ==
        fnv1a64(fnv1a64_offset, "CloseConnection\nDeliver delivery=7 seq=41 ref=9"));
  CHECK(effects_hash(two.span()) == 0xb16ffa3aa8377baaULL);
}

TEST_CASE("effects_hash: any difference in any effect changes the hash", "[effects_hash]") {
  const auto base = one_of_each();
  Effects all;
  for (const Effect& e : base) all.push_back(e);
  const std::uint64_t h = effects_hash(all.span());

  // One mutation of every field of every effect.
  std::vector<std::function<void(std::vector<Effect>&)>> mutations{
      [](auto& v) { std::get<Connect>(v[0]).attempt = 3; },
      [](auto& v) { std::get<Connect>(v[0]).from = ResumeFrom::oldest; },
      [](auto& v) { std::get<Connect>(v[0]).cursor.sequence = 42; },
      [](auto& v) { std::get<Connect>(v[0]).cursor.has_sequence = false; },
      [](auto& v) { std::get<Connect>(v[0]).cursor.start_time_ms = 1; },
      [](auto& v) { std::get<Connect>(v[0]).cursor.kind = CursorKind::sequence; },
      [](auto& v) { std::get<Connect>(v[0]).cursor.token = tok("17:5"); },
      [](auto& v) {
        v[1] = Deliver{7, 41, 9};
      },
      [](auto& v) { std::get<Deliver>(v[2]).delivery_id = 8; },
      [](auto& v) { std::get<Deliver>(v[2]).sequence = std::nullopt; },
      [](auto& v) { std::get<Deliver>(v[2]).sequence = 0; },
      [](auto& v) { std::get<Deliver>(v[2]).frame_ref = 10; },
      [](auto& v) { std::get<DiscardFrame>(v[3]).frame_ref = 11; },
      [](auto& v) { std::get<DiscardFrame>(v[3]).sequence = std::nullopt; },
      [](auto& v) { std::get<DiscardFrame>(v[3]).reason = DiscardReason::not_streaming; },
      [](auto& v) { std::get<ReportGap>(v[4]).from_sequence = std::nullopt; },
      [](auto& v) { std::get<ReportGap>(v[4]).to_sequence = 45; },
      [](auto& v) { std::get<ReportGap>(v[4]).cause = GapCause::cursor_too_old; },
      [](auto& v) { std::get<SaveCheckpoint>(v[5]).delivery_id = 6; },
      [](auto& v) { std::get<SaveCheckpoint>(v[5]).cursor = Cursor::at_sequence(40); },
      [](auto& v) { std::get<RefreshAuth>(v[6]).cause = RefreshCause::rejected; },
      [](auto& v) { std::get<ReportStatus>(v[7]).status.kind = StatusKind::connecting; },
      [](auto& v) { std::get<ReportStatus>(v[7]).status.reason = Reason::rate_limited; },
      [](auto& v) { std::get<ReportStatus>(v[7]).status.failures = 4; },
      [](auto& v) { std::get<ReportStatus>(v[7]).status.next_attempt_at = Instant{1501}; },
      [](auto& v) { std::get<ReportStatus>(v[7]).status.http_status = 429; },
      [](auto& v) { std::swap(v[2], v[3]); },  // order
      [](auto& v) { v.pop_back(); },           // one fewer
  };
  for (std::size_t i = 0; i < mutations.size(); ++i) {
    std::vector<Effect> changed = base;
    mutations[i](changed);
    Effects e;
    for (const Effect& x : changed) e.push_back(x);
    INFO("mutation " << i << ": " << encode_effects(e.span()));
    CHECK(effects_hash(e.span()) != h);
  }
  // And nothing else moves it.
  CHECK(effects_hash(all.span()) == h);
}
