#pragma once
// BatchNorm2d as the backbone uses it: LibTorch's batch norm with the same parameter and buffer
// names (weight, bias, running_mean, running_var, num_batches_tracked), plus an optional hook that
// makes the training-mode batch statistics cover every process of a data-parallel job
// (synchronized BatchNorm).
//
// models/ only defines the hook (BatchStatsReducer); sdk/distributed supplies one backed by the
// process group. Without a reducer, or in eval mode, this computes exactly what
// torch::nn::BatchNorm2d computes. (It is its own module rather than a subclass because LibTorch
// does not export the base template's virtual members.)
#include <torch/nn/cloneable.h>
#include <torch/nn/options/batchnorm.h>
#include <torch/nn/pimpl.h>

#include <memory>
#include <ostream>

namespace unirep::models {

// Sums a tensor element-wise over all processes. Must be differentiable: its backward sums the
// incoming gradients over processes too (the statistics feed every process's loss).
class BatchStatsReducer {
 public:
  virtual ~BatchStatsReducer() = default;
  virtual at::Tensor sum(const at::Tensor& local) = 0;
};

class BatchNorm2dImpl : public torch::nn::Cloneable<BatchNorm2dImpl> {
 public:
  explicit BatchNorm2dImpl(int64_t num_features) : BatchNorm2dImpl(torch::nn::BatchNormOptions(num_features)) {}
  explicit BatchNorm2dImpl(const torch::nn::BatchNormOptions& options);
  void reset() override;
  at::Tensor forward(const at::Tensor& input);
  void pretty_print(std::ostream& stream) const override;
  // A training-mode batch's bookkeeping, given its per-channel mean and biased variance over
  // `count` values: num_batches_tracked + 1 and the running statistics moved by the momentum (the
  // cumulative average without one), the variance unbiased, as at::batch_norm does. No-op without
  // running statistics. For implementations that compute the statistics themselves (synchronized
  // ones, the fast training path's fused batch norms).
  void track_batch_statistics(const at::Tensor& mean, const at::Tensor& biased_var, double count);

  torch::nn::BatchNormOptions options;
  at::Tensor weight, bias, running_mean, running_var, num_batches_tracked;
  std::shared_ptr<BatchStatsReducer> stats_reducer;

 private:
  at::Tensor synchronized_forward(const at::Tensor& input);
};
TORCH_MODULE(BatchNorm2d);

// Installs `reducer` (nullptr removes it) on every models::BatchNorm2d under `root`; returns how many.
int set_batch_stats_reducer(torch::nn::Module& root, std::shared_ptr<BatchStatsReducer> reducer);

}  // namespace unirep::models
