#pragma once
// What the docs' examples leave to the reader, declared so that each marked
// example (<!-- docs-snippet -->) compiles as written: the options it starts
// from, the application's own functions (store, handle, done, fail, ...).
// tests/docs/extract_snippets.cpp wraps every example in a function that
// receives these.

// clang-format off: first, before any Asio header
#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without it
// clang-format on
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/asio_session.hpp>
#include <tether/io/auth_provider.hpp>
#include <tether/io/clock.hpp>
#include <tether/io/config.hpp>
#include <tether/io/mirror_driver.hpp>
#include <tether/io/request_hook.hpp>
#include <tether/io/runner.hpp>
#include <tether/io/runner_config.hpp>
#include <tether/model/presets.hpp>
#ifdef TETHER_SNIPPETS_NATS
#include <tether/nats/jetstream_wait.hpp>
#endif
#ifdef TETHER_SNIPPETS_METRICS
#include <prometheus/exposer.h>

#include <tether/metrics/session_metrics.hpp>
#endif

namespace tether_docs_snippets {

// The application's own (empty: the examples are compiled and linked, not run).
inline void store(std::string_view) {}
inline void handle(std::string_view) {}
inline bool done() { return true; }
inline int fail(const std::string&) { return 1; }
template <class... Args>
void log_response(Args&&...) {}
template <class... Args>
void log_status(Args&&...) {}
// The mirror example's key of a delivery (the application's own decoding).
inline std::string key_of(const tether::io::Delivery& d) { return std::string(d.type); }

// A session service the request-hook example asks for a session id.
struct Session {
  std::string id;
  std::string tenant;
};
struct SessionService {
  void fetch_async(std::function<void(std::expected<Session, std::string>)>) {}
};

struct SnippetInputs {
  tether::io::RunnerOptions options;
  tether::io::Callbacks callbacks;
  std::string url;
  std::shared_ptr<tether::io::AuthProvider> provider;
  SessionService sessions;
};

}  // namespace tether_docs_snippets
