#pragma once
// Dense-task features (docs/images.md): the four stage maps of the backbone for an image, at strides
// 4, 8, 16 and 32, after norm0..norm3 when the weights have them (the detection/segmentation
// checkpoints' 'features' mode; a classification checkpoint gives the maps before any norm, and
// says so in notes()). What a detection or segmentation head built on the SDK consumes.
//
// Inputs: the classification evaluation transform (a square `size` crop), or the dense-task test
// transform of MMDetection/MMSegmentation: resized keeping the aspect ratio to fit (long, short)
// (e.g. 1333 x 800) with OpenCV's bilinear (bit-exact), ImageNet-normalized, zero-padded at the
// right and bottom to multiples of 32.
#include "modalities/image/image_decode.h"
#include "modalities/image/image_transform.h"
#include "models/backbone/unireplknet.h"
#include "sdk/backbone_loader.h"

#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace unirep::sdk {

struct DenseTransformOptions {
  int long_edge = 0, short_edge = 0;  // 0: use the classification transform instead
  int pad_multiple = 32;
};

// MMDetection's test-time input: 3 x H' x W' (H', W' multiples of pad_multiple), normalized.
at::Tensor dense_input(const modalities::RgbImage& image, const DenseTransformOptions& dense,
                       const modalities::ImageTransformOptions& norm = {});

class ImageFeatureExtractor {
 public:
  explicit ImageFeatureExtractor(const BackboneSpec& spec);
  // Four N x C_i x H / 2^(i+2) x W / 2^(i+2) maps of a batch of backbone inputs.
  std::vector<at::Tensor> features(const at::Tensor& images);
  // The backbone input of one file under `transform` or, when dense.long_edge > 0, `dense`.
  static at::Tensor preprocess(const std::string& path, const modalities::ImageTransformOptions& transform,
                               const DenseTransformOptions& dense, const modalities::ImageDecodeOptions& decode = {});
  bool normalized_stages() const { return model_->has_stage_norms(); }
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  models::UniRepLKNet model_{nullptr};
  std::vector<std::string> notes_;
};

}  // namespace unirep::sdk
