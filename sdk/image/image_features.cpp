#include "sdk/image/image_features.h"

#include "modalities/image/opencv_resize.h"

#include <torch/types.h>

#include <algorithm>
#include <stdexcept>

namespace unirep::sdk {
at::Tensor dense_input(const modalities::RgbImage& image, const DenseTransformOptions& d,
                       const modalities::ImageTransformOptions& norm) {
  if (d.long_edge <= 0 || d.short_edge <= 0 || d.pad_multiple <= 0)
    throw std::invalid_argument("invalid dense-task resize settings");
  // mmcv's rescale_size: scale = min(long / max(h, w), short / min(h, w)); sizes int(x * scale + 0.5).
  const double scale = std::min(static_cast<double>(d.long_edge) / std::max(image.width, image.height),
                                static_cast<double>(d.short_edge) / std::min(image.width, image.height));
  const int w = std::max(1, static_cast<int>(image.width * scale + 0.5)),
            h = std::max(1, static_cast<int>(image.height * scale + 0.5));
  const auto x = modalities::to_normalized_tensor(modalities::opencv_resize_linear(image, w, h), norm);
  const int ph = (h + d.pad_multiple - 1) / d.pad_multiple * d.pad_multiple,
            pw = (w + d.pad_multiple - 1) / d.pad_multiple * d.pad_multiple;
  auto out = at::zeros({3, ph, pw}, at::kFloat);
  out.narrow(1, 0, h).narrow(2, 0, w).copy_(x);
  return out;
}

ImageFeatureExtractor::ImageFeatureExtractor(const BackboneSpec& spec_in) {
  BackboneSpec spec = spec_in;
  spec.reparameterize = true;
  auto loaded = load_backbone(spec);
  model_ = loaded.model;
  notes_ = loaded.notes;
  if (model_->config().in_chans != 3)
    throw std::invalid_argument(spec.weights + ": image features need 3 input channels");
  if (!model_->has_stage_norms())
    notes_.push_back(
        "the weights have no norm0..norm3 (a classification checkpoint): the stage maps are written before any norm");
}

std::vector<at::Tensor> ImageFeatureExtractor::features(const at::Tensor& images) {
  torch::InferenceMode guard;
  return model_->forward_stages(images, model_->has_stage_norms());
}

at::Tensor ImageFeatureExtractor::preprocess(const std::string& path,
                                             const modalities::ImageTransformOptions& transform,
                                             const DenseTransformOptions& dense,
                                             const modalities::ImageDecodeOptions& decode) {
  if (dense.long_edge <= 0) return modalities::load_image_input(path, transform, decode);
  const auto image = modalities::decode_image(path, decode);
  try {
    return dense_input(image, dense, transform);
  } catch (const std::invalid_argument& e) {  // a resize over the limits (docs/images.md, Limits), named with the file
    throw std::runtime_error(path + ": " + e.what());
  }
}

}  // namespace unirep::sdk
