#pragma once
// The operations of the train structure that another implementation may take over (docs/performance.md,
// "Training path"). The backbone runs them on LibTorch ops by default (the reference path); the fast
// training path (models/fast/fast_training_ops.h) installs its own, with hand-written backward passes,
// through set_training_ops(). Each op must compute what its LibTorch counterpart computes, gradients
// included: the backbone does not check who runs it.
#include <ATen/core/Tensor.h>

#include <memory>
#include <vector>

namespace torch::nn {
class Module;
}

namespace unirep::models {

class BatchNorm2dImpl;

class TrainingOps {
 public:
  virtual ~TrainingOps() = default;
  // A depthwise convolution, stride 1, "same" size: x is N x C x H x W, weight C x 1 x k x k (odd k),
  // bias C or undefined, padding dilation * (k - 1) / 2. As at::conv2d(..., groups = C).
  virtual at::Tensor depthwise_conv(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                                    int64_t dilation) = 0;
  // x W^T + b over the last dimension of x (any leading dimensions): as at::linear.
  virtual at::Tensor linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) = 0;
  // The channels-first LayerNorm (layer_norm.h) of an N x C x H x W tensor: each pixel's C values.
  virtual at::Tensor layer_norm_channels(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                                         double eps) = 0;
  // GELU, the erf form (as at::gelu).
  virtual at::Tensor gelu(const at::Tensor& x) = 0;
  // The GRN with beta (grn.h) on an N x H x W x C tensor; gamma and beta are 1 x 1 x 1 x C.
  virtual at::Tensor grn(const at::Tensor& x, const at::Tensor& gamma, const at::Tensor& beta) = 0;
  // The block's channel MLP on an N x H x W x C tensor: Linear C -> 4C, GELU, GRN with beta, Linear
  // 4C -> C, i.e. linear(grn(gelu(linear(x, w1, b1)), gamma, beta), w2, b2) with b2 possibly
  // undefined. By default the ops above one after another; an implementation may fuse them.
  virtual at::Tensor channel_mlp(const at::Tensor& x, const at::Tensor& w1, const at::Tensor& b1,
                                 const at::Tensor& gamma, const at::Tensor& beta, const at::Tensor& w2,
                                 const at::Tensor& b2);
  // The Dilated Reparam Block's sum of batch-normalized branches in training mode:
  // sum over i of norms[i]->forward(branches[i]), each with its own batch statistics and running
  // statistics updated as BatchNorm2d updates them. By default those calls and adds one by one; an
  // implementation may fuse them.
  virtual at::Tensor batch_norm_sum(const std::vector<at::Tensor>& branches,
                                    const std::vector<BatchNorm2dImpl*>& norms);
};

// Installs `ops` (nullptr: back to LibTorch's) on every block, Dilated Reparam Block,
// channels-first LayerNorm and GELU module (the stem's) under `root`, used while in training mode;
// returns how many modules took them.
int set_training_ops(torch::nn::Module& root, std::shared_ptr<TrainingOps> ops);

}  // namespace unirep::models
