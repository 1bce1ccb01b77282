#include "sdk/class_scores.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <stdexcept>

namespace unirep::sdk {

std::vector<LabelScore> top_classes(const at::Tensor& probabilities, const std::vector<std::string>& labels, int k) {
  const auto p = probabilities.to(at::kFloat).contiguous().view({-1});
  // Weights that overflow give NaN scores, and topk would rank them as if they meant something
  // (docs/reliability.md, "No silent poison").
  if (!at::isfinite(p).all().item<bool>())
    throw std::runtime_error(
        "the model gives NaN or infinite scores (weights that overflow, or an input far outside its range)");
  const int64_t take = std::min<int64_t>(std::max(k, 1), p.numel());
  const auto [values, indices] = p.topk(take);
  const auto v = values.contiguous(), i = indices.contiguous();
  std::vector<LabelScore> out;
  for (int64_t r = 0; r < take; ++r) {
    LabelScore s;
    const int64_t index = i.data_ptr<int64_t>()[r];
    s.index = static_cast<int>(index);  // classes are at most 2^24 (docs/backbone.md, Layout limits)
    s.score = v.data_ptr<float>()[r];
    s.label = static_cast<size_t>(index) < labels.size() ? labels[static_cast<size_t>(index)] : std::to_string(index);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace unirep::sdk
