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

namespace poll = tether::model::poll;

namespace {

poll::Snapshot snap(std::vector<poll::Entry> entries) {
  return poll::Snapshot::from_entries(std::move(entries)).value();
}

using Map = std::map<std::string, std::string>;

Map as_map(const poll::Snapshot& s) {
  Map m;
  for (const poll::Entry& e : s.entries()) m.emplace(e.key, e.value);
  return m;
}

// Keys from a three-letter alphabet, up to three long: collisions between two
// random snapshots are frequent, so every kind of change shows up.
rc::Gen<std::string> small_key() {
  return rc::gen::container<std::string>(*rc::gen::inRange<std::size_t>(0, 4),
                                         rc::gen::element('a', 'b', 'c'));
}

rc::Gen<std::vector<poll::Entry>> entries_gen() {
  return rc::gen::container<std::vector<poll::Entry>>(rc::gen::construct<poll::Entry>(
      small_key(), rc::gen::container<std::string>(rc::gen::element('x', 'y'))));
}

// Random entries with duplicate keys dropped (first wins), then a snapshot.
poll::Snapshot unique_snapshot(std::vector<poll::Entry> entries) {
  std::set<std::string> seen;
  std::vector<poll::Entry> unique;
  for (poll::Entry& e : entries)
    if (seen.insert(e.key).second) unique.push_back(std::move(e));
  return snap(std::move(unique));
}

}  // namespace

TEST_CASE("from_entries sorts by key and refuses a duplicate key", "[snapshot]") {
  const poll::Snapshot s = snap({{"b", "2"}, {"a", "1"}, {"c", "3"}});
  REQUIRE(s.size() == 3);
  CHECK(s.entries()[0].key == "a");
  CHECK(s.entries()[2].key == "c");
  REQUIRE(s.find("b") != nullptr);
  CHECK(*s.find("b") == "2");
  CHECK(s.find("z") == nullptr);

  const auto twice = poll::Snapshot::from_entries({{"k", "1"}, {"j", "0"}, {"k", "2"}});
  REQUIRE_FALSE(twice.has_value());
  CHECK(twice.error().reason == "duplicate key");
  CHECK(twice.error().key == "k");
  // Even with the same value: the rule is about the key, not a guess at intent.
  CHECK_FALSE(poll::Snapshot::from_entries({{"k", "1"}, {"k", "1"}}).has_value());
}

TEST_CASE("keys order bytewise, the same on every platform", "[snapshot]") {
  const poll::Snapshot s = snap({{"\xC3\xA9", "e-acute"}, {"z", "z"}, {"A", "A"}});
  CHECK(s.entries()[0].key == "A");
  CHECK(s.entries()[1].key == "z");
  CHECK(s.entries()[2].key == "\xC3\xA9");  // 0xC3 > 'z' as unsigned char
}

TEST_CASE("snapshots compare by content", "[snapshot]") {
  CHECK(snap({{"a", "1"}}) == snap({{"a", "1"}}));
  CHECK_FALSE(snap({{"a", "1"}}) == snap({{"a", "2"}}));
  CHECK(poll::Snapshot{} == snap({}));
}

TEST_CASE("diff lists added, modified and removed keys in key order", "[snapshot]") {
  const poll::Snapshot before = snap({{"a", "1"}, {"b", "2"}, {"c", "3"}});
  const poll::Snapshot after = snap({{"b", "2"}, {"c", "30"}, {"d", "4"}});
  const poll::Changes changes = poll::diff(before, after);
  CHECK(changes == poll::Changes{{poll::ChangeKind::removed, "a", "1"},
                                 {poll::ChangeKind::modified, "c", "30"},
                                 {poll::ChangeKind::added, "d", "4"}});
  CHECK(poll::diff(before, before).empty());
  CHECK(poll::diff(poll::Snapshot{}, before).size() == 3);
  CHECK(poll::apply(before, changes).value() == after);
}

TEST_CASE("apply refuses changes that do not fit their base", "[snapshot]") {
  const poll::Snapshot base = snap({{"a", "1"}});
  SECTION("adding a present key") {
    const auto r = poll::apply(base, {{poll::ChangeKind::added, "a", "2"}});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().key == "a");
  }
  SECTION("modifying or removing an absent key") {
    CHECK_FALSE(poll::apply(base, {{poll::ChangeKind::modified, "b", "2"}}).has_value());
    CHECK_FALSE(poll::apply(base, {{poll::ChangeKind::removed, "b", ""}}).has_value());
  }
  SECTION("changes out of order or twice for one key") {
    CHECK_FALSE(
        poll::apply(base, {{poll::ChangeKind::added, "c", ""}, {poll::ChangeKind::added, "b", ""}})
            .has_value());
    CHECK_FALSE(poll::apply(base, {{poll::ChangeKind::modified, "a", "x"},
                                   {poll::ChangeKind::removed, "a", "x"}})
                    .has_value());
  }
  SECTION("a removal's value is not compared") {
    CHECK(poll::apply(base, {{poll::ChangeKind::removed, "a", "whatever"}}).value().empty());
  }
}

TEST_CASE("snapshot properties", "[snapshot][property]") {
  rc::prop("from_entries sorts, and refuses exactly when a key repeats", [] {
    const auto entries = *entries_gen();
    std::set<std::string> keys;
    for (const poll::Entry& e : entries) keys.insert(e.key);
    const auto s = poll::Snapshot::from_entries(entries);
    RC_ASSERT(s.has_value() == (keys.size() == entries.size()));
    if (!s) {
      RC_ASSERT(std::count_if(entries.begin(), entries.end(),
                              [&](const poll::Entry& e) { return e.key == s.error().key; }) > 1);
      return;
    }
    RC_ASSERT(s->size() == entries.size());
    for (std::size_t i = 1; i < s->size(); ++i)
      RC_ASSERT(s->entries()[i - 1].key < s->entries()[i].key);
    for (const poll::Entry& e : entries)
      RC_ASSERT(s->find(e.key) != nullptr && *s->find(e.key) == e.value);
  });

  rc::prop("diff agrees with a map oracle, and apply(a, diff(a, b)) == b", [] {
    const poll::Snapshot a = unique_snapshot(*entries_gen());
    const poll::Snapshot b = unique_snapshot(*entries_gen());
    const Map ma = as_map(a), mb = as_map(b);
    const poll::Changes changes = poll::diff(a, b);
    // Oracle: the changes, key by key.
    poll::Changes expected;
    std::set<std::string> keys;
    for (const auto& [k, v] : ma) keys.insert(k);
    for (const auto& [k, v] : mb) keys.insert(k);
    for (const std::string& k : keys) {
      const auto ia = ma.find(k), ib = mb.find(k);
      if (ia == ma.end())
        expected.push_back({poll::ChangeKind::added, k, ib->second});
      else if (ib == mb.end())
        expected.push_back({poll::ChangeKind::removed, k, ia->second});
      else if (ia->second != ib->second)
        expected.push_back({poll::ChangeKind::modified, k, ib->second});
    }
    RC_ASSERT(changes == expected);
    // Replaying the changes onto a map reproduces b too.
    Map replay = ma;
    for (const poll::Change& c : changes) {
      if (c.kind == poll::ChangeKind::removed)
        replay.erase(c.key);
      else
        replay[c.key] = c.value;
    }
    RC_ASSERT(replay == mb);
    const auto applied = poll::apply(a, changes);
    RC_ASSERT(applied.has_value());
    RC_ASSERT(*applied == b);
    RC_ASSERT(poll::diff(b, b).empty());
  });

  rc::prop("diffs compose: a -> b -> c lands where a -> c does", [] {
    const poll::Snapshot a = unique_snapshot(*entries_gen());
    const poll::Snapshot b = unique_snapshot(*entries_gen());
    const poll::Snapshot c = unique_snapshot(*entries_gen());
    const poll::Snapshot via_b =
        poll::apply(poll::apply(a, poll::diff(a, b)).value(), poll::diff(b, c)).value();
    RC_ASSERT(via_b == c);
    RC_ASSERT(poll::apply(a, poll::diff(a, c)).value() == c);
  });
}
