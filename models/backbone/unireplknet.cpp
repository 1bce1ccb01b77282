#include "models/backbone/gelu.h"
#include "models/backbone/recompute.h"
#include "models/backbone/unireplknet.h"

#include <ATen/ATen.h>
#include <torch/nn/modules/activation.h>

#include <sstream>
#include <stdexcept>

namespace unirep::models {
namespace {

torch::nn::Conv2d conv3x3_s2(int64_t in, int64_t out) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(2).padding(1).bias(true));
}

}  // namespace

UniRepLKNetImpl::UniRepLKNetImpl(const UniRepLKNetOptions& opts) : options(opts), deployed_(opts.deploy()) {
  const auto& cfg = options.config();
  cfg.validate();
  const auto& dims = cfg.dims;

  downsample_layers = register_module("downsample_layers", torch::nn::ModuleList());
  // Stem: indices 0..4 = conv, LN, GELU, conv, LN (GELU has no parameters).
  downsample_layers->push_back(
      torch::nn::Sequential(conv3x3_s2(cfg.in_chans, dims[0] / 2), ChannelsFirstLayerNorm(dims[0] / 2), Gelu(),
                            conv3x3_s2(dims[0] / 2, dims[0]), ChannelsFirstLayerNorm(dims[0])));
  for (int i = 1; i < 4; ++i)
    downsample_layers->push_back(
        torch::nn::Sequential(conv3x3_s2(dims[i - 1], dims[i]), ChannelsFirstLayerNorm(dims[i])));

  int64_t total_blocks = 0;
  for (auto d : cfg.depths) total_blocks += d;
  stages = register_module("stages", torch::nn::ModuleList());
  int64_t block_index = 0;
  for (int i = 0; i < 4; ++i) {
    torch::nn::Sequential stage;
    for (int64_t j = 0; j < cfg.depths[i]; ++j, ++block_index) {
      // Drop-path rates rise linearly from 0 to drop_path_rate over all blocks (torch.linspace).
      const double dp = total_blocks > 1 ? options.drop_path_rate() * block_index / (total_blocks - 1) : 0.0;
      stage->push_back(UniRepLKNetBlock(UniRepLKNetBlockOptions(dims[i], cfg.kernel_sizes[i][j])
                                            .deploy(options.deploy())
                                            .drop_path(dp)
                                            .layer_scale_init_value(options.layer_scale_init_value())));
    }
    stages->push_back(stage);
  }

  if (options.head_kind() == HeadKind::Classifier) {
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dims[3]}).eps(1e-6)));
    if (cfg.num_classes > 0) head = register_module("head", torch::nn::Linear(dims[3], cfg.num_classes));
  } else if (options.head_kind() == HeadKind::StageNorms) {
    for (int i = 0; i < 4; ++i)
      stage_norms.push_back(register_module("norm" + std::to_string(i), ChannelsFirstLayerNorm(dims[i])));
  }
  init_weights();
}

void UniRepLKNetImpl::init_weights() {
  // As the official _init_weights: conv and linear weights ~ N(0, 0.02) (timm's trunc_normal_ with
  // bounds +-2, which a 0.02 std never reaches), biases zero. Norms keep weight 1, bias 0.
  torch::NoGradGuard no_grad;
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* conv = m->as<torch::nn::Conv2dImpl>()) {
      conv->weight.normal_(0.0, 0.02);
      if (conv->bias.defined()) conv->bias.zero_();
    } else if (auto* fc = m->as<torch::nn::LinearImpl>()) {
      fc->weight.normal_(0.0, 0.02);
      if (fc->bias.defined()) fc->bias.zero_();
    }
  }
}

namespace {

// Whether a backward pass goes through `stage`: its input or one of its parameters needs a gradient
// (a frozen stage is not worth recomputing, and its recomputation would have no graph).
bool needs_gradients(torch::nn::SequentialImpl& stage, const torch::Tensor& x) {
  if (x.requires_grad()) return true;
  for (const auto& p : stage.parameters())
    if (p.requires_grad()) return true;
  return false;
}

}  // namespace

std::vector<torch::Tensor> UniRepLKNetImpl::forward_stages(const torch::Tensor& input, bool apply_stage_norms) {
  if (input.dim() != 4 || input.size(1) != config().in_chans) {
    std::ostringstream ss;
    ss << "expected input N x " << config().in_chans << " x H x W, got " << input.sizes();
    throw std::invalid_argument(ss.str());
  }
  if (apply_stage_norms && !has_stage_norms())
    throw std::invalid_argument("this model has no norm0..norm3 (it is a classification model)");
  std::vector<torch::Tensor> outs;
  auto x = input.contiguous(at::MemoryFormat::ChannelsLast);
  for (int i = 0; i < 4; ++i) {
    x = downsample_layers[i]->as<torch::nn::Sequential>()->forward(x);
    // A stage of depth 0 is the identity, as the official model's empty nn.Sequential
    // (LibTorch's Sequential refuses forward() when empty).
    auto* stage = stages[i]->as<torch::nn::SequentialImpl>();
    if (!stage->is_empty()) {
      if (recompute_stages && is_training() && torch::GradMode::is_enabled() && needs_gradients(*stage, x)) {
        x = run_recomputed(*stage, x);
      } else {
        x = stage->forward(x);
      }
    }
    outs.push_back(apply_stage_norms ? stage_norms[i]->forward(x) : x);
  }
  return outs;
}

torch::Tensor UniRepLKNetImpl::pooled(const torch::Tensor& last_stage) {
  auto p = last_stage.mean({2, 3});
  return norm ? norm->forward(p) : p;
}

torch::Tensor UniRepLKNetImpl::forward(const torch::Tensor& x, OutputMode mode) {
  if (!has_classifier() && mode == OutputMode::Logits)
    throw std::invalid_argument("this model has no classification head (num_classes is 0 or it is a dense-task model)");
  auto last = forward_stages(x).back();
  if (mode == OutputMode::Pooled) return pooled(last);
  return head->forward(pooled(last));
}

void UniRepLKNetImpl::reparameterize() {
  for (const auto& stage : *stages)
    for (const auto& block : *stage->as<torch::nn::Sequential>())
      block.ptr()->as<UniRepLKNetBlockImpl>()->reparameterize();
  deployed_ = true;
}

}  // namespace unirep::models
