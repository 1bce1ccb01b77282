#pragma once
// The forecaster as a training task and as a file. Its model file is the deploy-structure
// safetensors with kind "forecaster", the target names as labels, and in "unirep.task" everything
// needed to forecast from a CSV with nothing else: the columns, window lengths, the time format
// and step, the standardization fitted on the training part, and the baseline season.
#include "modalities/timeseries/series_csv.h"
#include "modalities/timeseries/windows.h"
#include "models/timeseries/unireplknet_forecaster.h"
#include "sdk/inference_backbone.h"
#include "sdk/model_file.h"
#include "sdk/train/task.h"

#include <optional>
#include <string>
#include <vector>

namespace unirep::sdk {

inline constexpr const char* kForecasterKind = "forecaster";

struct ForecastSpec {
  models::BackboneConfig backbone;
  int64_t seq_len = 48, pred_len = 24, d_model = 0, moving_avg = 25;
  modalities::SeriesCsvOptions csv;              // time column, targets, covariates, long format, resampling
  std::vector<std::string> targets, covariates;  // as resolved from the training file
  modalities::ParsedTime time_style;
  double step = 0;
  int64_t season = 1;
  modalities::SplitFractions split;
  modalities::Standardizer scaler;  // targets then covariates
  bool time_features = true;

  size_t num_vars() const { return targets.size(); }
  models::UniRepLKNetForecasterOptions model_options(bool deploy = false, double drop_path_rate = 0.0) const;
};

std::string forecast_task_json(const ForecastSpec& spec);
// Throws std::invalid_argument when malformed, including a stored standardization that is not
// usable (a std that is not positive and finite, a mean that is not finite).
ForecastSpec forecast_spec(const ModelFile& file);

class ForecastTask : public Task {
 public:
  explicit ForecastTask(ForecastSpec spec, double drop_path_rate = 0.0);
  torch::nn::Module& model() override { return *net_; }
  at::Tensor forward(const at::Tensor& input) override { return net_->forward(input); }
  bool classification() const override { return false; }
  io::NamedTensors deploy_state() override;
  std::map<std::string, std::string> deploy_metadata() override;

  const ForecastSpec& spec() const { return spec_; }
  models::UniRepLKNetForecaster& net() { return net_; }

 private:
  ForecastSpec spec_;
  models::UniRepLKNetForecaster net_;
};

// A trained forecaster loaded from its file (deploy structure, eval mode).
struct Forecaster {
  std::string path;  // the model file, for messages
  ForecastSpec spec;
  models::UniRepLKNetForecaster net{nullptr};
  InferenceBackbone backbone;  // net's backbone on the chosen path (the fast one unless told otherwise)
};
Forecaster load_forecaster(const std::string& path, const InferenceSettings& inference = {});

}  // namespace unirep::sdk
