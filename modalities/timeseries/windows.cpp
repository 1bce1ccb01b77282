#include "modalities/timeseries/windows.h"

#include <ATen/ATen.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace unirep::modalities {

SeriesSplit chronological_split(size_t rows, const SplitFractions& f, int64_t seq_len, int64_t pred_len) {
  if (seq_len < 1 || pred_len < 1) throw std::invalid_argument("seq_len and pred_len must be positive");
  if (f.train <= 0 || f.validation < 0 || f.train + f.validation >= 1)
    throw std::invalid_argument("split fractions must leave a test part (train > 0, train + validation < 1)");
  const size_t n_train = static_cast<size_t>(std::floor(static_cast<double>(rows) * f.train));
  const size_t n_val = static_cast<size_t>(std::floor(static_cast<double>(rows) * f.validation));
  const size_t L = static_cast<size_t>(seq_len), H = static_cast<size_t>(pred_len);
  SeriesSplit s;
  s.train_rows = n_train;
  s.train = {0, n_train};
  s.validation = {n_train >= L ? n_train - L : 0, n_train + n_val};
  s.test = {n_train + n_val >= L ? n_train + n_val - L : 0, rows};
  auto check = [&](const RowRange& r, const char* name) {
    if (r.end - r.begin < L + H)
      throw std::invalid_argument(std::string("the ") + name + " part has " + std::to_string(r.end - r.begin) +
                                  " rows, fewer than one window (seq_len + pred_len = " + std::to_string(L + H) +
                                  "); use a longer series or shorter windows");
  };
  check(s.train, "training");
  if (n_val > 0)
    check(s.validation, "validation");
  else
    s.validation = {0, 0};
  check(s.test, "test");
  return s;
}

std::vector<size_t> window_starts(const RowRange& range, int64_t seq_len, int64_t pred_len, int64_t stride) {
  std::vector<size_t> starts;
  if (stride < 1) throw std::invalid_argument("window stride must be positive");
  const size_t span = static_cast<size_t>(seq_len + pred_len);
  for (size_t s = range.begin; s + span <= range.end; s += static_cast<size_t>(stride)) starts.push_back(s);
  return starts;
}

Standardizer Standardizer::fit(const SeriesTable& table, size_t rows) {
  const size_t V = table.num_columns();
  Standardizer z;
  z.mean.assign(V, 0.0f);
  z.std.assign(V, 1.0f);
  if (rows == 0) return z;
  for (size_t c = 0; c < V; ++c) {
    double sum = 0, sq = 0;
    for (size_t r = 0; r < rows; ++r) sum += table.at(r, c);
    const double mean = sum / static_cast<double>(rows);
    for (size_t r = 0; r < rows; ++r) sq += (table.at(r, c) - mean) * (table.at(r, c) - mean);
    const double sd = std::sqrt(sq / static_cast<double>(rows));
    z.mean[c] = static_cast<float>(mean);
    z.std[c] = sd > 1e-12 ? static_cast<float>(sd) : 1.0f;
  }
  return z;
}

void Standardizer::apply(float* v, size_t rows, size_t stride, size_t columns) const {
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < columns; ++c) v[r * stride + c] = (v[r * stride + c] - mean[c]) / std[c];
}

void Standardizer::restore(float* v, size_t rows, size_t stride, size_t columns) const {
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < columns; ++c) v[r * stride + c] = v[r * stride + c] * std[c] + mean[c];
}

at::Tensor time_features(const std::vector<double>& times, TimeFormat format) {
  auto out = at::zeros({static_cast<int64_t>(times.size()), kNumTimeFeatures}, at::kFloat);
  if (format == TimeFormat::Number) return out;
  auto a = out.accessor<float, 2>();
  for (size_t i = 0; i < times.size(); ++i) {
    const auto f = calendar_fields(times[i]);
    const auto t = static_cast<int64_t>(i);
    a[t][0] = static_cast<float>(f.hour / 23.0 - 0.5);
    a[t][1] = static_cast<float>(f.day_of_week / 6.0 - 0.5);
    a[t][2] = static_cast<float>((f.day_of_month - 1) / 30.0 - 0.5);
    a[t][3] = static_cast<float>((f.day_of_year - 1) / 365.0 - 0.5);
  }
  return out;
}

int64_t default_season(double step, TimeFormat format) {
  if (format == TimeFormat::Number) return 1;
  auto near = [&](double target) { return std::abs(step - target) < 1e-6 * target; };
  if (near(3600)) return 24;
  if (near(86400)) return 7;
  if (near(7 * 86400)) return 52;
  if (step > 27 * 86400 && step < 32 * 86400) return 12;
  if (step < 3600 && std::fmod(86400.0, step) < 1e-6) return static_cast<int64_t>(std::llround(86400.0 / step));
  return 1;
}

}  // namespace unirep::modalities
