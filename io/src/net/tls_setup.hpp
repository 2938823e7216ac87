#pragma once
// TLS for the Asio transports: verification on by default (the system's CAs or
// a given CA file, the peer's name or IP checked during the handshake).
#include <utility>

#include <expected>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include <tether/io/transport_options.hpp>

using SSL = struct ssl_st;

namespace tether::io::net {

std::expected<std::unique_ptr<boost::asio::ssl::context>, std::string> make_tls_context(
    const TlsOptions& options);

// Per connection: SNI (for names) and the name or IP the certificate must show.
std::optional<std::string> prepare_tls_stream(SSL* ssl, const std::string& host, bool insecure);

// A handshake error with OpenSSL's reason ("certificate verify failed: ...").
std::string tls_error_text(const boost::system::error_code& ec);

}  // namespace tether::io::net
