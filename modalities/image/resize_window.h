#pragma once
// Internal to modalities/image: the check both windowed resizes (Pillow's and OpenCV's) make before
// any work, so an image of extreme shape is refused from its sizes (docs/images.md, Limits).
#include "modalities/image/pil_resize.h"
#include "modalities/image/rgb_image.h"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace unirep::modalities {

// A resize of `in` to width x height of which only the crop_width x crop_height window at (left,
// top) is made: throws std::invalid_argument when the target or the window is impossible or the
// window is above kMaxResizePixels.
inline void check_resize_window(const RgbImage& in, int64_t width, int64_t height, int64_t left, int64_t top,
                                int crop_width, int crop_height) {
  const auto size = [](int64_t w, int64_t h) { return std::to_string(w) + " x " + std::to_string(h); };
  if (in.empty()) throw std::invalid_argument("cannot resize an empty image");
  if (width <= 0 || height <= 0) throw std::invalid_argument("invalid resize target " + size(width, height));
  if (crop_width <= 0 || crop_height <= 0 || left < 0 || top < 0 || left + crop_width > width ||
      top + crop_height > height)
    throw std::invalid_argument("the window " + size(crop_width, crop_height) + " at (" + std::to_string(left) + ", " +
                                std::to_string(top) + ") is not inside " + size(width, height));
  if (static_cast<int64_t>(crop_width) * crop_height > kMaxResizePixels)
    throw std::invalid_argument("a resized image of " + size(crop_width, crop_height) +
                                " pixels is more than the limit of " + std::to_string(kMaxResizePixels));
}

}  // namespace unirep::modalities
