#include "sdk/timeseries/forecast_data.h"

#include <ATen/ATen.h>

namespace unirep::sdk {
at::Tensor prepare_series(const modalities::SeriesTable& table, const ForecastSpec& spec) {
  const int64_t T = static_cast<int64_t>(table.length()), V = static_cast<int64_t>(table.num_columns());
  const int64_t nt = static_cast<int64_t>(spec.targets.size());
  TORCH_CHECK(V == nt + static_cast<int64_t>(spec.covariates.size()), table.source, ": columns do not match the model");
  auto values = at::tensor(at::ArrayRef<float>(table.values)).view({T, V});
  spec.scaler.apply(values.data_ptr<float>(), static_cast<size_t>(T), static_cast<size_t>(V), static_cast<size_t>(V));
  auto features = spec.time_features ? modalities::time_features(table.times, table.time_style.format)
                                     : at::zeros({T, modalities::kNumTimeFeatures}, at::kFloat);
  return at::cat({values.narrow(1, 0, nt), features, values.narrow(1, nt, V - nt)}, 1).contiguous();
}

ForecastWindows::ForecastWindows(at::Tensor prepared, std::vector<size_t> starts, int64_t seq_len, int64_t pred_len,
                                 int64_t num_vars)
    : prepared_(std::move(prepared)),
      starts_(std::move(starts)),
      seq_len_(seq_len),
      pred_len_(pred_len),
      num_vars_(num_vars) {}

Example ForecastWindows::get(size_t index) const {
  const auto s = static_cast<int64_t>(starts_.at(index));
  return {prepared_.narrow(0, s, seq_len_).clone(),
          prepared_.narrow(0, s + seq_len_, pred_len_).narrow(1, 0, num_vars_).clone()};
}

at::Tensor ForecastWindows::inputs() const {
  std::vector<at::Tensor> v;
  for (size_t s : starts_) v.push_back(prepared_.narrow(0, static_cast<int64_t>(s), seq_len_));
  return at::stack(v);
}

at::Tensor ForecastWindows::targets() const {
  std::vector<at::Tensor> v;
  for (size_t s : starts_)
    v.push_back(prepared_.narrow(0, static_cast<int64_t>(s) + seq_len_, pred_len_).narrow(1, 0, num_vars_));
  return at::stack(v);
}

}  // namespace unirep::sdk
