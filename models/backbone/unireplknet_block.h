#pragma once
// One UniRepLKNet block (the official UniRepLKNetBlock), in train or deploy structure.
//
// Train:  dwconv -> BN(norm) -> SE -> Linear(C->4C) -> GELU -> GRN -> Linear(4C->C, no bias) -> BN
//         -> layer scale gamma -> drop path -> + x
// Deploy: dwconv(+bias) -> SE -> Linear -> GELU -> GRN(no beta) -> Linear(+bias) -> + x
// dwconv is a Dilated Reparam Block for kernels >= 7, a plain depthwise conv for 3 and 5, and
// absent (identity, no BN) for 0. The pointwise part runs on the channels-last (NHWC) view, which
// costs no copy because activations are kept channels-last.
//
// Submodule names reproduce the official nn.Sequential indices (pwconv1.1, act.1, pwconv2.0,
// pwconv2.2) so state dicts load without renaming.
#include "models/backbone/dilated_reparam_block.h"
#include "models/backbone/grn.h"
#include "models/backbone/se_block.h"

#include <torch/nn/module.h>
#include "models/backbone/batch_norm.h"
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace unirep::models {

struct UniRepLKNetBlockOptions {
  UniRepLKNetBlockOptions(int64_t dim, int64_t kernel_size) : dim_(dim), kernel_size_(kernel_size) {}
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, kernel_size);
  TORCH_ARG(bool, deploy) = false;
  TORCH_ARG(double, drop_path) = 0.0;                // stochastic depth rate (training only)
  TORCH_ARG(double, layer_scale_init_value) = 1e-6;  // <= 0: no layer scale
  TORCH_ARG(int64_t, ffn_factor) = 4;
};

class UniRepLKNetBlockImpl : public torch::nn::Module {
 public:
  explicit UniRepLKNetBlockImpl(const UniRepLKNetBlockOptions& options);
  torch::Tensor forward(const torch::Tensor& x);

  // Turns this block into the deploy structure in place (docs/backbone.md). Uses eval statistics.
  void reparameterize();
  bool deployed() const { return deployed_; }

  UniRepLKNetBlockOptions options;
  std::shared_ptr<TrainingOps> training_ops;  // set_training_ops(): used in training mode

 private:
  torch::Tensor depthwise(const torch::Tensor& x);

  bool deployed_;
  // dwconv: one of these (or none for kernel 0).
  DilatedReparamBlock drb_{nullptr};
  torch::nn::Conv2d conv_{nullptr};
  BatchNorm2d norm_{nullptr};
  SEBlock se_{nullptr};
  std::shared_ptr<torch::nn::Module> pwconv1_, act_, pwconv2_;
  torch::nn::Linear fc1_{nullptr};
  GRN grn_{nullptr};
  torch::nn::Linear fc2_{nullptr};
  BatchNorm2d fc2_bn_{nullptr};
  torch::Tensor gamma_;
};
TORCH_MODULE(UniRepLKNetBlock);

}  // namespace unirep::models
