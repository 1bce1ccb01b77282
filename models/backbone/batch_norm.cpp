#include "models/backbone/batch_norm.h"

#include <ATen/ATen.h>
#include <torch/nn/init.h>

#include <algorithm>

namespace unirep::models {

BatchNorm2dImpl::BatchNorm2dImpl(const torch::nn::BatchNormOptions& options) : options(options) {
  reset();
}

void BatchNorm2dImpl::reset() {
  const auto c = options.num_features();
  if (options.affine()) {
    weight = register_parameter("weight", torch::ones({c}));
    bias = register_parameter("bias", torch::zeros({c}));
  }
  if (options.track_running_stats()) {
    running_mean = register_buffer("running_mean", torch::zeros({c}));
    running_var = register_buffer("running_var", torch::ones({c}));
    num_batches_tracked = register_buffer("num_batches_tracked", torch::zeros({}, torch::kLong));
  }
}

at::Tensor BatchNorm2dImpl::forward(const at::Tensor& input) {
  TORCH_CHECK(input.dim() == 4, "BatchNorm2d: expected a 4-D input, got ", input.dim(), "-D");
  if (stats_reducer && is_training()) return synchronized_forward(input);
  // As torch::nn::BatchNorm2d: batch statistics in training (updating the running ones), running
  // statistics in eval.
  double momentum = options.momentum().value_or(0.0);
  if (is_training() && options.track_running_stats()) {
    num_batches_tracked.add_(1);
    if (!options.momentum()) momentum = 1.0 / num_batches_tracked.item<double>();
  }
  return at::batch_norm(input, weight, bias, running_mean, running_var, is_training() || !options.track_running_stats(),
                        momentum, options.eps(),
                        /*cudnn_enabled=*/false);
}

at::Tensor BatchNorm2dImpl::synchronized_forward(const at::Tensor& input) {
  const auto c = input.size(1);
  // Two passes (mean, then centred second moment) over the union of all processes' batches:
  // numerically like one process holding the whole batch.
  auto count = stats_reducer->sum(at::full({1}, static_cast<double>(input.numel() / c), input.options()));
  auto mean = stats_reducer->sum(input.sum({0, 2, 3})) / count;
  auto centred = input - mean.view({1, c, 1, 1});
  auto var = stats_reducer->sum(centred.square().sum({0, 2, 3})) / count;
  auto scale = (var + options.eps()).rsqrt();
  if (options.affine()) scale = scale * weight;
  auto out = centred * scale.view({1, c, 1, 1});
  if (options.affine()) out = out + bias.view({1, c, 1, 1});
  track_batch_statistics(mean.detach(), var.detach(), count.item<double>());
  return out;
}

void BatchNorm2dImpl::track_batch_statistics(const at::Tensor& mean, const at::Tensor& biased_var, double count) {
  if (!options.track_running_stats()) return;
  torch::NoGradGuard no_grad;
  num_batches_tracked.add_(1);
  const double momentum = options.momentum() ? *options.momentum() : 1.0 / num_batches_tracked.item<double>();
  running_mean.mul_(1 - momentum).add_(mean, momentum);
  running_var.mul_(1 - momentum).add_(biased_var * (count / std::max(1.0, count - 1)), momentum);
}

void BatchNorm2dImpl::pretty_print(std::ostream& stream) const {
  stream << "unirep::models::BatchNorm2d(" << options.num_features() << ", eps=" << options.eps()
         << (stats_reducer ? ", synchronized" : "") << ")";
}

int set_batch_stats_reducer(torch::nn::Module& root, std::shared_ptr<BatchStatsReducer> reducer) {
  int n = 0;
  for (const auto& m : root.modules(/*include_self=*/true))
    if (auto* bn = dynamic_cast<BatchNorm2dImpl*>(m.get())) {
      bn->stats_reducer = reducer;
      ++n;
    }
  return n;
}

}  // namespace unirep::models
