#pragma once
// Backbone + pooled-feature head: global average pool of the last stage, LayerNorm, Linear.
// The audio model of the paper (docs/audio.md: the AST-style `mlp_head`, LayerNorm eps 1e-5 then
// Linear on the pooled 768-d feature) and any other "classify the whole input" task use it.
//
// Parameter names: `backbone.*` (the official backbone names, without its own norm/head) and
// `mlp_head.0.*` (LayerNorm), `mlp_head.1.*` (Linear), as in the official audio wrapper.
#include "models/backbone/unireplknet.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

namespace unirep::models {

struct PooledClassifierOptions {
  PooledClassifierOptions(BackboneConfig backbone, int64_t num_classes)
      : backbone_(std::move(backbone)), num_classes_(num_classes) {}
  TORCH_ARG(BackboneConfig, backbone);  // its num_classes is ignored
  TORCH_ARG(int64_t, num_classes);
  TORCH_ARG(bool, deploy) = false;
  TORCH_ARG(double, drop_path_rate) = 0.0;
  TORCH_ARG(double, head_norm_eps) = 1e-5;
};

class PooledClassifierImpl : public torch::nn::Module {
 public:
  explicit PooledClassifierImpl(const PooledClassifierOptions& options);
  torch::Tensor forward(const torch::Tensor& x);  // N x num_classes logits
  // The same with the pooled features computed by `pooled` instead of `backbone`.
  torch::Tensor forward(const torch::Tensor& x, const PooledFeatures& pooled);
  torch::Tensor features(const torch::Tensor& x);  // N x dims[3] pooled, before the head
  void reparameterize() { backbone->reparameterize(); }

  PooledClassifierOptions options;
  UniRepLKNet backbone{nullptr};
  torch::nn::LayerNorm head_norm{nullptr};
  torch::nn::Linear head_fc{nullptr};
};
TORCH_MODULE(PooledClassifier);

}  // namespace unirep::models
