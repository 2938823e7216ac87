#include <catch2/catch.hpp>
#include <string>
#include <tether/model/cursor.hpp>

using namespace tether::model;

TEST_CASE("tokens keep their bytes and refuse oversize ids", "[cursor]") {
  const auto t = Token::make("1700000000:12");
  REQUIRE(t);
  CHECK(t->view() == "1700000000:12");
  const std::string longest(Token::capacity, 'x');
  REQUIRE(Token::make(longest));
  CHECK(Token::make(longest)->view() == longest);
  const auto too_long = Token::make(longest + "y");
  REQUIRE_FALSE(too_long);
  CHECK(too_long.error() == Token::Error::too_long);
  CHECK(Token::make("").value().empty());
}

TEST_CASE("cursor constructors set what their kind needs", "[cursor]") {
  CHECK(Cursor::at_sequence(5).has_sequence);
  CHECK(Cursor::at_sequence(5).sequence == 5);
  const auto tok = *Token::make("abc");
  CHECK_FALSE(Cursor::at_token(tok).has_sequence);
  CHECK(Cursor::at_token(tok, 9).sequence == 9);
  CHECK(Cursor::at_start_time(1700000000000).kind == CursorKind::start_time);
  CHECK(Cursor::at_token(tok) == Cursor::at_token(*Token::make("abc")));
  CHECK_FALSE(Cursor::at_token(tok) == Cursor::at_token(*Token::make("abd")));
}
