#include "models/timeseries/linear_forecaster.h"

#include <ATen/ATen.h>

namespace unirep::models {

LinearForecasterImpl::LinearForecasterImpl(int64_t seq_len, int64_t pred_len) {
  // Starts as "repeat the window's mean", which is what an unfitted baseline should do.
  weight = register_parameter("weight", at::full({pred_len, seq_len}, 1.0 / static_cast<double>(seq_len)));
  bias = register_parameter("bias", at::zeros({pred_len}));
}

void LinearForecasterImpl::fit(const at::Tensor& inputs, const at::Tensor& targets, double ridge,
                               const at::Tensor& row_weights) {
  TORCH_CHECK(
      inputs.dim() == 3 && targets.dim() == 3 && inputs.size(0) == targets.size(0) && inputs.size(2) == targets.size(2),
      "LinearForecaster::fit expects N x L x V inputs and N x H x V targets");
  const int64_t L = weight.size(1), H = weight.size(0);
  TORCH_CHECK(inputs.size(1) == L && targets.size(1) == H, "window lengths do not match the model");
  // Rows: one per (window, variable); columns: the window and a constant.
  auto X = inputs.to(at::kDouble).permute({0, 2, 1}).reshape({-1, L});
  auto Y = targets.to(at::kDouble).permute({0, 2, 1}).reshape({-1, H});
  X = at::cat({X, at::ones({X.size(0), 1}, X.options())}, 1);
  if (row_weights.defined()) {
    auto w = row_weights.to(at::kDouble).reshape({-1, 1});  // N x V -> (N V) x 1, the same row order
    X = X * w;
    Y = Y * w;
  }
  auto A = X.t().mm(X);
  // Ridge relative to the mean diagonal, so it means the same whatever the number of rows.
  A = A + at::eye(L + 1, A.options()) * (ridge * A.diagonal().mean().item<double>());
  auto W = at::linalg_solve(A, X.t().mm(Y));  // (L + 1) x H
  torch::NoGradGuard no_grad;
  weight.copy_(W.narrow(0, 0, L).t().to(at::kFloat));
  bias.copy_(W[L].to(at::kFloat));
}

at::Tensor LinearForecasterImpl::forward(const at::Tensor& x) {
  // N x L x V -> N x V x L -> linear over L -> N x V x H -> N x H x V
  return at::linear(x.transpose(1, 2), weight, bias).transpose(1, 2);
}

}  // namespace unirep::models
