#include <cerrno>
#include <string>
#include <system_error>
#include <tether/io/disk_checkpoint_store.hpp>
#include <utility>

namespace tether::io {

namespace {

namespace fs = std::filesystem;
using Code = CheckpointError::Code;

// A stream identity for a message: in single quotes, bytes outside printable
// ASCII (and the quote and backslash) as \xNN.
std::string shown(std::string_view identity) {
  constexpr std::string_view hex = "0123456789ABCDEF";
  std::string out = "'";
  for (const char c : identity) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7F && c != '\'' && c != '\\') {
      out += c;
    } else {
      out += "\\x";
      out += hex[byte >> 4];
      out += hex[byte & 0xFu];
    }
  }
  out += '\'';
  return out;
}

CheckpointError from_decode_error(const fs::path& file, const CheckpointDecodeError& error) {
  using D = CheckpointDecodeError::Code;
  Code code = Code::corrupt;
  if (error.code == D::truncated)
    code = Code::truncated;
  else if (error.code == D::bad_version)
    code = Code::bad_version;
  else if (error.code == D::bad_checksum)
    code = Code::bad_checksum;
  return CheckpointError{code, file.string(), error.message(), 0};
}

}  // namespace

std::expected<void, CheckpointError> DiskCheckpointStore::check(
    const fs::path& file, const DiskCheckpointOptions& options) {
  if (options.stream.size() <= checkpoint_stream_bytes_max) return {};
  return std::unexpected(
      CheckpointError{Code::io_error, file.string(),
                      "a stream identity of " + std::to_string(options.stream.size()) +
                          " bytes, more than the " + std::to_string(checkpoint_stream_bytes_max) +
                          " a checkpoint holds (stream_identity() shortens it)",
                      EINVAL});
}

DiskCheckpointStore::DiskCheckpointStore(Disk& disk, fs::path file, DiskCheckpointOptions options)
    : disk_(disk),
      file_(std::move(file)),
      temp_file_(file_.string() + ".tmp." + std::to_string(options.writer_id)),
      options_(std::move(options)) {}

CheckpointError DiskCheckpointStore::error(const DiskError& failure) const {
  if (failure.kind == DiskError::Kind::not_a_regular_file)
    return CheckpointError{Code::corrupt, file_.string(), "not a regular file", 0};
  std::string detail = failure.step;
  detail += ' ';
  detail += failure.subject.string();
  detail += ": ";
  detail += std::generic_category().message(failure.errno_value);
  detail += " (errno " + std::to_string(failure.errno_value) + ")";
  return CheckpointError{Code::io_error, file_.string(), std::move(detail), failure.errno_value};
}

std::expected<void, CheckpointError> DiskCheckpointStore::check_stream(
    const Checkpoint& stored) const {
  if (options_.stream.empty() || stored.stream.empty() || stored.stream == options_.stream)
    return {};
  return std::unexpected(CheckpointError{
      Code::wrong_stream, file_.string(),
      "belongs to stream " + shown(stored.stream) + ", not " + shown(options_.stream) +
          " (use another checkpoint file for this stream, or delete this one "
          "to start over)",
      0});
}

std::expected<const Checkpoint*, CheckpointError> DiskCheckpointStore::read_current() {
  // One byte more than a checkpoint holds: enough for the decoder to call a
  // bigger file too large without reading all of it.
  auto bytes = disk_.read_file(file_, checkpoint_bytes_max + 1);
  if (!bytes) return std::unexpected(error(bytes.error()));
  if (!*bytes) return nullptr;
  if (known_is_set_ && **bytes == known_bytes_) return &known_;
  auto decoded = decode_checkpoint_file(**bytes);
  if (!decoded) return std::unexpected(from_decode_error(file_, decoded.error()));
  remember(**bytes, decoded->cursor, decoded->stream);
  return &known_;
}

std::optional<Checkpoint> DiskCheckpointStore::decoded_if_known(std::string_view bytes) const {
  const std::lock_guard serialized(mutex_);
  if (!known_is_set_ || bytes != known_bytes_) return std::nullopt;
  return known_;
}

// Keeps (bytes, what they decode to); the arguments may alias the old values.
void DiskCheckpointStore::remember(std::string_view bytes, const model::Cursor& cursor,
                                   std::string_view stream) {
  if (known_.stream != stream) known_.stream.assign(stream);
  known_.cursor = canonical(cursor);
  known_bytes_.assign(bytes);
  known_is_set_ = true;
}

std::expected<void, CheckpointError> DiskCheckpointStore::sync_directory() {
  if (auto synced = disk_.sync_directory_of(file_); !synced)
    return std::unexpected(error(synced.error()));
  return {};
}

// Write the temporary file durably, rename it over the checkpoint, make the
// rename durable. On failure before the rename the temporary file is removed
// and the checkpoint is what it was; if only the directory fsync failed, the
// new checkpoint is in place but may not survive a power cut: still a failure
// (and the next save, even one the merge skips, syncs the directory again).
std::expected<void, CheckpointError> DiskCheckpointStore::replace_file(const std::string& bytes) {
  const auto abandon = [&](DiskError failure) {
    disk_.remove(temp_file_);
    return std::unexpected(error(failure));
  };
  if (auto written = disk_.write_file_synced(temp_file_, bytes); !written)
    return abandon(written.error());
  if (auto renamed = disk_.rename(temp_file_, file_); !renamed) {
    DiskError failure = renamed.error();
    failure.step = "cannot rename over the checkpoint";
    return abandon(std::move(failure));
  }
  return sync_directory();
}

// Encodes and replaces the file. What was encoded is remembered whatever the
// outcome: decode_checkpoint_file(encode_checkpoint(c, s)) is {canonical(c), s}
// for every stream a checkpoint can hold (a longer one is never remembered: its
// file does not decode).
std::expected<void, CheckpointError> DiskCheckpointStore::write(const model::Cursor& cursor,
                                                                std::string_view stream) {
  const std::string bytes = encode_checkpoint(cursor, stream);
  if (stream.size() <= checkpoint_stream_bytes_max)
    remember(bytes, cursor, stream);
  else
    known_is_set_ = false;
  return replace_file(bytes);
}

// Best effort: a leftover temporary file wastes a few bytes and is never read,
// so failing to remove one is not worth failing a save for.
void DiskCheckpointStore::remove_stale_temp_files() {
  const std::string prefix = file_.filename().string() + ".tmp.";
  for (const fs::path& stale : disk_.list(file_.parent_path(), prefix)) disk_.remove(stale);
}

std::expected<std::optional<model::Cursor>, CheckpointError> DiskCheckpointStore::load() {
  const std::lock_guard serialized(mutex_);
  const auto stored = read_current();
  if (!stored) return std::unexpected(stored.error());
  if (*stored == nullptr) return std::nullopt;
  if (auto matches = check_stream(**stored); !matches)
    return std::unexpected(std::move(matches.error()));
  return (*stored)->cursor;
}

std::expected<void, CheckpointError> DiskCheckpointStore::save(const model::Cursor& cursor) {
  const std::lock_guard serialized(mutex_);
  if (!temp_files_swept_) {
    remove_stale_temp_files();
    temp_files_swept_ = true;
  }
  const auto stored = read_current();
  if (!stored) return std::unexpected(stored.error());
  if (*stored == nullptr) return write(cursor, options_.stream);
  const Checkpoint& current = **stored;  // write() may change it: it copies first
  if (auto matches = check_stream(current); !matches)
    return std::unexpected(std::move(matches.error()));
  // A store without an identity keeps the file's; one with an identity gives
  // it to a version-1 file even when the stored cursor stays (merge below).
  const std::string_view stream =
      options_.stream.empty() ? std::string_view(current.stream) : options_.stream;
  if (supersedes(cursor, current.cursor)) return write(cursor, stream);
  // Nothing to write, but the file read may not be durable yet (see the header).
  if (current.stream == stream) return sync_directory();
  return write(current.cursor, stream);
}

}  // namespace tether::io
