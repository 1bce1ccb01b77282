#include "models/backbone/randomize.h"

#include "models/backbone/state_dict.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <cmath>

namespace unirep::models {
namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

void randomize_for_checks(torch::nn::Module& module, uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (auto& nt : state_dict(module)) {
    auto& t = nt.tensor;
    const auto& n = nt.name;
    if (!t.is_floating_point()) continue;
    if (ends_with(n, "running_var")) {
      t.uniform_(0.5, 1.5, gen);
    } else if (ends_with(n, "running_mean")) {
      t.normal_(0.0, 0.1, gen);
    } else if (ends_with(n, ".gamma") && n.find(".act.") == std::string::npos) {
      t.uniform_(0.5, 1.5, gen);  // layer scale: the default 1e-6 would hide the block
    } else if (n.find(".act.1.") != std::string::npos) {
      t.normal_(0.0, 0.2, gen);  // GRN gamma / beta (zero by default)
    } else if (t.dim() == 1 && ends_with(n, ".weight")) {
      t.uniform_(0.7, 1.3, gen);  // BatchNorm / LayerNorm scale
    } else if (ends_with(n, ".bias")) {
      t.normal_(0.0, 0.05, gen);
    } else {
      // Conv and linear weights: fan-in scaled normal keeps activations O(1) through deep stacks.
      const auto fan_in = t.dim() > 1 ? t.numel() / t.size(0) : 1;
      t.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(fan_in)), gen);
    }
  }
}

}  // namespace unirep::models
