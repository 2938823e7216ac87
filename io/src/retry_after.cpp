#include <array>
#include <tether/io/retry_after.hpp>

namespace tether::io {

namespace {

constexpr std::int64_t ms_per_s = 1000;
constexpr std::int64_t s_per_day = 86400;
constexpr std::int64_t retry_after_ms_max = retry_after_s_max * ms_per_s;

constexpr std::array<std::string_view, 7> day_names = {"Mon", "Tue", "Wed", "Thu",
                                                       "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> day_names_long = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
constexpr std::array<std::string_view, 12> month_names = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_leap(std::int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

unsigned days_in_month(std::int64_t year, unsigned month) {
  constexpr std::array<unsigned, 12> days = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

// Floor division for the (possibly negative) day and era counts.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
}

// The proleptic Gregorian year that contains `days` since 1970-01-01. Counts
// in 400-year eras starting on March 1st, so the leap day ends a year.
std::int64_t year_from_days(std::int64_t days) {
  const std::int64_t shifted = days + 719468;  // days since 0000-03-01
  const std::int64_t era = floor_div(shifted, 146097);
  const std::int64_t day_of_era = shifted - era * 146097;  // [0, 146096]
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t month_from_march = (5 * day_of_year + 2) / 153;  // 0 = March
  return year_of_era + era * 400 + (month_from_march >= 10 ? 1 : 0);  // Jan, Feb: next year
}

// A cursor over the header text; every reader checks what it consumes.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  bool done() const { return pos_ == text_.size(); }
  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  // Exactly `count` digits.
  bool digits(std::size_t count, unsigned& value) {
    if (text_.size() - pos_ < count) return false;
    value = 0;
    for (std::size_t k = 0; k < count; ++k) {
      const char c = text_[pos_ + k];
      if (!is_digit(c)) return false;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    pos_ += count;
    return true;
  }
  // One of `names`; `index` is its position.
  template <std::size_t N>
  bool one_of(const std::array<std::string_view, N>& names, unsigned& index) {
    for (std::size_t k = 0; k < N; ++k) {
      if (literal(names[k])) {
        index = static_cast<unsigned>(k);
        return true;
      }
    }
    return false;
  }
  // hour ":" minute ":" second, in range (a leap second 60 is allowed).
  bool time_of_day(std::int64_t& seconds) {
    unsigned hour = 0;
    unsigned minute = 0;
    unsigned second = 0;
    if (!digits(2, hour) || !literal(":") || !digits(2, minute) || !literal(":") ||
        !digits(2, second))
      return false;
    if (hour > 23 || minute > 59 || second > 60) return false;
    seconds = static_cast<std::int64_t>(hour * 3600 + minute * 60 + second);
    return true;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

struct Civil {
  std::int64_t year = 0;
  unsigned month = 0;  // 1-12
  unsigned day = 0;
  std::int64_t seconds_of_day = 0;
};

// "Sun, 06 Nov 1994 08:49:37 GMT", after the day name.
bool imf_fixdate(Reader& in, Civil& date) {
  unsigned day = 0;
  unsigned month = 0;
  unsigned year = 0;
  if (!in.literal(", ") || !in.digits(2, day) || !in.literal(" ") ||
      !in.one_of(month_names, month) || !in.literal(" ") || !in.digits(4, year) ||
      !in.literal(" ") || !in.time_of_day(date.seconds_of_day) || !in.literal(" GMT") || !in.done())
    return false;
  date.year = year;
  date.month = month + 1;
  date.day = day;
  return true;
}

// "Sunday, 06-Nov-94 08:49:37 GMT", after the day name.
bool rfc850_date(Reader& in, Civil& date, std::int64_t now_unix_ms) {
  unsigned day = 0;
  unsigned month = 0;
  unsigned year2 = 0;
  if (!in.literal(", ") || !in.digits(2, day) || !in.literal("-") ||
      !in.one_of(month_names, month) || !in.literal("-") || !in.digits(2, year2) ||
      !in.literal(" ") || !in.time_of_day(date.seconds_of_day) || !in.literal(" GMT") || !in.done())
    return false;
  // RFC 9110: a year more than 50 years ahead is the most recent past year
  // with the same last two digits; so the window is (now - 50, now + 50].
  const std::int64_t now_year = year_from_days(floor_div(now_unix_ms, s_per_day * ms_per_s));
  std::int64_t year = now_year - (((now_year % 100) + 100) % 100) + year2;
  if (year > now_year + 50) year -= 100;
  if (year <= now_year - 50) year += 100;
  if (year < 0 || year > 9999) return false;  // an absurd clock: keep to the other forms' range
  date.year = year;
  date.month = month + 1;
  date.day = day;
  return true;
}

// "Sun Nov  6 08:49:37 1994", after the day name.
bool asctime_date(Reader& in, Civil& date) {
  unsigned month = 0;
  unsigned day = 0;
  unsigned year = 0;
  if (!in.literal(" ") || !in.one_of(month_names, month) || !in.literal(" ")) return false;
  if (!in.literal(" ") ? !in.digits(2, day) : !in.digits(1, day)) return false;  // "06" or " 6"
  if (!in.literal(" ") || !in.time_of_day(date.seconds_of_day) || !in.literal(" ") ||
      !in.digits(4, year) || !in.done())
    return false;
  date.year = year;
  date.month = month + 1;
  date.day = day;
  return true;
}

std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  // Years start on March 1st here, so the leap day is the last day of a year.
  const std::int64_t y = month <= 2 ? year - 1 : year;
  const std::int64_t era = floor_div(y, 400);
  const std::int64_t year_of_era = y - era * 400;                               // [0, 399]
  const std::int64_t month_from_march = month > 2 ? month - 3 : month + 9;      // [0, 11]
  const std::int64_t day_of_year = (153 * month_from_march + 2) / 5 + day - 1;  // [0, 365]
  const std::int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;  // 719468: days from 0000-03-01 to 1970-01-01
}

std::optional<std::int64_t> parse_http_date_ms(std::string_view text, std::int64_t now_unix_ms) {
  Reader in(text);
  Civil date;
  unsigned weekday = 0;
  bool ok = false;
  if (in.one_of(day_names_long, weekday)) {  // before the short names: "Sunday" starts with "Sun"
    ok = rfc850_date(in, date, now_unix_ms);
  } else if (in.one_of(day_names, weekday)) {
    ok = text.size() > 3 && text[3] == ',' ? imf_fixdate(in, date) : asctime_date(in, date);
  }
  if (!ok || date.day < 1 || date.day > days_in_month(date.year, date.month)) return std::nullopt;
  const std::int64_t days = days_from_civil(date.year, date.month, date.day);
  return (days * s_per_day + date.seconds_of_day) * ms_per_s;
}

std::optional<std::int64_t> retry_after_ms(std::string_view value, std::int64_t now_unix_ms) {
  const std::string_view text = trim_ows(value);
  if (text.empty()) return std::nullopt;
  if (is_digit(text.front())) {
    std::int64_t seconds = 0;
    for (const char c : text) {
      if (!is_digit(c)) return std::nullopt;
      seconds = seconds * 10 + (c - '0');
      if (seconds > retry_after_s_max) seconds = retry_after_s_max + 1;  // saturate: keep it small
    }
    return (seconds > retry_after_s_max ? retry_after_s_max : seconds) * ms_per_s;
  }
  const std::optional<std::int64_t> date_ms = parse_http_date_ms(text, now_unix_ms);
  if (!date_ms) return std::nullopt;
  if (*date_ms <= now_unix_ms) return 0;
  if (now_unix_ms < *date_ms - retry_after_ms_max)
    return retry_after_ms_max;  // no overflow either way
  return *date_ms - now_unix_ms;
}

}  // namespace tether::io
