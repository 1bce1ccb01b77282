#pragma once
// From a regular series to training examples: the chronological train/validation/test split,
// windows of seq_len inputs followed by pred_len targets, per-column standardization fitted on
// the training part, and the official hourly time features (docs/reference.md, Time series).
#include "modalities/timeseries/series_csv.h"

#include <ATen/Tensor.h>

#include <cstdint>
#include <vector>

namespace unirep::modalities {

struct SplitFractions {
  double train = 0.7, validation = 0.1;  // test: the rest
};

// Rows [begin, end) a split's windows may touch. As in Autoformer's CSV loader (docs/reference.md,
// Time series), validation and test begin seq_len rows before their first target row, so every row
// of the split is forecast.
struct RowRange {
  size_t begin = 0, end = 0;
};
struct SeriesSplit {
  RowRange train, validation, test;
  size_t train_rows = 0;  // rows the scaler is fitted on: [0, train_rows)
};
// Throws when a split is too short for one window.
SeriesSplit chronological_split(size_t rows, const SplitFractions& fractions, int64_t seq_len, int64_t pred_len);

// Start rows of the windows inside `range`: s, s + stride, ... with s + seq_len + pred_len <= end.
std::vector<size_t> window_starts(const RowRange& range, int64_t seq_len, int64_t pred_len, int64_t stride = 1);

// Per-column mean and standard deviation (population; 1 where a column is constant).
struct Standardizer {
  std::vector<float> mean, std;
  static Standardizer fit(const SeriesTable& table, size_t rows);
  // T x V values, standardized / restored in place (`columns` leading columns of each row).
  void apply(float* values, size_t rows, size_t stride, size_t columns) const;
  void restore(float* values, size_t rows, size_t stride, size_t columns) const;
};

// T x 4 time features, each in [-0.5, 0.5]: hour/23, weekday/6, (day-1)/30, (day of year-1)/365,
// minus 0.5 (docs/timeseries.md, the Informer/Autoformer "timeF" features). Zeros for plain-number times.
at::Tensor time_features(const std::vector<double>& times, TimeFormat format);
constexpr int64_t kNumTimeFeatures = 4;

// The season of a regular series for the seasonal-naive baseline: 24 for hourly data, 7 for daily,
// 12 for monthly-like steps, 52 for weekly; 1 otherwise (no known season).
int64_t default_season(double step_seconds, TimeFormat format);

}  // namespace unirep::modalities
