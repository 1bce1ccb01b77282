#include "sdk/image/image_dataset.h"

#include <ATen/ATen.h>

#include <random>
#include <stdexcept>
#include <string>

namespace unirep::sdk {
namespace {

// A transform's refusal (an image whose resize would exceed the limits, docs/images.md, Limits)
// named with the file it came from.
template <class F>
auto for_file(const std::string& path, F&& transform) -> decltype(transform()) {
  try {
    return transform();
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

}  // namespace

ImageDataset::ImageDataset(std::vector<modalities::ImageItem> items, int64_t num_classes,
                           modalities::ImageTransformOptions transform,
                           std::optional<modalities::ImageAugmentOptions> augment, ImageMixOptions mix, uint64_t seed,
                           size_t cache_bytes)
    : items_(std::move(items)),
      num_classes_(num_classes),
      transform_(transform),
      augment_(augment),
      mix_(mix),
      seed_(seed),
      cache_budget_(cache_bytes),
      cache_(items_.size()),
      reads_(items_.size(), 0) {}

modalities::RgbImage ImageDataset::decoded(size_t index) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!cache_.at(index).empty()) return cache_[index];
  }
  auto im = modalities::decode_image(items_[index].path);
  std::lock_guard<std::mutex> lock(mu_);
  if (cache_[index].empty() && cached_bytes_ + im.pixels.size() <= cache_budget_) {
    cached_bytes_ += im.pixels.size();
    cache_[index] = im;
  }
  return im;
}

Example ImageDataset::get(size_t index) const {
  auto target = at::zeros({num_classes_}, at::kFloat);
  const int64_t label = items_[index].label;
  if (!augment_) {
    target[label] = 1.0f;
    return {for_file(items_[index].path, [&] { return modalities::eval_transform(decoded(index), transform_); }),
            target};
  }
  uint32_t read;
  {
    std::lock_guard<std::mutex> lock(mu_);
    read = reads_[index]++;
  }
  // Randomness from (seed, item, how often it was read): reproducible whatever the loader threads.
  std::mt19937_64 rng(seed_ * 0x9E3779B97F4A7C15ULL + index * 7919 + read * 104729 + 11);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  auto im =
      for_file(items_[index].path, [&] { return modalities::augment_for_training(decoded(index), *augment_, rng); });
  double lambda = 1.0;
  int64_t other_label = label;
  const bool can_mix = mix_.mixup_alpha > 0 || mix_.cutmix_alpha > 0;
  if (can_mix && items_.size() > 1 && U(rng) < mix_.prob) {
    const size_t j = std::uniform_int_distribution<size_t>(0, items_.size() - 1)(rng);
    const auto other =
        for_file(items_[j].path, [&] { return modalities::augment_for_training(decoded(j), *augment_, rng); });
    other_label = items_[j].label;
    const bool cutmix = mix_.cutmix_alpha > 0 && (mix_.mixup_alpha <= 0 || U(rng) < mix_.switch_prob);
    if (cutmix) {
      lambda = modalities::cutmix_into(im, other, modalities::sample_beta(mix_.cutmix_alpha, rng), rng);
    } else {
      lambda = modalities::sample_beta(mix_.mixup_alpha, rng);
      modalities::mixup_into(im, other, lambda);
    }
  }
  target[label] += static_cast<float>(lambda);
  target[other_label] += static_cast<float>(1.0 - lambda);
  return {modalities::to_normalized_tensor(im, transform_), target};
}

}  // namespace unirep::sdk
