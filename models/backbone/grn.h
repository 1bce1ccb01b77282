#pragma once
// Global Response Normalization on channels-last (N x H x W x C) activations, as in ConvNeXt V2 and
// the official UniRepLKNet block: per channel the L2 norm over H and W, divided by its mean over
// channels (+1e-6), then (gamma * N + 1) * x + beta. Parameters are 1 x 1 x 1 x C like the official
// `act.1.gamma` / `act.1.beta`. The deploy structure has no beta (it is folded into the next Linear).
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace unirep::models {

class GRNImpl : public torch::nn::Module {
 public:
  GRNImpl(int64_t channels, bool use_bias);
  torch::Tensor forward(const torch::Tensor& x);

  // Removes beta from the module (after it was folded elsewhere) and returns it as a C vector.
  torch::Tensor drop_beta();
  bool has_beta() const { return beta.defined(); }

  torch::Tensor gamma;
  torch::Tensor beta;  // undefined in the deploy structure
};
TORCH_MODULE(GRN);

// The GRN of an N x H x W x C tensor on LibTorch ops (beta may be undefined): what GRNImpl::forward
// computes.
torch::Tensor grn(const torch::Tensor& x, const torch::Tensor& gamma, const torch::Tensor& beta);

}  // namespace unirep::models
