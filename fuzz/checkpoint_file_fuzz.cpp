// Fuzz target for the checkpoint file codec (<tether/io/checkpoint_file.hpp>):
// any bytes give a cursor or a named error (never a crash, never an exception).
// The decoder accepts only canonical files, so a file that decodes is exactly
// encode_checkpoint() of its cursor, and that re-decodes to the same cursor.
// Also checks the merge rule's basic laws on the decoded cursor.
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
  std::fprintf(stderr, "\ntether checkpoint file fuzz: %s\n%.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::fflush(stderr);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tether::io;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto decoded = decode_checkpoint(bytes);
  if (!decoded) {
    const auto& e = decoded.error();
    if (e.field.empty() || e.detail.empty() || name_of(e.code) == "unknown")
      report("an error without a field, a detail or a known code", bytes);
    if (e.message().empty()) report("an empty error message", bytes);
    return 0;
  }
  if (!(canonical(*decoded) == *decoded)) report("decoded a cursor that is not canonical", bytes);
  const std::string text = encode_checkpoint(*decoded);
  if (text != bytes) report("decoded a file that encode_checkpoint would not write", text);
  const auto again = decode_checkpoint(text);
  if (!again) report("encode_checkpoint wrote a file decode_checkpoint refuses", again.error().message() + "\n" + text);
  if (!(*again == *decoded)) report("the round trip changed the cursor", text);
  if (supersedes(*decoded, *decoded)) report("a cursor supersedes itself", text);
  if (supersedes(tether::model::Cursor{}, *decoded)) report("kind none supersedes a checkpoint", text);
  return 0;
}
