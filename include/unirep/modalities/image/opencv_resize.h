#pragma once
// Bilinear resizing as OpenCV's cv::resize(INTER_LINEAR) computes it on 8-bit images, the resize
// of the official video pipeline (VideoMAE's Resize with interpolation='bilinear'): half-pixel
// centres, no antialiasing, 11-bit fixed-point weights, the vertical pass rounded the way
// OpenCV's SIMD code rounds it. Equal to cv2.resize of OpenCV 4.6 (Debian 12) byte for byte in the
// tests, on up- and downscaling.
#include <unirep/modalities/image/rgb_image.h>

namespace unirep::modalities::image {

RgbImage opencv_resize_linear(const RgbImage& in, int width, int height);

// VideoMAE's resize_clip: the short side becomes `size` (the long side int(size * long / short)),
// left as it is when the short side already has that size.
RgbImage opencv_resize_short_side(const RgbImage& in, int size);

}  // namespace unirep::modalities::image
