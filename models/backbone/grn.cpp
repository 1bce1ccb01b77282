#include "models/backbone/grn.h"

#include <ATen/ATen.h>

namespace unirep::models {

GRNImpl::GRNImpl(int64_t channels, bool use_bias) {
  gamma = register_parameter("gamma", torch::zeros({1, 1, 1, channels}));
  if (use_bias) beta = register_parameter("beta", torch::zeros({1, 1, 1, channels}));
}

torch::Tensor GRNImpl::forward(const torch::Tensor& x) {
  return grn(x, gamma, beta);
}

torch::Tensor grn(const torch::Tensor& x, const torch::Tensor& gamma, const torch::Tensor& beta) {
  auto g = at::linalg_vector_norm(x, 2, at::IntArrayRef{1, 2}, /*keepdim=*/true);  // N x 1 x 1 x C
  auto n = g / (g.mean(-1, /*keepdim=*/true) + 1e-6);
  auto scale = at::addcmul(at::ones_like(n), gamma, n);  // gamma * N + 1
  if (beta.defined()) return at::addcmul(beta, x, scale);
  return x * scale;
}

torch::Tensor GRNImpl::drop_beta() {
  auto b = beta.detach().reshape({-1});
  parameters_.erase("beta");
  beta = torch::Tensor();
  return b;
}

}  // namespace unirep::models
