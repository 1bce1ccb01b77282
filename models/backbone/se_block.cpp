#include "models/backbone/se_block.h"

#include <ATen/ATen.h>

namespace unirep::models {

SEBlockImpl::SEBlockImpl(int64_t channels, int64_t internal_channels) {
  down =
      register_module("down", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, internal_channels, 1).bias(true)));
  up = register_module("up", torch::nn::Conv2d(torch::nn::Conv2dOptions(internal_channels, channels, 1).bias(true)));
}

torch::Tensor SEBlockImpl::forward(const torch::Tensor& x) {
  const auto n = x.size(0), c = x.size(1);
  auto pooled = x.mean({2, 3});  // N x C
  auto h = at::relu(at::linear(pooled, down->weight.flatten(1), down->bias));
  auto s = at::sigmoid(at::linear(h, up->weight.flatten(1), up->bias));
  return x * s.view({n, c, 1, 1});
}

}  // namespace unirep::models
