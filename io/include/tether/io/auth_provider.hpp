#pragma once
// Where bearer tokens come from. refresh() may block (it may run a command or
// read a file), so the runner calls it off the session's strand, one call at a
// time. The token never enters the model or a recorded trace: only its expiry.
#include <cstdint>
#include <expected>
#include <optional>
#include <string>

namespace tether::io {

struct Credentials {
  std::string bearer_token;
  std::optional<std::int64_t> expires_unix_ms;  // when known: proactive refresh
};

class AuthProvider {
 public:
  virtual ~AuthProvider() = default;
  // New credentials, or a human-readable reason why there are none. The reason
  // is shown to users: it must never contain the token or another secret.
  virtual std::expected<Credentials, std::string> refresh() = 0;
  // Ends an in-flight refresh() promptly (it returns an error). Called from
  // another thread by Runner::stop() and PollRunner::stop(), so that stopping
  // never waits for a slow credential source. The default does nothing: a
  // refresh() that blocks then delays stop() (Runner) or the destructor
  // (PollRunner) until it returns.
  virtual void cancel() {}
};

}  // namespace tether::io
