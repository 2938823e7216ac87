#include <catch2/catch.hpp>
#include <tether/model/effect.hpp>
#include <tether/model/inline_vec.hpp>

using tether::model::InlineVec;

TEST_CASE("inline vec keeps order and size", "[inline_vec]") {
  InlineVec<int, 4> v;
  CHECK(v.empty());
  v.push_back(1);
  v.push_back(2);
  v.push_back(3);
  REQUIRE(v.size() == 3);
  CHECK(v[0] == 1);
  CHECK(v[2] == 3);
  int sum = 0;
  for (int x : v) sum += x;
  CHECK(sum == 6);
  const InlineVec<int, 4> copy = v;
  CHECK(copy.span().size() == 3);
  CHECK(copy[1] == 2);
}

TEST_CASE("effects fit the worst case of one transition", "[inline_vec]") {
  STATIC_REQUIRE(tether::model::Effects::capacity >= 8);
}
