#include "sdk/video/video_dataset.h"

#include "modalities/image/opencv_resize.h"
#include "modalities/image/pil_resize.h"

#include <ATen/ATen.h>

#include <numeric>
#include <stdexcept>
#include <string>
#include <random>

namespace unirep::sdk {
VideoDataset::VideoDataset(std::vector<modalities::ImageItem> items, int64_t num_classes,
                           modalities::VideoTransformOptions transform, std::optional<VideoAugmentOptions> augment,
                           uint64_t seed, size_t cache_bytes)
    : items_(std::move(items)),
      num_classes_(num_classes),
      transform_(transform),
      augment_(augment),
      seed_(seed),
      cache_budget_(cache_bytes),
      cache_(items_.size()),
      reads_(items_.size(), 0) {}

std::shared_ptr<const std::vector<modalities::RgbImage>> VideoDataset::frames(size_t index) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cache_.at(index)) return cache_[index];
  }
  const std::string& path = items_[index].path;
  modalities::VideoReader reader(path);
  std::vector<int64_t> all(static_cast<size_t>(reader.info().frames));
  std::iota(all.begin(), all.end(), 0);
  // Resized as decoded, so no more than one full-size frame is held; the resized frames are bounded
  // too (docs/video.md, Limits).
  std::vector<modalities::RgbImage> decoded(all.size());
  size_t bytes = 0;
  try {
    reader.visit_frames(all, [&](int64_t i, const modalities::RgbImage& frame) {
      auto& slot = decoded[static_cast<size_t>(i)];
      bytes -= slot.pixels.size();  // a frame handed again after a restart replaces itself
      slot = modalities::opencv_resize_short_side(frame, transform_.size);
      bytes += slot.pixels.size();
      if (bytes > kMaxResizedVideoBytes)
        throw std::invalid_argument("its frames resized to a short side of " + std::to_string(transform_.size) +
                                    " take more than " + std::to_string(kMaxResizedVideoBytes) + " bytes");
    });
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  auto shared = std::make_shared<const std::vector<modalities::RgbImage>>(std::move(decoded));
  std::lock_guard<std::mutex> lock(mu_);
  if (!cache_[index] && cached_bytes_ + bytes <= cache_budget_) {
    cached_bytes_ += bytes;
    cache_[index] = shared;
  }
  return shared;
}

Example VideoDataset::get(size_t index) const {
  const auto all = frames(index);
  const int64_t n = static_cast<int64_t>(all->size());
  auto target = at::zeros({num_classes_}, at::kFloat);
  target[items_[index].label] = 1.0f;
  std::vector<modalities::RgbImage> clip;
  if (!augment_) {
    for (int64_t i : modalities::validation_indices(n, transform_.sampling))
      clip.push_back(modalities::center_crop((*all)[static_cast<size_t>(i)], transform_.size, transform_.size));
    return {modalities::clip_to_backbone_image(modalities::frames_to_clip(clip, transform_)), target};
  }
  uint32_t read;
  {
    std::lock_guard<std::mutex> lock(mu_);
    read = reads_[index]++;
  }
  std::mt19937_64 rng(seed_ * 0x9E3779B97F4A7C15ULL + index * 7919 + read * 104729 + 17);
  const auto indices = modalities::training_indices(n, transform_.sampling, rng);
  modalities::ImageAugmentOptions crop;
  crop.scale_min = augment_->scale_min;
  const auto& first = (*all)[0];
  const auto box = modalities::random_resized_crop_box(first.width, first.height, crop, rng);
  const bool flip = std::uniform_real_distribution<double>(0.0, 1.0)(rng) < augment_->hflip;
  for (int64_t i : indices) {
    auto f = modalities::opencv_resize_linear(modalities::crop_box((*all)[static_cast<size_t>(i)], box),
                                              transform_.size, transform_.size);
    if (flip) modalities::flip_left_right(f);
    clip.push_back(std::move(f));
  }
  return {modalities::clip_to_backbone_image(modalities::frames_to_clip(clip, transform_)), target};
}

}  // namespace unirep::sdk
