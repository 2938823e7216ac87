#pragma once
// Two AuthProviders for tools and simple apps: a token read from a file (which
// some other process rotates), and a token printed by a command.
//
// Secrets stay out of messages: an error names the file or says "token
// command (--token-cmd)", with the reason (exit status, signal, timeout, a
// control byte), but never shows the command line, the command's output or
// the file's content. A token holding a control byte (below 0x20, or 0x7f:
// CR, LF, NUL, TAB, ...) is refused, since it would end up inside an HTTP
// header line.
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <mutex>
#include <string>
#include <tether/io/auth_provider.hpp>

namespace tether::io {

// The file's content, surrounding whitespace trimmed. An empty or unreadable
// file, or one of several lines, is an error naming the file.
class TokenFileAuth final : public AuthProvider {
 public:
  explicit TokenFileAuth(std::filesystem::path path) : path_(std::move(path)) {}
  std::expected<Credentials, std::string> refresh() override;

 private:
  std::filesystem::path path_;
};

struct TokenCommandOptions {
  // The command is killed (its whole process group) after this long, and the
  // refresh fails.
  std::chrono::milliseconds timeout{30'000};
  // Output beyond this is read (so the command never blocks on a full pipe)
  // but dropped; a first line longer than this is an error.
  std::size_t output_bytes_max = 64 * 1024;
};

// The first line the command prints on stdout, surrounding whitespace trimmed.
// The command runs as `/bin/sh -c COMMAND` in its own process group, with
// stdin from /dev/null, stderr inherited (passed through unchanged), no other
// descriptor inherited, and default signal dispositions. A non-zero exit, a
// signal, empty output or the timeout is an error. One refresh() at a time
// (concurrent calls wait their turn).
class TokenCommandAuth final : public AuthProvider {
 public:
  explicit TokenCommandAuth(std::string command, TokenCommandOptions options = {})
      : command_(std::move(command)), options_(options) {}
  std::expected<Credentials, std::string> refresh() override;
  // Kills the running command's process group at once (refresh() then fails
  // with "cancelled"); with no command running, the next refresh() fails at
  // once instead (it may be about to start). Thread-safe.
  void cancel() override;

 private:
  struct Outcome;
  Outcome run(pid_t pid, int out_fd);

  std::string command_;
  TokenCommandOptions options_;
  std::mutex refresh_mutex_;  // one refresh at a time
  std::mutex child_mutex_;    // guards child_ and cancel_pending_
  pid_t child_ = 0;           // the running command (its process group), 0 if none
  bool cancel_pending_ = false;
};

}  // namespace tether::io
