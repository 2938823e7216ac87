#pragma once
// Private to tether::io: the Asio transports, made by the runner. The only
// header of tether that includes Boost.
#include <boost/asio/io_context.hpp>
#include <memory>
#include <tether/io/clock.hpp>
#include <tether/io/transport.hpp>
#include <tether/io/transport_options.hpp>
#include <tether/io/url.hpp>
#include <utility>  // before Asio under C++23 (Boost 1.74's awaitable.hpp)

#include "net/tls_setup.hpp"

namespace tether::io::net {

// `tls` makes its context on first use if it has none yet: an http:// URL may
// redirect to https://.
std::unique_ptr<Transport> make_sse_transport(boost::asio::io_context& io, TlsContext tls, Url url,
                                              HttpOptions http, SseOptions sse, Clock& clock);

std::unique_ptr<Transport> make_websocket_transport(boost::asio::io_context& io, TlsContext tls,
                                                    Url url, HttpOptions http,
                                                    WebSocketOptions websocket, Clock& clock);

// "text/event-stream", ignoring case and parameters.
bool is_event_stream(std::string_view content_type);

}  // namespace tether::io::net
