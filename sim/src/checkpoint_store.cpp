#include <tether/sim/checkpoint_store.hpp>

#include <utility>

#include <tether/io/checkpoint_file.hpp>

namespace tether::sim {

SimCheckpointStore::SimCheckpointStore(SimDisk& disk, std::filesystem::path file, io::DiskCheckpointOptions options)
    : disk_(disk), store_(disk, std::move(file), options), stream_(std::move(options.stream)) {}

std::expected<std::optional<model::Cursor>, io::CheckpointError> SimCheckpointStore::durable_cursor() const {
  using Code = io::CheckpointError::Code;
  const auto bytes = disk_.durable_contents(store_.path());
  if (!bytes) return std::nullopt;
  auto decoded = io::decode_checkpoint_file(*bytes);
  if (!decoded)
    return std::unexpected(io::CheckpointError{Code::corrupt, store_.path().string(), decoded.error().message(), 0});
  if (!stream_.empty() && !decoded->stream.empty() && decoded->stream != stream_)
    return std::unexpected(io::CheckpointError{Code::wrong_stream, store_.path().string(), decoded->stream, 0});
  return decoded->cursor;
}

}  // namespace tether::sim
