#pragma once
// Forecast a time series with a model file from `unirep forecast train`: from a CSV laid out like
// the training file, or from values in memory, to the next pred_len steps of every target with
// their timestamps.
//
// Thread safety: forecast_* may be called concurrently; copies share the loaded model.
#include <unirep/api/export.h>
#include <unirep/api/runtime_options.h>

#include <memory>
#include <string>
#include <vector>

namespace unirep {

struct Forecast {
  std::vector<std::string> targets;     // column names
  std::vector<double> times;            // steps: seconds since the Unix epoch (or plain numbers)
  std::vector<std::string> timestamps;  // steps: written as the input writes times
  std::vector<float> values;            // steps x targets, row-major, in the data's units

  size_t steps() const { return times.size(); }
  float at(size_t step, size_t target) const { return values[step * targets.size() + target]; }
};

class UNIREP_API Forecaster {
 public:
  explicit Forecaster(const std::string& model_file, const RuntimeOptions& options = {});
  ~Forecaster();
  Forecaster(const Forecaster&);
  Forecaster& operator=(const Forecaster&);
  Forecaster(Forecaster&&) noexcept;
  Forecaster& operator=(Forecaster&&) noexcept;

  const std::vector<std::string>& targets() const;
  const std::vector<std::string>& covariates() const;
  size_t history_length() const;  // rows the model reads (seq_len)
  size_t horizon() const;         // steps it forecasts (pred_len)
  double step_seconds() const;    // the spacing of the training data

  // The steps after the end of a CSV laid out like the training file.
  Forecast forecast_csv(const std::string& path) const;
  // `rows` x (targets + covariates) values, row-major, in the model's column order, at the
  // strictly increasing, regular `times` (seconds since the Unix epoch, rows of them, spaced
  // step_seconds() apart). At least history_length() rows; the last ones are used.
  Forecast forecast_values(const double* times, const float* values, size_t rows, size_t columns) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace unirep
