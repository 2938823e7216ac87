#include <tether/io/checkpoint_file.hpp>
#include <tether/sim/checkpoint_store.hpp>
#include <utility>

namespace tether::sim {

SimCheckpointStore::SimCheckpointStore(SimDisk& disk, std::filesystem::path file,
                                       io::DiskCheckpointOptions options)
    : disk_(disk), store_(disk, std::move(file), options), stream_(std::move(options.stream)) {}

std::expected<std::optional<model::Cursor>, io::CheckpointError>
SimCheckpointStore::durable_cursor() const {
  const auto bytes = disk_.durable_contents(store_.path());
  if (!bytes) return std::nullopt;
  if (!last_durable_answer_ || *bytes != last_durable_bytes_) {
    last_durable_answer_ = decode_durable(*bytes);
    last_durable_bytes_ = *bytes;
  }
  return *last_durable_answer_;
}

std::expected<std::optional<model::Cursor>, io::CheckpointError> SimCheckpointStore::decode_durable(
    const std::string& bytes) const {
  using Code = io::CheckpointError::Code;
  // Usually the bytes the store just wrote: it knows what they decode to.
  std::optional<io::Checkpoint> known = store_.decoded_if_known(bytes);
  if (!known) {
    auto decoded = io::decode_checkpoint_file(bytes);
    if (!decoded)
      return std::unexpected(
          io::CheckpointError{Code::corrupt, store_.path().string(), decoded.error().message(), 0});
    known = std::move(*decoded);
  }
  if (!stream_.empty() && !known->stream.empty() && known->stream != stream_)
    return std::unexpected(
        io::CheckpointError{Code::wrong_stream, store_.path().string(), known->stream, 0});
  return known->cursor;
}

}  // namespace tether::sim
