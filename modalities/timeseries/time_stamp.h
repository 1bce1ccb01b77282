#pragma once
// Timestamps of a series: parsing the forms CSV files use, calendar fields for time features, and
// formatting forecast timestamps back in the file's own form. Times are seconds since
// 1970-01-01 00:00:00 in the file's (unstated) local clock; an explicit ISO 8601 offset (Z,
// +02:00, -0530, +02) is folded into the value, so such times are UTC and stay regular across
// daylight-saving changes, and is remembered so forecasts are written with it
// (docs/timeseries.md, Data).
#include <cstdint>
#include <optional>
#include <string>

namespace unirep::modalities {

enum class TimeFormat {
  Number,        // plain numbers (a step index, a Unix time): no calendar features
  Date,          // YYYY-MM-DD or YYYY/MM/DD
  DateTime,      // YYYY-MM-DD[T ]HH:MM or YYYY/MM/DD HH:MM
  DateTimeSecs,  // ... with :SS (and optional fraction)
};

// How a time writes its UTC offset: none, "Z", "+02", "+02:00" or "+0200".
enum class ZoneStyle { None, Z, Hours, HoursColonMinutes, HoursMinutes };

struct ParsedTime {
  double seconds = 0;  // or the number itself for TimeFormat::Number; UTC when the text has an offset
  TimeFormat format = TimeFormat::Number;
  char date_separator = '-';  // '-' or '/', to write forecasts the way the file does
  char time_separator = ' ';  // ' ' or 'T'
  int fraction_digits = 0;    // digits after the seconds (0..9)
  char fraction_separator = '.';
  ZoneStyle zone = ZoneStyle::None;
  int utc_offset_minutes = 0;  // the written offset, east of UTC positive
};

// Calendar times cover the years 0001..9999 (four-digit years); plain numbers are finite and within
// +-kMaxPlainTime, the range of a signed 64-bit count such as Unix nanoseconds.
inline constexpr int kMaxYear = 9999;
inline constexpr double kMaxPlainTime = 9.2e18;
// 0001-01-01 00:00:00 and 10000-01-01 00:00:00 in seconds since 1970: calendar times t lie in
// [kFirstCalendarSecond, kEndCalendarSecond).
inline constexpr double kFirstCalendarSecond = -62135596800.0;
inline constexpr double kEndCalendarSecond = 253402300800.0;

// A time, or why `text` is none: "month 13 does not exist", "year 10000 has more than four digits:
// years after 9999 are not supported", ...
struct TimeReading {
  std::optional<ParsedTime> time;
  std::string problem;  // empty when `time` is set
};
TimeReading read_time(const std::string& text);

// nullopt when `text` is none of the accepted forms or names an impossible date (2015-02-30).
std::optional<ParsedTime> parse_time(const std::string& text);

// Writes `seconds` in the style of `style` (format, separators, fraction digits, UTC offset).
// Throws std::out_of_range when a calendar time falls outside the years 0001..9999 or a plain
// number is not finite: a forecast past 9999-12-31 is an error, never a wrapped date.
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

}  // namespace unirep::modalities
