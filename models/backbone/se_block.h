#pragma once
// Squeeze-and-Excitation as in the official block: global average pool, 1x1 conv C -> C/4, ReLU,
// 1x1 conv C/4 -> C, sigmoid, channel-wise scale. Weights keep the official 1x1-conv shapes
// (`se.down.weight` is C/4 x C x 1 x 1); on the pooled vector the convs run as matrix products.
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

namespace unirep::models {

class SEBlockImpl : public torch::nn::Module {
 public:
  SEBlockImpl(int64_t channels, int64_t internal_channels);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv2d down{nullptr};
  torch::nn::Conv2d up{nullptr};
};
TORCH_MODULE(SEBlock);

}  // namespace unirep::models
