#pragma once
// HTTP header fields as tether writes and reads them (RFC 9110 §5): one
// validator for every header that goes on the wire, whatever its source (the
// bearer token, HttpOptions::headers, tether-watch -H, the resume id), and the
// media-type parameter the SSE transport checks.
//
// Why: Beast writes field values as given, so a CR or LF in a value puts extra
// header lines on the wire (header injection). The errors describe what is
// wrong without echoing the value, which may be a secret.
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tether::io {

// A field name must be a non-empty RFC 9110 token: letters, digits and
// !#$%&'*+-.^_`|~. The error says what is wrong ("is empty", "contains a
// space (0x20), which a header name (an RFC 9110 token) cannot hold").
std::expected<void, std::string> check_header_name(std::string_view name);

// A field value must hold no control byte but HTAB: CR, LF and NUL are named
// ("contains a CR byte"), other controls and DEL by their code ("contains the
// control byte 0x07"). Bytes 0x80-0xFF (obs-text) are allowed.
std::expected<void, std::string> check_header_value(std::string_view value);

// Both, for one header: "header 'X-Foo' contains a CR byte" (the name, once
// valid, is named; a bad name is shown with its bad bytes escaped).
std::expected<void, std::string> check_header(std::string_view name, std::string_view value);

// What a request carries from the user, checked before it is written: the
// bearer token (empty: none) and the extra headers. The error names the
// source, never the value: "the bearer token from the auth provider contains
// a CR byte", "header 'X-Foo' (HttpOptions::headers) contains an LF byte".
std::expected<void, std::string> check_request_headers(
    std::string_view bearer_token, const std::vector<std::pair<std::string, std::string>>& headers);

// `text` with bytes outside printable ASCII escaped as \xNN and cut to
// `bytes_max` (for naming a header name in a message).
std::string printable(std::string_view text, std::size_t bytes_max = 64);

// The value of parameter `name` (case-insensitive) of a media type such as
// `text/event-stream; charset="UTF-8"`, unquoted; nullopt when absent.
std::optional<std::string> media_type_parameter(std::string_view media_type, std::string_view name);

// True if `a` and `b` are equal ignoring ASCII case.
bool equals_ignoring_case(std::string_view a, std::string_view b);

}  // namespace tether::io
