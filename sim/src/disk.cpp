#include <algorithm>
#include <cerrno>
#include <functional>
#include <tether/sim/disk.hpp>
#include <utility>

namespace tether::sim {

namespace {

namespace fs = std::filesystem;
using io::DiskError;

std::unexpected<DiskError> failed(std::string step, const fs::path& subject, int errno_value) {
  return std::unexpected(DiskError{DiskError::Kind::system, std::move(step), subject, errno_value});
}

std::size_t draw(model::Prng& prng, std::size_t max) {
  return static_cast<std::size_t>(prng.uniform(0, static_cast<std::int64_t>(max)));
}

// A file's directory and name, as parent_path().string() and
// filename().string() spell them. The simple "<dir>/<name>" the stores use (one
// '/' before a non-empty name) is split in place, without building a path per
// component (a save looks up several); anything else goes through fs::path.
class PathParts {
 public:
  explicit PathParts(const fs::path& file) {
    const std::string_view text = file.native();
    const std::size_t slash = text.rfind('/');
    if (slash != std::string_view::npos && slash + 1 < text.size() &&
        (slash == 0 || text[slash - 1] != '/')) {
      directory = text.substr(0, slash == 0 ? 1 : slash);
      name = text.substr(slash + 1);
      return;
    }
    directory_storage_ = file.parent_path().string();
    name_storage_ = file.filename().string();
    directory = directory_storage_;
    name = name_storage_;
  }
  PathParts(const PathParts&) = delete;
  PathParts& operator=(const PathParts&) = delete;

  std::string_view directory;
  std::string_view name;

 private:
  std::string directory_storage_;
  std::string name_storage_;
};

}  // namespace

void SimDisk::make_directory(const fs::path& directory) {
  directories_.try_emplace(directory.string());
}

void SimDisk::fail_next(DiskStep step, int errno_value) { fail_next_[step] = errno_value; }

bool SimDisk::step(DiskStep kind, int& errno_value) {
  if (stopped()) {
    errno_value = EIO;  // the process is dead: nothing it does reaches the disk
    return false;
  }
  ++steps_;
  const auto it = fail_next_.find(kind);
  if (it == fail_next_.end()) return true;
  errno_value = it->second;
  fail_next_.erase(it);
  return false;
}

SimDisk::Directory* SimDisk::directory_named(std::string_view directory) {
  const auto it = directories_.find(directory);
  return it == directories_.end() ? nullptr : &it->second;
}

const SimDisk::Directory* SimDisk::directory_named(std::string_view directory) const {
  const auto it = directories_.find(directory);
  return it == directories_.end() ? nullptr : &it->second;
}

void SimDisk::apply(Names& names, const Change& change) {
  switch (change.kind) {
    case Change::Kind::link:
      names[change.name] = change.file;
      break;
    case Change::Kind::unlink:
      names.erase(change.name);
      break;
    case Change::Kind::rename:
      // The entry itself moves to the new name (no allocation), replacing
      // whatever had that name.
      if (auto moved = names.extract(change.name)) {
        names.erase(change.to);
        moved.key() = change.to;
        names.insert(std::move(moved));
      }
      break;
  }
}

// A file no name reaches, now or durably, is gone for good.
void SimDisk::collect_unreferenced_files() {
  std::erase_if(files_, [&](const auto& entry) {
    return std::ranges::none_of(directories_, [&](const auto& dir) {
      const auto refers = [&](const auto& name) { return name.second == entry.first; };
      return std::ranges::any_of(dir.second.names, refers) ||
             std::ranges::any_of(dir.second.durable, refers);
    });
  });
}

// A crash: each directory keeps a prefix of its pending changes, each unsynced
// file gets the bytes `settle_file` leaves; then all of it is durable.
void SimDisk::settle(const std::function<std::size_t(std::size_t)>& changes_kept,
                     const std::function<void(File&)>& settle_file) {
  for (auto& [path, dir] : directories_) {
    const std::size_t kept = std::min(changes_kept(dir.pending.size()), dir.pending.size());
    for (std::size_t i = 0; i < kept; ++i) apply(dir.durable, dir.pending[i]);
    dir.pending.clear();
    dir.names = dir.durable;
  }
  for (auto& [id, file] : files_) {
    if (file.synced) continue;
    settle_file(file);
    file.durable = file.bytes;
    file.synced = true;
  }
  collect_unreferenced_files();
  stop_at_ = no_stop;
}

void SimDisk::crash(const DiskCrash& crash) {
  settle([&](std::size_t) { return crash.changes_kept; },
         [&](File& file) {
           if (crash.torn_bytes)
             file.bytes.resize(std::min(*crash.torn_bytes, file.bytes.size()));
           else
             file.bytes = file.durable;
         });
}

void SimDisk::crash(model::Prng& prng) {
  settle([&](std::size_t pending) { return draw(prng, pending); },
         [&](File& file) {
           if (prng.uniform(0, 1) == 0)
             file.bytes = file.durable;
           else
             file.bytes.resize(draw(prng, file.bytes.size()));
         });
}

std::optional<std::string> SimDisk::contents(const fs::path& file) const {
  const PathParts parts(file);
  const Directory* dir = directory_named(parts.directory);
  if (dir == nullptr) return std::nullopt;
  const auto it = dir->names.find(parts.name);
  if (it == dir->names.end()) return std::nullopt;
  return files_.at(it->second).bytes;
}

std::optional<std::string> SimDisk::durable_contents(const fs::path& file) const {
  const PathParts parts(file);
  const Directory* dir = directory_named(parts.directory);
  if (dir == nullptr) return std::nullopt;
  const auto it = dir->durable.find(parts.name);
  if (it == dir->durable.end()) return std::nullopt;
  return files_.at(it->second).durable;
}

std::vector<std::string> SimDisk::names(const fs::path& directory) const {
  std::vector<std::string> found;
  if (const auto it = directories_.find(directory.string()); it != directories_.end())
    for (const auto& entry : it->second.names) found.push_back(entry.first);
  return found;
}

std::size_t SimDisk::pending_changes(const fs::path& directory) const {
  const auto it = directories_.find(directory.string());
  return it == directories_.end() ? 0 : it->second.pending.size();
}

std::expected<std::optional<std::string>, DiskError> SimDisk::read_file(const fs::path& file,
                                                                        std::size_t bytes_max) {
  int errno_value = 0;
  if (!step(DiskStep::read, errno_value)) return failed("cannot read", file, errno_value);
  const PathParts parts(file);
  const Directory* dir = directory_named(parts.directory);
  if (dir == nullptr) return failed("cannot find the directory of", file, ENOENT);
  const auto it = dir->names.find(parts.name);
  if (it == dir->names.end()) return std::nullopt;
  return files_.at(it->second).bytes.substr(0, bytes_max);
}

// Three steps, as the real call's open, write and fsync: a process may die
// between any two.
std::expected<void, DiskError> SimDisk::write_file_synced(const fs::path& file,
                                                          std::string_view bytes) {
  int errno_value = 0;
  if (!step(DiskStep::create, errno_value)) return failed("cannot create", file, errno_value);
  const PathParts parts(file);
  Directory* dir = directory_named(parts.directory);
  if (dir == nullptr) return failed("cannot create", file, ENOENT);
  std::uint64_t id = 0;
  if (const auto it = dir->names.find(parts.name); it != dir->names.end()) {
    id = it->second;  // O_TRUNC: the same file, emptied
  } else {
    id = next_file_++;
    files_[id] = File{};
    dir->names.emplace(parts.name, id);
    dir->pending.push_back(Change{Change::Kind::link, std::string(parts.name), {}, id});
  }
  File& target = files_.at(id);
  target.bytes.clear();
  target.synced = target.durable.empty();

  if (!step(DiskStep::write, errno_value)) return failed("cannot write", file, errno_value);
  if (full_ && !bytes.empty()) return failed("cannot write", file, ENOSPC);
  target.bytes = bytes;
  target.synced = target.bytes == target.durable;

  if (!step(DiskStep::fsync, errno_value)) return failed("cannot fsync", file, errno_value);
  target.durable = target.bytes;
  target.synced = true;
  return {};
}

std::expected<void, DiskError> SimDisk::rename(const fs::path& from, const fs::path& to) {
  int errno_value = 0;
  if (!step(DiskStep::rename, errno_value)) return failed("cannot rename", from, errno_value);
  const PathParts from_parts(from);
  Directory* dir = directory_named(from_parts.directory);
  if (dir == nullptr) return failed("cannot rename", from, ENOENT);
  if (!dir->names.contains(from_parts.name)) return failed("cannot rename", from, ENOENT);
  // One directory only: the model keeps each directory's changes apart. (Equal
  // spellings are the same directory; other spellings compare as paths.)
  const PathParts to_parts(to);
  if (to_parts.directory != from_parts.directory && to.parent_path() != from.parent_path())
    return failed("cannot rename", from, EXDEV);
  Change change{Change::Kind::rename, std::string(from_parts.name), std::string(to_parts.name), 0};
  apply(dir->names, change);
  dir->pending.push_back(std::move(change));
  return {};
}

std::expected<void, DiskError> SimDisk::sync_directory_of(const fs::path& file) {
  int errno_value = 0;
  if (!step(DiskStep::sync_directory, errno_value))
    return failed("cannot fsync the directory of", file, errno_value);
  Directory* dir = directory_named(PathParts(file).directory);
  if (dir == nullptr) return failed("cannot open the directory of", file, ENOENT);
  dir->durable = dir->names;
  dir->pending.clear();
  collect_unreferenced_files();
  return {};
}

void SimDisk::remove(const fs::path& file) {
  int errno_value = 0;
  if (!step(DiskStep::remove, errno_value)) return;
  const PathParts parts(file);
  Directory* dir = directory_named(parts.directory);
  if (dir == nullptr) return;
  const auto it = dir->names.find(parts.name);
  if (it == dir->names.end()) return;
  dir->names.erase(it);
  dir->pending.push_back(Change{Change::Kind::unlink, std::string(parts.name), {}, 0});
}

std::vector<fs::path> SimDisk::list(const fs::path& directory, std::string_view prefix) {
  std::vector<fs::path> found;
  int errno_value = 0;
  if (!step(DiskStep::list, errno_value)) return found;
  const auto it = directories_.find(directory.string());
  if (it == directories_.end()) return found;
  for (const auto& entry : it->second.names)
    if (entry.first.starts_with(prefix)) found.push_back(directory / entry.first);
  return found;
}

}  // namespace tether::sim
