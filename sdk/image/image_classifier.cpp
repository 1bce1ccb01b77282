#include "sdk/image/image_classifier.h"
#include "sdk/image/image_labels.h"
#include "sdk/image/image_model.h"

#include "models/io/format_error.h"
#include "models/backbone/state_dict.h"

#include <torch/types.h>

#include <algorithm>
#include <stdexcept>

namespace unirep::sdk {

ImageClassifier::ImageClassifier(ImageClassifierOptions options) : options_(std::move(options)) {
  if (!options_.model_file.empty()) {
    auto file = read_model_file(options_.model_file, kImageClassifierKind);
    ImageModelSpec spec;
    try {
      spec = image_model_spec(file);
    } catch (const std::invalid_argument& e) {
      throw io::FormatError(options_.model_file, e.what());
    }
    model_ = models::UniRepLKNet(models::UniRepLKNetOptions(spec.backbone).deploy(true));
    load_model_file_weights(*model_, file, options_.model_file);
    model_->eval();
    labels_ = spec.labels;
    options_.transform = spec.transform;
    backbone_ = InferenceBackbone(model_, options_.inference);
    return;
  }
  BackboneSpec spec = options_.backbone;
  spec.reparameterize = true;  // a train-structure checkpoint runs fused: same outputs, faster
  auto loaded = load_backbone(spec);
  model_ = loaded.model;
  notes_ = loaded.notes;
  const int64_t classes = model_->config().num_classes;
  if (classes <= 0)
    throw std::invalid_argument((spec.weights.empty() ? spec.model : spec.weights) +
                                ": the model has no classification head");
  if (model_->config().in_chans != 3)
    throw std::invalid_argument((spec.weights.empty() ? spec.model : spec.weights) +
                                ": an image model needs 3 input channels, this one has " +
                                std::to_string(model_->config().in_chans));
  labels_ = options_.labels;
  if (labels_.empty() && classes == 1000) labels_ = imagenet1k_labels();
  if (labels_.empty())
    for (int64_t i = 0; i < classes; ++i) labels_.push_back(std::to_string(i));
  if (static_cast<int64_t>(labels_.size()) != classes)
    throw std::invalid_argument(std::to_string(labels_.size()) + " labels for a model with " + std::to_string(classes) +
                                " classes");
  backbone_ = InferenceBackbone(model_, options_.inference);
}

at::Tensor ImageClassifier::probabilities(const at::Tensor& images) const {
  if (images.dim() != 4 || images.size(1) != 3) throw std::invalid_argument("images must be B x 3 x H x W");
  torch::InferenceMode guard;
  return backbone_.forward(images.to(at::kFloat), models::OutputMode::Logits).softmax(1);
}

at::Tensor ImageClassifier::preprocess(const std::string& path) const {
  return modalities::load_image_input(path, options_.transform, options_.decode);
}

std::vector<LabelScore> ImageClassifier::top_k(const at::Tensor& row, int k) const {
  return top_classes(row, labels_, k);
}

std::vector<LabelScore> ImageClassifier::classify(const std::string& path, int k) const {
  return top_k(probabilities(preprocess(path).unsqueeze(0))[0], k);
}

}  // namespace unirep::sdk
