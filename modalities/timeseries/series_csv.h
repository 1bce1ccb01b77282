#pragma once
// A time series read from CSV: a time column and numeric columns, either wide (one column per
// variable) or long (`time,series_id,value` rows, pivoted to one variable per id). The file is read
// line by line (only the selected columns are kept), checked, and made regular:
//  * empty cells and NaN are filled by linear interpolation in time (nearest value at the ends)
//    and counted;
//  * timestamps must increase: unsorted or duplicate times, unparsable times and non-numeric cells
//    are errors naming the file and line;
//  * spacing must be regular unless a resampling frequency is given, in which case values are
//    interpolated linearly onto a regular grid from the first to the last time;
//  * the header must be UTF-8, values must lie within +-kMaxSeriesMagnitude, and the file is read
//    with a size limit and a wait limit for pipes (docs/timeseries.md, Data).
#include "modalities/input/input_file.h"
#include "modalities/timeseries/time_stamp.h"

#include <optional>
#include <string>
#include <vector>

namespace unirep::modalities {

// The largest |value| a series may hold. Values are standardized and fed through the network in
// 32-bit floats; squares of values up to 1e15 (1e30) and their sums stay far below float's 3.4e38,
// while 3e38, finite as a float, turns into inf and NaN (docs/timeseries.md, Data).
inline constexpr double kMaxSeriesMagnitude = 1e15;
// Resampling refuses grids with more cells (rows x columns) than this (400 MB of floats).
inline constexpr double kMaxResampledCells = 1e8;

struct SeriesCsvOptions {
  std::string time_col;                    // default: the first column holding dates, else the first column
  std::vector<std::string> targets;        // wide: target columns (default: every numeric column left);
                                           // long: the series ids to keep (default: all)
  std::vector<std::string> covariates;     // wide format only: extra input columns, not forecast
  std::string series_id_col;               // non-empty: long format with this id column ...
  std::string value_col = "value";         // ... and this value column
  std::optional<double> resample_seconds;  // regular grid step; nullopt: spacing must be regular
  InputLimits input_limits;                // the most bytes read, how long a pipe may stay silent
};

struct SeriesTable {
  std::string source;              // the file, for messages
  std::string time_column;         // the time column's name
  std::vector<double> times;       // seconds (or plain numbers), strictly increasing, regular
  ParsedTime time_style;           // how the file writes times (for forecasts)
  std::vector<std::string> names;  // targets first, then covariates
  size_t num_targets = 0;
  std::vector<float> values;  // times.size() x names.size(), row-major
  size_t filled_missing = 0;  // cells filled by interpolation
  double step = 0;            // spacing of `times`
  bool resampled = false;

  size_t length() const { return times.size(); }
  size_t num_columns() const { return names.size(); }
  float at(size_t t, size_t column) const { return values[t * names.size() + column]; }
};

// Throws std::runtime_error "FILE:LINE: problem" (or "FILE: problem") on bad input.
SeriesTable read_series_csv(const std::string& path, const SeriesCsvOptions& options);

// Splits one CSV record (RFC 4180 quotes, a trailing \r dropped).
std::vector<std::string> split_csv_line(const std::string& line);

}  // namespace unirep::modalities
