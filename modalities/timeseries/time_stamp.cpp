#include <unirep/modalities/timeseries/time_stamp.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace unirep::modalities::timeseries {
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

bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : days[m - 1];
}

// Reads exactly `n` digits at s[i..]; advances i.
bool digits(const std::string& s, size_t& i, int n, int& out) {
  out = 0;
  for (int k = 0; k < n; ++k, ++i) {
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

}  // namespace

std::optional<ParsedTime> parse_time(const std::string& raw) {
  const std::string s = trim(raw);
  if (s.empty()) return std::nullopt;
  ParsedTime t;
  size_t i = 0;
  int y, mo, d;
  // A date starts with four digits and a separator; anything else must be a plain number.
  if (s.size() >= 10 && digits(s, i, 4, y) && (s[4] == '-' || s[4] == '/')) {
    t.date_separator = s[4];
    ++i;
    if (!digits(s, i, 2, mo) || i >= s.size() || s[i] != t.date_separator) return std::nullopt;
    ++i;
    if (!digits(s, i, 2, d)) return std::nullopt;
    if (mo < 1 || mo > 12 || d < 1 || d > static_cast<int>(days_in_month(y, static_cast<unsigned>(mo)))) return std::nullopt;
    double secs = static_cast<double>(days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d))) * 86400.0;
    t.format = TimeFormat::Date;
    if (i < s.size()) {
      if (s[i] != ' ' && s[i] != 'T') return std::nullopt;
      t.time_separator = s[i];
      ++i;
      int hh, mm, ss = 0;
      if (!digits(s, i, 2, hh) || i >= s.size() || s[i] != ':') return std::nullopt;
      ++i;
      if (!digits(s, i, 2, mm)) return std::nullopt;
      t.format = TimeFormat::DateTime;
      double frac = 0;
      if (i < s.size() && s[i] == ':') {
        ++i;
        if (!digits(s, i, 2, ss)) return std::nullopt;
        t.format = TimeFormat::DateTimeSecs;
        if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
          double scale = 0.1;
          ++i;
          if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
          while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) frac += (s[i++] - '0') * scale, scale /= 10;
        }
      }
      if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
      secs += hh * 3600.0 + mm * 60.0 + ss + frac;
      if (i < s.size()) {  // ISO 8601 zone: Z or +HH:MM / -HH:MM / +HHMM
        if (s[i] == 'Z' && i + 1 == s.size()) {
          ++i;
        } else if (s[i] == '+' || s[i] == '-') {
          const int sign = s[i] == '-' ? -1 : 1;
          ++i;
          int oh, om = 0;
          if (!digits(s, i, 2, oh)) return std::nullopt;
          if (i < s.size() && s[i] == ':') ++i;
          if (i < s.size() && !digits(s, i, 2, om)) return std::nullopt;
          if (oh > 23 || om > 59) return std::nullopt;
          secs -= sign * (oh * 3600.0 + om * 60.0);
        } else {
          return std::nullopt;
        }
      }
    }
    if (i != s.size()) return std::nullopt;
    t.seconds = secs;
    return t;
  }
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  t.seconds = v;
  t.format = TimeFormat::Number;
  return t;
}

std::string format_time(double seconds, const ParsedTime& style) {
  char buf[64];
  if (style.format == TimeFormat::Number) {
    if (std::abs(seconds - std::round(seconds)) < 1e-9 && std::abs(seconds) < 1e15)
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(std::llround(seconds)));
    else
      std::snprintf(buf, sizeof buf, "%.10g", seconds);
    return buf;
  }
  const double whole = std::floor(seconds + 1e-6);
  const int64_t days = static_cast<int64_t>(std::floor(whole / 86400.0));
  const int64_t rem = static_cast<int64_t>(whole) - days * 86400;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  const char ds = style.date_separator;
  int n = std::snprintf(buf, sizeof buf, "%04lld%c%02u%c%02u", static_cast<long long>(y), ds, m, ds, d);
  if (style.format == TimeFormat::DateTime || style.format == TimeFormat::DateTimeSecs)
    n += std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), "%c%02lld:%02lld", style.time_separator,
                       static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60));
  if (style.format == TimeFormat::DateTimeSecs)
    std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), ":%02lld", static_cast<long long>(rem % 60));
  return buf;
}

CalendarFields calendar_fields(double seconds) {
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
  if (unit == "s" || unit == "sec") scale = 1;
  else if (unit == "min" || unit == "t" || unit == "m") scale = 60;
  else if (unit == "h" || unit == "hour") scale = 3600;
  else if (unit == "d" || unit == "day") scale = 86400;
  else if (unit == "w" || unit == "week") scale = 7 * 86400;
  else return std::nullopt;
  if (!(n > 0) || !std::isfinite(n)) return std::nullopt;
  return n * scale;
}

}  // namespace unirep::modalities::timeseries
