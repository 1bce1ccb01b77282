#pragma once
// A fine-tuned image classifier as one file (kind "image_classifier"): the deploy-structure
// backbone with its head, the labels, and the evaluation transform it was trained with, so
// `classify-image --model-file` needs nothing else. The training task is the plain backbone
// classifier (the official head: pool, LayerNorm, Linear).
#include "modalities/image/image_transform.h"
#include "sdk/model_file.h"
#include "sdk/train/task.h"

#include <string>
#include <vector>

namespace unirep::sdk {

inline constexpr const char* kImageClassifierKind = "image_classifier";

struct ImageModelSpec {
  models::BackboneConfig backbone;  // in_chans 3, num_classes = labels.size()
  std::vector<std::string> labels;
  modalities::ImageTransformOptions transform;
};

std::string image_task_json(const ImageModelSpec& spec);
ImageModelSpec image_model_spec(const ModelFile& file);  // throws std::invalid_argument when malformed

class ImageTask : public BackboneClassifier {
 public:
  explicit ImageTask(ImageModelSpec spec, double drop_path_rate = 0.0);
  std::map<std::string, std::string> deploy_metadata() override;
  const ImageModelSpec& spec() const { return spec_; }

 private:
  ImageModelSpec spec_;
};

}  // namespace unirep::sdk
