#include "sdk/tasks/labelled_files.h"

#include <algorithm>
#include <stdexcept>

namespace unirep::sdk {

const std::vector<modalities::ImageItem>& evaluation_split(const modalities::ImageFileList& list,
                                                           const std::string& split, const std::string& data) {
  const auto* chosen = split == "test"         ? (!list.test.empty()         ? &list.test
                                                  : !list.validation.empty() ? &list.validation
                                                                             : &list.train)
                       : split == "validation" ? &list.validation
                                               : &list.train;
  if (chosen->empty()) throw std::invalid_argument(data + ": nothing in the " + split + " split");
  return *chosen;
}

std::vector<int64_t> map_labels_by_name(const std::vector<std::string>& data_labels,
                                        const std::vector<std::string>& model_labels, const std::string& data) {
  std::vector<int64_t> out(data_labels.size());
  for (size_t c = 0; c < data_labels.size(); ++c) {
    const auto it = std::find(model_labels.begin(), model_labels.end(), data_labels[c]);
    if (it == model_labels.end())
      throw std::invalid_argument(data + ": class '" + data_labels[c] + "' is not one of the model's");
    out[c] = it - model_labels.begin();
  }
  return out;
}

}  // namespace unirep::sdk
