#include <catch2/catch.hpp>
#include <string>
#include <tether/sim/server.hpp>

using namespace tether::sim;
using tether::model::Cursor;
using tether::model::ResumeFrom;
using Kind = ConnectAnswer::Kind;

TEST_CASE("the log is contiguous and history older than the retention window vanishes",
          "[server]") {
  Server s(ServerParams{10000, false, 0});
  for (Ms t = 1000; t <= 30000; t += 1000) s.append(t);  // 30 events, one per second
  CHECK(s.head() == 30);
  CHECK(s.head_at(5500) == 5);
  CHECK(s.oldest_retained(30000) == 20);  // appended at >= 20 s
  // A cursor whose next event is retained resumes; an older one is too old.
  CHECK(s.answer(30000, 0, ResumeFrom::cursor, Cursor::at_sequence(19)).kind == Kind::open);
  CHECK(s.answer(30000, 0, ResumeFrom::cursor, Cursor::at_sequence(19)).first_sequence == 20);
  CHECK(s.answer(30000, 0, ResumeFrom::cursor, Cursor::at_sequence(18)).kind == Kind::too_old);
  CHECK(s.answer(30000, 0, ResumeFrom::oldest, {}).first_sequence == 20);
  CHECK(s.answer(30000, 0, ResumeFrom::live, {}).first_sequence == 31);
  // Much later, with no appends, nothing is retained: only the head is current.
  CHECK(s.oldest_retained(100000) == 31);
  CHECK(s.answer(100000, 0, ResumeFrom::cursor, Cursor::at_sequence(30)).kind == Kind::open);
}

TEST_CASE("a restart refuses while down and may lose its history", "[server]") {
  Server s(ServerParams{});
  for (Ms t = 1; t <= 10; ++t) s.append(t);
  s.restart(20, false);
  s.set_down(true);
  CHECK(s.answer(20, 0, ResumeFrom::cursor, Cursor::at_sequence(0)).kind == Kind::refused);
  s.set_down(false);
  CHECK(s.answer(30, 0, ResumeFrom::cursor, Cursor::at_sequence(0)).kind == Kind::open);
  s.restart(40, true);
  CHECK(s.oldest_retained(40) == 11);
  CHECK(s.answer(40, 0, ResumeFrom::cursor, Cursor::at_sequence(5)).kind == Kind::too_old);
  CHECK(s.answer(40, 0, ResumeFrom::cursor, Cursor::at_sequence(10)).kind == Kind::open);
}

TEST_CASE("tokens expire after their lifetime, a refresh issues a new one", "[server]") {
  Server s(ServerParams{0, true, 60000});
  const AuthToken t = s.issue_token(0);
  CHECK(s.answer(59999, t.id, ResumeFrom::server_default, {}).kind == Kind::open);
  const ConnectAnswer late = s.answer(60000, t.id, ResumeFrom::server_default, {});
  CHECK(late.kind == Kind::status);
  CHECK(late.http_status == 401);
  const AuthToken fresh = s.issue_token(60000);
  CHECK(fresh.id != t.id);
  CHECK(s.answer(60001, fresh.id, ResumeFrom::server_default, {}).kind == Kind::open);
  s.expire_token(fresh.id, 70000);
  CHECK(s.answer(70000, fresh.id, ResumeFrom::server_default, {}).http_status == 401);
  s.set_auth_revoked(true);
  CHECK(s.answer(70000, s.issue_token(70000).id, ResumeFrom::server_default, {}).http_status ==
        401);
}

TEST_CASE("rate limits answer 429 with Retry-After, error bursts answer 5xx", "[server]") {
  Server s(ServerParams{});
  s.set_rate_limit(true, 12000);
  const ConnectAnswer a = s.answer(0, 0, ResumeFrom::server_default, {});
  CHECK(a.http_status == 429);
  CHECK(a.retry_after_ms == 12000);
  s.set_rate_limit(false, std::nullopt);
  s.set_error_status(true, 502);
  CHECK(s.answer(0, 0, ResumeFrom::server_default, {}).http_status == 502);
  s.set_error_status(false, 0);
  CHECK(s.answer(0, 0, ResumeFrom::server_default, {}).kind == Kind::open);
}

TEST_CASE("5xx answers carry Retry-After when the world says so", "[server]") {
  // The server sends it with every 5xx; the session honours it for 503 only.
  ServerParams p;
  p.error_retry_after_ms = 7000;
  Server s(p);
  for (const std::uint16_t status : {std::uint16_t{503}, std::uint16_t{502}}) {
    s.set_error_status(true, status);
    const ConnectAnswer a = s.answer(0, 0, ResumeFrom::server_default, {});
    CHECK(a.http_status == status);
    CHECK(a.retry_after_ms == 7000);
    s.set_error_status(false, 0);
  }
  s.set_error_status(true, 503);
  CHECK_FALSE(Server(ServerParams{})
                  .answer(0, 0, ResumeFrom::server_default, {})
                  .retry_after_ms.has_value());
}

// Ids at the limit: padded to exactly id_bytes, and still resumed by.
TEST_CASE("ids padded to the limit keep their epoch and sequence", "[server][ids]") {
  ServerParams p;
  p.opaque_ids = true;
  p.id_bytes = 32;
  Server s(p);
  for (Ms t = 1; t <= 10; ++t) s.append(t);
  CHECK(s.id_of(7).view() == "1:" + std::string(29, '0') + "7");
  CHECK(s.sequence_of(s.id_of(7)) == 7u);
  CHECK(s.answer(20, 0, ResumeFrom::cursor, Cursor::at_token(s.id_of(7))).first_sequence == 8);
}

TEST_CASE("opaque ids are epoch:index tokens and resume by token", "[server][ids]") {
  ServerParams p;
  p.opaque_ids = true;
  Server s(p);
  for (Ms t = 1; t <= 10; ++t) s.append(t);
  CHECK(s.id_of(7).view() == "1:7");
  CHECK(s.sequence_of(s.id_of(7)) == 7u);
  const Cursor at7 = Cursor::at_token(s.id_of(7));
  CHECK(s.answer(20, 0, ResumeFrom::cursor, at7).kind == Kind::open);
  CHECK(s.answer(20, 0, ResumeFrom::cursor, at7).first_sequence == 8);
  // Ids this server never issued are too old (410), never guessed at.
  for (const char* bad : {"", "7", "1:", ":7", "1:99", "2:7", "1:7x", "x:7", "1:0"}) {
    INFO(bad);
    CHECK_FALSE(s.sequence_of(tether::model::Token::make(bad).value()).has_value());
    CHECK(s.answer(20, 0, ResumeFrom::cursor,
                   Cursor::at_token(tether::model::Token::make(bad).value()))
              .kind == Kind::too_old);
  }
  // A restart that loses the history starts a new epoch: old ids stay what
  // they were (and their events are gone: too old), new ones carry epoch 2.
  s.restart(30, true);
  CHECK(s.epoch() == 2);
  for (Ms t = 31; t <= 33; ++t) s.append(t);
  CHECK(s.id_of(12).view() == "2:12");
  CHECK(s.id_of(7).view() == "1:7");
  CHECK(s.answer(40, 0, ResumeFrom::cursor, at7).kind == Kind::too_old);
  CHECK(s.answer(40, 0, ResumeFrom::cursor, Cursor::at_token(s.id_of(10))).first_sequence == 11);
  CHECK(s.answer(40, 0, ResumeFrom::cursor, Cursor::at_token(s.id_of(11))).first_sequence == 12);
  // A restart that keeps the history keeps the epoch.
  s.restart(50, false);
  CHECK(s.epoch() == 2);
}

TEST_CASE("a filtered stream skips the sequences the filter drops", "[server][filter]") {
  ServerParams p;
  p.filter_skip_every = 3;
  Server s(p);
  for (Ms t = 1; t <= 10; ++t) s.append(t);
  CHECK(s.streams(1));
  CHECK(s.streams(2));
  CHECK_FALSE(s.streams(3));
  CHECK_FALSE(s.streams(9));
  CHECK(s.last_streamed_at_or_below(9) == 8);
  CHECK(s.last_streamed_at_or_below(10) == 10);
  CHECK(s.last_streamed_at_or_below(0) == 0);
  Server plain(ServerParams{});
  CHECK(plain.streams(3));
  CHECK(plain.last_streamed_at_or_below(9) == 9);
}

TEST_CASE("an at-least-once resume re-sends events before the cursor", "[server][overlap]") {
  ServerParams p;
  p.resume_overlap = 2;
  Server s(p);
  for (Ms t = 1; t <= 10; ++t) s.append(t);
  CHECK(s.answer(20, 0, ResumeFrom::cursor, Cursor::at_sequence(7)).first_sequence == 6);
  CHECK(s.answer(20, 0, ResumeFrom::cursor, Cursor::at_sequence(1)).first_sequence == 1);
  CHECK(s.answer(20, 0, ResumeFrom::live, {}).first_sequence == 11);  // live: no overlap
}
