#pragma once
// Resizing and cropping 8-bit RGB images exactly as PIL and torchvision do, so that the SDK's
// preprocessed inputs are the official pipeline's, byte for byte on lossless images.
//
// pil_resize reproduces Pillow's ImagingResample (Pillow 9.x, libImaging/Resample.c): separable
// convolution, horizontal pass first, antialiasing by stretching the filter's support by the
// downscale factor, weights normalized per output pixel and rounded to 22-bit fixed point, the
// intermediate image rounded and clipped to 8 bits. Bicubic uses Pillow's a = -0.5.
//
// Work is bounded for any aspect ratio (docs/images.md, Limits): a 1 x 65535 image resized to 256 on
// its short side would be 256 x 16777216 pixels (12 GB), so the evaluation transform computes only
// the centre crop of the resize (resize_short_side_center_crop), equal byte for byte to the crop of
// the whole, and every step refuses with std::invalid_argument an output, an intermediate image or
// a table of filter weights above kMaxResizePixels.
#include "modalities/image/rgb_image.h"

#include <cstdint>
#include <utility>

namespace unirep::modalities {

enum class ResampleFilter { Bilinear, Bicubic };

// The most pixels any resize here creates at once (output, the image between the two passes) and
// the most filter weights it tables: the default decode limit, so a resize never holds more than
// an image the decoder accepts by default.
inline constexpr int64_t kMaxResizePixels = 178956970;

// `in` resized to width x height (both > 0). Throws std::invalid_argument on empty sizes.
RgbImage pil_resize(const RgbImage& in, int width, int height, ResampleFilter filter = ResampleFilter::Bicubic);

// The window of crop_width x crop_height at (left, top) of pil_resize(in, width, height), made
// without the rest: each output pixel depends only on its own column's and row's weights, so this is
// the crop of the whole resize byte for byte, at the cost of the window (and of the input rows it
// reads). width and height may be far larger than any image that fits in memory.
RgbImage pil_resize_crop(const RgbImage& in, int64_t width, int64_t height, int64_t left, int64_t top, int crop_width,
                         int crop_height, ResampleFilter filter = ResampleFilter::Bicubic);

// torchvision's Resize(int) size rule: (width, height) with the short side `size` and the long side
// int(size * long / short), computed in 64 bits.
std::pair<int64_t, int64_t> short_side_size(int width, int height, int size);

// torchvision's Resize(int): the short side becomes `size`, the long side int(size * long / short).
// Refuses (std::invalid_argument) a result above kMaxResizePixels; see resize_short_side_center_crop.
RgbImage resize_short_side(const RgbImage& in, int size, ResampleFilter filter = ResampleFilter::Bicubic);

// center_crop(resize_short_side(in, size), crop_width, crop_height) without the resized image, so
// its work is bounded by the crop for any aspect ratio (the evaluation transform's path).
RgbImage resize_short_side_center_crop(const RgbImage& in, int size, int crop_width, int crop_height,
                                       ResampleFilter filter = ResampleFilter::Bicubic);

// torchvision's CenterCrop: top = round((H - h) / 2), left = round((W - w) / 2) with Python's
// round-half-to-even; a crop larger than the image pads it with black first, as torchvision does.
RgbImage center_crop(const RgbImage& in, int width, int height);

}  // namespace unirep::modalities
