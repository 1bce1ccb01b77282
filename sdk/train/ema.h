#pragma once
// Exponential moving average of a model's weights (timm's ModelEmaV2): after each step
// ema = decay * ema + (1 - decay) * weights; buffers (BatchNorm statistics) are copied.
#include "models/io/named_tensors.h"

#include <torch/nn/module.h>

namespace unirep::sdk {

class WeightEma {
 public:
  WeightEma(const torch::nn::Module& model, double decay);
  void update(const torch::nn::Module& model);
  // The averaged state in the model's state-dict order and names.
  const io::NamedTensors& state() const { return state_; }
  void load(const io::NamedTensors& state);  // restores a saved average (same names and shapes)

 private:
  double decay_;
  io::NamedTensors state_;
};

}  // namespace unirep::sdk
