#include "sdk/timeseries/forecast_evaluation.h"

#include "models/timeseries/linear_forecaster.h"
#include "sdk/timeseries/forecast_data.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace unirep::sdk {
ForecastErrors forecast_errors(const at::Tensor& forecast, const at::Tensor& truth) {
  TORCH_CHECK(forecast.sizes() == truth.sizes(), "forecast and truth shapes differ: ", forecast.sizes(), " vs ",
              truth.sizes());
  auto d = (forecast.to(at::kDouble) - truth.to(at::kDouble));
  return {d.pow(2).mean().item<double>(), d.abs().mean().item<double>()};
}

at::Tensor persistence_forecast(const at::Tensor& inputs, int64_t pred_len) {
  return inputs.narrow(1, inputs.size(1) - 1, 1).expand({inputs.size(0), pred_len, inputs.size(2)}).contiguous();
}

at::Tensor seasonal_naive_forecast(const at::Tensor& inputs, int64_t pred_len, int64_t season) {
  const int64_t L = inputs.size(1);
  TORCH_CHECK(season >= 1 && season <= L, "the season (", season, ") must be between 1 and seq_len (", L, ")");
  std::vector<at::Tensor> steps;
  for (int64_t h = 0; h < pred_len; ++h) {
    // Row L + h of the window's timeline, minus enough whole seasons to land inside the input.
    const int64_t k = h / season + 1;
    steps.push_back(inputs.select(1, L + h - k * season));
  }
  return at::stack(steps, 1);
}

at::Tensor run_forecaster(const Forecaster& forecaster, const at::Tensor& inputs, int64_t batch_size) {
  torch::NoGradGuard no_grad;
  // A second handle on the same module: LibTorch's forward() is not const, but this call changes no
  // state of a loaded (eval-mode) network, so a forecaster can serve several threads at once.
  models::UniRepLKNetForecaster net = forecaster.net;
  const auto pooled = [&](const at::Tensor& map) {
    return forecaster.backbone.forward(map, models::OutputMode::Pooled);
  };
  std::vector<at::Tensor> out;
  for (int64_t i = 0; i < inputs.size(0); i += batch_size)
    out.push_back(net->forward(inputs.narrow(0, i, std::min(batch_size, inputs.size(0) - i)), pooled));
  return at::cat(out, 0);
}

namespace {
// Scores are printed and written as results: never NaN or inf with success (docs/timeseries.md,
// Data). Values within +-1e15 keep every score finite, so this fires only for a damaged model.
void check_finite(const ForecastEvaluation& e, const std::string& source) {
  auto check = [&](const ForecastErrors& err, const std::string& who) {
    if (!std::isfinite(err.mse) || !std::isfinite(err.mae))
      throw std::runtime_error(source + ": the " + who +
                               "'s errors on the test windows are not finite (NaN or infinite)" +
                               (who == "forecaster" ? "; the model file may be damaged" : ""));
  };
  check(e.model, "forecaster");
  for (const auto& [name, err] : e.baselines) check(err, name + " baseline");
}

at::Tensor restore(const at::Tensor& standardized, const ForecastSpec& spec) {
  const auto V = static_cast<int64_t>(spec.targets.size());
  auto mean = at::tensor(at::ArrayRef<float>(spec.scaler.mean)).view({V});
  auto std = at::tensor(at::ArrayRef<float>(spec.scaler.std)).view({V});
  return standardized * std + mean;
}
}  // namespace

ForecastEvaluation evaluate_forecaster(const Forecaster& forecaster, const modalities::SeriesTable& table) {
  const auto& spec = forecaster.spec;
  const auto prepared = prepare_series(table, spec);
  const auto split = modalities::chronological_split(table.length(), spec.split, spec.seq_len, spec.pred_len);
  const auto V = static_cast<int64_t>(spec.targets.size());
  ForecastWindows test(prepared, modalities::window_starts(split.test, spec.seq_len, spec.pred_len), spec.seq_len,
                       spec.pred_len, V);
  ForecastWindows train(prepared, modalities::window_starts(split.train, spec.seq_len, spec.pred_len), spec.seq_len,
                        spec.pred_len, V);

  const auto inputs = test.inputs();
  const auto truth = restore(test.targets(), spec);
  const auto history = restore(inputs.narrow(2, 0, V), spec);
  ForecastEvaluation e;
  e.test_windows = test.size();
  e.season = spec.season;
  e.model = forecast_errors(restore(run_forecaster(forecaster, inputs), spec), truth);
  e.baselines["persistence"] = forecast_errors(persistence_forecast(history, spec.pred_len), truth);
  if (spec.season >= 1 && spec.season <= spec.seq_len)
    e.baselines["seasonal_naive"] =
        forecast_errors(seasonal_naive_forecast(history, spec.pred_len, spec.season), truth);
  models::LinearForecaster linear(spec.seq_len, spec.pred_len);
  linear->fit(train.inputs().narrow(2, 0, V), train.targets());
  {
    torch::NoGradGuard no_grad;
    e.baselines["linear"] = forecast_errors(restore(linear->forward(inputs.narrow(2, 0, V)), spec), truth);
  }
  check_finite(e, table.source);
  return e;
}

}  // namespace unirep::sdk
