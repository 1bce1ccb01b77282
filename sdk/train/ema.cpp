#include "sdk/train/ema.h"

#include "models/backbone/state_dict.h"

#include <ATen/ATen.h>
#include <torch/types.h>

#include <stdexcept>

namespace unirep::sdk {

WeightEma::WeightEma(const torch::nn::Module& model, double decay) : decay_(decay) {
  for (auto& nt : models::state_dict(model)) state_.push_back({nt.name, nt.tensor.clone()});
}

void WeightEma::update(const torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  auto current = models::state_dict(model);
  if (current.size() != state_.size()) throw std::logic_error("EMA: the model changed structure");
  for (size_t i = 0; i < current.size(); ++i) {
    auto& avg = state_[i].tensor;
    const auto& w = current[i].tensor;
    if (avg.is_floating_point())
      avg.mul_(decay_).add_(w, 1.0 - decay_);
    else
      avg.copy_(w);
  }
}

void WeightEma::load(const io::NamedTensors& state) {
  if (state.size() != state_.size()) throw std::invalid_argument("EMA state does not match the model");
  for (size_t i = 0; i < state.size(); ++i) {
    if (state[i].name != state_[i].name || state[i].tensor.sizes() != state_[i].tensor.sizes())
      throw std::invalid_argument("EMA state does not match the model at '" + state[i].name + "'");
    state_[i].tensor.copy_(state[i].tensor);
  }
}

}  // namespace unirep::sdk
