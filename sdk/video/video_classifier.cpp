#include "sdk/video/video_classifier.h"
#include "sdk/video/video_model.h"

#include "models/io/format_error.h"
#include "models/backbone/state_dict.h"

#include <torch/types.h>

#include <stdexcept>

namespace unirep::sdk {
VideoClassifier::VideoClassifier(VideoClassifierOptions options) : options_(std::move(options)) {
  if (!options_.model_file.empty()) {
    auto file = read_model_file(options_.model_file, kVideoClassifierKind);
    VideoModelSpec spec;
    try {
      spec = video_model_spec(file);
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
  spec.reparameterize = true;
  auto loaded = load_backbone(spec);
  model_ = loaded.model;
  notes_ = loaded.notes;
  const int64_t classes = model_->config().num_classes;
  if (classes <= 0) throw std::invalid_argument(spec.weights + ": the model has no classification head");
  if (model_->config().in_chans != 3)
    throw std::invalid_argument(spec.weights + ": a video model needs 3 input channels");
  labels_ = options_.labels;
  if (labels_.empty())
    for (int64_t i = 0; i < classes; ++i) labels_.push_back(std::to_string(i));
  if (static_cast<int64_t>(labels_.size()) != classes)
    throw std::invalid_argument(std::to_string(labels_.size()) + " labels for a model with " + std::to_string(classes) +
                                " classes");
  backbone_ = InferenceBackbone(model_, options_.inference);
}

at::Tensor VideoClassifier::probabilities_of(const at::Tensor& images) const {
  torch::InferenceMode guard;
  return backbone_.forward(images, models::OutputMode::Logits).softmax(1);
}

at::Tensor VideoClassifier::probabilities(const std::string& path, int views) const {
  if (views != 1 && views != options_.transform.sampling.temporal_views * options_.transform.sampling.spatial_views)
    throw std::invalid_argument(
        "views must be 1 or " +
        std::to_string(options_.transform.sampling.temporal_views * options_.transform.sampling.spatial_views) +
        ", got " + std::to_string(views));
  modalities::VideoReader reader(path);
  if (views == 1) return probabilities_of(modalities::validation_view(reader, options_.transform).unsqueeze(0))[0];
  // The official test averages the views' softmax scores (docs/reference.md, Video).
  return probabilities_of(modalities::test_views(reader, options_.transform)).mean(0);
}

}  // namespace unirep::sdk
