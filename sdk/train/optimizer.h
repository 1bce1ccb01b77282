#pragma once
// Optimizers as the official recipes use them: AdamW (decoupled weight decay), Adam (L2 added to
// the gradient) and SGD with momentum, over parameter groups that carry their own weight decay and
// learning-rate scale. We implement the update rules ourselves (PyTorch's formulas) so that the
// whole optimizer state is plain tensors we checkpoint and restore exactly.
#include "models/io/py_value.h"

#include <torch/nn/module.h>

#include <functional>
#include <string>
#include <vector>

namespace unirep::sdk {

enum class OptimizerKind { AdamW, Adam, SGD };
OptimizerKind parse_optimizer(const std::string& name);  // "adamw" | "adam" | "sgd"

struct OptimizerOptions {
  OptimizerKind kind = OptimizerKind::AdamW;
  double weight_decay = 0.05;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // Adam(W)
  double momentum = 0.9;                          // SGD
  bool nesterov = false;
  double layer_decay = 1.0;  // < 1: layer-wise learning-rate decay (ConvNeXt-style layer ids)
};

struct ParamGroup {
  std::vector<std::string> names;
  std::vector<at::Tensor> params;
  double weight_decay = 0.0;
  double lr_scale = 1.0;
};

// True for parameters the official recipes exempt from weight decay: 1-D tensors (norms, biases),
// names ending in .bias, layer scale `gamma`, GRN `gamma` / `beta`.
bool exempt_from_weight_decay(const std::string& name, const at::Tensor& param);

// ConvNeXt-style layer id of a backbone parameter (0 = stem .. 12 = last stage, 13 = head), the
// grouping the official fine-tuning uses for layer-wise decay. Names outside the backbone
// (a task head) get the head id.
int layer_id_for(const std::string& name, int num_layers = 12);

// Groups the trainable (requires_grad) parameters of `module` by (weight decay, lr scale).
std::vector<ParamGroup> make_param_groups(const torch::nn::Module& module, const OptimizerOptions& options);

class Optimizer {
 public:
  Optimizer(std::vector<ParamGroup> groups, OptimizerOptions options);
  // One update with base learning rate `lr` (each group uses lr * lr_scale). Parameters without
  // a gradient are skipped.
  void step(double lr);
  void zero_grad();
  const std::vector<ParamGroup>& groups() const { return groups_; }

  // State in a PyTorch-like layout: {'state': {index: {'step', 'exp_avg', 'exp_avg_sq' | 'momentum_buffer'}},
  // 'param_groups': [{'weight_decay', 'lr_scale', 'params': [indices]}]}.
  io::PyValue state_dict() const;
  void load_state_dict(const io::PyValue& state);

 private:
  struct State {
    int64_t step = 0;
    at::Tensor exp_avg, exp_avg_sq, momentum;
  };
  std::vector<ParamGroup> groups_;
  OptimizerOptions options_;
  std::vector<State> state_;  // one per parameter, in group order
};

}  // namespace unirep::sdk
