#include "sdk/train/dataset.h"

#include <ATen/ATen.h>

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace unirep::sdk {
namespace {

// Flat index of the first true element of `mask` (which has one).
int64_t first_flat(const at::Tensor& mask) {
  return mask.reshape({-1}).nonzero()[0].item<int64_t>();
}

// The element of `t` at flat index `i`.
at::Tensor element(const at::Tensor& t, int64_t i) {
  return t.reshape({-1})[i];
}

// "[3, 0, 1, 2]": where the first true element of `mask` sits, so it can be found in the file.
std::string first_position(const at::Tensor& mask) {
  int64_t rest = first_flat(mask);
  std::vector<int64_t> index(static_cast<size_t>(mask.dim()));
  for (int64_t d = mask.dim() - 1; d >= 0; --d) {
    index[static_cast<size_t>(d)] = rest % mask.size(d);
    rest /= mask.size(d);
  }
  std::ostringstream s;
  s << "[";
  for (size_t d = 0; d < index.size(); ++d) s << (d ? ", " : "") << index[d];
  s << "]";
  return s.str();
}

// One NaN input makes the loss NaN, and one NaN step makes every weight NaN: refused up front.
void require_finite(const at::Tensor& t, const std::string& source, const char* what) {
  if (!t.is_floating_point() || at::isfinite(t).all().item<bool>()) return;
  const auto bad = ~at::isfinite(t);
  std::ostringstream s;
  const auto count = bad.sum().item<int64_t>();
  const double value = element(t, first_flat(bad)).item<double>();
  s << source << ": " << what << " value at " << first_position(bad) << " is ";
  if (std::isnan(value))
    s << "nan";  // not "-nan", whatever its sign bit
  else
    s << value;
  s << " (" << count << (count == 1 ? " NaN or infinite value" : " NaN or infinite values")
    << " in all); training data must be finite";
  throw std::invalid_argument(s.str());
}

}  // namespace

TensorDataset::TensorDataset(at::Tensor inputs, at::Tensor targets, TensorSources sources)
    : inputs_(std::move(inputs)), targets_(std::move(targets)), sources_(std::move(sources)) {
  if (inputs_.dim() < 1 || targets_.dim() < 1 || inputs_.size(0) != targets_.size(0)) {
    std::ostringstream ss;
    ss << "inputs " << inputs_.sizes() << " and targets " << targets_.sizes() << " must have the same first dimension";
    throw std::invalid_argument(ss.str());
  }
  require_finite(inputs_, sources_.inputs, "input");
  require_finite(targets_, sources_.targets, "target");
  if (!targets_.is_floating_point() && targets_.numel() > 0 && (targets_ < 0).any().item<bool>()) {
    const auto bad = targets_ < 0;
    throw std::invalid_argument(sources_.targets + ": label " +
                                std::to_string(element(targets_, first_flat(bad)).item<int64_t>()) + " at " +
                                first_position(bad) + " is negative; class labels count from 0");
  }
}

size_t TensorDataset::size() const {
  return static_cast<size_t>(inputs_.size(0));
}

Example TensorDataset::get(size_t index) const {
  const auto i = static_cast<int64_t>(index);
  return {inputs_[i], targets_[i]};
}

void TensorDataset::require_classes(int64_t num_classes) const {
  if (targets_.is_floating_point() || targets_.numel() == 0) return;
  const auto bad = targets_ >= num_classes;
  if (!bad.any().item<bool>()) return;
  throw std::invalid_argument(sources_.targets + ": label " +
                              std::to_string(element(targets_, first_flat(bad)).item<int64_t>()) + " at " +
                              first_position(bad) + " is out of range for " + std::to_string(num_classes) +
                              " classes (labels must lie in [0, " + std::to_string(num_classes) + "))");
}

}  // namespace unirep::sdk
