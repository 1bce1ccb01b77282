#pragma once
// Evaluating a model file on a dataset: the dataset's class indices mapped to the model's by label
// name, so a CSV's or a folder's own class order does not matter.
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace unirep::cli {

// index in `data_labels` -> index in `model_labels`; throws naming `data` when a class is unknown.
inline std::vector<int64_t> map_labels_by_name(const std::vector<std::string>& data_labels, const std::vector<std::string>& model_labels,
                                               const std::string& data) {
  std::vector<int64_t> out(data_labels.size());
  for (size_t c = 0; c < data_labels.size(); ++c) {
    const auto it = std::find(model_labels.begin(), model_labels.end(), data_labels[c]);
    if (it == model_labels.end()) throw std::invalid_argument(data + ": class '" + data_labels[c] + "' is not one of the model's");
    out[c] = it - model_labels.begin();
  }
  return out;
}

}  // namespace unirep::cli
