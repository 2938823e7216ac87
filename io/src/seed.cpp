#include <random>
#include <tether/io/seed.hpp>

namespace tether::io {

std::uint64_t random_seed() {
  std::random_device device;  // getrandom(2) on Linux
  const auto high = static_cast<std::uint64_t>(device());
  return (high << 32) ^ static_cast<std::uint64_t>(device());
}

std::uint64_t choose_seed(std::optional<std::uint64_t> fixed,
                          const std::function<std::uint64_t()>& entropy) {
  return fixed ? *fixed : entropy();
}

}  // namespace tether::io
