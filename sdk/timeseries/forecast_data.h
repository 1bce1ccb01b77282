#pragma once
// A series made ready for the forecaster: standardized targets and covariates with the time
// features, as one T x C tensor (C = targets + 4 time features + covariates, the forecaster's
// input column order), and the windows of each split as a training dataset.
#include "sdk/timeseries/forecast_model.h"
#include "sdk/train/dataset.h"

#include <ATen/Tensor.h>

#include <vector>

namespace unirep::sdk {

// Standardized with spec.scaler; time features zero when spec.time_features is false.
at::Tensor prepare_series(const modalities::SeriesTable& table, const ForecastSpec& spec);

// Windows of a prepared series: input rows [s, s + L) (all columns), target rows [s + L, s + L + H)
// of the target columns.
class ForecastWindows : public Dataset {
 public:
  ForecastWindows(at::Tensor prepared, std::vector<size_t> starts, int64_t seq_len, int64_t pred_len, int64_t num_vars);
  size_t size() const override { return starts_.size(); }
  Example get(size_t index) const override;
  const std::vector<size_t>& starts() const { return starts_; }
  // All windows stacked: N x L x C inputs and N x H x V targets.
  at::Tensor inputs() const;
  at::Tensor targets() const;

 private:
  at::Tensor prepared_;
  std::vector<size_t> starts_;
  int64_t seq_len_, pred_len_, num_vars_;
};

}  // namespace unirep::sdk
