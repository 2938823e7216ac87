// Runs fuzz inputs through LLVMFuzzerTestOneInput without libFuzzer, so ctest can
// replay the committed corpus with any compiler ({fmt}'s test/fuzzing/main.cc).
//
//   tether_fuzz_replay <file-or-directory>...
//
// Directories are walked recursively, files in sorted order, so every run is the
// same. Prints each input before running it (a crash names its input) and the
// count at the end. Exits non-zero if an input cannot be read or none ran.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

bool read_file(const fs::path& path, std::vector<std::uint8_t>& bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

// Appends the regular files named by `arg` (a file, or a directory walked recursively).
bool collect(const fs::path& arg, std::vector<fs::path>& inputs) {
  std::error_code error;
  if (fs::is_directory(arg, error)) {
    std::vector<fs::path> found;
    for (fs::recursive_directory_iterator it(arg, error), end; !error && it != end;
         it.increment(error)) {
      if (it->is_regular_file(error)) found.push_back(it->path());
    }
    if (error) {
      std::fprintf(stderr, "cannot walk %s: %s\n", arg.c_str(), error.message().c_str());
      return false;
    }
    std::ranges::sort(found);
    inputs.insert(inputs.end(), found.begin(), found.end());
    return true;
  }
  if (fs::is_regular_file(arg, error)) {
    inputs.push_back(arg);
    return true;
  }
  std::fprintf(stderr, "no such file or directory: %s\n", arg.c_str());
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<fs::path> inputs;
  bool ok = true;
  for (int i = 1; i < argc; ++i) ok = collect(argv[i], inputs) && ok;

  std::size_t ran = 0;
  std::vector<std::uint8_t> bytes;
  for (const fs::path& input : inputs) {
    if (!read_file(input, bytes)) {
      std::fprintf(stderr, "cannot read %s\n", input.c_str());
      ok = false;
      continue;
    }
    std::printf("running %s (%zu bytes)\n", input.c_str(), bytes.size());
    std::fflush(stdout);
    // libFuzzer never passes a null pointer, even for an empty input.
    static const std::uint8_t empty_input = 0;
    LLVMFuzzerTestOneInput(bytes.empty() ? &empty_input : bytes.data(), bytes.size());
    ++ran;
  }

  std::printf("%zu input(s) ran\n", ran);
  if (ran == 0) {
    std::fprintf(stderr, "no inputs ran; usage: %s <file-or-directory>...\n",
                 argc > 0 ? argv[0] : "tether_fuzz_replay");
    return 1;
  }
  return ok ? 0 : 1;
}
