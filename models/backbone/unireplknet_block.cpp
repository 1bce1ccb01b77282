#include "models/backbone/unireplknet_block.h"

#include "models/backbone/reparam_math.h"

#include <ATen/ATen.h>

namespace unirep::models {
namespace {

// Stochastic depth: drop the whole residual of a sample with probability `p`, scale survivors by
// 1/(1-p) (timm's drop_path with scale_by_keep).
torch::Tensor drop_path(const torch::Tensor& x, double p, bool training) {
  if (!training || p <= 0.0) return x;
  const double keep = 1.0 - p;
  auto mask = torch::empty({x.size(0), 1, 1, 1}, x.options()).bernoulli_(keep);
  return x * mask.div_(keep);
}

}  // namespace

UniRepLKNetBlockImpl::UniRepLKNetBlockImpl(const UniRepLKNetBlockOptions& opts)
    : options(opts), deployed_(opts.deploy()) {
  const auto dim = options.dim(), k = options.kernel_size();
  const bool deploy = options.deploy();
  if (!deploy && options.layer_scale_init_value() > 0)
    gamma_ = register_parameter("gamma", torch::full({dim}, options.layer_scale_init_value()));
  if (k >= 7) {
    drb_ = register_module("dwconv", DilatedReparamBlock(dim, k, deploy));
  } else if (k == 3 || k == 5) {
    conv_ = register_module("dwconv", depthwise_conv(dim, k, /*bias=*/deploy));
  } else if (k != 0) {
    throw std::invalid_argument("unsupported block kernel size " + std::to_string(k));
  }
  if (!deploy && k != 0) norm_ = register_module("norm", BatchNorm2d(dim));
  se_ = register_module("se", SEBlock(dim, dim / 4));

  const auto hidden = options.ffn_factor() * dim;
  pwconv1_ = register_module("pwconv1", std::make_shared<torch::nn::Module>());
  fc1_ = pwconv1_->register_module("1", torch::nn::Linear(torch::nn::LinearOptions(dim, hidden).bias(true)));
  act_ = register_module("act", std::make_shared<torch::nn::Module>());
  grn_ = act_->register_module("1", GRN(hidden, /*use_bias=*/!deploy));
  pwconv2_ = register_module("pwconv2", std::make_shared<torch::nn::Module>());
  fc2_ = pwconv2_->register_module("0", torch::nn::Linear(torch::nn::LinearOptions(hidden, dim).bias(deploy)));
  if (!deploy) fc2_bn_ = pwconv2_->register_module("2", BatchNorm2d(dim));
}

torch::Tensor UniRepLKNetBlockImpl::depthwise(const torch::Tensor& x) {
  torch::Tensor y = x;
  if (drb_) y = drb_->forward(x);
  if (conv_) y = run_depthwise_conv(*conv_, x, is_training() ? training_ops.get() : nullptr);
  if (norm_) y = norm_->forward(y);
  return y;
}

torch::Tensor UniRepLKNetBlockImpl::forward(const torch::Tensor& x) {
  auto* ops = is_training() ? training_ops.get() : nullptr;
  auto linear = [ops](torch::nn::LinearImpl& fc, const torch::Tensor& in) {
    return ops ? ops->linear(in, fc.weight, fc.bias) : fc.forward(in);
  };
  auto y = se_->forward(depthwise(x));
  auto h = y.permute({0, 2, 3, 1});  // NHWC view
  if (ops && grn_->has_beta()) {
    h = ops->channel_mlp(h, fc1_->weight, fc1_->bias, grn_->gamma, grn_->beta, fc2_->weight, fc2_->bias);
  } else {
    h = ops ? ops->gelu(linear(*fc1_, h)) : at::gelu(linear(*fc1_, h));
    h = linear(*fc2_, grn_->forward(h));
  }
  h = h.permute({0, 3, 1, 2});
  if (fc2_bn_) h = fc2_bn_->forward(h);
  if (gamma_.defined()) h = h * gamma_.view({1, -1, 1, 1});
  return x + drop_path(h, options.drop_path(), is_training());
}

void UniRepLKNetBlockImpl::reparameterize() {
  if (deployed_) return;
  torch::NoGradGuard no_grad;
  const auto dim = options.dim();

  // 1. Depthwise conv: merge dilated branches, then fold the block BatchNorm into the conv.
  if (drb_) {
    drb_->merge_branches();
    auto [w, b] = fold_batchnorm(drb_->lk_origin->weight, drb_->lk_origin->bias, norm_);
    drb_->lk_origin->weight.copy_(w);
    drb_->lk_origin->bias.copy_(b);
  } else if (conv_) {
    auto [w, b] = fold_batchnorm(conv_->weight, torch::Tensor(), norm_);
    auto fused = depthwise_conv(dim, options.kernel_size(), /*bias=*/true);
    fused->to(w.device(), w.scalar_type());
    fused->weight.copy_(w);
    fused->bias.copy_(b);
    conv_ = replace_module("dwconv", fused);
  }
  if (norm_) {
    unregister_module("norm");
    norm_ = nullptr;
  }

  // 2. GRN beta goes through fc2 as a bias; fc2's BatchNorm and the layer scale fold into fc2.
  auto projected_beta =
      grn_->has_beta() ? at::mv(fc2_->weight, grn_->drop_beta()) : torch::zeros({dim}, fc2_->weight.options());
  auto linear_bias = fc2_->bias.defined() ? fc2_->bias + projected_beta : projected_beta;
  auto scale = gamma_.defined() ? gamma_.detach() : torch::ones({dim}, fc2_->weight.options());
  torch::Tensor w = fc2_->weight, b = linear_bias;
  if (fc2_bn_) {
    auto std = (fc2_bn_->running_var + fc2_bn_->options.eps()).sqrt();
    auto t = fc2_bn_->weight / std;
    w = w * (t * scale).unsqueeze(1);
    b = (fc2_bn_->bias + (linear_bias - fc2_bn_->running_mean) * t) * scale;
  } else {
    w = w * scale.unsqueeze(1);
    b = b * scale;
  }
  auto fused_fc2 = torch::nn::Linear(torch::nn::LinearOptions(fc2_->options.in_features(), dim).bias(true));
  fused_fc2->to(w.device(), w.scalar_type());
  fused_fc2->weight.copy_(w);
  fused_fc2->bias.copy_(b);
  fc2_ = pwconv2_->replace_module("0", fused_fc2);
  if (fc2_bn_) {
    pwconv2_->unregister_module("2");
    fc2_bn_ = nullptr;
  }
  if (gamma_.defined()) {
    parameters_.erase("gamma");
    gamma_ = torch::Tensor();
  }
  deployed_ = true;
}

}  // namespace unirep::models
