#pragma once
// LayerNorm over the channel axis of an N x C x H x W tensor (the official "channels_first"
// LayerNorm of the stem, the downsample layers and the dense-task norm0..norm3).
//
// The official module normalizes NCHW with explicit mean/variance arithmetic; we run the same
// biased-variance normalization through at::layer_norm on the NHWC view, which is one fused kernel
// and returns a channels-last result (activations stay channels-last throughout the backbone).
#include "models/backbone/training_ops.h"

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <memory>

namespace unirep::models {

class ChannelsFirstLayerNormImpl : public torch::nn::Module {
 public:
  explicit ChannelsFirstLayerNormImpl(int64_t channels, double eps = 1e-6);
  torch::Tensor forward(const torch::Tensor& x);

  torch::Tensor weight;
  torch::Tensor bias;
  int64_t channels;
  double eps;
  std::shared_ptr<TrainingOps> training_ops;  // set_training_ops(): used in training mode
};
TORCH_MODULE(ChannelsFirstLayerNorm);

// What ChannelsFirstLayerNormImpl::forward computes, on LibTorch ops.
torch::Tensor channels_first_layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                        double eps);

}  // namespace unirep::models
