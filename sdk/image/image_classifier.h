#pragma once
// Image classification with a UniRepLKNet checkpoint: the official ImageNet-1K files as downloaded
// (unireplknet_a_in1k_224_acc77.03.pth, ...; train or deploy structure, .pth or .safetensors), or any
// backbone with a classification head. Files go through the official evaluation transform
// (modalities/image/image_transform.h); the network runs in the deploy structure.
#include "modalities/image/image_decode.h"
#include "modalities/image/image_transform.h"
#include "models/backbone/unireplknet.h"
#include "sdk/backbone_loader.h"
#include "sdk/class_scores.h"
#include "sdk/inference_backbone.h"

#include <ATen/ATen.h>

#include <optional>
#include <string>
#include <vector>

namespace unirep::sdk {

struct ImageClassifierOptions {
  // A model file written by `unirep train image` (labels and transform inside; the two fields
  // below are then ignored), or else:
  std::string model_file;
  BackboneSpec backbone;  // model (variant or JSON config) and weights
  modalities::ImageTransformOptions transform;
  modalities::ImageDecodeOptions decode;
  // Class names, one per output. Empty: the ImageNet-1K names for a 1000-class head, else "0", "1", ...
  std::vector<std::string> labels;
  // Which network runs inference, in which precision (see InferenceSettings).
  InferenceSettings inference;
};

class ImageClassifier {
 public:
  // Loads the weights (fusing a train-structure checkpoint). Throws with a message naming the file.
  explicit ImageClassifier(ImageClassifierOptions options);

  // B x 3 x H x W normalized images -> B x K softmax probabilities.
  at::Tensor probabilities(const at::Tensor& images) const;
  // The backbone input of one file (3 x S x S), as `probabilities` expects it.
  at::Tensor preprocess(const std::string& path) const;
  // The k most probable classes of one file, best first.
  std::vector<LabelScore> classify(const std::string& path, int top_k = 5) const;
  std::vector<LabelScore> top_k(const at::Tensor& probabilities_row, int k) const;

  const std::vector<std::string>& labels() const { return labels_; }
  const ImageClassifierOptions& options() const { return options_; }
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  ImageClassifierOptions options_;
  models::UniRepLKNet model_{nullptr};
  InferenceBackbone backbone_;  // model_ on the chosen path
  std::vector<std::string> labels_, notes_;
};

}  // namespace unirep::sdk
