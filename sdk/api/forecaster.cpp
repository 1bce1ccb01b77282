// unirep::Forecaster: the app-facing face of sdk/timeseries (load_forecaster, forecast_after).
#include <unirep/api/forecaster.h>

#include "api_support.h"
#include "input_limits.h"

#include "modalities/timeseries/series_csv.h"
#include "sdk/timeseries/forecast_predict.h"

#include <ATen/ATen.h>

#include <cmath>

namespace unirep {
struct Forecaster::Impl {
  RuntimeOptions options;
  sdk::Forecaster loaded;

  Forecast run(const modalities::SeriesTable& table) const {
    api_detail::CallThreads threads(options.threads);
    const auto result = sdk::forecast_after(loaded, table, static_cast<int64_t>(table.length()));
    Forecast f;
    f.targets = loaded.spec.targets;
    f.times = result.times;
    f.timestamps = result.stamps;
    const auto v = result.values.contiguous();
    f.values.assign(v.data_ptr<float>(), v.data_ptr<float>() + v.numel());
    return f;
  }
};

Forecaster::Forecaster(const std::string& model_file, const RuntimeOptions& options) {
  api_detail::check_options(options);
  api_detail::require_file(model_file, "model file");
  impl_ = api_detail::guarded([&] {
    return std::make_shared<const Impl>(
        Impl{options, sdk::load_forecaster(model_file, api_detail::inference_settings(options))});
  });
}

Forecaster::~Forecaster() = default;
Forecaster::Forecaster(const Forecaster&) = default;
Forecaster& Forecaster::operator=(const Forecaster&) = default;
Forecaster::Forecaster(Forecaster&&) noexcept = default;
Forecaster& Forecaster::operator=(Forecaster&&) noexcept = default;

const std::vector<std::string>& Forecaster::targets() const {
  return impl_->loaded.spec.targets;
}
const std::vector<std::string>& Forecaster::covariates() const {
  return impl_->loaded.spec.covariates;
}
size_t Forecaster::history_length() const {
  return static_cast<size_t>(impl_->loaded.spec.seq_len);
}
size_t Forecaster::horizon() const {
  return static_cast<size_t>(impl_->loaded.spec.pred_len);
}
double Forecaster::step_seconds() const {
  return impl_->loaded.spec.step;
}

Forecast Forecaster::forecast_csv(const std::string& path) const {
  api_detail::require_file(path, "CSV file");
  return api_detail::guarded([&] { return impl_->run(modalities::read_series_csv(path, impl_->loaded.spec.csv)); });
}

Forecast Forecaster::forecast_values(const double* times, const float* values, size_t rows, size_t columns) const {
  const auto& spec = impl_->loaded.spec;
  if (!times || !values) throw Error(StatusCode::kInvalidArgument, "history: null buffer");
  const size_t want = spec.targets.size() + spec.covariates.size();
  if (columns != want)
    throw Error(StatusCode::kInvalidArgument, "history: " + std::to_string(columns) + " columns, the model reads " +
                                                  std::to_string(want) + " (targets, then covariates)");
  if (want > 0 && rows > api_detail::kMaxHistoryValues / want)
    throw Error(StatusCode::kInvalidArgument, "history: " + std::to_string(rows) + " rows exceed the limit of " +
                                                  std::to_string(api_detail::kMaxHistoryValues / want) + " for " +
                                                  std::to_string(want) + " columns");
  if (rows < history_length())
    throw Error(StatusCode::kInvalidArgument, "history: " + std::to_string(rows) + " rows, the model needs at least " +
                                                  std::to_string(history_length()));
  modalities::SeriesTable table;
  table.source = "history";
  table.time_column = "time";
  table.time_style = spec.time_style;
  table.names = spec.targets;
  table.names.insert(table.names.end(), spec.covariates.begin(), spec.covariates.end());
  table.num_targets = spec.targets.size();
  table.times.assign(times, times + rows);
  table.values.assign(values, values + rows * columns);
  for (size_t i = 0; i < rows; ++i)
    if (!std::isfinite(times[i]))
      throw Error(StatusCode::kInvalidArgument, "history: time " + std::to_string(i) + " is not finite");
  table.step = rows > 1 ? times[1] - times[0] : spec.step;
  for (size_t i = 1; i < rows; ++i) {
    const double gap = times[i] - times[i - 1];
    if (!(std::abs(gap - table.step) <= 1e-6 * std::max(1.0, std::abs(table.step))) || gap <= 0)
      throw Error(StatusCode::kInvalidArgument, "history: times must increase by one regular step; row " +
                                                    std::to_string(i) + " comes " + std::to_string(gap) +
                                                    " after the previous one");
  }
  return api_detail::guarded([&] { return impl_->run(table); });
}

}  // namespace unirep
