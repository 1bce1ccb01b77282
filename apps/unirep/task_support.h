#pragma once
// What the task setups (train/evaluate image, video, points) share: starting from a checkpoint with
// a different head, choosing a split to evaluate, and mapping a dataset's classes to a model's.
#include <unirep/modalities/image/image_file_list.h>
#include <unirep/models/state_dict.h>
#include <unirep/sdk/backbone_loader.h>

#include <torch/nn/module.h>

#include <algorithm>
#include <cstdio>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace unirep::cli {

// Loads `weights` (train or deploy structure, .pth or .safetensors) into `model` for fine-tuning:
// the head may differ (it is then left new and a note says so); any other key that is missing or
// does not fit is an error naming the file.
inline void load_fine_tune_weights(torch::nn::Module& model, const std::string& weights, size_t classes) {
  const auto report = models::load_state_dict(model, sdk::read_weights(weights), /*strict=*/false);
  for (const auto* names : {&report.missing, &report.mismatched})
    for (const auto& n : *names)
      if (n.rfind("head.", 0) != 0) throw std::invalid_argument(weights + ": does not fit the model (" + n + ")");
  if (!report.mismatched.empty()) std::fprintf(stderr, "note: %s: new head for %zu classes\n", weights.c_str(), classes);
}

// The items to evaluate: "test" falls back to validation, then train, when the layout lacks it;
// "train" and "all" (a CSV) are the training list. Throws when the split is empty.
inline const std::vector<modalities::image::ImageItem>& evaluation_split(const modalities::image::ImageFileList& list,
                                                                          const std::string& split, const std::string& data) {
  const auto* chosen = split == "test"         ? (!list.test.empty() ? &list.test : !list.validation.empty() ? &list.validation : &list.train)
                       : split == "validation" ? &list.validation
                                               : &list.train;
  if (chosen->empty()) throw std::invalid_argument(data + ": nothing in the " + split + " split");
  return *chosen;
}

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
