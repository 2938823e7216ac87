#pragma once
// printf into a std::string: the herd report's and plot's figures are
// integers and fixed decimals, formatted the same way in both.
#include <cstddef>
#include <cstdio>
#include <string>

namespace tether::sim {

template <typename... Args>
std::string printf_string(const char* fmt, Args... args) {
  const int n = std::snprintf(nullptr, 0, fmt, args...);
  std::string out(static_cast<std::size_t>(n > 0 ? n : 0), '\0');
  std::snprintf(out.data(), out.size() + 1, fmt, args...);
  return out;
}

}  // namespace tether::sim
