// Fuzz target for the checkpoint file codec (<tether/io/checkpoint_file.hpp>):
// any bytes give a checkpoint (cursor and stream identity) or a named error
// (never a crash, never an exception). The decoder accepts only canonical
// files, versions 1 and 2, so a file that decodes is exactly encode_checkpoint()
// of its cursor and stream, and that re-decodes to the same checkpoint; a stream
// identity is never empty in a version-2 file and never present in a version-1
// one. Also checks the merge rule's basic laws on the decoded cursor.
//
// Built with replay_main.cpp for any compiler (ctest replays
// fuzz/corpus/checkpoint_file/), and as a libFuzzer binary with TETHER_FUZZ_LIBFUZZER.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <tether/io/checkpoint_file.hpp>

namespace {

[[noreturn]] void report(const char* what, std::string_view detail) {
  std::fprintf(stderr, "\ntether checkpoint file fuzz: %s\n%.*s\n", what,
               static_cast<int>(detail.size()), detail.data());
  std::fflush(stderr);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tether::io;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto decoded = decode_checkpoint_file(bytes);
  if (!decoded) {
    const auto& e = decoded.error();
    if (e.field.empty() || e.detail.empty() || name_of(e.code) == "unknown")
      report("an error without a field, a detail or a known code", bytes);
    if (e.message().empty()) report("an empty error message", bytes);
    if (decode_checkpoint(bytes))
      report("decode_checkpoint accepted what decode_checkpoint_file refused", bytes);
    return 0;
  }
  const tether::model::Cursor& cursor = decoded->cursor;
  if (!(canonical(cursor) == cursor)) report("decoded a cursor that is not canonical", bytes);
  if (decoded->stream.size() > checkpoint_stream_bytes_max)
    report("decoded a stream identity over the limit", bytes);
  const bool version_2 = bytes.starts_with("tether-checkpoint/2\n");
  if (version_2 == decoded->stream.empty())
    report("a stream identity that does not match the version", bytes);
  const std::string text = encode_checkpoint(cursor, decoded->stream);
  if (text != bytes) report("decoded a file that encode_checkpoint would not write", text);
  const auto again = decode_checkpoint_file(text);
  if (!again)
    report("encode_checkpoint wrote a file decode_checkpoint_file refuses",
           again.error().message() + "\n" + text);
  if (!(*again == *decoded)) report("the round trip changed the checkpoint", text);
  const auto cursor_only = decode_checkpoint(bytes);
  if (!cursor_only || !(*cursor_only == cursor))
    report("decode_checkpoint disagrees with decode_checkpoint_file", text);
  if (supersedes(cursor, cursor)) report("a cursor supersedes itself", text);
  if (supersedes(tether::model::Cursor{}, cursor))
    report("kind none supersedes a checkpoint", text);
  return 0;
}
