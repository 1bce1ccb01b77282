#include "models/backbone/reparam_math.h"

#include <ATen/ATen.h>

#include <stdexcept>

namespace unirep::models {

std::pair<torch::Tensor, torch::Tensor> fold_batchnorm(const torch::Tensor& weight, const torch::Tensor& bias,
                                                       const BatchNorm2d& bn) {
  const double eps = bn->options.eps();
  auto std = (bn->running_var + eps).sqrt();
  auto t = bn->weight / std;  // per output channel
  std::vector<int64_t> shape(weight.dim(), 1);
  shape[0] = -1;
  auto w = weight * t.reshape(shape);
  auto b = bias.defined() ? bias : torch::zeros_like(bn->running_mean);
  auto new_bias = bn->bias + (b - bn->running_mean) * t;
  return {w, new_bias};
}

torch::Tensor dilate_kernel(const torch::Tensor& kernel, int64_t dilation) {
  if (dilation == 1) return kernel;
  const auto k = kernel.size(-1);
  const auto size = dilation * (k - 1) + 1;
  auto dense = torch::zeros({kernel.size(0), kernel.size(1), size, size}, kernel.options());
  // Taps land on every `dilation`-th row and column.
  dense.slice(2, 0, size, dilation).slice(3, 0, size, dilation).copy_(kernel);
  return dense;
}

torch::Tensor pad_kernel(const torch::Tensor& kernel, int64_t size) {
  const auto k = kernel.size(-1);
  if (k > size || (size - k) % 2 != 0)
    throw std::invalid_argument("cannot pad a kernel of size " + std::to_string(k) + " to " + std::to_string(size));
  const auto p = (size - k) / 2;
  return at::constant_pad_nd(kernel, {p, p, p, p}, 0.0);
}

}  // namespace unirep::models
