#include "modalities/image/image_transform.h"
#include "modalities/image/pil_resize.h"

#include <stdexcept>

namespace unirep::modalities {

RgbImage eval_resize(const RgbImage& image, const ImageTransformOptions& o) {
  if (o.size <= 0) throw std::invalid_argument("invalid image size " + std::to_string(o.size));
  if (o.size >= o.warp_from) return pil_resize(image, o.size, o.size, ResampleFilter::Bicubic);
  if (!(o.crop_pct > 0 && o.crop_pct <= 1))
    throw std::invalid_argument("crop_pct must be in (0, 1], got " + std::to_string(o.crop_pct));
  // Python's int(size / crop_pct): 224 / 0.875 = 256, 192 / 0.875 = 219.
  const int resized = static_cast<int>(o.size / o.crop_pct);
  // Only the crop of the resize is made: a 1 x 65535 image would be 256 x 16777216 pixels whole
  // (docs/images.md, Limits).
  return resize_short_side_center_crop(image, resized, o.size, o.size, ResampleFilter::Bicubic);
}

at::Tensor to_normalized_tensor(const RgbImage& image, const ImageTransformOptions& o) {
  auto out = at::empty({3, image.height, image.width}, at::kFloat);
  float* p = out.data_ptr<float>();
  const size_t plane = static_cast<size_t>(image.width) * image.height;
  for (int c = 0; c < 3; ++c) {
    const float mean = o.mean[c], std = o.std[c];
    float* dst = p + c * plane;
    for (size_t i = 0; i < plane; ++i) {
      const float v = static_cast<float>(image.pixels[i * 3 + c]) / 255.0f;  // ToTensor
      dst[i] = (v - mean) / std;                                             // Normalize
    }
  }
  return out;
}

at::Tensor eval_transform(const RgbImage& image, const ImageTransformOptions& o) {
  return to_normalized_tensor(eval_resize(image, o), o);
}

at::Tensor load_image_input(const std::string& path, const ImageTransformOptions& transform,
                            const ImageDecodeOptions& decode) {
  const RgbImage image = decode_image(path, decode);
  try {
    return eval_transform(image, transform);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

}  // namespace unirep::modalities
