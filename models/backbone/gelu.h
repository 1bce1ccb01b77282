#pragma once
// GELU (the erf form) as a module, for the stem: at::gelu, or in training mode the GELU of an
// installed TrainingOps (training_ops.h), so that the fast training path takes the stem's GELU over
// too (docs/performance.md, "Training path"). It has no parameters; state dicts are unaffected.
#include "models/backbone/training_ops.h"

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <memory>

namespace unirep::models {

class GeluImpl : public torch::nn::Module {
 public:
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override;

  std::shared_ptr<TrainingOps> training_ops;  // set_training_ops(): used in training mode
};
TORCH_MODULE(Gelu);

}  // namespace unirep::models
