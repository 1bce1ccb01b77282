#include "sdk/timeseries/forecast_predict.h"

#include "modalities/input/quoted_text.h"
#include "modalities/timeseries/time_stamp.h"
#include "sdk/timeseries/forecast_data.h"
#include "sdk/timeseries/forecast_evaluation.h"

#include <ATen/ATen.h>

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace unirep::sdk {
namespace {

// Values the forecaster can take: finite and within +-kMaxSeriesMagnitude, as read_series_csv
// guarantees for files (histories from memory arrive unchecked).
void check_history(const modalities::SeriesTable& table) {
  const size_t V = table.num_columns();
  for (size_t i = 0; i < table.values.size(); ++i) {
    const float v = table.values[i];
    if (std::isfinite(v) && std::abs(v) <= modalities::kMaxSeriesMagnitude) continue;
    char value[32];
    std::snprintf(value, sizeof value, "%g", static_cast<double>(v));
    throw std::invalid_argument(
        table.source + ": row " + std::to_string(i / V) + ", column " + modalities::quoted(table.names.at(i % V)) +
        ": the value " + value +
        (std::isfinite(v) ? " is beyond the supported magnitude (|value| <= 1e+15)" : " is not finite"));
  }
}

struct ForecastTimes {
  std::vector<double> times;
  std::vector<std::string> stamps;
};

// The H times after row end - 1, written like the table's own (its format, separators and the UTC
// offset of its last row); a forecast past 9999-12-31 is refused, not wrapped.
ForecastTimes forecast_times(const modalities::SeriesTable& table, int64_t end, int64_t H) {
  ForecastTimes out;
  for (int64_t h = 0; h < H; ++h) {
    const double t = table.times[static_cast<size_t>(end - 1)] + static_cast<double>(h + 1) * table.step;
    try {
      out.stamps.push_back(modalities::format_time(t, table.time_style));
    } catch (const std::out_of_range& e) {
      throw std::invalid_argument(
          table.source + ": the forecast's step " + std::to_string(h + 1) + " cannot be written: " + e.what() +
          (table.time_style.format == modalities::TimeFormat::Number ? "" : " (years 0001 to 9999)"));
    }
    out.times.push_back(t);
  }
  return out;
}

}  // namespace

ForecastResult forecast_after(const Forecaster& forecaster, const modalities::SeriesTable& table, int64_t end) {
  const auto& spec = forecaster.spec;
  const auto L = spec.seq_len, H = spec.pred_len, V = static_cast<int64_t>(spec.targets.size());
  const size_t columns = spec.targets.size() + spec.covariates.size();
  if (table.num_columns() != columns || table.num_targets != spec.targets.size())
    throw std::invalid_argument(table.source + ": " + std::to_string(table.num_columns()) + " value columns (" +
                                std::to_string(table.num_targets) + " targets), the model needs " +
                                std::to_string(columns) + " (" + std::to_string(spec.targets.size()) + " targets)");
  if (table.time_style.format != spec.time_style.format)
    throw std::invalid_argument(table.source + ": times are written differently from the training file's");
  if (!(std::abs(table.step - spec.step) <= 1e-6 * std::max(1.0, std::abs(spec.step))))
    throw std::invalid_argument(table.source + ": the step is " + std::to_string(table.step) +
                                " s, the model was trained on " + std::to_string(spec.step) + " s");
  const auto T = static_cast<int64_t>(table.length());
  if (end > T || end < L)
    throw std::invalid_argument(table.source + ": " + std::to_string(T) + " rows, the model needs " +
                                std::to_string(L) +
                                (end < T ? " + " + std::to_string(T - end) + " after the window" : std::string()));
  check_history(table);
  const auto times = forecast_times(table, end, H);

  auto prepared = prepare_series(table, spec);
  auto window = prepared.narrow(0, end - L, L).unsqueeze(0);
  // The loaded network is in eval mode and run_forecaster only reads it, so this is safe to call
  // from several threads at once.
  ForecastResult result;
  result.values = run_forecaster(forecaster, window).squeeze(0).contiguous();  // H x V, standardized
  spec.scaler.restore(result.values.data_ptr<float>(), static_cast<size_t>(H), static_cast<size_t>(V),
                      static_cast<size_t>(V));
  // Never a NaN forecast with success (docs/timeseries.md, Data): a damaged model can still do it.
  if (!at::isfinite(result.values).all().item<bool>())
    throw std::runtime_error(forecaster.path + ": the forecast for " + table.source +
                             " is not finite (NaN or infinite); the model file may be damaged");
  result.times = times.times;
  result.stamps = times.stamps;
  return result;
}

}  // namespace unirep::sdk
