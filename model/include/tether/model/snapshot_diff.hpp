#pragma once
// Keyed snapshots and their diffs: what a polled endpoint returns, and the
// Added / Modified / Removed changes that turn one snapshot into the next.
//
// A Snapshot is immutable and always valid: its entries are sorted by key
// (std::string's <, which compares bytes as unsigned char, so the order is the
// same on every platform) and no key appears twice. The only way to build one
// from untrusted data is Snapshot::from_entries, which sorts and *rejects* a
// duplicate key, naming it, rather than picking a winner: a server that lists a
// key twice sent an ambiguous answer, and "last wins" would make the mirror
// depend on the order of a response body. The driver reports such a response as
// a malformed poll (see poll/reducer.hpp), which never touches the mirror.
//
// Copies share the immutable entries, so a snapshot costs a pointer to pass in
// an event or keep in a state; only from_entries and apply allocate.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tether::model::poll {

struct Entry {
  std::string key;
  std::string value;

  friend bool operator==(const Entry&, const Entry&) = default;
};

// Why entries or changes were refused, and the key that made it so.
struct SnapshotError {
  std::string_view reason;  // a static string, e.g. "duplicate key"
  std::string key;

  friend bool operator==(const SnapshotError&, const SnapshotError&) = default;
};

struct Change;

class Snapshot {
 public:
  Snapshot() = default;  // the empty snapshot

  // Sorts by key; a key listed twice is an error (the smallest such key is named).
  static std::expected<Snapshot, SnapshotError> from_entries(std::vector<Entry> entries);

  std::span<const Entry> entries() const;  // sorted by key, keys unique
  std::size_t size() const { return entries_ ? entries_->size() : 0; }
  bool empty() const { return size() == 0; }
  // The value of `key`, or nullptr. Binary search.
  const std::string* find(std::string_view key) const;

  // By content, not by identity.
  friend bool operator==(const Snapshot& a, const Snapshot& b);

 private:
  friend std::expected<Snapshot, SnapshotError> apply(const Snapshot&, const std::vector<Change>&);

  explicit Snapshot(std::shared_ptr<const std::vector<Entry>> entries)
      : entries_(std::move(entries)) {}

  std::shared_ptr<const std::vector<Entry>> entries_;  // null: empty
};

enum class ChangeKind : std::uint8_t { added, modified, removed };

struct Change {
  ChangeKind kind;
  std::string key;
  std::string value;  // added, modified: the new value; removed: the last value seen

  friend bool operator==(const Change&, const Change&) = default;
};

// Sorted by key, at most one change per key.
using Changes = std::vector<Change>;

// What turns `before` into `after`: keys only in `after` are added, keys only in
// `before` removed, keys in both with another value modified. O(|before| + |after|).
Changes diff(const Snapshot& before, const Snapshot& after);

// `before` with `changes` applied; apply(a, diff(a, b)) == b for all a, b.
// Refused (with the key) when the changes are not sorted by unique key, add a
// key that is present, or modify or remove one that is absent: a change list
// that does not fit its base is a bug upstream, never something to paper over.
// A removed change's value is not compared with the one it removes.
std::expected<Snapshot, SnapshotError> apply(const Snapshot& before, const Changes& changes);

}  // namespace tether::model::poll
