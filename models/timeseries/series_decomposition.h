#pragma once
// Autoformer's series decomposition (Corrformer's series_decomp; docs/reference.md, Time series):
// the trend is a moving average over time (stride 1, both ends replicated so the length is kept),
// the seasonal part is what is left.
#include <ATen/Tensor.h>

#include <cstdint>
#include <utility>

namespace unirep::models {

// x: N x T x V. Returns the N x T x V moving average with `kernel` taps (odd or even, as the
// official moving_avg: (kernel - 1) / 2 copies of the first row in front, the same number of the
// last behind).
at::Tensor moving_average(const at::Tensor& x, int64_t kernel);

// {seasonal, trend} with seasonal + trend == x.
std::pair<at::Tensor, at::Tensor> decompose_series(const at::Tensor& x, int64_t kernel);

}  // namespace unirep::models
