#include "models/heads/pooled_classifier.h"

#include <ATen/ATen.h>

namespace unirep::models {

PooledClassifierImpl::PooledClassifierImpl(const PooledClassifierOptions& opts) : options(opts) {
  auto cfg = options.backbone();
  cfg.num_classes = 0;
  backbone = register_module("backbone", UniRepLKNet(UniRepLKNetOptions(cfg)
                                                         .deploy(options.deploy())
                                                         .drop_path_rate(options.drop_path_rate())
                                                         .head_kind(HeadKind::None)));
  const auto dim = cfg.dims[3];
  auto mlp_head = register_module("mlp_head", std::make_shared<torch::nn::Module>());
  head_norm = mlp_head->register_module(
      "0", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(options.head_norm_eps())));
  head_fc = mlp_head->register_module("1", torch::nn::Linear(dim, options.num_classes()));
  torch::NoGradGuard no_grad;
  head_fc->weight.normal_(0.0, 0.02);
  head_fc->bias.zero_();
}

torch::Tensor PooledClassifierImpl::features(const torch::Tensor& x) {
  return backbone->forward(x, OutputMode::Pooled);  // HeadKind::None: the plain spatial mean
}

torch::Tensor PooledClassifierImpl::forward(const torch::Tensor& x) {
  return head_fc->forward(head_norm->forward(features(x)));
}

torch::Tensor PooledClassifierImpl::forward(const torch::Tensor& x, const PooledFeatures& pooled) {
  return head_fc->forward(head_norm->forward(pooled(x)));
}

}  // namespace unirep::models
