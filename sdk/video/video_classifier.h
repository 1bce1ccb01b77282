#pragma once
// Video classification: a model file from `unirep train video`, or any backbone classifier with its
// weights (the Kinetics layout by default) and labels. One view is the validation clip; 15 views
// are the official 5 temporal x 3 spatial test views, their softmax scores averaged
// (docs/reference.md, Video).
#include "modalities/video/video_transform.h"
#include "models/backbone/unireplknet.h"
#include "sdk/backbone_loader.h"
#include "sdk/inference_backbone.h"

#include <ATen/ATen.h>

#include <optional>
#include <string>
#include <vector>

namespace unirep::sdk {

struct VideoClassifierOptions {
  std::string model_file;  // or:
  BackboneSpec backbone;
  std::vector<std::string> labels;  // empty: "0", "1", ...
  modalities::VideoTransformOptions transform;
  // Which network runs inference, in which precision (see InferenceSettings).
  InferenceSettings inference;
};

class VideoClassifier {
 public:
  explicit VideoClassifier(VideoClassifierOptions options);
  // K class probabilities of a file: softmax of one view, or the mean over the test views.
  at::Tensor probabilities(const std::string& path, int views = 1) const;
  // B x 3 x H x W backbone images -> B x K.
  at::Tensor probabilities_of(const at::Tensor& images) const;
  const std::vector<std::string>& labels() const { return labels_; }
  const modalities::VideoTransformOptions& transform() const { return options_.transform; }
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  VideoClassifierOptions options_;
  models::UniRepLKNet model_{nullptr};
  InferenceBackbone backbone_;  // model_ on the chosen path
  std::vector<std::string> labels_, notes_;
};

}  // namespace unirep::sdk
