#pragma once
// Video clips to the backbone input exactly as the official Kinetics pipeline builds it
// (docs/reference.md, Video): frames picked by frame_sampling.h, the short side resized to `size`
// with OpenCV's bilinear (VideoMAE's Resize), a centre crop (validation) or three crops along the
// long side (test), /255 and ImageNet normalization, then the C x T x H x W clip **reinterpreted
// row-major** as C x (T H / 4) x 4W (3 x 896 x 896 for 16 frames of 224): frame t's row h lands at
// row t H / 4 + h / 4, column (h mod 4) W + w. Not a mosaic of tiles; the model was trained on
// this.
#include "modalities/image/rgb_image.h"
#include "modalities/video/frame_sampling.h"
#include "modalities/video/video_reader.h"

#include <ATen/ATen.h>

#include <array>
#include <string>
#include <vector>

namespace unirep::modalities {

struct VideoTransformOptions {
  ClipSampling sampling;
  int size = 224;  // short side after the resize, and the crop
  std::array<float, 3> mean{0.485f, 0.456f, 0.406f};
  std::array<float, 3> std{0.229f, 0.224f, 0.225f};
};

// Frames (each H x W RGB, same size) -> C x T x H x W float, normalized.
at::Tensor frames_to_clip(const std::vector<RgbImage>& frames, const VideoTransformOptions& o = {});

// C x T x H x W -> C x (T H / 4) x 4W, the same memory (T H must be a multiple of 4).
at::Tensor clip_to_backbone_image(const at::Tensor& clip);

// The validation view of a file: 3 x (T S / 4) x 4S (3 x 896 x 896 by default).
at::Tensor load_video_input(const std::string& path, const VideoTransformOptions& o = {});
// The same from an open reader.
at::Tensor validation_view(VideoReader& reader, const VideoTransformOptions& o = {});

// The temporal x spatial test views (15 by default): V x 3 x (T S / 4) x 4S, temporal-major.
at::Tensor test_views(VideoReader& reader, const VideoTransformOptions& o = {});

}  // namespace unirep::modalities
