// Snapshots and their diffs: examples for each rule, and properties against an
// independent oracle (std::map), not against the set algebra under test.
#include <rapidcheck/catch.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <tether/model/snapshot_diff.hpp>
#include <vector>

namespace p = tether::model::poll;

namespace {

p::Snapshot snap(std::vector<p::Entry> entries) {
  return p::Snapshot::from_entries(std::move(entries)).value();
}

using Map = std::map<std::string, std::string>;

Map as_map(const p::Snapshot& s) {
  Map m;
  for (const p::Entry& e : s.entries()) m.emplace(e.key, e.value);
  return m;
}

// Keys from a three-letter alphabet, up to three long: collisions between two
// random snapshots are frequent, so every kind of change shows up.
rc::Gen<std::string> small_key() {
  return rc::gen::container<std::string>(*rc::gen::inRange<std::size_t>(0, 4),
                                         rc::gen::element('a', 'b', 'c'));
}

rc::Gen<std::vector<p::Entry>> entries_gen() {
  return rc::gen::container<std::vector<p::Entry>>(rc::gen::construct<p::Entry>(
      small_key(), rc::gen::container<std::string>(rc::gen::element('x', 'y'))));
}

// Random entries with duplicate keys dropped (first wins), then a snapshot.
p::Snapshot unique_snapshot(std::vector<p::Entry> entries) {
  std::set<std::string> seen;
  std::vector<p::Entry> unique;
  for (p::Entry& e : entries)
    if (seen.insert(e.key).second) unique.push_back(std::move(e));
  return snap(std::move(unique));
}

}  // namespace

TEST_CASE("from_entries sorts by key and refuses a duplicate key", "[snapshot]") {
  const p::Snapshot s = snap({{"b", "2"}, {"a", "1"}, {"c", "3"}});
  REQUIRE(s.size() == 3);
  CHECK(s.entries()[0].key == "a");
  CHECK(s.entries()[2].key == "c");
  REQUIRE(s.find("b") != nullptr);
  CHECK(*s.find("b") == "2");
  CHECK(s.find("z") == nullptr);

  const auto twice = p::Snapshot::from_entries({{"k", "1"}, {"j", "0"}, {"k", "2"}});
  REQUIRE_FALSE(twice.has_value());
  CHECK(twice.error().reason == "duplicate key");
  CHECK(twice.error().key == "k");
  // Even with the same value: the rule is about the key, not a guess at intent.
  CHECK_FALSE(p::Snapshot::from_entries({{"k", "1"}, {"k", "1"}}).has_value());
}

TEST_CASE("keys order bytewise, the same on every platform", "[snapshot]") {
  const p::Snapshot s = snap({{"\xC3\xA9", "e-acute"}, {"z", "z"}, {"A", "A"}});
  CHECK(s.entries()[0].key == "A");
  CHECK(s.entries()[1].key == "z");
  CHECK(s.entries()[2].key == "\xC3\xA9");  // 0xC3 > 'z' as unsigned char
}

TEST_CASE("snapshots compare by content", "[snapshot]") {
  CHECK(snap({{"a", "1"}}) == snap({{"a", "1"}}));
  CHECK_FALSE(snap({{"a", "1"}}) == snap({{"a", "2"}}));
  CHECK(p::Snapshot{} == snap({}));
}

TEST_CASE("diff lists added, modified and removed keys in key order", "[snapshot]") {
  const p::Snapshot before = snap({{"a", "1"}, {"b", "2"}, {"c", "3"}});
  const p::Snapshot after = snap({{"b", "2"}, {"c", "30"}, {"d", "4"}});
  const p::Changes changes = p::diff(before, after);
  CHECK(changes == p::Changes{{p::ChangeKind::removed, "a", "1"},
                              {p::ChangeKind::modified, "c", "30"},
                              {p::ChangeKind::added, "d", "4"}});
  CHECK(p::diff(before, before).empty());
  CHECK(p::diff(p::Snapshot{}, before).size() == 3);
  CHECK(p::apply(before, changes).value() == after);
}

TEST_CASE("apply refuses changes that do not fit their base", "[snapshot]") {
  const p::Snapshot base = snap({{"a", "1"}});
  SECTION("adding a present key") {
    const auto r = p::apply(base, {{p::ChangeKind::added, "a", "2"}});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().key == "a");
  }
  SECTION("modifying or removing an absent key") {
    CHECK_FALSE(p::apply(base, {{p::ChangeKind::modified, "b", "2"}}).has_value());
    CHECK_FALSE(p::apply(base, {{p::ChangeKind::removed, "b", ""}}).has_value());
  }
  SECTION("changes out of order or twice for one key") {
    CHECK_FALSE(p::apply(base, {{p::ChangeKind::added, "c", ""}, {p::ChangeKind::added, "b", ""}})
                    .has_value());
    CHECK_FALSE(
        p::apply(base, {{p::ChangeKind::modified, "a", "x"}, {p::ChangeKind::removed, "a", "x"}})
            .has_value());
  }
  SECTION("a removal's value is not compared") {
    CHECK(p::apply(base, {{p::ChangeKind::removed, "a", "whatever"}}).value().empty());
  }
}

TEST_CASE("snapshot properties", "[snapshot][property]") {
  rc::prop("from_entries sorts, and refuses exactly when a key repeats", [] {
    const auto entries = *entries_gen();
    std::set<std::string> keys;
    for (const p::Entry& e : entries) keys.insert(e.key);
    const auto s = p::Snapshot::from_entries(entries);
    RC_ASSERT(s.has_value() == (keys.size() == entries.size()));
    if (!s) {
      RC_ASSERT(std::count_if(entries.begin(), entries.end(),
                              [&](const p::Entry& e) { return e.key == s.error().key; }) > 1);
      return;
    }
    RC_ASSERT(s->size() == entries.size());
    for (std::size_t i = 1; i < s->size(); ++i)
      RC_ASSERT(s->entries()[i - 1].key < s->entries()[i].key);
    for (const p::Entry& e : entries)
      RC_ASSERT(s->find(e.key) != nullptr && *s->find(e.key) == e.value);
  });

  rc::prop("diff agrees with a map oracle, and apply(a, diff(a, b)) == b", [] {
    const p::Snapshot a = unique_snapshot(*entries_gen());
    const p::Snapshot b = unique_snapshot(*entries_gen());
    const Map ma = as_map(a), mb = as_map(b);
    const p::Changes changes = p::diff(a, b);
    // Oracle: the changes, key by key.
    p::Changes expected;
    std::set<std::string> keys;
    for (const auto& [k, v] : ma) keys.insert(k);
    for (const auto& [k, v] : mb) keys.insert(k);
    for (const std::string& k : keys) {
      const auto ia = ma.find(k), ib = mb.find(k);
      if (ia == ma.end())
        expected.push_back({p::ChangeKind::added, k, ib->second});
      else if (ib == mb.end())
        expected.push_back({p::ChangeKind::removed, k, ia->second});
      else if (ia->second != ib->second)
        expected.push_back({p::ChangeKind::modified, k, ib->second});
    }
    RC_ASSERT(changes == expected);
    // Replaying the changes onto a map reproduces b too.
    Map replay = ma;
    for (const p::Change& c : changes) {
      if (c.kind == p::ChangeKind::removed)
        replay.erase(c.key);
      else
        replay[c.key] = c.value;
    }
    RC_ASSERT(replay == mb);
    const auto applied = p::apply(a, changes);
    RC_ASSERT(applied.has_value());
    RC_ASSERT(*applied == b);
    RC_ASSERT(p::diff(b, b).empty());
  });

  rc::prop("diffs compose: a -> b -> c lands where a -> c does", [] {
    const p::Snapshot a = unique_snapshot(*entries_gen());
    const p::Snapshot b = unique_snapshot(*entries_gen());
    const p::Snapshot c = unique_snapshot(*entries_gen());
    const p::Snapshot via_b = p::apply(p::apply(a, p::diff(a, b)).value(), p::diff(b, c)).value();
    RC_ASSERT(via_b == c);
    RC_ASSERT(p::apply(a, p::diff(a, c)).value() == c);
  });
}
