#pragma once
// The parsers' fuzz targets split their input at fuzzed offsets and check
// that the chunks give what the whole does: the split, written once.
#include <algorithm>
#include <cstddef>
#include <string_view>
#include <vector>

namespace tether::fuzz {

// `stream` cut at `cuts` (offsets in [0, stream.size()], any order).
inline std::vector<std::string_view> split_at(std::string_view stream,
                                              std::vector<std::size_t> cuts) {
  std::sort(cuts.begin(), cuts.end());
  std::vector<std::string_view> chunks;
  std::size_t from = 0;
  for (const std::size_t cut : cuts) {
    chunks.push_back(stream.substr(from, cut - from));
    from = cut;
  }
  chunks.push_back(stream.substr(from));
  return chunks;
}

}  // namespace tether::fuzz
