#include <unirep/sdk/train/dataset.h>

#include <ATen/ATen.h>

#include <sstream>
#include <stdexcept>

namespace unirep::sdk::train {

TensorDataset::TensorDataset(at::Tensor inputs, at::Tensor targets)
    : inputs_(std::move(inputs)), targets_(std::move(targets)) {
  if (inputs_.dim() < 1 || targets_.dim() < 1 || inputs_.size(0) != targets_.size(0)) {
    std::ostringstream ss;
    ss << "inputs " << inputs_.sizes() << " and targets " << targets_.sizes() << " must have the same first dimension";
    throw std::invalid_argument(ss.str());
  }
}

size_t TensorDataset::size() const { return static_cast<size_t>(inputs_.size(0)); }

Example TensorDataset::get(size_t index) const {
  const auto i = static_cast<int64_t>(index);
  return {inputs_[i], targets_[i]};
}

}  // namespace unirep::sdk::train
