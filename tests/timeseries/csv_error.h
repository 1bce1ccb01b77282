#pragma once
// The error message of read_series_csv, or "" when it succeeds: what the reader tests compare.
#include "modalities/timeseries/series_csv.h"

#include <stdexcept>
#include <string>

namespace unirep::testing {

inline std::string csv_error(const std::string& path, const modalities::SeriesCsvOptions& o = {}) {
  try {
    modalities::read_series_csv(path, o);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace unirep::testing
