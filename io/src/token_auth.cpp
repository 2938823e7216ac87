#include <tether/io/token_auth.hpp>

#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace tether::io {

namespace {

std::string trim(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

}  // namespace

std::expected<Credentials, std::string> TokenFileAuth::refresh() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return std::unexpected("token file " + path_.string() + ": " + std::strerror(errno));
  std::ostringstream content;
  content << in.rdbuf();
  std::string token = trim(content.str());
  if (token.empty()) return std::unexpected("token file " + path_.string() + " is empty");
  if (token.find_first_of("\r\n") != std::string::npos)
    return std::unexpected("token file " + path_.string() + " holds more than one line");
  return Credentials{std::move(token), std::nullopt};
}

std::expected<Credentials, std::string> TokenCommandAuth::refresh() {
  constexpr std::size_t output_bytes_max = 64 * 1024;
  std::FILE* pipe = ::popen(command_.c_str(), "r");
  if (pipe == nullptr) return std::unexpected("token command: " + std::string(std::strerror(errno)));
  std::string output;
  char chunk[4096];
  std::size_t n = 0;
  while ((n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0) {
    if (output.size() + n > output_bytes_max) continue;  // drain, but keep only the cap
    output.append(chunk, n);
  }
  const int status = ::pclose(pipe);
  if (status == -1) return std::unexpected("token command: " + std::string(std::strerror(errno)));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return std::unexpected("token command '" + command_ + "' failed (" +
                           (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                              : std::string("killed by a signal")) +
                           ")");
  }
  std::string token = trim(output.substr(0, output.find('\n')));
  if (token.empty()) return std::unexpected("token command '" + command_ + "' printed no token");
  return Credentials{std::move(token), std::nullopt};
}

}  // namespace tether::io
