#include <unirep/sdk/timeseries/forecast_predict.h>

#include <unirep/modalities/timeseries/time_stamp.h>
#include <unirep/sdk/timeseries/forecast_data.h>
#include <unirep/sdk/timeseries/forecast_evaluation.h>

#include <ATen/ATen.h>

#include <cmath>
#include <stdexcept>

namespace unirep::sdk::timeseries {
namespace ts = modalities::timeseries;

ForecastResult forecast_after(const LoadedForecaster& forecaster, const ts::SeriesTable& table, int64_t end) {
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
    throw std::invalid_argument(table.source + ": " + std::to_string(T) + " rows, the model needs " + std::to_string(L) +
                                (end < T ? " + " + std::to_string(T - end) + " after the window" : std::string()));
  for (float v : table.values)
    if (!std::isfinite(v)) throw std::invalid_argument(table.source + ": a value is NaN or infinite");

  auto prepared = prepare_series(table, spec);
  auto window = prepared.narrow(0, end - L, L).unsqueeze(0);
  // The loaded network is in eval mode and run_forecaster only reads it, so this is safe to call
  // from several threads at once.
  auto& net = const_cast<models::UniRepLKNetForecaster&>(forecaster.net);
  ForecastResult result;
  result.values = run_forecaster(net, window).squeeze(0).contiguous();  // H x V, standardized
  spec.scaler.restore(result.values.data_ptr<float>(), static_cast<size_t>(H), static_cast<size_t>(V),
                      static_cast<size_t>(V));
  for (int64_t h = 0; h < H; ++h) {
    const double t = table.times[static_cast<size_t>(end - 1)] + static_cast<double>(h + 1) * table.step;
    result.times.push_back(t);
    result.stamps.push_back(ts::format_time(t, spec.time_style));
  }
  return result;
}

}  // namespace unirep::sdk::timeseries
