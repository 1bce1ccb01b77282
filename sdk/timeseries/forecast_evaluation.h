#pragma once
// Scoring a forecaster against the built-in baselines on the same test windows, in the series'
// original units: persistence (repeat the last value), seasonal naive (the value one season
// earlier) and the least-squares linear model of the window (fitted on the training windows).
#include "sdk/timeseries/forecast_model.h"

#include <ATen/Tensor.h>

#include <map>
#include <string>

namespace unirep::sdk {

struct ForecastErrors {
  double mse = 0, mae = 0;
};

struct ForecastEvaluation {
  ForecastErrors model;
  std::map<std::string, ForecastErrors> baselines;  // "persistence", "seasonal_naive", "linear"
  size_t test_windows = 0;
  int64_t season = 1;
};

// N x H x V errors of `forecast` against `truth` (same units).
ForecastErrors forecast_errors(const at::Tensor& forecast, const at::Tensor& truth);

// Baselines on N x L x V inputs (original units): N x H x V forecasts.
at::Tensor persistence_forecast(const at::Tensor& inputs, int64_t pred_len);
at::Tensor seasonal_naive_forecast(const at::Tensor& inputs, int64_t pred_len, int64_t season);

// Runs a loaded forecaster (its backbone on its inference path, no gradients) on N x L x C prepared
// windows in batches; N x H x V in the standardized units.
at::Tensor run_forecaster(const Forecaster& forecaster, const at::Tensor& inputs, int64_t batch_size = 64);

// The model and the baselines on the test split of `table` (read with the model's settings).
ForecastEvaluation evaluate_forecaster(const Forecaster& forecaster, const modalities::SeriesTable& table);

}  // namespace unirep::sdk
