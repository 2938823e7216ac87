#include <functional>
#include <iterator>
#include <tether/model/snapshot_diff.hpp>

// range-v3 is used here only (never in a public header): the set algebra over
// key-sorted ranges, with projections onto the key.
#include <range/v3/algorithm/adjacent_find.hpp>
#include <range/v3/algorithm/equal.hpp>
#include <range/v3/algorithm/lower_bound.hpp>
#include <range/v3/algorithm/merge.hpp>
#include <range/v3/algorithm/set_algorithm.hpp>
#include <range/v3/algorithm/sort.hpp>
#include <range/v3/view/set_algorithm.hpp>
#include <range/v3/view/zip.hpp>

namespace tether::model::poll {

namespace {

constexpr auto entry_key = &Entry::key;
constexpr auto change_key = &Change::key;

std::unexpected<SnapshotError> refuse(std::string_view reason, std::string key) {
  return std::unexpected(SnapshotError{reason, std::move(key)});
}

}  // namespace

std::expected<Snapshot, SnapshotError> Snapshot::from_entries(std::vector<Entry> entries) {
  ranges::sort(entries, std::less<>{}, entry_key);
  const auto twice = ranges::adjacent_find(entries, std::equal_to<>{}, entry_key);
  if (twice != entries.end()) return refuse("duplicate key", twice->key);
  if (entries.empty()) return Snapshot{};
  return Snapshot(std::make_shared<const std::vector<Entry>>(std::move(entries)));
}

std::span<const Entry> Snapshot::entries() const {
  if (!entries_) return {};
  return {entries_->data(), entries_->size()};
}

const std::string* Snapshot::find(std::string_view key) const {
  const std::span<const Entry> all = entries();
  const auto it = ranges::lower_bound(all, key, std::less<>{}, entry_key);
  if (it == all.end() || it->key != key) return nullptr;
  return &it->value;
}

bool operator==(const Snapshot& a, const Snapshot& b) {
  if (a.entries_ == b.entries_) return true;
  return ranges::equal(a.entries(), b.entries());
}

Changes diff(const Snapshot& before, const Snapshot& after) {
  const std::span<const Entry> old_entries = before.entries();
  const std::span<const Entry> new_entries = after.entries();
  Changes changes;
  // Keys only in `before` (removed), only in `after` (added), and the pairs of
  // entries whose key is in both, which are modified when the value differs.
  for (const Entry& e :
       ranges::views::set_difference(old_entries, new_entries, std::less<>{}, entry_key, entry_key))
    changes.push_back(Change{ChangeKind::removed, e.key, e.value});
  for (const Entry& e :
       ranges::views::set_difference(new_entries, old_entries, std::less<>{}, entry_key, entry_key))
    changes.push_back(Change{ChangeKind::added, e.key, e.value});
  // Keys are unique, so both intersections list the same keys in the same order.
  auto kept_old = ranges::views::set_intersection(old_entries, new_entries, std::less<>{},
                                                  entry_key, entry_key);
  auto kept_new = ranges::views::set_intersection(new_entries, old_entries, std::less<>{},
                                                  entry_key, entry_key);
  for (const auto& [was, now] : ranges::views::zip(kept_old, kept_new))
    if (was.value != now.value) changes.push_back(Change{ChangeKind::modified, now.key, now.value});
  // One change per key: sorting by key alone is a total order here.
  ranges::sort(changes, std::less<>{}, change_key);
  return changes;
}

std::expected<Snapshot, SnapshotError> apply(const Snapshot& before, const Changes& changes) {
  const auto unordered = ranges::adjacent_find(
      changes, [](const Change& a, const Change& b) { return !(a.key < b.key); });
  if (unordered != changes.end())
    return refuse("changes are not sorted by unique key", std::next(unordered)->key);
  const std::span<const Entry> old_entries = before.entries();
  // Changes to keys that exist must modify or remove; the rest must add.
  for (const Change& c :
       ranges::views::set_intersection(changes, old_entries, std::less<>{}, change_key, entry_key))
    if (c.kind == ChangeKind::added) return refuse("added key is already present", c.key);
  for (const Change& c :
       ranges::views::set_difference(changes, old_entries, std::less<>{}, change_key, entry_key))
    if (c.kind != ChangeKind::added) return refuse("modified or removed key is absent", c.key);

  std::vector<Entry> untouched;
  for (const Entry& e :
       ranges::views::set_difference(old_entries, changes, std::less<>{}, entry_key, change_key))
    untouched.push_back(e);
  std::vector<Entry> written;  // added and modified, already in key order
  for (const Change& c : changes)
    if (c.kind != ChangeKind::removed) written.push_back(Entry{c.key, c.value});
  std::vector<Entry> merged;
  merged.reserve(untouched.size() + written.size());
  ranges::merge(untouched, written, std::back_inserter(merged), std::less<>{}, entry_key,
                entry_key);
  if (merged.empty()) return Snapshot{};
  return Snapshot(std::make_shared<const std::vector<Entry>>(std::move(merged)));
}

}  // namespace tether::model::poll
