#include "modalities/video/video_transform.h"

#include "modalities/image/image_transform.h"
#include "modalities/image/opencv_resize.h"
#include "modalities/image/pil_resize.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <stdexcept>

namespace unirep::modalities {

at::Tensor frames_to_clip(const std::vector<RgbImage>& frames, const VideoTransformOptions& o) {
  if (frames.empty()) throw std::invalid_argument("a clip needs at least one frame");
  ImageTransformOptions norm;
  norm.mean = o.mean;
  norm.std = o.std;
  std::vector<at::Tensor> planes;
  for (const auto& f : frames) {
    if (f.width != frames[0].width || f.height != frames[0].height)
      throw std::invalid_argument("the frames of a clip differ in size");
    planes.push_back(to_normalized_tensor(f, norm));
  }
  return at::stack(planes, 1);  // C x T x H x W
}

at::Tensor clip_to_backbone_image(const at::Tensor& clip) {
  if (clip.dim() != 4) throw std::invalid_argument("a clip must be C x T x H x W");
  const int64_t C = clip.size(0), T = clip.size(1), H = clip.size(2), W = clip.size(3);
  if ((T * H) % 4 != 0) throw std::invalid_argument("T x H must be a multiple of 4 to form the backbone image");
  return clip.contiguous().view({C, T * H / 4, 4 * W});
}

namespace {

// The frames at `indices` (repeats allowed), each turned into `views` crops as soon as it is
// decoded by `crop(frame, view)`: no decoded or fully resized frame is kept, so a tall thin video,
// whose resize to `size` on the short side is 224 x millions of pixels, costs only its crops
// (docs/video.md, Limits). Returns [position in indices][view].
std::vector<std::vector<RgbImage>> cropped_frames(VideoReader& reader, const std::vector<int64_t>& indices, int views,
                                                  const std::function<RgbImage(const RgbImage&, int)>& crop) {
  std::map<int64_t, std::vector<RgbImage>> by_index;
  reader.visit_frames(indices, [&](int64_t index, const RgbImage& frame) {
    std::vector<RgbImage> crops;
    for (int v = 0; v < views; ++v) crops.push_back(crop(frame, v));
    by_index[index] = std::move(crops);
  });
  std::vector<std::vector<RgbImage>> out;
  out.reserve(indices.size());
  for (int64_t i : indices) out.push_back(by_index.at(i));
  return out;
}

}  // namespace

at::Tensor validation_view(VideoReader& reader, const VideoTransformOptions& o) {
  if (o.size <= 0) throw std::invalid_argument("invalid clip size " + std::to_string(o.size));
  // Short side to `size`, then the centre size x size crop of it (no padding: the short side is `size`).
  const auto crops =
      cropped_frames(reader, validation_indices(reader.info().frames, o.sampling), 1, [&](const RgbImage& f, int) {
        const auto [w, h] = opencv_short_side_size(f.width, f.height, o.size);
        const auto centre = [](int64_t full, int64_t part) {
          return static_cast<int64_t>(std::nearbyint(static_cast<double>(full - part) / 2.0));
        };
        return opencv_resize_short_side_crop(f, o.size, centre(w, o.size), centre(h, o.size), o.size, o.size);
      });
  std::vector<RgbImage> frames;
  for (const auto& c : crops) frames.push_back(c[0]);
  return clip_to_backbone_image(frames_to_clip(frames, o));
}

at::Tensor load_video_input(const std::string& path, const VideoTransformOptions& o) {
  VideoReader reader(path);
  return validation_view(reader, o);
}

at::Tensor test_views(VideoReader& reader, const VideoTransformOptions& o) {
  if (o.size <= 0) throw std::invalid_argument("invalid clip size " + std::to_string(o.size));
  const int spatial = static_cast<int>(std::max<int64_t>(1, o.sampling.spatial_views));
  // Short side to `size`, then `size` along the long side at each spatial view's start, the whole
  // short side (already `size`) across.
  const auto crops =
      cropped_frames(reader, test_indices(reader.info().frames, o.sampling), spatial, [&](const RgbImage& f, int k) {
        const auto [w, h] = opencv_short_side_size(f.width, f.height, o.size);
        const bool tall = h >= w;
        const int64_t s0 = spatial_view_start(tall ? h : w, o.size, k, o.sampling);
        return opencv_resize_short_side_crop(f, o.size, tall ? 0 : s0, tall ? s0 : 0,
                                             static_cast<int>(tall ? w : o.size), static_cast<int>(tall ? o.size : h));
      });
  const int64_t sampled = static_cast<int64_t>(crops.size());
  std::vector<at::Tensor> views;
  for (int64_t c = 0; c < o.sampling.temporal_views; ++c) {
    const int64_t t0 = temporal_view_start(sampled, c, o.sampling);
    for (int64_t k = 0; k < o.sampling.spatial_views; ++k) {
      std::vector<RgbImage> clip;
      for (int64_t t = t0; t < t0 + o.sampling.clip_len && t < sampled; ++t)
        clip.push_back(crops[static_cast<size_t>(t)][static_cast<size_t>(k)]);
      views.push_back(clip_to_backbone_image(frames_to_clip(clip, o)));
    }
  }
  return at::stack(views);
}

}  // namespace unirep::modalities
