#pragma once
// Timestamps of a series: parsing the forms CSV files use, calendar fields for time features, and
// formatting forecast timestamps back in the file's own form. Times are seconds since
// 1970-01-01 00:00:00 in the file's (unstated) local clock; no time zones are applied except an
// explicit ISO 8601 offset, which is folded into the value.
#include <cstdint>
#include <optional>
#include <string>

namespace unirep::modalities::timeseries {

enum class TimeFormat {
  Number,        // plain numbers (a step index, a Unix time): no calendar features
  Date,          // YYYY-MM-DD or YYYY/MM/DD
  DateTime,      // YYYY-MM-DD[T ]HH:MM or YYYY/MM/DD HH:MM
  DateTimeSecs,  // ... with :SS (and optional fraction, Z or +HH:MM)
};

struct ParsedTime {
  double seconds = 0;  // or the number itself for TimeFormat::Number
  TimeFormat format = TimeFormat::Number;
  char date_separator = '-';  // '-' or '/', to write forecasts the way the file does
  char time_separator = ' ';  // ' ' or 'T'
};

// nullopt when `text` is none of the accepted forms or names an impossible date (2015-02-30).
std::optional<ParsedTime> parse_time(const std::string& text);

// Writes `seconds` in the style of `style` (format and separators).
std::string format_time(double seconds, const ParsedTime& style);

struct CalendarFields {
  int hour = 0;          // 0..23
  int day_of_week = 0;   // 0 = Monday .. 6 = Sunday (pandas' dayofweek)
  int day_of_month = 1;  // 1..31
  int day_of_year = 1;   // 1..366
};
CalendarFields calendar_fields(double seconds);

// Parses a frequency such as "1h", "30min", "15s", "1d", "7d", "h", "D" into seconds; nullopt when
// malformed or not positive.
std::optional<double> parse_frequency(const std::string& text);

}  // namespace unirep::modalities::timeseries
