#pragma once
// Bilinear resizing as OpenCV's cv::resize(INTER_LINEAR) computes it on 8-bit images, the resize
// of the official video pipeline (VideoMAE's Resize with interpolation='bilinear'): half-pixel
// centres, no antialiasing, 11-bit fixed-point weights, the vertical pass rounded the way
// OpenCV's SIMD code rounds it. Equal to cv2.resize of OpenCV 4.6 (Debian 12) byte for byte in the
// tests, on up- and downscaling.
//
// Work is bounded for any aspect ratio (docs/video.md, Limits): the *_crop forms make only a window
// of the resize, equal byte for byte to the crop of the whole, and every resize refuses with
// std::invalid_argument an output above kMaxResizePixels (pil_resize.h).
#include "modalities/image/rgb_image.h"

#include <cstdint>
#include <utility>

namespace unirep::modalities {

RgbImage opencv_resize_linear(const RgbImage& in, int width, int height);

// The window crop_width x crop_height at (left, top) of opencv_resize_linear(in, width, height),
// made without the rest (only the source rows the window reads go through the horizontal pass).
RgbImage opencv_resize_linear_crop(const RgbImage& in, int64_t width, int64_t height, int64_t left, int64_t top,
                                   int crop_width, int crop_height);

// The (width, height) opencv_resize_short_side gives, in 64 bits.
std::pair<int64_t, int64_t> opencv_short_side_size(int width, int height, int size);

// VideoMAE's resize_clip: the short side becomes `size` (the long side int(size * long / short)),
// left as it is when the short side already has that size.
RgbImage opencv_resize_short_side(const RgbImage& in, int size);

// A window of opencv_resize_short_side(in, size), made without the rest: what the video views use,
// so a tall thin video costs its crops, not 224 x millions of pixels per frame.
RgbImage opencv_resize_short_side_crop(const RgbImage& in, int size, int64_t left, int64_t top, int crop_width,
                                       int crop_height);

}  // namespace unirep::modalities
