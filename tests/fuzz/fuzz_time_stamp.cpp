// read_time on any text, and format_time of what it reads: a time written back in its own style must
// read again as the same instant (to the written precision), and the calendar fields stay in range.
#include "modalities/timeseries/time_stamp.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto reading = unirep::modalities::read_time(text);
  if (!reading.time) {
    if (reading.problem.empty()) __builtin_trap();  // every refusal says why
    return 0;
  }
  const auto& t = *reading.time;
  std::string written;
  try {
    written = unirep::modalities::format_time(t.seconds, t);
  } catch (const std::out_of_range&) {
    return 0;  // 9999-12-31T23:59:60 is the year 10000: refused, never wrapped
  }
  if (t.format == unirep::modalities::TimeFormat::Number) return 0;
  const auto again = unirep::modalities::parse_time(written);
  if (!again || again->format != t.format || again->zone != t.zone) __builtin_trap();
  // Written to the second (or minute), so the instants agree within one unit of the written precision.
  const double unit = t.format == unirep::modalities::TimeFormat::Date       ? 86400
                      : t.format == unirep::modalities::TimeFormat::DateTime ? 60
                                                                             : 1;
  if (!(std::abs(again->seconds - t.seconds) < unit + 1e-6)) __builtin_trap();
  const auto f = unirep::modalities::calendar_fields(t.seconds);
  if (f.hour < 0 || f.hour > 23 || f.day_of_week < 0 || f.day_of_week > 6 || f.day_of_month < 1 ||
      f.day_of_month > 31 || f.day_of_year < 1 || f.day_of_year > 366)
    __builtin_trap();
  return 0;
}
