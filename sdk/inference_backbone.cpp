#include "sdk/inference_backbone.h"

#include <torch/types.h>

#include <cstdlib>
#include <stdexcept>

namespace unirep::sdk {

InferencePath inference_path_from_env() {
  const char* value = std::getenv("UNIREP_INFERENCE_PATH");
  if (value == nullptr || *value == '\0' || std::string(value) == "fast") return InferencePath::Fast;
  if (std::string(value) == "reference") return InferencePath::Reference;
  throw std::invalid_argument(std::string("UNIREP_INFERENCE_PATH must be 'fast' or 'reference', not '") + value + "'");
}

const char* inference_path_name(InferencePath path) {
  return path == InferencePath::Fast ? "fast" : "reference";
}

InferenceBackbone::InferenceBackbone(models::UniRepLKNet net, const InferenceSettings& settings)
    : net_(std::move(net)) {
  net_->eval();
  const InferencePath path = settings.path ? *settings.path : inference_path_from_env();
  const bool fast = path == InferencePath::Fast && net_->deployed();
  if (settings.precision == models::Precision::BFloat16 && !fast)
    throw std::invalid_argument(path == InferencePath::Fast
                                    ? "precision bf16 runs the deploy structure on the fast path; this network is in "
                                      "the train structure (reparameterize it first)"
                                    : "precision bf16 runs on the fast path, and the reference path was chosen "
                                      "(UNIREP_INFERENCE_PATH or the options); use fp32 there");
  if (fast) fast_ = std::make_shared<models::FastUniRepLKNet>(*net_, settings.precision);
}

at::Tensor InferenceBackbone::forward(const at::Tensor& x, models::OutputMode mode) const {
  torch::InferenceMode guard;
  if (fast_) return fast_->forward(x, mode);
  return net_.ptr()->forward(x, mode);
}

std::vector<at::Tensor> InferenceBackbone::forward_stages(const at::Tensor& x, bool apply_stage_norms) const {
  torch::InferenceMode guard;
  if (!fast_) return net_.ptr()->forward_stages(x, apply_stage_norms);
  if (apply_stage_norms && !net_->has_stage_norms())
    throw std::invalid_argument("this model has no norm0..norm3 (it is a classification model)");
  auto stages = fast_->forward_stages(x);
  // The dense-task norms (one LayerNorm per stage map) on LibTorch: a small share of the work.
  if (apply_stage_norms)
    for (size_t i = 0; i < stages.size(); ++i) stages[i] = net_.ptr()->stage_norms[i]->forward(stages[i]);
  return stages;
}

}  // namespace unirep::sdk
