#pragma once
// The arithmetic of structural re-parameterization (docs/backbone.md), as plain tensor functions.
#include "models/backbone/batch_norm.h"
#include <torch/types.h>

#include <utility>

namespace unirep::models {

// Folds an eval-mode BatchNorm that follows a conv (or linear) with `weight` (out channels first)
// and optional `bias` into one weight and bias:
//   w' = w * gamma / sqrt(var + eps),  b' = beta + (b - mean) * gamma / sqrt(var + eps).
std::pair<torch::Tensor, torch::Tensor> fold_batchnorm(const torch::Tensor& weight, const torch::Tensor& bias,
                                                       const BatchNorm2d& bn);

// A depthwise kernel (C x 1 x k x k) with dilation r, rewritten as the equivalent dense kernel of
// size r*(k-1)+1 with zeros between the taps.
torch::Tensor dilate_kernel(const torch::Tensor& kernel, int64_t dilation);

// Zero-pads a square kernel symmetrically to `size` x `size` (the centre stays the centre).
torch::Tensor pad_kernel(const torch::Tensor& kernel, int64_t size);

}  // namespace unirep::models
