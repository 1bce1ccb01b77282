#include "models/backbone/dilated_reparam_block.h"

#include "models/backbone/backbone_config.h"
#include "models/backbone/reparam_math.h"

#include <ATen/ATen.h>
#include <torch/nn/init.h>

namespace unirep::models {

torch::nn::Conv2d depthwise_conv(int64_t channels, int64_t kernel_size, bool bias, int64_t dilation) {
  const int64_t padding = (dilation * (kernel_size - 1) + 1) / 2;
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, channels, kernel_size)
                               .stride(1)
                               .padding(padding)
                               .dilation(dilation)
                               .groups(channels)
                               .bias(bias));
}

torch::Tensor run_depthwise_conv(torch::nn::Conv2dImpl& conv, const torch::Tensor& x, TrainingOps* ops) {
  if (ops == nullptr) return conv.forward(x);
  return ops->depthwise_conv(x, conv.weight, conv.bias, conv.options.dilation()->at(0));
}

namespace {
std::string branch_suffix(int64_t k, int64_t r) {
  return "k" + std::to_string(k) + "_" + std::to_string(r);
}
}  // namespace

DilatedReparamBlockImpl::DilatedReparamBlockImpl(int64_t channels_, int64_t kernel_size_, bool deploy)
    : channels(channels_), kernel_size(kernel_size_) {
  auto branches = dilated_branches(kernel_size);
  branch_kernels = branches.kernel_sizes;
  branch_dilations = branches.dilations;
  lk_origin = register_module("lk_origin", depthwise_conv(channels, kernel_size, /*bias=*/deploy));
  if (deploy) return;
  origin_bn = register_module("origin_bn", BatchNorm2d(channels));
  for (size_t i = 0; i < branch_kernels.size(); ++i) {
    const auto k = branch_kernels[i], r = branch_dilations[i];
    dil_convs.push_back(register_module("dil_conv_" + branch_suffix(k, r), depthwise_conv(channels, k, false, r)));
    dil_bns.push_back(register_module("dil_bn_" + branch_suffix(k, r), BatchNorm2d(channels)));
  }
}

torch::Tensor DilatedReparamBlockImpl::forward(const torch::Tensor& x) {
  auto* ops = is_training() ? training_ops.get() : nullptr;
  if (merged()) return run_depthwise_conv(*lk_origin, x, ops);
  if (ops) {
    std::vector<at::Tensor> branches{run_depthwise_conv(*lk_origin, x, ops)};
    std::vector<BatchNorm2dImpl*> norms{origin_bn.get()};
    for (size_t i = 0; i < dil_convs.size(); ++i) {
      branches.push_back(run_depthwise_conv(*dil_convs[i], x, ops));
      norms.push_back(dil_bns[i].get());
    }
    return ops->batch_norm_sum(branches, norms);
  }
  auto out = origin_bn->forward(lk_origin->forward(x));
  for (size_t i = 0; i < dil_convs.size(); ++i) out = out + dil_bns[i]->forward(dil_convs[i]->forward(x));
  return out;
}

void DilatedReparamBlockImpl::merge_branches() {
  if (merged()) return;
  torch::NoGradGuard no_grad;
  auto [w, b] = fold_batchnorm(lk_origin->weight, torch::Tensor(), origin_bn);
  for (size_t i = 0; i < dil_convs.size(); ++i) {
    auto [bw, bb] = fold_batchnorm(dil_convs[i]->weight, torch::Tensor(), dil_bns[i]);
    w = w + pad_kernel(dilate_kernel(bw, branch_dilations[i]), kernel_size);
    b = b + bb;
  }
  auto merged_conv = depthwise_conv(channels, kernel_size, /*bias=*/true);
  merged_conv->to(w.device(), w.scalar_type());
  merged_conv->weight.copy_(w);
  merged_conv->bias.copy_(b);
  lk_origin = replace_module("lk_origin", merged_conv);
  unregister_module("origin_bn");
  origin_bn = nullptr;
  for (size_t i = 0; i < dil_convs.size(); ++i) {
    const auto suffix = branch_suffix(branch_kernels[i], branch_dilations[i]);
    unregister_module("dil_conv_" + suffix);
    unregister_module("dil_bn_" + suffix);
  }
  dil_convs.clear();
  dil_bns.clear();
}

}  // namespace unirep::models
