#include "models/timeseries/series_decomposition.h"

#include <ATen/ATen.h>

namespace unirep::models {

at::Tensor moving_average(const at::Tensor& x, int64_t kernel) {
  TORCH_CHECK(x.dim() == 3, "moving_average expects N x T x V, got ", x.sizes());
  TORCH_CHECK(kernel >= 1, "moving_average kernel must be positive");
  const int64_t pad = (kernel - 1) / 2;
  const int64_t T = x.size(1);
  auto front = x.narrow(1, 0, 1).expand({x.size(0), pad, x.size(2)});
  auto back = x.narrow(1, T - 1, 1).expand({x.size(0), pad, x.size(2)});
  auto padded = at::cat({front, x, back}, 1);  // N x (T + 2 pad) x V
  // Running sums give every window mean in O(T).
  auto c = at::cumsum(padded, 1);
  c = at::cat({at::zeros_like(c.narrow(1, 0, 1)), c}, 1);
  const int64_t out_len = padded.size(1) - kernel + 1;
  return (c.narrow(1, kernel, out_len) - c.narrow(1, 0, out_len)) / static_cast<double>(kernel);
}

std::pair<at::Tensor, at::Tensor> decompose_series(const at::Tensor& x, int64_t kernel) {
  auto trend = moving_average(x, kernel);
  return {x - trend, trend};
}

}  // namespace unirep::models
