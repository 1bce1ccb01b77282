#include "modalities/timeseries/time_stamp.h"

#include "modalities/input/quoted_text.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace unirep::modalities {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : days[m - 1];
}

bool is_digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

// Reads exactly `n` digits at s[i..]; advances i.
bool digits(const std::string& s, size_t& i, int n, int& out) {
  out = 0;
  for (int k = 0; k < n; ++k, ++i) {
    if (i >= s.size() || !is_digit(s[i])) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

size_t digit_run(const std::string& s, size_t i) {
  size_t n = 0;
  while (i + n < s.size() && is_digit(s[i + n])) ++n;
  return n;
}

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

std::string two(int v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", v);
  return buf;
}

TimeReading problem(std::string what) {
  return {std::nullopt, std::move(what)};
}

constexpr const char* kDateForms = "YYYY-MM-DD or YYYY/MM/DD, optionally followed by HH:MM[:SS] and a UTC offset";

// "2024-03-01" at s[0..]: the date part, or the problem with it. Leaves i after the day.
TimeReading read_date(const std::string& s, size_t& i, ParsedTime& t) {
  const size_t year_digits = digit_run(s, 0);
  if (year_digits > 4)
    return problem("year " + (year_digits > 20 ? s.substr(0, 20) + "..." : s.substr(0, year_digits)) +
                   " has more than four digits: years after 9999 are not supported");
  if (year_digits < 4) return problem("the year must have four digits (" + std::string(kDateForms) + ")");
  int y, mo, d;
  digits(s, i, 4, y);
  t.date_separator = s[i++];
  if (!digits(s, i, 2, mo) || i >= s.size() || s[i] != t.date_separator || (++i, !digits(s, i, 2, d)))
    return problem(std::string("not a date in the form ") + kDateForms);
  if (y == 0) return problem("year 0000 is not supported (years 0001 to 9999)");
  if (mo < 1 || mo > 12) return problem("month " + two(mo) + " does not exist");
  const unsigned month_days = days_in_month(y, static_cast<unsigned>(mo));
  if (d < 1 || d > static_cast<int>(month_days))
    return problem("day " + two(d) + " does not exist in " + std::to_string(y) + "-" + two(mo) + " (" +
                   std::to_string(month_days) + " days)");
  t.seconds = static_cast<double>(days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d))) * 86400.0;
  t.format = TimeFormat::Date;
  return {t, ""};
}

// " 05:30[:07[.25]]" or "T05:30..." at s[i..], added to t.seconds.
TimeReading read_clock(const std::string& s, size_t& i, ParsedTime& t) {
  t.time_separator = s[i++];
  int hh, mm, ss = 0;
  if (!digits(s, i, 2, hh) || i >= s.size() || s[i] != ':' || (++i, !digits(s, i, 2, mm)))
    return problem("the time of day must be HH:MM or HH:MM:SS");
  t.format = TimeFormat::DateTime;
  double fraction = 0;
  if (i < s.size() && s[i] == ':') {
    ++i;
    if (!digits(s, i, 2, ss)) return problem("the seconds must have two digits (HH:MM:SS)");
    t.format = TimeFormat::DateTimeSecs;
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
      t.fraction_separator = s[i++];
      const size_t n = digit_run(s, i);
      if (n == 0) return problem("a decimal point after the seconds needs digits");
      double scale = 0.1;
      for (size_t k = 0; k < n; ++k, scale /= 10) fraction += (s[i + k] - '0') * scale;
      t.fraction_digits = static_cast<int>(std::min<size_t>(n, 9));
      i += n;
    }
  }
  if (hh > 23) return problem("hour " + two(hh) + " is out of range (00 to 23)");
  if (mm > 59) return problem("minute " + two(mm) + " is out of range (00 to 59)");
  if (ss > 60) return problem("second " + two(ss) + " is out of range (00 to 60)");
  t.seconds += hh * 3600.0 + mm * 60.0 + ss + fraction;
  return {t, ""};
}

// "Z", "+02:00", "-0530" or "+02" at s[i..], the whole rest of the text.
TimeReading read_zone(const std::string& s, size_t& i, ParsedTime& t) {
  if (s[i] == 'Z') {
    ++i;
    t.zone = ZoneStyle::Z;
    return {t, ""};
  }
  if (s[i] != '+' && s[i] != '-') return problem("unexpected " + quoted(s.substr(i, 1)) + " after the time of day");
  const int sign = s[i++] == '-' ? -1 : 1;
  int oh, om = 0;
  if (!digits(s, i, 2, oh)) return problem("a UTC offset must be +HH:MM, +HHMM or +HH");
  t.zone = ZoneStyle::Hours;
  if (i < s.size()) {
    t.zone = s[i] == ':' ? ZoneStyle::HoursColonMinutes : ZoneStyle::HoursMinutes;
    if (s[i] == ':') ++i;
    if (!digits(s, i, 2, om)) return problem("a UTC offset must be +HH:MM, +HHMM or +HH");
  }
  if (oh > 23 || om > 59)
    return problem(std::string("the UTC offset ") + (sign < 0 ? "-" : "+") + two(oh) + ":" + two(om) +
                   " is out of range");
  t.utc_offset_minutes = sign * (oh * 60 + om);
  t.seconds -= t.utc_offset_minutes * 60.0;
  return {t, ""};
}

TimeReading read_number(const std::string& s) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || std::isnan(v))
    return problem(std::string("not a date (") + kDateForms + ") or a number");
  if (!(std::abs(v) <= kMaxPlainTime)) return problem("the number is beyond the supported time range (+-9.2e18)");
  ParsedTime t;
  t.seconds = v;
  t.format = TimeFormat::Number;
  return {t, ""};
}

// Whole seconds (floor) and the fraction in ticks of 10^-digits, rounded, carried into the seconds.
void split_seconds(double t, int digits, int64_t& whole, int64_t& ticks) {
  if (digits == 0) {
    whole = static_cast<int64_t>(std::floor(t + 1e-6));  // 59.9999999 from sums of steps is the next second
    ticks = 0;
    return;
  }
  const int64_t scale = static_cast<int64_t>(std::llround(std::pow(10.0, digits)));
  whole = static_cast<int64_t>(std::floor(t));
  ticks = std::llround((t - static_cast<double>(whole)) * static_cast<double>(scale));
  if (ticks >= scale) ++whole, ticks -= scale;
}

std::string zone_text(const ParsedTime& style) {
  const int m = style.utc_offset_minutes;
  const char sign = m < 0 ? '-' : '+';
  const int a = std::abs(m);
  switch (style.zone) {
    case ZoneStyle::None:
      return "";
    case ZoneStyle::Z:
      return "Z";
    case ZoneStyle::Hours:
      return sign + two(a / 60);
    case ZoneStyle::HoursColonMinutes:
      return sign + two(a / 60) + ":" + two(a % 60);
    case ZoneStyle::HoursMinutes:
      return sign + two(a / 60) + two(a % 60);
  }
  return "";
}

std::string format_number(double seconds) {
  if (!std::isfinite(seconds)) throw std::out_of_range("the time is not a finite number");
  char buf[64];
  if (seconds == std::floor(seconds) && std::abs(seconds) < 1e19)
    std::snprintf(buf, sizeof buf, "%.0f", seconds);  // integral: every digit (Unix nanoseconds too)
  else
    std::snprintf(buf, sizeof buf, "%.15g", seconds);  // drops the noise of summed steps
  return buf;
}

}  // namespace

TimeReading read_time(const std::string& raw) {
  const std::string s = trim(raw);
  if (s.empty()) return problem("the time is empty");
  // A date starts with digits and a separator followed by a digit; anything else must be a number.
  const size_t lead = digit_run(s, 0);
  const bool date_like = lead > 0 && lead + 1 < s.size() && (s[lead] == '-' || s[lead] == '/') && is_digit(s[lead + 1]);
  if (s[0] == '-' && digit_run(s, 1) > 0) {
    const size_t n = digit_run(s, 1);
    if (1 + n + 1 < s.size() && (s[1 + n] == '-' || s[1 + n] == '/') && is_digit(s[2 + n]))
      return problem("negative years are not supported (years 0001 to 9999)");
  }
  if (!date_like) return read_number(s);
  ParsedTime t;
  size_t i = 0;
  auto r = read_date(s, i, t);
  if (!r.time) return r;
  if (i < s.size()) {
    if (s[i] != ' ' && s[i] != 'T')
      return problem("unexpected " + quoted(s.substr(i, 1)) + " after the date (" + std::string(kDateForms) + ")");
    r = read_clock(s, i, t);
    if (!r.time) return r;
    if (i < s.size()) {
      r = read_zone(s, i, t);
      if (!r.time) return r;
      if (i != s.size()) return problem("unexpected text after the UTC offset");
    }
  }
  return {t, ""};
}

std::optional<ParsedTime> parse_time(const std::string& text) {
  return read_time(text).time;
}

std::string format_time(double seconds, const ParsedTime& style) {
  if (style.format == TimeFormat::Number) return format_number(seconds);
  const double local = seconds + style.utc_offset_minutes * 60.0;
  if (!std::isfinite(local)) throw std::out_of_range("the time is not a finite number");
  if (!(local >= kFirstCalendarSecond)) throw std::out_of_range("the time is before the year 0001");
  const int digits = style.format == TimeFormat::DateTimeSecs ? style.fraction_digits : 0;
  int64_t whole, ticks;
  split_seconds(local, digits, whole, ticks);
  if (!(static_cast<double>(whole) < kEndCalendarSecond)) throw std::out_of_range("the time is after the year 9999");
  const int64_t days = whole >= 0 ? whole / 86400 : -((-whole + 86399) / 86400);
  const int64_t rem = whole - days * 86400;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[96];
  const char ds = style.date_separator;
  int n = std::snprintf(buf, sizeof buf, "%04lld%c%02u%c%02u", static_cast<long long>(y), ds, m, ds, d);
  if (style.format == TimeFormat::DateTime || style.format == TimeFormat::DateTimeSecs)
    n += std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), "%c%02lld:%02lld", style.time_separator,
                       static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60));
  if (style.format == TimeFormat::DateTimeSecs) {
    n += std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), ":%02lld", static_cast<long long>(rem % 60));
    if (digits > 0)
      std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), "%c%0*lld", style.fraction_separator, digits,
                    static_cast<long long>(ticks));
  }
  if (style.format == TimeFormat::Date) return buf;
  return buf + zone_text(style);
}

CalendarFields calendar_fields(double seconds) {
  // Outside the calendar's years the fields are meaningless; clamp so the arithmetic stays defined.
  if (!(seconds >= kFirstCalendarSecond)) seconds = kFirstCalendarSecond;
  if (!(seconds < kEndCalendarSecond)) seconds = kEndCalendarSecond - 1;
  const double whole = std::floor(seconds + 1e-6);
  const int64_t days = static_cast<int64_t>(std::floor(whole / 86400.0));
  const int64_t rem = static_cast<int64_t>(whole) - days * 86400;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  CalendarFields f;
  f.hour = static_cast<int>(rem / 3600);
  f.day_of_week = static_cast<int>(((days % 7) + 7 + 3) % 7);  // 1970-01-01 was a Thursday (3)
  f.day_of_month = static_cast<int>(d);
  f.day_of_year = static_cast<int>(days - days_from_civil(y, 1, 1) + 1);
  return f;
}

std::optional<double> parse_frequency(const std::string& raw) {
  const std::string s = trim(raw);
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  double n = 1;
  if (i > 0) {
    char* end = nullptr;
    n = std::strtod(s.substr(0, i).c_str(), &end);
  }
  std::string unit = s.substr(i);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double scale;
  if (unit == "s" || unit == "sec")
    scale = 1;
  else if (unit == "min" || unit == "t" || unit == "m")
    scale = 60;
  else if (unit == "h" || unit == "hour")
    scale = 3600;
  else if (unit == "d" || unit == "day")
    scale = 86400;
  else if (unit == "w" || unit == "week")
    scale = 7 * 86400;
  else
    return std::nullopt;
  if (!(n > 0) || !std::isfinite(n)) return std::nullopt;
  return n * scale;
}

}  // namespace unirep::modalities
