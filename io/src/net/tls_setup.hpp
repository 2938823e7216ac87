#pragma once
// TLS for the Asio transports: verification on by default (the system's CAs or
// a given CA file, the peer's name or IP checked during the handshake).
#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tether/io/transport_options.hpp>
#include <utility>

using SSL = struct ssl_st;

namespace tether::io::net {

std::expected<std::unique_ptr<boost::asio::ssl::context>, std::string> make_tls_context(
    const TlsOptions& options);

// The verified context, made on first use and then kept: an http:// URL may
// redirect to https://, so a transport always holds one of these, never a
// context pointer that may be null. (The runner calls get() at start for an
// https or wss URL, so that a bad CA file is a start error.)
class TlsContext {
 public:
  explicit TlsContext(TlsOptions options) : options_(std::move(options)) {}
  // The context; the error names what is wrong (an unreadable CA file) and is
  // the same on every call.
  std::expected<boost::asio::ssl::context*, std::string> get();
  // insecure_skip_verify_DANGEROUS: skip the per-connection name check too.
  bool insecure() const { return options_.insecure_skip_verify_DANGEROUS; }

 private:
  TlsOptions options_;
  std::unique_ptr<boost::asio::ssl::context> context_;
};

// Per connection: SNI (for names) and the name or IP the certificate must show.
std::optional<std::string> prepare_tls_stream(SSL* ssl, const std::string& host, bool insecure);

// A failed handshake, named: `verification` when the peer's certificate was
// refused (a retry gets the same certificate: the caller ends the session),
// with the cause in words (unknown CA, self-signed, wrong host name, expired,
// not yet valid); other failures (a reset, no common protocol version) are not.
struct TlsFailure {
  bool verification = false;
  std::string text;  // "certificate verification failed: ..." or "...: <OpenSSL's reason>"
};
TlsFailure describe_tls_failure(SSL* ssl, const boost::system::error_code& ec);

// A handshake error with OpenSSL's reason ("certificate verify failed: ...").
std::string tls_error_text(const boost::system::error_code& ec);

}  // namespace tether::io::net
