#pragma once
// A forecast from a trained forecaster and a series: the next pred_len steps of every target after a
// chosen row, in the data's units, with their times written the way the series writes them. What
// `unirep forecast predict` and the app-facing Forecaster share.
#include "modalities/timeseries/series_csv.h"
#include "sdk/timeseries/forecast_model.h"

#include <ATen/Tensor.h>

#include <string>
#include <vector>

namespace unirep::sdk {

struct ForecastResult {
  std::vector<double> times;        // pred_len forecast times
  std::vector<std::string> stamps;  // the same, formatted like the series' times
  at::Tensor values;                // pred_len x targets, float, in the data's units
};

// Checks that `table` fits the model (columns, time style, step) and forecasts the steps after row
// end - 1 from rows [end - seq_len, end). Errors (std::invalid_argument) name table.source.
// Thread-safe for a loaded forecaster in eval mode.
ForecastResult forecast_after(const Forecaster& forecaster, const modalities::SeriesTable& table, int64_t end);

}  // namespace unirep::sdk
