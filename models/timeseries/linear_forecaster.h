#pragma once
// The linear baseline (DLinear-style): each target variable's next pred_len values as one linear
// map of its own last seq_len values, shared by all variables. DLinear's trend and seasonal
// linears act on a linear decomposition of the window, so together they are one linear map of the
// window; here that map is fitted exactly by least squares (a small ridge term for conditioning)
// instead of by gradient descent, so the baseline is deterministic and at its optimum.
#include <ATen/Tensor.h>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

namespace unirep::models {

class LinearForecasterImpl : public torch::nn::Module {
 public:
  LinearForecasterImpl(int64_t seq_len, int64_t pred_len);
  // inputs: N x seq_len x V, targets: N x pred_len x V (the same standardized units). Replaces the
  // weights by the least-squares solution over every (window, variable) pair.
  // `row_weights` (N x V, optional): each (window, variable) pair's squared error counts this much
  // squared (weighted least squares).
  void fit(const at::Tensor& inputs, const at::Tensor& targets, double ridge = 1e-4,
           const at::Tensor& row_weights = {});
  at::Tensor forward(const at::Tensor& x);  // N x seq_len x V -> N x pred_len x V

  at::Tensor weight;  // pred_len x seq_len
  at::Tensor bias;    // pred_len
};
TORCH_MODULE(LinearForecaster);

}  // namespace unirep::models
