#pragma once
// The k most probable classes of one probability vector, with their labels: what every classifier
// (image, video, points, the API's objects) shows a user, as the public unirep::LabelScore
// (docs/api.md, The public API surface).
#include <unirep/api/results.h>

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace unirep::sdk {

// Highest first; k is clamped to [1, number of classes]. An index without a label (a model with
// more outputs than names) is labelled by its number. Throws std::runtime_error when a probability
// is NaN or infinite.
std::vector<LabelScore> top_classes(const at::Tensor& probabilities, const std::vector<std::string>& labels, int k);

}  // namespace unirep::sdk
