#include "models/backbone/layer_norm.h"

#include <ATen/ATen.h>

namespace unirep::models {

ChannelsFirstLayerNormImpl::ChannelsFirstLayerNormImpl(int64_t channels_, double eps_)
    : channels(channels_), eps(eps_) {
  weight = register_parameter("weight", torch::ones({channels}));
  bias = register_parameter("bias", torch::zeros({channels}));
}

torch::Tensor ChannelsFirstLayerNormImpl::forward(const torch::Tensor& x) {
  if (training_ops && is_training()) return training_ops->layer_norm_channels(x, weight, bias, eps);
  return channels_first_layer_norm(x, weight, bias, eps);
}

torch::Tensor channels_first_layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                        double eps) {
  // NCHW logical -> NHWC view (free when x is channels-last), normalize the last axis, view back.
  auto nhwc = x.permute({0, 2, 3, 1});
  auto y = at::layer_norm(nhwc, {x.size(1)}, weight, bias, eps);
  return y.permute({0, 3, 1, 2});
}

}  // namespace unirep::models
