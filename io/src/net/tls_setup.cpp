#include "net/tls_setup.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace tether::io::net {

namespace ssl = boost::asio::ssl;

std::expected<std::unique_ptr<ssl::context>, std::string> make_tls_context(const TlsOptions& options) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
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
    if (ec) return std::unexpected("TLS: cannot load CA file " + options.ca_file + ": " + ec.message());
  }
  context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
  return context;
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
