// Fuzz target for tether-config/1 (io/src/config.cpp): any bytes, as a file or
// as a --set assignment, give a Config or a named ConfigFileError (never a
// crash, never an exception), and a Config round-trips exactly:
// to_json(parse(to_json(c))) == to_json(c).
//
// Built with replay_main.cpp for any compiler (ctest replays
// fuzz/corpus/config/), and as a libFuzzer binary with TETHER_FUZZ_LIBFUZZER.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <tether/io/config.hpp>

namespace {

[[noreturn]] void report(const char* what, const std::string& detail) {
  std::fprintf(stderr, "\ntether config fuzz: %s\n%s\n", what, detail.c_str());
  std::fflush(stderr);
  std::abort();
}

void check_round_trip(const tether::io::Config& config) {
  const std::string text = tether::io::to_json(config);
  const auto again = tether::io::parse_config(text);
  if (!again)
    report("to_json wrote a file parse_config refuses", again.error().message() + "\n" + text);
  if (tether::io::to_json(*again) != text) report("the round trip is not exact", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (const auto parsed = tether::io::parse_config(bytes)) {
    check_round_trip(*parsed);
  } else if (parsed.error().message().empty()) {
    report("an error without a message", std::string(bytes));
  }
  // The same bytes as one --set PATH=VALUE on a preset.
  tether::io::Config config = tether::io::preset_config("aviso").value();
  if (const auto set = tether::io::set_field(config, bytes)) {
    check_round_trip(config);
  } else if (set.error().message().empty()) {
    report("a --set error without a message", std::string(bytes));
  }
  return 0;
}
