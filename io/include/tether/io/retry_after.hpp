#pragma once
// The HTTP Retry-After header (RFC 9110 §10.2.3): how long the server asks the
// client to wait, as milliseconds from `now_unix_ms`. A pure function: the
// caller passes the current time (no clock is read here).
//
//   Retry-After = HTTP-date / delay-seconds
//
// - delay-seconds: one or more ASCII digits. Values above retry_after_s_max
//   (however many digits) are capped there, without overflow.
// - HTTP-date (RFC 9110 §5.6.7), case-sensitive as the RFC says:
//     IMF-fixdate  "Sun, 06 Nov 1994 08:49:37 GMT"
//     rfc850-date  "Sunday, 06-Nov-94 08:49:37 GMT" (obsolete; a two-digit year
//                  more than 50 years in the future means the most recent past
//                  year with those digits; the year must land in 0000-9999)
//     asctime      "Sun Nov  6 08:49:37 1994" (obsolete)
//   The day name must be a valid one but is not checked against the date. A
//   date in the past gives 0; one further than retry_after_s_max is capped.
// - Leading and trailing spaces and tabs (HTTP's OWS) are ignored.
//
// Anything else gives std::nullopt: the caller treats the header as absent.
// The reducer applies its own ceiling (BackoffPolicy::hint_ms_max) on top.

#include <cstdint>
#include <optional>
#include <string_view>

namespace tether::io {

// About 31.7 years: far beyond any useful hint, far below int64 overflow in ms.
inline constexpr std::int64_t retry_after_s_max = 1'000'000'000;

std::optional<std::int64_t> retry_after_ms(std::string_view value, std::int64_t now_unix_ms);

// The HTTP-date forms above as unix milliseconds (rfc850's two-digit year is
// resolved against `now_unix_ms`). std::nullopt if `text` is not an HTTP-date.
std::optional<std::int64_t> parse_http_date_ms(std::string_view text, std::int64_t now_unix_ms);

// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, day 1-31).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day);

}  // namespace tether::io
