#pragma once
// The official ImageNet evaluation transform (UniRepLKNet's datasets.py build_transform;
// docs/reference.md, Images): below 384, resize the short side to int(size / crop_pct) with bicubic
// and centre-crop size x size; at 384 and above, warp the whole image to size x size (no crop).
// Then scale to [0, 1] and normalize with the ImageNet mean and std, in float32 exactly as
// torchvision's ToTensor and Normalize compute it.
#include "modalities/image/image_decode.h"
#include "modalities/image/rgb_image.h"

#include <ATen/ATen.h>

#include <array>
#include <string>

namespace unirep::modalities {

struct ImageTransformOptions {
  int size = 224;           // the backbone's input side
  double crop_pct = 0.875;  // short side resized to int(size / crop_pct) before the crop
  int warp_from = 384;      // at this size and above: warp to size x size, no crop
  std::array<float, 3> mean{0.485f, 0.456f, 0.406f};
  std::array<float, 3> std{0.229f, 0.224f, 0.225f};
};

// The uint8 image the backbone sees before normalization (resize + crop, or warp).
RgbImage eval_resize(const RgbImage& image, const ImageTransformOptions& options = {});

// 8-bit RGB to a 3 x H x W float tensor: (x / 255 - mean) / std per channel.
at::Tensor to_normalized_tensor(const RgbImage& image, const ImageTransformOptions& options = {});

// eval_resize then to_normalized_tensor: 3 x size x size.
at::Tensor eval_transform(const RgbImage& image, const ImageTransformOptions& options = {});

// decode_image then eval_transform. Errors name the file.
at::Tensor load_image_input(const std::string& path, const ImageTransformOptions& transform = {},
                            const ImageDecodeOptions& decode = {});

}  // namespace unirep::modalities
