#include "net/tls_setup.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl.hpp>
#include <string_view>

namespace tether::io::net {

namespace ssl = boost::asio::ssl;

std::expected<std::unique_ptr<ssl::context>, std::string> make_tls_context(
    const TlsOptions& options) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1,
                       ec);
  if (options.insecure_skip_verify_DANGEROUS) {
    context->set_verify_mode(ssl::verify_none, ec);
    return context;
  }
  if (options.ca_file.empty()) {
    context->set_default_verify_paths(ec);
    if (ec) return std::unexpected("TLS: cannot load the system's CA store: " + ec.message());
  } else {
    context->load_verify_file(options.ca_file, ec);
    if (ec)
      return std::unexpected("TLS: cannot load CA file " + options.ca_file + ": " + ec.message());
  }
  context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
  return context;
}

std::expected<ssl::context*, std::string> TlsContext::get() {
  if (!context_) {
    auto made = make_tls_context(options_);
    if (!made) return std::unexpected(made.error());
    context_ = std::move(*made);
  }
  return context_.get();
}

std::optional<std::string> prepare_tls_stream(SSL* handle, const std::string& host, bool insecure) {
  boost::system::error_code ec;
  static_cast<void>(boost::asio::ip::make_address(host, ec));
  const bool is_ip = !ec;
  // SSL_set_tlsext_host_name is a macro with a C cast inside.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
  if (!is_ip && SSL_set_tlsext_host_name(handle, host.c_str()) != 1)
    return "TLS: cannot set SNI host name " + host;
#pragma GCC diagnostic pop
  if (insecure) return std::nullopt;
  X509_VERIFY_PARAM* param = SSL_get0_param(handle);
  const int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                       : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  if (ok != 1) return "TLS: cannot set the expected peer name " + host;
  return std::nullopt;
}

std::string tls_error_text(const boost::system::error_code& ec) {
  std::string text = ec.message();
  if (ec.category() == boost::asio::error::get_ssl_category()) {
    char reason[256];
    ERR_error_string_n(static_cast<unsigned long>(ec.value()), reason, sizeof reason);
    text += " (";
    text += reason;
    text += ")";
  }
  return text;
}

}  // namespace tether::io::net

namespace tether::io::net {

namespace {

// The verify result in words; OpenSSL's own phrase follows in parentheses.
std::string_view verify_cause(long result) {
  switch (result) {
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      return "the server's certificate is self-signed";
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return "the server's certificate was issued by an unknown CA (not in the trusted store: "
             "TlsOptions::ca_file, tether-watch --ca-file)";
    case X509_V_ERR_HOSTNAME_MISMATCH:
      return "the server's certificate is for another host name (hostname mismatch)";
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "the server's certificate is for another IP address (IP address mismatch)";
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "the server's certificate has expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "the server's certificate is not valid yet (check the clock)";
    case X509_V_ERR_CERT_REVOKED:
      return "the server's certificate was revoked";
    default:
      return "the server's certificate was refused";
  }
}

}  // namespace

TlsFailure describe_tls_failure(SSL* ssl, const boost::system::error_code& ec) {
  if (ec.category() != boost::asio::error::get_ssl_category()) return {false, ec.message()};
  const auto code = static_cast<unsigned long>(ec.value());
  const int reason = ERR_GET_REASON(code);
  const long result = ssl != nullptr ? SSL_get_verify_result(ssl) : X509_V_OK;
  if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED && result != X509_V_OK) {
    return {true, "certificate verification failed: " + std::string(verify_cause(result)) +
                      " (OpenSSL: " + X509_verify_cert_error_string(result) + ")"};
  }
  switch (reason) {
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
      return {false,
              "no TLS protocol version in common with the server (tether requires TLS 1.2 or "
              "later): " +
                  tls_error_text(ec)};
    case SSL_R_WRONG_VERSION_NUMBER:
      return {false,
              "the server did not answer in TLS (a plain-HTTP port?): " + tls_error_text(ec)};
    default:
      return {false, tls_error_text(ec)};
  }
}

}  // namespace tether::io::net
