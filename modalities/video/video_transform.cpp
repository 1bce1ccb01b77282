#include <unirep/modalities/video/video_transform.h>

#include <unirep/modalities/image/image_transform.h>
#include <unirep/modalities/image/opencv_resize.h>
#include <unirep/modalities/image/pil_resize.h>

#include <stdexcept>

namespace unirep::modalities::video {

at::Tensor frames_to_clip(const std::vector<image::RgbImage>& frames, const VideoTransformOptions& o) {
  if (frames.empty()) throw std::invalid_argument("a clip needs at least one frame");
  image::ImageTransformOptions norm;
  norm.mean = o.mean;
  norm.std = o.std;
  std::vector<at::Tensor> planes;
  for (const auto& f : frames) {
    if (f.width != frames[0].width || f.height != frames[0].height) throw std::invalid_argument("the frames of a clip differ in size");
    planes.push_back(image::to_normalized_tensor(f, norm));
  }
  return at::stack(planes, 1);  // C x T x H x W
}

at::Tensor clip_to_backbone_image(const at::Tensor& clip) {
  if (clip.dim() != 4) throw std::invalid_argument("a clip must be C x T x H x W");
  const int64_t C = clip.size(0), T = clip.size(1), H = clip.size(2), W = clip.size(3);
  if ((T * H) % 4 != 0) throw std::invalid_argument("T x H must be a multiple of 4 to form the backbone image");
  return clip.contiguous().view({C, T * H / 4, 4 * W});
}

at::Tensor validation_view(VideoReader& reader, const VideoTransformOptions& o) {
  auto frames = reader.frames(validation_indices(reader.info().frames, o.sampling));
  for (auto& f : frames) f = image::center_crop(image::opencv_resize_short_side(f, o.size), o.size, o.size);
  return clip_to_backbone_image(frames_to_clip(frames, o));
}

at::Tensor load_video_input(const std::string& path, const VideoTransformOptions& o) {
  VideoReader reader(path);
  return validation_view(reader, o);
}

at::Tensor test_views(VideoReader& reader, const VideoTransformOptions& o) {
  auto frames = reader.frames(test_indices(reader.info().frames, o.sampling));
  for (auto& f : frames) f = image::opencv_resize_short_side(f, o.size);
  const int W = frames[0].width, H = frames[0].height;
  const bool tall = H >= W;
  const int64_t sampled = static_cast<int64_t>(frames.size());
  std::vector<at::Tensor> views;
  for (int64_t c = 0; c < o.sampling.temporal_views; ++c) {
    const int64_t t0 = temporal_view_start(sampled, c, o.sampling);
    for (int64_t k = 0; k < o.sampling.spatial_views; ++k) {
      const int64_t s0 = spatial_view_start(tall ? H : W, o.size, k, o.sampling);
      std::vector<image::RgbImage> clip;
      for (int64_t t = t0; t < t0 + o.sampling.clip_len && t < sampled; ++t) {
        const auto& f = frames[static_cast<size_t>(t)];
        // The crop takes `size` along the long side and the whole short side (already `size`).
        image::RgbImage cut;
        cut.width = tall ? W : o.size;
        cut.height = tall ? o.size : H;
        cut.pixels.resize(static_cast<size_t>(cut.width) * cut.height * 3);
        for (int y = 0; y < cut.height; ++y)
          std::copy_n(f.at(static_cast<int>(tall ? y + s0 : y), static_cast<int>(tall ? 0 : s0)), static_cast<size_t>(cut.width) * 3, cut.at(y, 0));
        clip.push_back(std::move(cut));
      }
      views.push_back(clip_to_backbone_image(frames_to_clip(clip, o)));
    }
  }
  return at::stack(views);
}

}  // namespace unirep::modalities::video
