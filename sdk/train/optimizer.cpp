#include "sdk/train/optimizer.h"

#include <ATen/ATen.h>
#include <torch/types.h>

#include <cmath>
#include <map>
#include <stdexcept>

namespace unirep::sdk {
namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool starts_with(const std::string& s, const std::string& p) {
  return s.rfind(p, 0) == 0;
}
int index_after(const std::string& name, const std::string& prefix, int which) {
  // "stages.2.7.dwconv..." -> which 0: 2, which 1: 7
  size_t pos = prefix.size();
  for (int i = 0; i < which; ++i) pos = name.find('.', pos) + 1;
  return std::stoi(name.substr(pos, name.find('.', pos) - pos));
}
}  // namespace

OptimizerKind parse_optimizer(const std::string& name) {
  if (name == "adamw") return OptimizerKind::AdamW;
  if (name == "adam") return OptimizerKind::Adam;
  if (name == "sgd") return OptimizerKind::SGD;
  throw std::invalid_argument("unknown optimizer '" + name + "' (adamw, adam, sgd)");
}

bool exempt_from_weight_decay(const std::string& name, const at::Tensor& param) {
  return param.dim() <= 1 || ends_with(name, ".bias") || ends_with(name, ".gamma") || ends_with(name, ".beta") ||
         name == "gamma" || name == "beta";
}

int layer_id_for(const std::string& name, int num_layers) {
  std::string n = name;
  if (starts_with(n, "backbone.")) n = n.substr(9);
  if (starts_with(n, "downsample_layers.")) {
    const int stage = index_after(n, "downsample_layers.", 0);
    return stage == 0 ? 0 : (stage == 3 ? num_layers : stage + 1);
  }
  if (starts_with(n, "stages.")) {
    const int stage = index_after(n, "stages.", 0), block = index_after(n, "stages.", 1);
    if (stage <= 1) return stage + 1;
    if (stage == 2) return std::min(3 + block / 3, num_layers - 1);
    return num_layers;
  }
  return num_layers + 1;
}

std::vector<ParamGroup> make_param_groups(const torch::nn::Module& module, const OptimizerOptions& options) {
  std::map<std::pair<double, double>, ParamGroup> groups;
  const int num_layers = 12;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) {
    if (!p.value().requires_grad()) continue;
    const double wd = exempt_from_weight_decay(p.key(), p.value()) ? 0.0 : options.weight_decay;
    const double scale = options.layer_decay < 1.0
                             ? std::pow(options.layer_decay, num_layers + 1 - layer_id_for(p.key(), num_layers))
                             : 1.0;
    auto& g = groups[{wd, -scale}];  // larger scales (later layers) first
    g.weight_decay = wd;
    g.lr_scale = scale;
    g.names.push_back(p.key());
    g.params.push_back(p.value());
  }
  std::vector<ParamGroup> out;
  for (auto& [key, g] : groups) out.push_back(std::move(g));
  return out;
}

Optimizer::Optimizer(std::vector<ParamGroup> groups, OptimizerOptions options)
    : groups_(std::move(groups)), options_(options) {
  size_t n = 0;
  for (const auto& g : groups_) n += g.params.size();
  state_.resize(n);
}

void Optimizer::zero_grad() {
  for (auto& g : groups_)
    for (auto& p : g.params)
      if (p.grad().defined()) p.mutable_grad() = at::Tensor();
}

void Optimizer::step(double base_lr) {
  torch::NoGradGuard no_grad;
  size_t k = 0;
  for (auto& g : groups_) {
    const double lr = base_lr * g.lr_scale, wd = g.weight_decay;
    for (auto& p : g.params) {
      State& s = state_[k++];
      if (!p.grad().defined()) continue;
      auto grad = p.grad();
      switch (options_.kind) {
        case OptimizerKind::AdamW:
        case OptimizerKind::Adam: {
          if (options_.kind == OptimizerKind::AdamW) {
            if (wd != 0) p.mul_(1 - lr * wd);
          } else if (wd != 0) {
            grad = grad + wd * p;
          }
          if (!s.exp_avg.defined()) {
            s.exp_avg = at::zeros_like(p);
            s.exp_avg_sq = at::zeros_like(p);
          }
          ++s.step;
          s.exp_avg.mul_(options_.beta1).add_(grad, 1 - options_.beta1);
          s.exp_avg_sq.mul_(options_.beta2).addcmul_(grad, grad, 1 - options_.beta2);
          const double bc1 = 1 - std::pow(options_.beta1, static_cast<double>(s.step));
          const double bc2 = 1 - std::pow(options_.beta2, static_cast<double>(s.step));
          auto denom = (s.exp_avg_sq.sqrt() / std::sqrt(bc2)).add_(options_.eps);
          p.addcdiv_(s.exp_avg, denom, -lr / bc1);
          break;
        }
        case OptimizerKind::SGD: {
          if (wd != 0) grad = grad + wd * p;
          ++s.step;
          if (options_.momentum != 0) {
            if (!s.momentum.defined())
              s.momentum = grad.clone();
            else
              s.momentum.mul_(options_.momentum).add_(grad);
            grad = options_.nesterov ? grad + options_.momentum * s.momentum : s.momentum;
          }
          p.add_(grad, -lr);
          break;
        }
      }
    }
  }
}

io::PyValue Optimizer::state_dict() const {
  io::PyValue::DictItems states;
  io::PyValue::Items groups;
  size_t k = 0;
  for (const auto& g : groups_) {
    io::PyValue::Items indices;
    for (size_t i = 0; i < g.params.size(); ++i, ++k) {
      indices.push_back(io::PyValue::integer(static_cast<int64_t>(k)));
      const State& s = state_[k];
      if (s.step == 0) continue;
      auto entry = io::PyValue::dict();
      entry.set("step", io::PyValue::integer(s.step));
      if (s.exp_avg.defined()) {
        entry.set("exp_avg", io::PyValue::tensor(s.exp_avg));
        entry.set("exp_avg_sq", io::PyValue::tensor(s.exp_avg_sq));
      }
      if (s.momentum.defined()) entry.set("momentum_buffer", io::PyValue::tensor(s.momentum));
      states.emplace_back(io::PyValue::integer(static_cast<int64_t>(k)), entry);
    }
    auto group = io::PyValue::dict();
    group.set("weight_decay", io::PyValue::floating(g.weight_decay));
    group.set("lr_scale", io::PyValue::floating(g.lr_scale));
    group.set("params", io::PyValue::list(indices));
    groups.push_back(group);
  }
  auto out = io::PyValue::dict();
  out.set("state", io::PyValue::dict(states));
  out.set("param_groups", io::PyValue::list(groups));
  return out;
}

void Optimizer::load_state_dict(const io::PyValue& state) {
  const auto* states = state.find("state");
  const auto* groups = state.find("param_groups");
  if (!states || !groups || !states->is_dict())
    throw std::invalid_argument("optimizer state lacks 'state' / 'param_groups'");
  if (groups->items().size() != groups_.size())
    throw std::invalid_argument("optimizer state has a different number of parameter groups");
  std::vector<at::Tensor> params;
  for (const auto& g : groups_) params.insert(params.end(), g.params.begin(), g.params.end());
  std::vector<State> fresh(state_.size());
  for (const auto& item : states->dict_items()) {
    // Named, not a structured binding: the lambda below captures it (C++17 forbids capturing bindings).
    const auto& key = item.first;
    const auto& entry = item.second;
    const auto k = static_cast<size_t>(key.as_int());
    if (k >= fresh.size()) throw std::invalid_argument("optimizer state refers to parameter " + std::to_string(k));
    State& s = fresh[k];
    const auto* step = entry.find("step");
    if (!step) throw std::invalid_argument("optimizer state of parameter " + std::to_string(k) + " has no 'step'");
    s.step = step->as_int();
    auto take = [&](const char* name, at::Tensor& dst) {
      if (const auto* v = entry.find(name)) {
        if (v->as_tensor().sizes() != params[k].sizes())
          throw std::invalid_argument(std::string("optimizer state '") + name + "' does not match parameter " +
                                      std::to_string(k));
        // A NaN moment would make the first resumed step turn the parameter into NaN.
        if (v->as_tensor().is_floating_point() && !at::isfinite(v->as_tensor()).all().item<bool>())
          throw std::invalid_argument(std::string("optimizer state '") + name + "' of parameter " + std::to_string(k) +
                                      " holds NaN or infinite values");
        dst = v->as_tensor().to(params[k].options()).clone();
      }
    };
    take("exp_avg", s.exp_avg);
    take("exp_avg_sq", s.exp_avg_sq);
    take("momentum_buffer", s.momentum);
  }
  state_ = std::move(fresh);
}

}  // namespace unirep::sdk
