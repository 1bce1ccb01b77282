#pragma once
// Resizing and cropping 8-bit RGB images exactly as PIL and torchvision do, so that the SDK's
// preprocessed inputs are the official pipeline's, byte for byte on lossless images.
//
// pil_resize reproduces Pillow's ImagingResample (Pillow 9.x, libImaging/Resample.c): separable
// convolution, horizontal pass first, antialiasing by stretching the filter's support by the
// downscale factor, weights normalized per output pixel and rounded to 22-bit fixed point, the
// intermediate image rounded and clipped to 8 bits. Bicubic uses Pillow's a = -0.5.
#include <unirep/modalities/image/rgb_image.h>

namespace unirep::modalities::image {

enum class ResampleFilter { Bilinear, Bicubic };

// `in` resized to width x height (both > 0). Throws std::invalid_argument on empty sizes.
RgbImage pil_resize(const RgbImage& in, int width, int height, ResampleFilter filter = ResampleFilter::Bicubic);

// torchvision's Resize(int): the short side becomes `size`, the long side int(size * long / short).
RgbImage resize_short_side(const RgbImage& in, int size, ResampleFilter filter = ResampleFilter::Bicubic);

// torchvision's CenterCrop: top = round((H - h) / 2), left = round((W - w) / 2) with Python's
// round-half-to-even; a crop larger than the image pads it with black first, as torchvision does.
RgbImage center_crop(const RgbImage& in, int width, int height);

}  // namespace unirep::modalities::image
