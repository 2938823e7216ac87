// Tests of io/src/retry_after.cpp: Retry-After as delay-seconds or HTTP-date
// (RFC 9110 §10.2.3, §5.6.7), relative to a caller-supplied now. Expected unix
// times were computed independently (Python's calendar.timegm).

#include <rapidcheck/catch.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <tether/io/retry_after.hpp>

using tether::io::days_from_civil;
using tether::io::parse_http_date_ms;
using tether::io::retry_after_ms;
using tether::io::retry_after_s_max;

namespace {

constexpr std::int64_t s = 1000;                        // ms per second
constexpr std::int64_t rfc_example_ms = 784111777 * s;  // Sun, 06 Nov 1994 08:49:37 GMT
constexpr std::int64_t now_2024_ms = 1709208000 * s;    // 2024-02-29 12:00:00 UTC

}  // namespace

TEST_CASE("delay-seconds", "[retry_after]") {
  CHECK(retry_after_ms("0", now_2024_ms) == 0);
  CHECK(retry_after_ms("120", now_2024_ms) == 120 * s);
  CHECK(retry_after_ms("007", now_2024_ms) == 7 * s);
  CHECK(retry_after_ms(" \t30\t ", now_2024_ms) == 30 * s);  // OWS around the value
  CHECK(retry_after_ms("1000000000", 0) == retry_after_s_max * s);
  CHECK(retry_after_ms("1000000001", 0) == retry_after_s_max * s);  // capped
  CHECK(retry_after_ms("99999999999999999999999999999999999999", 0) == retry_after_s_max * s);
}

TEST_CASE("values that are neither form are absent", "[retry_after]") {
  for (const char* bad : {"", " ", "-1", "+1", "1.5", "1e3", "12 s", "12s", "1 2", "0x10", "soon",
                          "99999999999999999999999x"}) {
    INFO("value \"" << bad << "\"");
    CHECK(retry_after_ms(bad, now_2024_ms) == std::nullopt);
  }
}

TEST_CASE("IMF-fixdate", "[retry_after][date]") {
  CHECK(parse_http_date_ms("Sun, 06 Nov 1994 08:49:37 GMT", 0) == rfc_example_ms);
  CHECK(parse_http_date_ms("Thu, 01 Jan 1970 00:00:00 GMT", 0) == 0);
  CHECK(parse_http_date_ms("Tue, 29 Feb 2000 00:00:00 GMT", 0) == 951782400 * s);
  CHECK(parse_http_date_ms("Mon, 01 Mar 2100 00:00:00 GMT", 0) == 4107542400 * s);
  CHECK(parse_http_date_ms("Thu, 01 Mar 1900 00:00:00 GMT", 0) == -2203891200 * s);
  CHECK(parse_http_date_ms("Fri, 31 Dec 9999 23:59:59 GMT", 0) == 253402300799 * s);
  CHECK(parse_http_date_ms("Wed, 31 Dec 2025 23:59:60 GMT", 0) ==
        parse_http_date_ms("Thu, 01 Jan 2026 00:00:00 GMT", 0));  // a leap second
}

TEST_CASE("the obsolete rfc850 and asctime forms", "[retry_after][date]") {
  CHECK(parse_http_date_ms("Sunday, 06-Nov-94 08:49:37 GMT", now_2024_ms) == rfc_example_ms);
  CHECK(parse_http_date_ms("Sun Nov  6 08:49:37 1994", now_2024_ms) == rfc_example_ms);
  CHECK(parse_http_date_ms("Sun Nov 06 08:49:37 1994", now_2024_ms) == rfc_example_ms);
  CHECK(parse_http_date_ms("Thu Feb 29 12:00:00 2024", 0) == now_2024_ms);
}

TEST_CASE("rfc850 two-digit years: more than 50 years ahead means the past century",
          "[retry_after][date]") {
  // now is 2024: 74 -> 2074 (50 years ahead), 75 -> 1975, 30 -> 2030.
  CHECK(parse_http_date_ms("Tuesday, 01-Jan-30 00:00:00 GMT", now_2024_ms) == 1893456000 * s);
  CHECK(parse_http_date_ms("Monday, 01-Jan-74 00:00:00 GMT", now_2024_ms) ==
        parse_http_date_ms("Mon, 01 Jan 2074 00:00:00 GMT", 0));
  CHECK(parse_http_date_ms("Wednesday, 01-Jan-75 00:00:00 GMT", now_2024_ms) ==
        parse_http_date_ms("Wed, 01 Jan 1975 00:00:00 GMT", 0));
  // now is 2090: 10 -> 2110 (20 years ahead, not more than 50), 41 -> 2041.
  const std::int64_t now_2090_ms = *parse_http_date_ms("Sun, 01 Jan 2090 00:00:00 GMT", 0);
  CHECK(parse_http_date_ms("Wednesday, 01-Jan-10 00:00:00 GMT", now_2090_ms) ==
        parse_http_date_ms("Wed, 01 Jan 2110 00:00:00 GMT", 0));
  CHECK(parse_http_date_ms("Tuesday, 01-Jan-41 00:00:00 GMT", now_2090_ms) ==
        parse_http_date_ms("Tue, 01 Jan 2041 00:00:00 GMT", 0));
}

TEST_CASE("malformed HTTP-dates are rejected", "[retry_after][date]") {
  for (const char* bad : {
           "Sun, 06 Nov 1994 08:49:37",      // no GMT
           "Sun, 06 Nov 1994 08:49:37 UTC",  // only GMT
           "Sun, 06 Nov 1994 08:49:37 gmt",  // case-sensitive
           "sun, 06 Nov 1994 08:49:37 GMT",
           "Sun, 06 nov 1994 08:49:37 GMT",
           "Sun, 6 Nov 1994 08:49:37 GMT",  // two-digit day
           "Sun, 06 Nov 94 08:49:37 GMT",   // four-digit year
           "Sun,  06 Nov 1994 08:49:37 GMT",
           "Sun 06 Nov 1994 08:49:37 GMT",
           "Sun, 06 Nov 1994 8:49:37 GMT",
           "Sun, 06 Nov 1994 08:49 GMT",
           "Sun, 06 Nov 1994 24:00:00 GMT",  // out of range
           "Sun, 06 Nov 1994 08:60:00 GMT",
           "Sun, 06 Nov 1994 08:49:61 GMT",
           "Sun, 00 Nov 1994 08:49:37 GMT",
           "Sun, 31 Nov 1994 08:49:37 GMT",  // November has 30 days
           "Sun, 29 Feb 1900 08:49:37 GMT",  // 1900 is not a leap year
           "Xyz, 06 Nov 1994 08:49:37 GMT",
           "Sun, 06 Nov 1994 08:49:37 GMT x",
           "Sun, 06 Nov 1994 08:49:37 GMT\r\n",
           "Sunday, 06-Nov-1994 08:49:37 GMT",  // rfc850 has a two-digit year
           "Sunday, 06 Nov 94 08:49:37 GMT",
           "Sun, 06-Nov-94 08:49:37 GMT",  // a short name with the rfc850 date
           "Sun Nov 6 08:49:37 1994",      // asctime pads the day with a space
           "Sun Nov  6 08:49:37 94",
           "Sun Nov  6 08:49:37 1994 GMT",
           "Sun",
       }) {
    INFO("date \"" << bad << "\"");
    CHECK(parse_http_date_ms(bad, now_2024_ms) == std::nullopt);
    CHECK(retry_after_ms(bad, now_2024_ms) == std::nullopt);
  }
}

TEST_CASE("an HTTP-date becomes a delay from now, the past is 0, the far future capped",
          "[retry_after]") {
  CHECK(retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", rfc_example_ms - 90 * s) == 90 * s);
  CHECK(retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", rfc_example_ms - 1) == 1);
  CHECK(retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", rfc_example_ms) == 0);
  CHECK(retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", now_2024_ms) == 0);
  CHECK(retry_after_ms("  Sun Nov  6 08:49:37 1994 ", rfc_example_ms - 5 * s) == 5 * s);
  CHECK(retry_after_ms("Fri, 31 Dec 9999 23:59:59 GMT", now_2024_ms) == retry_after_s_max * s);
  // Extreme clocks do not overflow.
  CHECK(retry_after_ms("Fri, 31 Dec 9999 23:59:59 GMT", INT64_MIN) == retry_after_s_max * s);
  CHECK(retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", INT64_MAX) == 0);
  // rfc850's year is resolved against now; it must land in 0000-9999 like the others.
  CHECK(retry_after_ms("Sunday, 06-Nov-94 08:49:37 GMT", INT64_MIN) == std::nullopt);
  CHECK(retry_after_ms("Sunday, 06-Nov-94 08:49:37 GMT", INT64_MAX) == std::nullopt);
}

TEST_CASE("days_from_civil", "[retry_after][date]") {
  CHECK(days_from_civil(1970, 1, 1) == 0);
  CHECK(days_from_civil(1969, 12, 31) == -1);
  CHECK(days_from_civil(2000, 3, 1) == 951782400 / 86400 + 1);
  CHECK(days_from_civil(1600, 2, 29) == -11670998400 / 86400);
  CHECK(days_from_civil(1, 1, 1) == -62135596800 / 86400);
}

TEST_CASE("property: consecutive days differ by one", "[retry_after][date][property]") {
  rc::prop("days_from_civil walks the calendar", [] {
    const auto year = *rc::gen::inRange<std::int64_t>(-5000, 10000);
    const auto month = *rc::gen::inRange(1u, 13u);
    const std::int64_t first = days_from_civil(year, month, 1);
    const std::int64_t next_first =
        month == 12 ? days_from_civil(year + 1, 1, 1) : days_from_civil(year, month + 1, 1);
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    const unsigned lengths[] = {31, leap ? 29u : 28u, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    RC_ASSERT(next_first - first == static_cast<std::int64_t>(lengths[month - 1]));
  });
}
