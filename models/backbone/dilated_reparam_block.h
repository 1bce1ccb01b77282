#pragma once
// Dilated Reparam Block (docs/reference.md, The block; docs/backbone.md): a large K x K depthwise
// conv plus parallel dilated small-kernel depthwise convs, each followed by its own BatchNorm,
// summed. After training the branches fold into the large kernel (`merge_branches()`), leaving one
// K x K conv with bias.
//
// Parameter names follow the official module: lk_origin, origin_bn, dil_conv_k{k}_{r}, dil_bn_k{k}_{r}.
#include <torch/nn/module.h>
#include "models/backbone/batch_norm.h"
#include "models/backbone/training_ops.h"
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include <vector>

namespace unirep::models {

class DilatedReparamBlockImpl : public torch::nn::Module {
 public:
  DilatedReparamBlockImpl(int64_t channels, int64_t kernel_size, bool deploy);
  torch::Tensor forward(const torch::Tensor& x);

  // Folds every BatchNorm and dilated branch into lk_origin (which gains a bias). Eval-mode
  // statistics are used; no-op when already merged.
  void merge_branches();
  bool merged() const { return !origin_bn; }

  int64_t channels;
  int64_t kernel_size;
  std::vector<int64_t> branch_kernels;
  std::vector<int64_t> branch_dilations;
  torch::nn::Conv2d lk_origin{nullptr};
  BatchNorm2d origin_bn{nullptr};
  std::vector<torch::nn::Conv2d> dil_convs;
  std::vector<BatchNorm2d> dil_bns;
  std::shared_ptr<TrainingOps> training_ops;  // set_training_ops(): used in training mode
};
TORCH_MODULE(DilatedReparamBlock);

// A depthwise conv with "same" padding, as the official get_conv2d builds it.
torch::nn::Conv2d depthwise_conv(int64_t channels, int64_t kernel_size, bool bias, int64_t dilation = 1);

// conv(x), through `ops` when set (a depthwise conv built by depthwise_conv()).
torch::Tensor run_depthwise_conv(torch::nn::Conv2dImpl& conv, const torch::Tensor& x, TrainingOps* ops);

}  // namespace unirep::models
