#pragma once
// A training task: the model (backbone + head), how a batch goes through it, and what kind of
// targets it predicts. Each modality supplies one; BackboneClassifier covers plain tensors and
// images (the backbone's own pool + LayerNorm + Linear head).
#include "models/io/named_tensors.h"
#include "models/backbone/unireplknet.h"

#include <torch/nn/module.h>

#include <map>
#include <string>

namespace unirep::sdk {

class Task {
 public:
  virtual ~Task() = default;
  virtual torch::nn::Module& model() = 0;
  virtual at::Tensor forward(const at::Tensor& input) = 0;
  // Classification (top-1/top-5 metrics) or regression (MSE/MAE metrics).
  virtual bool classification() const = 0;
  // The current weights fused into the deploy structure, for export. The model is left unchanged.
  virtual io::NamedTensors deploy_state() = 0;
  // Metadata stored with the exported model (e.g. labels and preprocessing, so the file is usable
  // on its own). Empty by default.
  virtual std::map<std::string, std::string> deploy_metadata() { return {}; }
};

class BackboneClassifier : public Task {
 public:
  explicit BackboneClassifier(models::UniRepLKNetOptions options);
  torch::nn::Module& model() override { return *net_; }
  at::Tensor forward(const at::Tensor& input) override { return net_->forward(input); }
  bool classification() const override { return true; }
  io::NamedTensors deploy_state() override;
  models::UniRepLKNet& net() { return net_; }

 private:
  models::UniRepLKNetOptions options_;
  models::UniRepLKNet net_;
};

// Whether a parameter stays trainable under freezing: `trainable_stages` < 0 trains everything;
// 0 trains only what is outside the backbone's stem/stages (the head); N also trains the last N
// stages with their downsample layers. Names may carry a "backbone." prefix.
bool trainable_under_freeze(const std::string& name, int trainable_stages);

}  // namespace unirep::sdk
