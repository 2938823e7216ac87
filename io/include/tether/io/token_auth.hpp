#pragma once
// Two AuthProviders for tools and simple apps: a token read from a file (which
// some other process rotates), and a token printed by a command.
#include <filesystem>
#include <string>

#include <tether/io/auth_provider.hpp>

namespace tether::io {

// The file's content, surrounding whitespace trimmed. An empty or unreadable
// file is an error naming the file.
class TokenFileAuth final : public AuthProvider {
 public:
  explicit TokenFileAuth(std::filesystem::path path) : path_(std::move(path)) {}
  std::expected<Credentials, std::string> refresh() override;

 private:
  std::filesystem::path path_;
};

// The first line the command prints (run with /bin/sh -c). A non-zero exit,
// or empty output, is an error with the exit status. Output is capped at
// 64 KiB.
class TokenCommandAuth final : public AuthProvider {
 public:
  explicit TokenCommandAuth(std::string command) : command_(std::move(command)) {}
  std::expected<Credentials, std::string> refresh() override;

 private:
  std::string command_;
};

}  // namespace tether::io
